resource "terraform_data" "security_group" {
  input = { ingress = ["10.0.0.0/8"], name = "api" }
}

resource "terraform_data" "worker" {
  input = "worker"
}

resource "terraform_data" "service" {
  input = { desired_count = 2 }
}
