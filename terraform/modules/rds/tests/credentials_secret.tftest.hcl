# The secret the services read the database from (the chart's ExternalSecret): created under the
# name the spec gives, encrypted with the module's key, holding every property a client needs,
# and rotated together with RDS. Planned against a mocked AWS API.

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

  # Applied against the mock: resources whose ARNs other resources check get well-formed ones.
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/expense-dev-rds-mon"
    }
  }
}

mock_provider "aws" {
  alias = "backup"
}

variables {
  identifier                   = "expense-dev"
  engine                       = "mysql"
  engine_version               = "8.0"
  instance_class               = "db.t3.micro"
  allocated_storage            = 20
  max_allocated_storage        = 100
  database_name                = "transactions"
  master_username              = "expense"
  credentials_secret_name      = "expense/dev/database"
  master_password              = "an-ephemeral-test-password-0123"
  subnet_ids                   = ["subnet-1", "subnet-2"]
  security_group_ids           = ["sg-1"]
  multi_az                     = false
  backup_retention_period      = 1
  deletion_protection          = false
  performance_insights_enabled = false
  parameters                   = {}
  log_retention_days           = 7
  tags                         = {}
}

run "creates_the_secret_under_the_given_name_with_every_property" {
  # apply (against the mock): the key's ARN is known only then.
  command = apply

  assert {
    condition     = aws_secretsmanager_secret.credentials.name == "expense/dev/database"
    error_message = "the credentials secret must carry the name the spec gives it"
  }

  assert {
    condition     = join(",", output.credentials_secret_properties) == "dbname,engine,host,password,port,username"
    error_message = "the credentials secret must hold engine, host, port, dbname, username and password"
  }

  assert {
    condition     = aws_secretsmanager_secret.credentials.kms_key_id == module.kms.key_arn
    error_message = "the credentials secret must be encrypted with the database's key"
  }
}

run "writes_the_password_to_rds_and_the_secret_together" {
  command = plan

  variables {
    password_version = 3
  }

  assert {
    condition     = aws_db_instance.this.password_wo_version == 3 && aws_secretsmanager_secret_version.credentials.secret_string_wo_version == 3
    error_message = "RDS and the secret must take a new password on the same password_version"
  }

  assert {
    condition     = aws_db_instance.this.manage_master_user_password != true
    error_message = "RDS must not keep a managed master secret of its own (it would rotate away from the services' secret)"
  }
}

run "refuses_a_password_version_below_one" {
  command = plan

  variables {
    password_version = 0
  }

  expect_failures = [var.password_version]
}
