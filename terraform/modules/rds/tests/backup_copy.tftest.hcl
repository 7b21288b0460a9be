# The copies of the automated backups in another region (the spec's database.backup_copy_region,
# required by [recovery] region_loss = true): planned against a mocked AWS API.

# The provider still checks ARNs and policies while planning: the mocked data sources answer
# with well-formed values.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

mock_provider "aws" {
  alias = "backup"

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

variables {
  identifier                   = "expense-prod"
  engine                       = "postgres"
  engine_version               = "15.4"
  instance_class               = "db.t3.medium"
  allocated_storage            = 100
  max_allocated_storage        = 500
  database_name                = "expense"
  master_username              = "expense_admin"
  master_password              = "an-ephemeral-test-password-0123"
  credentials_secret_name      = "expense/prod/database"
  subnet_ids                   = ["subnet-1", "subnet-2"]
  security_group_ids           = ["sg-1"]
  multi_az                     = true
  backup_retention_period      = 30
  deletion_protection          = true
  performance_insights_enabled = true
  parameters                   = {}
  log_retention_days           = 90
  tags                         = {}
}

run "copies_the_backups_to_the_named_region" {
  command = plan

  variables {
    backup_copy_region = "us-west-2"
  }

  assert {
    condition     = length(aws_db_instance_automated_backups_replication.this) == 1
    error_message = "a backup copy region must replicate the automated backups"
  }

  assert {
    condition     = aws_db_instance_automated_backups_replication.this[0].retention_period == 30
    error_message = "the copies must be kept as long as the backups"
  }

  assert {
    condition     = length(module.backup_copy_kms) == 1
    error_message = "the copies must be encrypted with a key of the copy region"
  }
}

run "copies_nothing_without_a_region" {
  command = plan

  assert {
    condition     = length(aws_db_instance_automated_backups_replication.this) == 0
    error_message = "no backup copy region, no replication"
  }

  assert {
    condition     = length(module.backup_copy_kms) == 0
    error_message = "no backup copy region, no key there"
  }
}

run "refuses_a_region_name_that_is_not_one" {
  command = plan

  variables {
    backup_copy_region = "west"
  }

  expect_failures = [var.backup_copy_region]
}
