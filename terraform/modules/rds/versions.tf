terraform {
  # >= 1.11: write-only attributes (password_wo, secret_string_wo) and ephemeral resources.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # >= 5.100: password_wo and secret_string_wo (the version proven here).
      version = "~> 5.100"
      # aws.backup: the region the automated backups are copied to (backup_copy_region).
      configuration_aliases = [aws.backup]
    }
  }
}
