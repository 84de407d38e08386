# The stack the act test plans and applies. State lives outside the workspace
# (backend-config path=...), as with a remote backend, because act gives every
# job a fresh workspace.

terraform {
  backend "local" {}
}

variable "api_token" {
  description = "Comes from the TERRAFORM_ENV secret as TF_VAR_api_token."
  type        = string
  sensitive   = true
}

variable "greeting" {
  description = "Comes from the TERRAFORM_ENV secret as TF_VAR_greeting."
  type        = string
}

resource "terraform_data" "app" {
  input = {
    greeting = var.greeting
    token    = var.api_token
  }
}

output "greeting" {
  value = var.greeting
}
