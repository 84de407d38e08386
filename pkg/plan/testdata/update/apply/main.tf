resource "terraform_data" "service" {
  input = { desired_count = 2, image = "api:41" }
}

resource "terraform_data" "unchanged" {
  input = "same"
}
