resource "terraform_data" "producer" {
  input = "state.tfstate"
}

# Its configuration depends on a value only known after apply, so Terraform
# defers the read to apply time: a "read" change.
data "terraform_remote_state" "upstream" {
  backend = "local"
  config = {
    path = terraform_data.producer.output
  }
}
