output "state_bucket" {
  description = "S3 bucket holding the environments' state."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "DynamoDB table holding the state locks."
  value       = aws_dynamodb_table.locks.name
}

output "kms_key_arn" {
  description = "KMS key encrypting the state bucket and lock table."
  value       = module.kms.key_arn
}

output "region" {
  description = "Region of the bucket and table."
  value       = var.aws_region
}

output "backend_hcl" {
  description = "Partial backend configuration for the environments: save it as terraform/backend.hcl and run `terraform init -backend-config=../../backend.hcl`."
  value       = <<-EOT
    bucket         = "${aws_s3_bucket.state.id}"
    region         = "${var.aws_region}"
    dynamodb_table = "${aws_dynamodb_table.locks.name}"
    kms_key_id     = "${module.kms.key_arn}"
    encrypt        = true
  EOT
}
