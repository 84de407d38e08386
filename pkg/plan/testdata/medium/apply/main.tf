module "network" {
  source  = "./modules/network"
  subnets = ["a", "b"]
}

resource "terraform_data" "db" {
  input            = { engine_version = "15.4", instance_class = "db.t3.medium" }
  triggers_replace = { engine_version = "15.4" }
}

resource "terraform_data" "service" {
  input = { desired_count = 2, task_definition = "api:41", cpu = 512 }
}

resource "terraform_data" "cache" {
  input = "redis-7"
}

resource "terraform_data" "legacy_queue" {
  input = "legacy"
}
