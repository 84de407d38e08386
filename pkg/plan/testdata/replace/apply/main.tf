resource "terraform_data" "db" {
  input            = "15.4"
  triggers_replace = { engine_version = "15.4" }
}
