# The guide's PostgreSQL (devops-infrastructure-guide.md, "RDS PostgreSQL (Production)"): gp3
# storage with its IOPS and throughput, two read replicas in their zones, the parameter group
# with the extensions, the backup window and Enhanced Monitoring. Planned against a mocked AWS
# API; the runs below them refuse what RDS would refuse.

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
      arn = "arn:aws:iam::123456789012:role/money-tracking-prod-rds-mon"
    }
  }
}

mock_provider "aws" {
  alias = "backup"
}

variables {
  identifier              = "money-tracking-prod"
  engine                  = "postgres"
  engine_version          = "15"
  instance_class          = "db.r6g.xlarge"
  allocated_storage       = 500
  max_allocated_storage   = 2000
  storage_type            = "gp3"
  iops                    = 12000
  storage_throughput      = 500
  database_name           = "money_tracking"
  master_username         = "money_tracking"
  master_password         = "an-ephemeral-test-password-0123"
  credentials_secret_name = "money-tracking/prod/database"
  subnet_ids              = ["subnet-1", "subnet-2", "subnet-3"]
  security_group_ids      = ["sg-1"]
  multi_az                = true
  read_replicas = [
    { instance_class = "db.r6g.large", availability_zone = "us-east-1a" },
    { instance_class = "db.r6g.large", availability_zone = "us-east-1b" },
  ]
  backup_retention_period      = 30
  backup_window                = "03:00-04:00"
  maintenance_window           = "sun:04:30-sun:05:30"
  deletion_protection          = true
  performance_insights_enabled = true
  monitoring_interval          = 60
  extensions                   = ["pg_stat_statements", "vector"]
  parameters = {
    max_connections          = "500"
    shared_buffers           = "1048576"
    effective_cache_size     = "3145728"
    work_mem                 = "65536"
    maintenance_work_mem     = "2097152"
    random_page_cost         = "1.1"
    shared_preload_libraries = "pg_stat_statements"
  }
  log_retention_days = 90
  tags               = {}
}

run "plans_the_guides_instance_and_its_replicas" {
  command = plan

  assert {
    condition     = aws_db_instance.this.storage_type == "gp3" && aws_db_instance.this.iops == 12000 && aws_db_instance.this.storage_throughput == 500
    error_message = "the instance must carry gp3 storage with the spec's IOPS and throughput"
  }

  assert {
    condition     = aws_db_instance.this.allocated_storage == 500 && aws_db_instance.this.max_allocated_storage == 2000
    error_message = "the instance must start at 500 GiB and grow up to 2000"
  }

  assert {
    condition     = aws_db_instance.this.backup_window == "03:00-04:00" && aws_db_instance.this.backup_retention_period == 30
    error_message = "the backups must run daily at 03:00 UTC and be kept 30 days"
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 60 && aws_db_instance.this.performance_insights_enabled
    error_message = "Enhanced Monitoring every 60 s and Performance Insights must be on"
  }

  assert {
    condition     = length(aws_db_instance.replica) == 2
    error_message = "two read replicas must be planned"
  }

  assert {
    condition     = [for replica in aws_db_instance.replica : replica.instance_class] == ["db.r6g.large", "db.r6g.large"]
    error_message = "each replica must carry its instance class"
  }

  assert {
    condition     = [for replica in aws_db_instance.replica : replica.availability_zone] == ["us-east-1a", "us-east-1b"]
    error_message = "each replica must run in its zone"
  }

  assert {
    condition     = alltrue([for replica in aws_db_instance.replica : replica.replicate_source_db == "money-tracking-prod"])
    error_message = "the replicas must replicate the instance"
  }

  assert {
    condition     = alltrue([for replica in aws_db_instance.replica : replica.storage_type == "gp3" && replica.iops == 12000 && replica.storage_throughput == 500 && replica.storage_encrypted])
    error_message = "the replicas must carry the instance's storage, encrypted"
  }

  assert {
    condition     = alltrue([for replica in aws_db_instance.replica : replica.monitoring_interval == 60 && replica.performance_insights_enabled && !replica.publicly_accessible && !replica.multi_az])
    error_message = "the replicas must carry the instance's monitoring, and stay private in their one zone"
  }

  assert {
    condition     = output.replica_identifiers == ["money-tracking-prod-replica-1", "money-tracking-prod-replica-2"]
    error_message = "the replicas must be named after the instance"
  }

  assert {
    condition     = length(aws_cloudwatch_log_group.replica) == 4
    error_message = "each replica's two PostgreSQL logs must land in a group of the module's"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres15"
    error_message = "the parameter group must be of the postgres15 family"
  }

  assert {
    condition = alltrue([
      for parameter in [
        "rds.allowed_extensions=pg_stat_statements,vector",
        "shared_preload_libraries=pg_stat_statements",
        "shared_buffers=1048576",
        "effective_cache_size=3145728",
        "work_mem=65536",
        "maintenance_work_mem=2097152",
        "max_connections=500",
        "random_page_cost=1.1",
        "rds.force_ssl=1",
      ] : contains([for p in aws_db_parameter_group.this.parameter : "${p.name}=${p.value}"], parameter)
    ])
    error_message = "the parameter group must hold the spec's parameters, the extensions and TLS enforcement"
  }
}

run "the_replicas_share_the_instances_parameter_group_and_key" {
  # apply (against the mock): the group's name and the key's ARN are known only then.
  command = apply

  assert {
    condition     = alltrue([for replica in aws_db_instance.replica : replica.parameter_group_name == aws_db_parameter_group.this.name])
    error_message = "the replicas must use the instance's parameter group (its extensions and preloaded libraries)"
  }

  assert {
    condition     = alltrue([for replica in aws_db_instance.replica : replica.kms_key_id == module.kms.key_arn])
    error_message = "the replicas must be encrypted with the instance's key"
  }
}

run "below_400_gib_gp3_takes_no_iops" {
  command = plan

  variables {
    allocated_storage     = 100
    max_allocated_storage = 500
    storage_throughput    = null
  }

  expect_failures = [var.iops]
}

run "below_400_gib_gp3_takes_no_throughput" {
  command = plan

  variables {
    allocated_storage     = 100
    max_allocated_storage = 500
    iops                  = null
  }

  expect_failures = [var.storage_throughput]
}

run "throughput_is_at_most_a_quarter_of_the_iops" {
  command = plan

  variables {
    storage_throughput = 4000
  }

  expect_failures = [var.storage_throughput]
}

run "gp2_takes_neither" {
  command = plan

  variables {
    storage_type       = "gp2"
    storage_throughput = null
  }

  expect_failures = [var.iops]
}

run "at_the_baseline_nothing_is_provisioned" {
  command = plan

  variables {
    iops               = null
    storage_throughput = null
    read_replicas      = []
  }

  assert {
    condition     = aws_db_instance.this.storage_type == "gp3" && length(aws_db_instance.replica) == 0
    error_message = "without IOPS and replicas the instance is plain gp3 and alone"
  }
}

run "replicas_need_backups" {
  command = plan

  variables {
    backup_retention_period = 0
  }

  expect_failures = [var.read_replicas]
}

run "extensions_are_postgresqls" {
  command = plan

  variables {
    engine         = "mysql"
    engine_version = "8.0"
    parameters     = {}
  }

  expect_failures = [var.extensions]
}
