# Root module of one environment. It only wires modules together: every value the spec owns
# comes from a variable (see variables.tf and terraform.tfvars -> generated/<env>/), and the
# rest are module defaults chosen for production.

locals {
  name = "${var.project_name}-${var.environment}"

  # The spec's account where it names one (the provider then refuses any other), else the
  # credentials' own.
  account_id = coalesce(var.aws_account_id, data.aws_caller_identity.current.account_id)

  # The spec's tags, with the three keys every resource must carry (the budget filters on them).
  tags = merge(var.tags, {
    Project     = var.project_name
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}

module "vpc" {
  source = "../../modules/vpc"

  name                  = local.name
  vpc_cidr              = var.vpc_cidr
  availability_zones    = var.availability_zones
  public_subnet_cidrs   = var.public_subnet_cidrs
  private_subnet_cidrs  = var.private_subnet_cidrs
  database_subnet_cidrs = var.database_subnet_cidrs
  single_nat_gateway    = var.single_nat_gateway
  enable_flow_logs      = var.enable_flow_logs
  interface_endpoints   = var.vpc_interface_endpoints
  log_retention_days    = var.log_retention_days
  eks_cluster_name      = local.name
  tags                  = local.tags
}

module "security_groups" {
  source = "../../modules/security-groups"

  name                  = local.name
  vpc_id                = module.vpc.vpc_id
  service_ports         = distinct([for service in values(var.services) : service.port])
  database_engine       = var.rds_engine
  bastion_enabled       = var.bastion_enabled
  bastion_allowed_cidrs = var.bastion_allowed_cidrs
  tags                  = local.tags
}

module "bastion" {
  source = "../../modules/bastion"
  count  = var.bastion_enabled ? 1 : 0

  name              = local.name
  instance_type     = var.bastion_instance_type
  subnet_id         = module.vpc.public_subnet_ids[0]
  security_group_id = module.security_groups.bastion_security_group_id
  tags              = local.tags
}

# ---------------------------------------------------------------- the secrets the services read
#
# Both generated here, stored by their modules in the secrets the chart's ExternalSecret reads
# (var.secret_names, rendered from the spec like the chart's remote keys).

# The database password: ephemeral (never in state or plan), written to RDS and to the
# database secret in the same apply when its generation changes.
module "database_password" {
  source = "../../modules/password"

  length = 40
}

# The password's generation: rds_password_version, and where the spec rotates the password
# automatically (rds_password_rotation_days), the rotation period the plan falls in. The first
# plan of a new period writes a new password; the Terraform workflow's scheduled rotation makes
# sure one runs, and restarts the services after it (.github/workflows/terraform.yml).
module "database_password_generation" {
  source = "../../modules/rotation-clock"

  timestamp        = plantimestamp()
  password_version = var.rds_password_version
  rotation_days    = var.rds_password_rotation_days
}

# The Redis AUTH token: ElastiCache takes it only as a plain attribute (it has no write-only
# token), so it is in state, as any AUTH token Terraform sets. Secrets Manager draws it (no
# provider but AWS's); the data source draws anew at every plan, and terraform_data keeps the
# first draw: its input's later changes are ignored. Rotating it is
# `terraform apply -replace='terraform_data.redis_auth_token[0]'`.
data "aws_secretsmanager_random_password" "redis_auth_token" {
  count = var.redis_auth_token_enabled ? 1 : 0

  password_length = 64
  # Redis AUTH tokens accept printable ASCII except '/', '"', '@' and spaces.
  exclude_characters = "/\"@"
  include_space      = false
}

resource "terraform_data" "redis_auth_token" {
  count = var.redis_auth_token_enabled ? 1 : 0

  input = data.aws_secretsmanager_random_password.redis_auth_token[0].random_password

  lifecycle {
    ignore_changes = [input]
  }
}

module "rds" {
  source = "../../modules/rds"

  providers = {
    aws        = aws
    aws.backup = aws.backup
  }

  identifier                   = local.name
  engine                       = var.rds_engine
  engine_version               = var.rds_engine_version
  instance_class               = var.rds_instance_class
  allocated_storage            = var.rds_allocated_storage
  max_allocated_storage        = var.rds_max_allocated_storage
  database_name                = var.rds_database_name
  master_username              = var.rds_username
  master_password              = module.database_password.value
  password_version             = module.database_password_generation.generation
  credentials_secret_name      = var.secret_names.database
  subnet_ids                   = module.vpc.database_subnet_ids
  security_group_ids           = [module.security_groups.database_security_group_id]
  multi_az                     = var.rds_multi_az
  backup_retention_period      = var.rds_backup_retention
  backup_copy_region           = var.rds_backup_copy_region
  deletion_protection          = var.rds_deletion_protection
  performance_insights_enabled = var.rds_performance_insights
  parameters                   = var.rds_parameters
  log_retention_days           = var.log_retention_days
  tags                         = local.tags

  storage_type        = var.rds_storage_type
  iops                = var.rds_iops
  storage_throughput  = var.rds_storage_throughput
  read_replicas       = var.rds_read_replicas
  backup_window       = var.rds_backup_window
  maintenance_window  = var.rds_maintenance_window
  monitoring_interval = var.rds_monitoring_interval
  extensions          = var.rds_extensions
}

module "elasticache" {
  source = "../../modules/elasticache"

  replication_group_id       = local.name
  engine_version             = var.redis_engine_version
  node_type                  = var.redis_node_type
  num_cache_nodes            = var.redis_num_nodes
  automatic_failover_enabled = var.redis_automatic_failover
  transit_encryption_enabled = var.redis_transit_encryption
  at_rest_encryption_enabled = var.redis_at_rest_encryption
  auth_token_enabled         = var.redis_auth_token_enabled
  auth_token                 = var.redis_auth_token_enabled ? terraform_data.redis_auth_token[0].output : null
  connection_secret_name     = var.secret_names.redis
  subnet_ids                 = module.vpc.database_subnet_ids
  security_group_ids         = [module.security_groups.redis_security_group_id]
  log_retention_days         = var.log_retention_days
  tags                       = local.tags

  cluster_mode_enabled     = var.redis_cluster_mode
  num_node_groups          = var.redis_num_shards
  replicas_per_node_group  = var.redis_replicas_per_shard
  multi_az_enabled         = var.redis_multi_az
  snapshot_window          = var.redis_snapshot_window
  snapshot_retention_limit = var.redis_snapshot_retention
  maintenance_window       = var.redis_maintenance_window
}

# One repository per image; services may share one.
module "ecr" {
  source   = "../../modules/ecr"
  for_each = toset([for service in values(var.services) : service.ecr_repository])

  repository_name = each.key
  tags            = local.tags
}

module "oidc" {
  source = "../../modules/oidc"

  github_repository   = var.github_repository
  role_name           = var.github_actions_role_name
  ecr_repository_arns = [for repository in module.ecr : repository.repository_arn]
  eks_cluster_arns    = ["arn:${data.aws_partition.current.partition}:eks:${var.aws_region}:${local.account_id}:cluster/${local.name}"]
  tags                = local.tags
}

# The roles of .github/workflows/terraform.yml (var.terraform_roles, rendered from the spec's
# [delivery.terraform]; null when the spec turns the workflow off). The state's names are the
# bootstrap's (terraform/bootstrap), the key this environment's backend.tf.
module "terraform_roles" {
  source = "../../modules/terraform-roles"
  count  = var.terraform_roles == null ? 0 : 1

  # The provider's ARN is fixed by the account and GitHub's host, so the trust policies are known
  # in the plan; depends_on still creates the provider (module.oidc) first.
  github_repository = var.github_repository
  oidc_provider_arn = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"
  partition         = data.aws_partition.current.partition
  plan_role         = var.terraform_roles.plan
  apply_role        = var.terraform_roles.apply
  state = {
    bucket         = "${var.project_name}-terraform-state-${local.account_id}"
    key            = "environments/${var.environment}/terraform.tfstate"
    lock_table_arn = "arn:${data.aws_partition.current.partition}:dynamodb:${var.aws_region}:${local.account_id}:table/${var.project_name}-terraform-locks"
    kms_alias      = "alias/${var.project_name}-terraform-state"
  }
  readable_secret_arns  = [module.rds.credentials_secret_arn, module.elasticache.connection_secret_arn]
  readable_kms_key_arns = [module.rds.kms_key_arn, module.elasticache.kms_key_arn]
  denied_bucket_names   = [for bucket in values(var.buckets) : bucket.name]
  tags                  = local.tags

  depends_on = [module.oidc]
}

module "eks" {
  source = "../../modules/eks"

  cluster_name              = local.name
  cluster_version           = var.eks_cluster_version
  private_subnet_ids        = module.vpc.private_subnet_ids
  cluster_security_group_id = module.security_groups.eks_cluster_security_group_id
  node_security_group_id    = module.security_groups.eks_nodes_security_group_id
  node_groups               = var.eks_node_groups
  addons                    = var.eks_addons
  endpoint_private_access   = var.eks_endpoint_private_access
  endpoint_public_access    = var.eks_endpoint_public_access
  public_access_cidrs       = var.eks_public_access_cidrs
  log_retention_days        = var.log_retention_days
  tags                      = local.tags

  # The role and service account the cluster autoscaler's generated values annotate.
  cluster_autoscaler = {
    role_name       = var.cluster_addon_roles.cluster_autoscaler.name
    namespace       = var.cluster_addon_roles.cluster_autoscaler.namespace
    service_account = var.cluster_addon_roles.cluster_autoscaler.service_account
  }

  # The delivery workflows deploy with Helm into the spec's namespace, and nowhere else.
  access_entries = {
    github_actions = {
      principal_arn = module.oidc.role_arn
      policy_arn    = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
      namespaces    = [var.namespace]
    }
  }
}

# The spec's [secrets], created empty under the names the ExternalSecrets read, with a key of
# their own.
module "secrets" {
  source = "../../modules/secrets"

  name    = local.name
  secrets = var.platform_secrets
  tags    = local.tags
}

locals {
  # What reading the services' secrets takes: the secrets, and their keys through Secrets Manager.
  service_secret_arns  = [module.rds.credentials_secret_arn, module.elasticache.connection_secret_arn]
  service_kms_arns     = [module.rds.kms_key_arn, module.elasticache.kms_key_arn]
  datastore_secrets    = anytrue([for service in values(var.services) : service.reads_datastore_secrets])
  platform_secret_arns = values(module.secrets.secret_arns)
  bucket_arn           = { for purpose, bucket in var.buckets : purpose => "arn:${data.aws_partition.current.partition}:s3:::${bucket.name}" }
}

# Each service's pods (service account <service> in the spec's namespace) assume a role of
# their own, never the node role: the runtime's services may read the database and Redis
# secrets with it, every service the platform secrets and buckets its `access` names.
module "service_role" {
  source   = "../../modules/service-role"
  for_each = var.services

  name              = substr("${local.name}-${each.key}", 0, 64)
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer_url   = module.eks.oidc_issuer_url
  namespace         = var.namespace
  service_account   = each.key
  secret_arns = concat(
    each.value.runtime ? local.service_secret_arns : [],
    [for secret in each.value.secrets : module.secrets.secret_arns[secret]],
  )
  kms_key_arns = concat(
    each.value.runtime ? local.service_kms_arns : [],
    length(each.value.secrets) > 0 ? [module.secrets.kms_key_arn] : [],
  )
  bucket_arns = {
    read       = [for purpose in each.value.buckets_read : local.bucket_arn[purpose]]
    read_write = [for purpose in each.value.buckets_read_write : local.bucket_arn[purpose]]
  }
  bucket_kms_key_arns = compact([
    for purpose in concat(each.value.buckets_read, each.value.buckets_read_write) :
    module.buckets[purpose].kms_key_arn
  ])
  tags = local.tags
}

# The External Secrets Operator's controller: the ClusterSecretStore the chart's ExternalSecrets
# name reads AWS Secrets Manager with this role (IRSA on the operator's service account), and it
# may read exactly the secrets the releases read: the database's and Redis' where a release reads
# them, and the spec's [secrets].
module "external_secrets_role" {
  source = "../../modules/service-role"

  name              = substr("${local.name}-external-secrets", 0, 64)
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer_url   = module.eks.oidc_issuer_url
  namespace         = var.external_secrets_service_account.namespace
  service_account   = var.external_secrets_service_account.name
  secret_arns = concat(
    local.datastore_secrets ? local.service_secret_arns : [],
    local.platform_secret_arns,
  )
  kms_key_arns = concat(
    local.datastore_secrets ? local.service_kms_arns : [],
    length(var.platform_secrets) > 0 ? [module.secrets.kms_key_arn] : [],
  )
  tags = local.tags
}

# What the cluster add-ons of generated/<env>/addons/ need from AWS: the load balancer
# controller's and Fluent Bit's roles (under the names and service accounts the tfvars'
# cluster_addon_roles carry, the ones their values annotate), and the containers' log group with
# the environment's retention.
module "cluster_addons" {
  source = "../../modules/cluster-addons"

  cluster_name      = local.name
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer_url   = module.eks.oidc_issuer_url
  roles = {
    load_balancer_controller = var.cluster_addon_roles.load_balancer_controller
    fluent_bit               = var.cluster_addon_roles.fluent_bit
  }
  log_group_name     = var.container_log_group_name
  log_retention_days = var.log_retention_days
  log_kms_key_arn    = module.eks.kms_key_arn
  tags               = local.tags
}

module "waf" {
  source = "../../modules/waf"
  count  = var.waf_enabled ? 1 : 0

  name               = local.name
  rate_limit         = var.waf_rate_limit
  allowed_countries  = var.waf_allowed_countries
  log_retention_days = var.log_retention_days
  tags               = local.tags
}

# The spec's buckets, one per purpose.
module "buckets" {
  source   = "../../modules/s3-bucket"
  for_each = var.buckets

  name               = each.value.name
  versioned          = each.value.versioned
  kms                = each.value.kms
  glacier_after_days = each.value.glacier_after_days
  expire_after_days  = each.value.expire_after_days
  cors_origins       = each.value.cors_origins
  alb_access_logs    = each.value.alb_access_logs
  tags               = local.tags
}

module "budget" {
  source = "../../modules/budget"
  count  = length(var.budget_alert_emails) > 0 ? 1 : 0

  name               = local.name
  monthly_budget_usd = var.monthly_budget_usd
  alert_emails       = var.budget_alert_emails
  alert_amounts_usd  = var.budget_alert_amounts_usd
  cost_filter_tags   = { Environment = var.environment }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
