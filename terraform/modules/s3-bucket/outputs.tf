output "name" {
  description = "The bucket's name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "The bucket's KMS key (null for SSE-S3)."
  value       = var.kms ? module.kms[0].key_arn : null
}
