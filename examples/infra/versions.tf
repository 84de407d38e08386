terraform {
  # terraform_data is built into Terraform >= 1.4: this module downloads no
  # provider, so it plans and applies offline. lockstep supports >= 1.5.
  required_version = ">= 1.5.0"
}
