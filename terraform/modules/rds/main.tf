locals {
  version_parts = split(".", var.engine_version)
  # mysql 8.0.x -> mysql8.0; postgres 15.x -> postgres15
  family = var.engine == "mysql" ? "mysql${join(".", slice(local.version_parts, 0, min(2, length(local.version_parts))))}" : "postgres${local.version_parts[0]}"
  port   = var.engine == "mysql" ? 3306 : 5432

  # Connections without TLS are refused, whatever the spec's parameters say.
  enforced_parameters = var.engine == "mysql" ? { require_secure_transport = "1" } : { "rds.force_ssl" = "1" }
  # PostgreSQL: only the listed extensions may be created (unset, RDS allows every one it ships).
  extension_parameters = length(var.extensions) > 0 ? { "rds.allowed_extensions" = join(",", var.extensions) } : {}
  parameters           = merge(var.parameters, local.extension_parameters, local.enforced_parameters)

  # gp3 IOPS and throughput: null leaves RDS's baseline for the size.
  storage_throughput = var.storage_type == "gp3" ? var.storage_throughput : null
  iops               = var.storage_type == "gp3" ? var.iops : null

  replica_identifiers = [for index in range(length(var.read_replicas)) : "${var.identifier}-replica-${index + 1}"]

  log_exports = var.engine == "mysql" ? ["error", "general", "slowquery"] : ["postgresql", "upgrade"]
}

module "kms" {
  source = "../kms"

  name                  = "${var.identifier}-rds"
  description           = "Encrypts storage, backups, Performance Insights, the credentials secret and logs of ${var.identifier}"
  allow_cloudwatch_logs = true
  tags                  = var.tags
}

