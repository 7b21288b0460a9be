terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
      # aws.backup: the region the automated backups are copied to (backup_copy_region).
      configuration_aliases = [aws.backup]
    }
  }
}
