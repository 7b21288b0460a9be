output "endpoint" {
  description = "Where clients connect: the configuration endpoint of a Redis Cluster, else the primary endpoint (writes)."
  value       = var.cluster_mode_enabled ? aws_elasticache_replication_group.this.configuration_endpoint_address : aws_elasticache_replication_group.this.primary_endpoint_address
}

output "cluster_mode_enabled" {
  description = "Whether clients must use a Redis Cluster client."
  value       = var.cluster_mode_enabled
}

output "reader_endpoint" {
  description = "Reader endpoint address (reads spread over replicas)."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "port" {
  description = "Redis port (6379)."
  value       = local.port
}

output "tls_enabled" {
  description = "Whether clients must use TLS (rediss://)."
  value       = var.transit_encryption_enabled
}

output "connection_secret_arn" {
  description = "Secrets Manager secret holding host, port, tls and (with AUTH) auth_token."
  value       = aws_secretsmanager_secret.connection.arn
}

output "connection_secret_name" {
  description = "Name of that secret (connection_secret_name)."
  value       = aws_secretsmanager_secret.connection.name
}

output "connection_secret_properties" {
  description = "The JSON properties the connection secret holds (what an ExternalSecret may read)."
  value       = sort(keys(local.connection))
}

output "kms_key_arn" {
  description = "KMS key encrypting the data at rest and the AUTH-token secret."
  value       = module.kms.key_arn
}

output "replication_group" {
  description = "The replication group as planned: node type, engine version, cluster mode, shards and replicas (or nodes), failover, Multi-AZ, encryption, snapshot and maintenance windows."
  value = {
    node_type                  = aws_elasticache_replication_group.this.node_type
    engine_version             = aws_elasticache_replication_group.this.engine_version
    cluster_mode               = aws_elasticache_replication_group.this.cluster_mode
    num_node_groups            = var.cluster_mode_enabled ? aws_elasticache_replication_group.this.num_node_groups : 1
    replicas_per_node_group    = var.cluster_mode_enabled ? aws_elasticache_replication_group.this.replicas_per_node_group : aws_elasticache_replication_group.this.num_cache_clusters - 1
    num_cache_clusters         = var.cluster_mode_enabled ? null : aws_elasticache_replication_group.this.num_cache_clusters
    automatic_failover_enabled = aws_elasticache_replication_group.this.automatic_failover_enabled
    multi_az_enabled           = aws_elasticache_replication_group.this.multi_az_enabled
    transit_encryption_enabled = aws_elasticache_replication_group.this.transit_encryption_enabled
    at_rest_encryption_enabled = aws_elasticache_replication_group.this.at_rest_encryption_enabled
    snapshot_window            = aws_elasticache_replication_group.this.snapshot_window
    snapshot_retention_limit   = aws_elasticache_replication_group.this.snapshot_retention_limit
    maintenance_window         = aws_elasticache_replication_group.this.maintenance_window
    parameters                 = { for parameter in aws_elasticache_parameter_group.this.parameter : parameter.name => parameter.value }
  }
}