resource "aws_db_subnet_group" "this" {
  name        = "${var.identifier}-db"
  description = "Database subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.identifier}-${var.engine}-"
  family      = local.family
  description = "Parameters of ${var.identifier} (from the spec, TLS enforced)"

  dynamic "parameter" {
    for_each = local.parameters

    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Exported logs land in groups we own (retention, KMS) instead of ones RDS would create.
resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(local.log_exports)
  #checkov:skip=CKV_AWS_338:Retention is the spec's per-environment choice (log_retention_days), balancing cost against audit needs; long-term archives belong in S3, not CloudWatch.

  name              = "/aws/rds/instance/${var.identifier}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name_prefix        = "${substr(var.identifier, 0, 24)}-rds-mon-"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

data "aws_partition" "current" {}

# ---------------------------------------------------------------- credentials (never in state)
#
# The services read the database from one secret, named by the spec (`credentials_secret_name`),
# holding everything a client needs. RDS's own managed master secret cannot be that secret: it
# has another name, no host, and RDS rotates it on its own schedule, so a copy of it would go
# stale within a week. Instead the caller hands in a password (an ephemeral value: never in state
# or plan) and the same apply writes it to RDS and to the secret, both write-only, both keyed on
# `password_version`. A new password_version rotates the password: raised in the spec, or every
# rotation period (the stack's rotation-clock); see README.

resource "aws_secretsmanager_secret" "credentials" {
  #checkov:skip=CKV2_AWS_57:The password rotates through password_version (raised in the spec, or every database.password_rotation_days by the stack's rotation-clock and the Terraform workflow's schedule; one apply writes RDS and the secret together); a rotation Lambda would change RDS behind Terraform's back.
  name                    = var.credentials_secret_name
  description             = "Connection settings and credentials of the database ${var.identifier} (read by the services through External Secrets)"
  kms_key_id              = module.kms.key_arn
  recovery_window_in_days = 7

  tags = var.tags
}

locals {
  # What the secret holds besides the password, by property name.
  connection = {
    engine   = var.engine
    host     = aws_db_instance.this.address
    port     = aws_db_instance.this.port
    dbname   = var.database_name
    username = var.master_username
  }
}

resource "aws_secretsmanager_secret_version" "credentials" {
  secret_id = aws_secretsmanager_secret.credentials.id
  # Written with the password, so a host change reaches the secret with the next rotation
  # (restores repoint the host themselves: OPERATIONS.md).
  secret_string_wo = jsonencode(merge(local.connection, {
    password = var.master_password
  }))
  secret_string_wo_version = var.password_version
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ is the spec's per-environment choice (rds_multi_az): on in staging/prod, off in dev to halve cost.
  #checkov:skip=CKV_AWS_293:Deletion protection is the spec's per-environment choice (rds_deletion_protection): on in prod, off where environments are torn down.
  #checkov:skip=CKV_AWS_353:Performance Insights is the spec's per-environment choice (rds_performance_insights); the smallest dev classes do not support it.
  identifier     = var.identifier
  engine         = var.engine
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = local.port

  db_name  = var.database_name
  username = var.master_username
  # Write-only: sent to RDS when password_version changes, never kept in state or plan.
  password_wo         = var.master_password
  password_wo_version = var.password_version

  iam_database_authentication_enabled = true

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage > var.allocated_storage ? var.max_allocated_storage : 0
  storage_type          = var.storage_type
  iops                  = local.iops
  storage_throughput    = local.storage_throughput
  storage_encrypted     = true
  kms_key_id            = module.kms.key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period  = var.backup_retention_period
  backup_window            = var.backup_window
  maintenance_window       = var.maintenance_window
  copy_tags_to_snapshot    = true
  delete_automated_backups = false

  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.identifier}-final"

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = false

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? module.kms.key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  enabled_cloudwatch_logs_exports = local.log_exports

  tags = merge(var.tags, { Name = var.identifier })

  depends_on = [aws_cloudwatch_log_group.this]
}

# Copies of the automated backups in another region, for a restore when this region is lost:
# snapshots and transaction logs, so a point-in-time restore works there too. They are
# re-encrypted with a key of that region.
module "backup_copy_kms" {
  source = "../kms"
  count  = var.backup_copy_region == null ? 0 : 1

  providers = {
    aws = aws.backup
  }

  name        = "${var.identifier}-rds-backup-copy"
  description = "Encrypts the ${var.backup_copy_region} copies of the automated backups of ${var.identifier}"
  tags        = var.tags
}

resource "aws_db_instance_automated_backups_replication" "this" {
  count    = var.backup_copy_region == null ? 0 : 1
  provider = aws.backup

  source_db_instance_arn = aws_db_instance.this.arn
  retention_period       = var.backup_retention_period
  kms_key_id             = module.backup_copy_kms[0].key_arn
}

# ---------------------------------------------------------------- read replicas
#
# Asynchronous copies of the instance, each in its zone, with the instance's storage, parameter
# group (extensions included), key, monitoring and logs. RDS builds them from the instance's
# backups; they keep none of their own (a restore comes from the instance's).

resource "aws_db_instance" "replica" {
  count = length(var.read_replicas)
  #checkov:skip=CKV_AWS_157:A read replica is one zone's copy; the spec places each in its own zone (read_replicas), and the primary's Multi-AZ standby is what fails over.
  #checkov:skip=CKV_AWS_293:Deletion protection follows the spec's per-environment choice (rds_deletion_protection), as on the primary.
  #checkov:skip=CKV_AWS_353:Performance Insights follows the spec's per-environment choice (rds_performance_insights), as on the primary.
  #checkov:skip=CKV_AWS_133:A replica keeps no backups of its own: point-in-time recovery restores the primary's.
  identifier          = local.replica_identifiers[count.index]
  replicate_source_db = aws_db_instance.this.identifier
  instance_class      = var.read_replicas[count.index].instance_class
  availability_zone   = var.read_replicas[count.index].availability_zone
  port                = local.port

  iam_database_authentication_enabled = true

  max_allocated_storage = var.max_allocated_storage > var.allocated_storage ? var.max_allocated_storage : 0
  storage_type          = var.storage_type
  iops                  = local.iops
  storage_throughput    = local.storage_throughput
  storage_encrypted     = true
  kms_key_id            = module.kms.key_arn

  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  multi_az               = false
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period = 0
  maintenance_window      = var.maintenance_window
  copy_tags_to_snapshot   = true
  deletion_protection     = var.deletion_protection
  skip_final_snapshot     = true

  auto_minor_version_upgrade = true
  apply_immediately          = false

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? module.kms.key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  enabled_cloudwatch_logs_exports = local.log_exports

  tags = merge(var.tags, { Name = local.replica_identifiers[count.index], Role = "read-replica" })

  depends_on = [aws_cloudwatch_log_group.replica]
}

resource "aws_cloudwatch_log_group" "replica" {
  for_each = toset([for pair in setproduct(local.replica_identifiers, local.log_exports) : join("/", pair)])
  #checkov:skip=CKV_AWS_338:Retention is the spec's per-environment choice (log_retention_days), as for the primary's logs.

  name              = "/aws/rds/instance/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}
