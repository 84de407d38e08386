resource "terraform_data" "old_name" {
  input = "v1"
}

resource "terraform_data" "old_changed" {
  input = "v1"
}
