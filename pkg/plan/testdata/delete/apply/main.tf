resource "terraform_data" "keep" {
  input = "keep"
}

resource "terraform_data" "logs" {
  input = "logs"
}

resource "terraform_data" "shard" {
  count = 3
  input = count.index
}
