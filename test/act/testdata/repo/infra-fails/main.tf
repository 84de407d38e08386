# A stack whose plan succeeds and whose apply fails: the provisioner runs only
# when the resource is created.

terraform {
  backend "local" {}
}

resource "terraform_data" "broken" {
  input = "created, then the provisioner fails"

  provisioner "local-exec" {
    command = "echo 'lockstep act test: this provisioner fails on purpose' >&2; exit 1"
  }
}
