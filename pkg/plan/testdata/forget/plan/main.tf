resource "terraform_data" "kept" {
  input = "k"
}

removed {
  from = terraform_data.legacy

  lifecycle {
    destroy = false
  }
}
