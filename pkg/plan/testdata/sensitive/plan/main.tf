variable "db_password" {
  type      = string
  sensitive = true
  default   = "correct-horse-battery"
}

variable "api_key" {
  type      = string
  sensitive = true
}

resource "terraform_data" "db" {
  input = {
    user     = "admin"
    password = var.db_password
    nested   = { token = sensitive("tok-new-xyz"), list = [sensitive("in-a-list-new"), "plain"] }
  }
}

resource "terraform_data" "key" {
  input = sensitive(<<-EOT
    -----BEGIN TEST KEY-----
    bXVsdGktbGluZS1zZWNyZXQ=
    -----END TEST KEY-----
  EOT
  )
}

resource "terraform_data" "short" {
  # Too short to mask: collected values skip anything under 3 characters.
  input = sensitive("ab")
}

output "password" {
  value     = var.db_password
  sensitive = true
}

output "api_key_length" {
  value = length(nonsensitive(var.api_key))
}
