resource "terraform_data" "queue" {
  for_each = toset(["orders", "orders-dlq"])
  input    = { name = each.key }
}

resource "terraform_data" "bucket" {
  input = "assets"
}

output "queue_ids" {
  value = [for q in terraform_data.queue : q.id]
}
