output "endpoint" {
  description = "Primary endpoint address (writes)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint" {
  description = "Reader endpoint address (reads spread over replicas)."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "port" {
  description = "Redis port (6379)."
  value       = local.port
}

output "tls_enabled" {
  description = "Whether clients must use TLS (rediss://)."
  value       = var.transit_encryption_enabled
}

output "auth_token_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token, or null when AUTH is off."
  value       = var.auth_token_enabled ? aws_secretsmanager_secret.auth_token[0].arn : null
}

output "auth_token" {
  description = "Redis AUTH token (sensitive), or null when AUTH is off. Prefer reading the secret."
  value       = var.auth_token_enabled ? random_password.auth_token[0].result : null
  sensitive   = true
}

output "kms_key_arn" {
  description = "KMS key encrypting the data at rest and the AUTH-token secret."
  value       = module.kms.key_arn
}
