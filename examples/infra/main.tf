# A stand-in for an application's infrastructure: a database, a queue and the
# service configuration that wires them together. Every resource is a
# terraform_data, so plans look real (create, update, replace, sensitive
# values, dependencies) without any cloud account.

locals {
  name = "${var.app_name}-${var.environment}"

  sizes = {
    dev        = { db = "db.small", replicas = 1 }
    staging    = { db = "db.medium", replicas = 2 }
    production = { db = "db.large", replicas = 3 }
  }
  size = local.sizes[var.environment]

  labels = {
    app         = var.app_name
    environment = var.environment
    managed-by  = "lockstep"
  }
}

resource "terraform_data" "database" {
  input = {
    name     = "${local.name}-db"
    engine   = "postgres"
    version  = var.db_engine_version
    size     = local.size.db
    port     = 5432
    username = "app"
    password = var.db_password
    labels   = local.labels
  }
}

resource "terraform_data" "queue" {
  input = {
    name                       = "${local.name}-jobs"
    dead_letter_queue          = "${local.name}-jobs-dlq"
    visibility_timeout_seconds = 30
    max_receive_count          = 5
    labels                     = local.labels
  }
}

resource "terraform_data" "service_config" {
  input = {
    service      = local.name
    replicas     = local.size.replicas
    database_url = "postgres://${terraform_data.database.output.username}@${terraform_data.database.output.name}.internal:${terraform_data.database.output.port}/${var.app_name}"
    queue        = terraform_data.queue.output.name
    labels       = local.labels
  }

  # A new database engine version means new connection settings: recreate the
  # service config rather than edit it in place.
  triggers_replace = [terraform_data.database.output.version]
}
