output "secret_arns" {
  description = "ARN of each secret, by its name in the spec."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }
}

output "kms_key_arn" {
  description = "The key that encrypts them (a reader needs kms:Decrypt through Secrets Manager)."
  value       = module.key.key_arn
}
