resource "terraform_data" "keep" {
  input = "keep"
}

resource "terraform_data" "shard" {
  count = 1
  input = count.index
}
