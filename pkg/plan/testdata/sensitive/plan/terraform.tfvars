api_key = "api-key-from-tfvars"
