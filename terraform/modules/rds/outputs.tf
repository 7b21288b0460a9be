output "endpoint" {
  description = "Address of the instance (host name only)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Database port (3306 mysql, 5432 postgres)."
  value       = aws_db_instance.this.port
}

output "engine" {
  description = "Database engine."
  value       = aws_db_instance.this.engine
}

output "database_name" {
  description = "Name of the initial database."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "credentials_secret_arn" {
  description = "Secrets Manager secret holding the connection settings and the master credentials."
  value       = aws_secretsmanager_secret.credentials.arn
}

output "credentials_secret_name" {
  description = "Name of that secret (credentials_secret_name)."
  value       = aws_secretsmanager_secret.credentials.name
}

output "credentials_secret_properties" {
  description = "The JSON properties the credentials secret holds (what an ExternalSecret may read)."
  value       = sort(concat(keys(local.connection), ["password"]))
}

output "parameter_group_id" {
  description = "Custom parameter group."
  value       = aws_db_parameter_group.this.id
}

output "kms_key_arn" {
  description = "KMS key that encrypts the instance."
  value       = module.kms.key_arn
}

output "resource_id" {
  description = "DbiResourceId, for IAM database-authentication policies (rds-db:connect)."
  value       = aws_db_instance.this.resource_id
}

output "backup_copy_arn" {
  description = "ARN of the replicated automated backups in the backup copy region (null: none)."
  value       = one(aws_db_instance_automated_backups_replication.this[*].id)
}

output "replica_endpoints" {
  description = "Addresses of the read replicas (host names only), in the order of read_replicas."
  value       = aws_db_instance.replica[*].address
}

output "replica_identifiers" {
  description = "Identifiers of the read replicas."
  value       = local.replica_identifiers
}

output "instance" {
  description = "The instance as planned: class, storage (type, size, ceiling, IOPS and throughput: null where RDS keeps the baseline), Multi-AZ, backups and their window, maintenance window, Enhanced Monitoring interval."
  value = {
    instance_class          = aws_db_instance.this.instance_class
    storage_type            = aws_db_instance.this.storage_type
    allocated_storage       = aws_db_instance.this.allocated_storage
    max_allocated_storage   = aws_db_instance.this.max_allocated_storage
    iops                    = local.iops == null ? null : aws_db_instance.this.iops
    storage_throughput      = local.storage_throughput == null ? null : aws_db_instance.this.storage_throughput
    multi_az                = aws_db_instance.this.multi_az
    backup_retention_period = aws_db_instance.this.backup_retention_period
    backup_window           = aws_db_instance.this.backup_window
    maintenance_window      = aws_db_instance.this.maintenance_window
    monitoring_interval     = aws_db_instance.this.monitoring_interval
  }
}

output "password_generation" {
  description = "The generation of the password written to RDS and to the credentials secret (password_version as planned on each: they change together)."
  value = {
    instance = aws_db_instance.this.password_wo_version
    secret   = aws_secretsmanager_secret_version.credentials.secret_string_wo_version
  }
}

output "replicas" {
  description = "The read replicas as planned, in the order of read_replicas: class, zone (null where RDS chooses), the instance they replicate, storage type."
  value = [
    for index, replica in aws_db_instance.replica : {
      instance_class      = replica.instance_class
      availability_zone   = var.read_replicas[index].availability_zone == null ? null : replica.availability_zone
      replicate_source_db = replica.replicate_source_db
      storage_type        = replica.storage_type
    }
  ]
}

output "parameters" {
  description = "The parameter group's parameters as planned, by name."
  value       = { for parameter in aws_db_parameter_group.this.parameter : parameter.name => parameter.value }
}
