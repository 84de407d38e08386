variable "environment" {
  description = "Target environment; sizes and replica counts follow it."
  type        = string
  default     = "staging"

  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "The environment must be one of dev, staging or production."
  }
}

variable "app_name" {
  description = "Application name, the prefix of every resource name."
  type        = string
  default     = "lockstep-demo"
}

variable "db_engine_version" {
  description = "PostgreSQL version of the database. Changing it replaces the service config."
  type        = string
  default     = "16.4"
}

variable "db_password" {
  description = "Database password. The default is a demo value: set a real one through TF_VAR_db_password."
  type        = string
  sensitive   = true
  default     = "demo-password-not-a-secret"
}
