resource "terraform_data" "service" {
  input = { desired_count = 3, image = "api:42" }
}

resource "terraform_data" "unchanged" {
  input = "same"
}
