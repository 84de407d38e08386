variable "db_password" {
  type      = string
  sensitive = true
  default   = "old-password-123"
}

resource "terraform_data" "db" {
  input = {
    user     = "admin"
    password = var.db_password
    nested   = { token = sensitive("tok-old-abc"), list = [sensitive("in-a-list-old"), "plain"] }
  }
}
