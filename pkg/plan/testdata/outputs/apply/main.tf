output "changed" {
  value = "x"
}

output "removed" {
  value = "y"
}

output "secret" {
  value     = "old-output-secret"
  sensitive = true
}

output "same" {
  value = 1
}
