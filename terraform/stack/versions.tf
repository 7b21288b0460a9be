terraform {
  # >= 1.9: validation blocks in variables.tf compare variables with each other; >= 1.11:
  # ephemeral resources and write-only attributes (the database password).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region              = var.aws_region
  allowed_account_ids = var.aws_account_id == null ? null : [var.aws_account_id]

  default_tags {
    tags = local.tags
  }
}

# The region the database's automated backups are copied to (the spec's
# database.backup_copy_region); the platform's own region when there is none, and then no
# resource uses it.
provider "aws" {
  alias               = "backup"
  region              = coalesce(var.rds_backup_copy_region, var.aws_region)
  allowed_account_ids = var.aws_account_id == null ? null : [var.aws_account_id]

  default_tags {
    tags = local.tags
  }
}
