module "network" {
  source  = "./modules/network"
  subnets = ["a", "b", "c"]
}

resource "terraform_data" "db" {
  input            = { engine_version = "16.2", instance_class = "db.t3.medium" }
  triggers_replace = { engine_version = "16.2" }
}

resource "terraform_data" "service" {
  input = { desired_count = 3, task_definition = "api:42", cpu = 512 }
}

resource "terraform_data" "cache" {
  input = "redis-7"
}

resource "terraform_data" "queue" {
  for_each = toset(["orders", "orders-dlq"])
  input    = { name = each.key }
}

data "terraform_remote_state" "shared" {
  backend = "local"
  config = {
    path = terraform_data.queue["orders"].output.name
  }
}

output "orders_queue_id" {
  value = terraform_data.queue["orders"].id
}

output "db_engine" {
  value = terraform_data.db.input.engine_version
}
