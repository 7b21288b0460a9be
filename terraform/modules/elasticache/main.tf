locals {
  family = "redis${split(".", var.engine_version)[0]}"
  port   = 6379
  # Multi-AZ follows automatic failover unless the caller says otherwise.
  multi_az = coalesce(var.multi_az_enabled, var.automatic_failover_enabled)
}

module "kms" {
  source = "../kms"

  name                  = "${var.replication_group_id}-redis"
  description           = "Encrypts the Redis data, connection secret and logs of ${var.replication_group_id}"
  allow_cloudwatch_logs = true
  tags                  = var.tags
}

# ---------------------------------------------------------------- connection secret
#
# The services read Redis from one secret, named by the spec (`connection_secret_name`), in every
# environment: host, port and tls, and auth_token where AUTH is on. The token comes from the
# caller (the stack generates it), so this module needs only the AWS provider.

resource "aws_secretsmanager_secret" "connection" {
  #checkov:skip=CKV2_AWS_57:Redis AUTH rotation must be coordinated with the cluster (auth_token_update_strategy ROTATE then SET); it is done by re-applying with a new token, not by a Secrets Manager rotation Lambda.
  name                    = var.connection_secret_name
  description             = "Connection settings of the Redis replication group ${var.replication_group_id} (read by the services through External Secrets)"
  kms_key_id              = module.kms.key_arn
  recovery_window_in_days = 7

  tags = var.tags
}

locals {
  # What the secret holds, by property name.
  connection = merge(
    {
      # A Redis Cluster is reached through its configuration endpoint (the cluster client
      # discovers the shards from it); one shard through its primary.
      host = var.cluster_mode_enabled ? aws_elasticache_replication_group.this.configuration_endpoint_address : aws_elasticache_replication_group.this.primary_endpoint_address
      port = local.port
      tls  = var.transit_encryption_enabled
    },
    var.auth_token_enabled ? { auth_token = var.auth_token } : {},
  )
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id     = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode(local.connection)
}

# ---------------------------------------------------------------- cluster

resource "aws_elasticache_subnet_group" "this" {
  name        = "${var.replication_group_id}-redis"
  description = "Subnets of the Redis replication group ${var.replication_group_id}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_elasticache_parameter_group" "this" {
  name        = "${var.replication_group_id}-${local.family}"
  family      = local.family
  description = "Redis parameters of ${var.replication_group_id}"

  # Cache-aside data: evict least-recently-used keys that carry a TTL before refusing writes.
  parameter {
    name  = "maxmemory-policy"
    value = "volatile-lru"
  }

  # What default.redis7.cluster.on sets: the key space split over the shards.
  dynamic "parameter" {
    for_each = var.cluster_mode_enabled ? ["yes"] : []

    content {
      name  = "cluster-enabled"
      value = parameter.value
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(["slow-log", "engine-log"])
  #checkov:skip=CKV_AWS_338:Retention is the spec's per-environment choice (log_retention_days), balancing cost against audit needs; long-term archives belong in S3, not CloudWatch.

  name              = "/aws/elasticache/${var.replication_group_id}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Automatic failover needs a replica; it is the spec's per-environment choice (redis_automatic_failover, redis_multi_az): on in staging/prod, a single cache node in dev.
  replication_group_id = var.replication_group_id
  description          = "Redis cache of ${var.replication_group_id}"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = local.port

  # One shard of num_cache_nodes, or a Redis Cluster of num_node_groups shards.
  cluster_mode            = var.cluster_mode_enabled ? "enabled" : "disabled"
  num_cache_clusters      = var.cluster_mode_enabled ? null : var.num_cache_nodes
  num_node_groups         = var.cluster_mode_enabled ? var.num_node_groups : null
  replicas_per_node_group = var.cluster_mode_enabled ? var.replicas_per_node_group : null
  parameter_group_name    = aws_elasticache_parameter_group.this.name

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = var.security_group_ids

  automatic_failover_enabled = var.automatic_failover_enabled
  multi_az_enabled           = local.multi_az

  at_rest_encryption_enabled = var.at_rest_encryption_enabled
  kms_key_id                 = var.at_rest_encryption_enabled ? module.kms.key_arn : null
  transit_encryption_enabled = var.transit_encryption_enabled
  auth_token                 = var.auth_token_enabled ? var.auth_token : null

  snapshot_retention_limit   = var.snapshot_retention_limit
  snapshot_window            = var.snapshot_window
  maintenance_window         = var.maintenance_window
  auto_minor_version_upgrade = true
  apply_immediately          = false

  dynamic "log_delivery_configuration" {
    for_each = aws_cloudwatch_log_group.this

    content {
      destination      = log_delivery_configuration.value.name
      destination_type = "cloudwatch-logs"
      log_format       = "json"
      log_type         = log_delivery_configuration.key
    }
  }

  tags = merge(var.tags, { Name = var.replication_group_id })
}
