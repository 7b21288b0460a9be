# The environment's data stores, planned from its generated tfvars against a mocked AWS API
# (tests/e2e/stack/ runs it with plan.tftest.hcl, for every environment of every example spec):
# the RDS instance carries the tfvars' class, storage type, size, IOPS and throughput, Multi-AZ,
# backups, windows and Enhanced Monitoring, and the password's generation (rotating or not);
# every read replica its class and zone, replicating the instance; the parameter group the
# tfvars' parameters and the allowed extensions; the Redis replication group its node type,
# cluster mode, shards and replicas, failover, Multi-AZ, encryption and windows. The stack's
# outputs read the planned resources (a test file's assertions reach no module's resources);
# tests/e2e/stack/datastores.rs holds the same plan to the spec itself.

# The mocked data sources answer with well-formed values where the provider checks them.
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

run "the_database_and_its_replicas_carry_the_tfvars_values" {
  command = plan

  assert {
    condition = jsonencode(output.rds_instance) == jsonencode({
      instance_class          = var.rds_instance_class
      storage_type            = var.rds_storage_type
      allocated_storage       = var.rds_allocated_storage
      max_allocated_storage   = var.rds_max_allocated_storage
      iops                    = var.rds_iops
      storage_throughput      = var.rds_storage_throughput
      multi_az                = var.rds_multi_az
      backup_retention_period = var.rds_backup_retention
      backup_window           = var.rds_backup_window
      maintenance_window      = var.rds_maintenance_window
      monitoring_interval     = var.rds_monitoring_interval
    })
    error_message = "the instance is planned with the tfvars' class, storage, Multi-AZ, backups, windows and monitoring"
  }

  assert {
    condition = jsonencode(output.rds_replicas) == jsonencode([
      for replica in var.rds_read_replicas : {
        instance_class      = replica.instance_class
        availability_zone   = replica.availability_zone
        replicate_source_db = "${var.project_name}-${var.environment}"
        storage_type        = var.rds_storage_type
      }
    ])
    error_message = "one replica per entry of rds_read_replicas, with its class and zone, replicating the instance on its storage type"
  }

  assert {
    condition     = alltrue([for name, value in var.rds_parameters : output.rds_parameters[name] == value])
    error_message = "the parameter group holds every parameter of rds_parameters (shared_preload_libraries included)"
  }

  assert {
    condition     = lookup(output.rds_parameters, "rds.allowed_extensions", "") == join(",", var.rds_extensions)
    error_message = "exactly the extensions of rds_extensions may be created"
  }
}

run "the_password_generation_follows_the_tfvars_rotation" {
  command = plan

  assert {
    condition     = output.rds_password_generation.instance == output.rds_password_generation.secret
    error_message = "RDS and the database secret must take each password at the same generation"
  }

  # Off: exactly rds_password_version, as before automatic rotation existed. On: the version in
  # the upper digits and the plan's rotation period (modules/rotation-clock) in the lower six,
  # so the generation is above any the version alone gave.
  assert {
    condition = (
      coalesce(var.rds_password_rotation_days, 0) == 0
      ? output.rds_password_generation.instance == var.rds_password_version
      : output.rds_password_generation.instance > var.rds_password_version * 1000000 && output.rds_password_generation.instance < (var.rds_password_version + 1) * 1000000
    )
    error_message = "the password's generation must be rds_password_version without rotation, and carry the rotation period with it"
  }
}

run "the_cache_carries_the_tfvars_values" {
  command = plan

  assert {
    condition = jsonencode(output.redis_replication_group) == jsonencode({
      node_type                  = var.redis_node_type
      engine_version             = var.redis_engine_version
      cluster_mode               = var.redis_cluster_mode ? "enabled" : "disabled"
      num_node_groups            = var.redis_num_shards
      replicas_per_node_group    = var.redis_replicas_per_shard
      num_cache_clusters         = var.redis_cluster_mode ? null : var.redis_num_nodes
      automatic_failover_enabled = var.redis_automatic_failover
      multi_az_enabled           = var.redis_multi_az
      transit_encryption_enabled = var.redis_transit_encryption
      at_rest_encryption_enabled = tostring(var.redis_at_rest_encryption)
      snapshot_window            = var.redis_snapshot_window
      snapshot_retention_limit   = var.redis_snapshot_retention
      maintenance_window         = var.redis_maintenance_window
      parameters = merge(
        { "maxmemory-policy" = "volatile-lru" },
        var.redis_cluster_mode ? { "cluster-enabled" = "yes" } : {},
      )
    })
    error_message = "the replication group is planned with the tfvars' node type, shards and replicas, failover, Multi-AZ, encryption and windows, on a cluster parameter group where cluster mode is on"
  }

  assert {
    condition     = output.redis_replication_group.num_node_groups * (1 + output.redis_replication_group.replicas_per_node_group) == var.redis_num_nodes
    error_message = "the planned shards and replicas make the tfvars' number of nodes"
  }
}
