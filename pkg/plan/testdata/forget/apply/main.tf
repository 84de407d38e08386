resource "terraform_data" "kept" {
  input = "k"
}

resource "terraform_data" "legacy" {
  input = "l"
}
