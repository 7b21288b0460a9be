# The guide's Redis (devops-infrastructure-guide.md, "ElastiCache Redis (Production)"): cluster
# mode with 3 shards of a primary and a replica, Multi-AZ with automatic failover, a daily
# snapshot at 02:00 UTC kept 7 days, maintenance on Sunday 03:00-04:00 UTC, encrypted at rest with
# the module's customer-managed key and in transit. Against a mocked AWS API; the runs below it
# refuse what ElastiCache would refuse.

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

  # Applied against the mock: the key's ARN and the cluster's endpoints get well-formed values.
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000002"
    }
  }

  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      configuration_endpoint_address = "clustercfg.money-tracking-prod.abc123.use1.cache.amazonaws.com"
      primary_endpoint_address       = "master.money-tracking-prod.abc123.use1.cache.amazonaws.com"
    }
  }
}

variables {
  replication_group_id       = "money-tracking-prod"
  engine_version             = "7.0"
  node_type                  = "cache.r6g.large"
  cluster_mode_enabled       = true
  num_node_groups            = 3
  replicas_per_node_group    = 1
  num_cache_nodes            = 6
  automatic_failover_enabled = true
  multi_az_enabled           = true
  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  auth_token_enabled         = true
  auth_token                 = "a-generated-auth-token-0123456789"
  connection_secret_name     = "money-tracking/prod/redis"
  subnet_ids                 = ["subnet-1", "subnet-2", "subnet-3"]
  security_group_ids         = ["sg-1"]
  snapshot_window            = "02:00-03:00"
  snapshot_retention_limit   = 7
  maintenance_window         = "sun:03:00-sun:04:00"
  log_retention_days         = 90
  tags                       = {}
}

run "plans_the_guides_cluster" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this.cluster_mode == "enabled"
    error_message = "cluster mode must be on"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_node_groups == 3 && aws_elasticache_replication_group.this.replicas_per_node_group == 1
    error_message = "the cluster must hold 3 shards of a primary and a replica"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "the cluster must fail over automatically, across zones"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_window == "02:00-03:00" && aws_elasticache_replication_group.this.snapshot_retention_limit == 7
    error_message = "the daily snapshot must start at 02:00 UTC and be kept 7 days"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.maintenance_window == "sun:03:00-sun:04:00"
    error_message = "maintenance must be on Sunday 03:00-04:00 UTC"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.at_rest_encryption_enabled && aws_elasticache_replication_group.this.transit_encryption_enabled
    error_message = "the cluster must be encrypted at rest and in transit"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.engine_version == "7.0" && aws_elasticache_replication_group.this.node_type == "cache.r6g.large"
    error_message = "the cluster must run Redis 7.0 on cache.r6g.large"
  }

  assert {
    condition     = contains([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"], "cluster-enabled=yes") && aws_elasticache_parameter_group.this.family == "redis7"
    error_message = "the parameter group must be a redis7 cluster group (cluster-enabled yes)"
  }
}

run "encrypts_with_its_own_key_and_hands_out_the_configuration_endpoint" {
  # apply (against the mock): the key's ARN and the endpoints are known only then.
  command = apply

  assert {
    condition     = aws_elasticache_replication_group.this.kms_key_id == module.kms.key_arn
    error_message = "the data at rest must be encrypted with the module's customer-managed key"
  }

  assert {
    condition     = output.endpoint == "clustercfg.money-tracking-prod.abc123.use1.cache.amazonaws.com"
    error_message = "a cluster's clients connect to its configuration endpoint"
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.connection.secret_string).host == "clustercfg.money-tracking-prod.abc123.use1.cache.amazonaws.com"
    error_message = "the secret the services read must hold the configuration endpoint"
  }

  assert {
    condition     = output.cluster_mode_enabled
    error_message = "the module must say the clients talk to a cluster"
  }
}

run "without_cluster_mode_one_shard_holds_every_key" {
  command = plan

  variables {
    cluster_mode_enabled = false
    num_cache_nodes      = 2
    multi_az_enabled     = null
  }

  assert {
    condition     = aws_elasticache_replication_group.this.cluster_mode == "disabled" && aws_elasticache_replication_group.this.num_cache_clusters == 2
    error_message = "without cluster mode the group holds num_cache_nodes nodes"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "Multi-AZ follows automatic failover unless set"
  }

  assert {
    condition     = !contains([for p in aws_elasticache_parameter_group.this.parameter : p.name], "cluster-enabled")
    error_message = "without cluster mode the parameter group does not enable it"
  }
}

run "cluster_mode_needs_automatic_failover" {
  command = plan

  variables {
    automatic_failover_enabled = false
    multi_az_enabled           = false
  }

  expect_failures = [var.automatic_failover_enabled]
}

run "multi_az_needs_a_replica_of_every_primary" {
  command = plan

  variables {
    replicas_per_node_group = 0
  }

  expect_failures = [var.multi_az_enabled]
}

run "windows_must_be_written_as_elasticache_takes_them" {
  command = plan

  variables {
    snapshot_window    = "2am"
    maintenance_window = "sunday 03:00"
  }

  expect_failures = [var.snapshot_window, var.maintenance_window]
}
