terraform {
  # >= 1.10: ephemeral resources and outputs.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.83" # the ephemeral aws_secretsmanager_random_password
    }
  }
}
