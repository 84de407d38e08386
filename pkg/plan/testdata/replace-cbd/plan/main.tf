resource "terraform_data" "cert" {
  triggers_replace = ["2026"]

  lifecycle {
    create_before_destroy = true
  }
}
