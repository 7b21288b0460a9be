output "value" {
  description = "The password (ephemeral: usable only in write-only attributes and other ephemeral contexts)."
  value       = ephemeral.aws_secretsmanager_random_password.this.random_password
  sensitive   = true
  ephemeral   = true
}
