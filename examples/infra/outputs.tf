output "database_url" {
  description = "Connection URL of the database, without credentials."
  value       = terraform_data.service_config.output.database_url
}

output "queue_name" {
  description = "Name of the job queue."
  value       = terraform_data.queue.output.name
}

output "service_config" {
  description = "The service's configuration as deployed."
  value       = terraform_data.service_config.output
}

output "db_password" {
  description = "Database password, for the deploy step only; never shown in plans or summaries."
  value       = var.db_password
  sensitive   = true
}
