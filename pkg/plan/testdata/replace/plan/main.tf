resource "terraform_data" "db" {
  input            = "16.2"
  triggers_replace = { engine_version = "16.2" }
}
