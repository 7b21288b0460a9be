# State of the dev environment in the bootstrap bucket (see terraform/bootstrap).
# bucket, region, dynamodb_table and kms_key_id come from the bootstrap outputs, which are
# account-specific; they are passed at init time:
#   terraform init -backend-config=../../backend.hcl
terraform {
  backend "s3" {
    key     = "environments/dev/terraform.tfstate"
    encrypt = true
  }
}
