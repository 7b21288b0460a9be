terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }

  # The bootstrap keeps its own (small) state locally: the bucket it creates cannot hold the
  # state of its own creation. Keep terraform.tfstate of this folder safe (or migrate it into
  # the bucket afterwards with a backend block and `terraform init -migrate-state`).
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project     = var.project_name
      Environment = "shared"
      ManagedBy   = "terraform"
      Component   = "terraform-state"
    })
  }
}
