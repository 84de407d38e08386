variable "subnets" {
  type = list(string)
}

resource "terraform_data" "subnet" {
  for_each = toset(var.subnets)
  input    = { az = each.key, cidr = "10.0.${index(var.subnets, each.key)}.0/24" }
}

output "ids" {
  value = [for s in terraform_data.subnet : s.id]
}
