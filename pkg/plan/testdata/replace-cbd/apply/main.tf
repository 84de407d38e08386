resource "terraform_data" "cert" {
  triggers_replace = ["2025"]

  lifecycle {
    create_before_destroy = true
  }
}
