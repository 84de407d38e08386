resource "terraform_data" "service" {
  for_each = toset([for i in range(1, 13) : format("svc-%02d", i)])
  input    = { name = each.key }
}

resource "terraform_data" "db" {
  input = "primary"
}

resource "terraform_data" "bucket" {
  input = "logs"
}
