resource "terraform_data" "new" {
  input = "n"
}

output "changed" {
  value = "x2"
}

output "added" {
  value = { endpoint = "https://example.test", ports = [80, 443] }
}

output "secret" {
  value     = "new-output-secret"
  sensitive = true
}

output "later" {
  value = terraform_data.new.output
}

output "same" {
  value = 1
}
