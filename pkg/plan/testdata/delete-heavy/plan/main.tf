resource "terraform_data" "service" {
  for_each = toset(["svc-01", "svc-02", "svc-03"])
  input    = { name = each.key }
}

resource "terraform_data" "db" {
  input = "primary"
}
