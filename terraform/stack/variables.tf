# The variable contract between the spec and this root module.
#
# platformgen renders exactly these variables into generated/<env>/terraform.tfvars (this
# folder's terraform.tfvars is a symlink to it). Every value here is owned by the spec, so none
# has a default: a variable the generator forgets fails `terraform plan`, and one it renders
# that is not declared here fails terraform/check.sh. Never edit the tfvars by hand; change
# specs/*.toml and run `platformgen generate`.
#
# Validation blocks that compare two variables need Terraform >= 1.9.

# ---------------------------------------------------------------- identity

variable "environment" {
  description = "Environment name (dev, staging, prod, ...): lower-case, used in every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.environment)) && length(var.environment) <= 12
    error_message = "environment must match ^[a-z][a-z0-9-]*$ and be at most 12 characters."
  }
}

variable "project_name" {
  description = "Project identifier; prefixes every resource name (\"<project>-<environment>\")."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.project_name)) && length(var.project_name) <= 20
    error_message = "project_name must match ^[a-z][a-z0-9-]*$ and be at most 20 characters."
  }

  validation {
    condition     = length(var.project_name) + length(var.environment) <= 30
    error_message = "project_name and environment together must stay within 30 characters (resource name limits)."
  }
}

variable "aws_account_id" {
  description = "The AWS account of the environment (12 digits): the provider refuses any other, and ARNs are built from it. null: whichever account the credentials belong to."
  type        = string

  validation {
    condition     = var.aws_account_id == null || can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be 12 digits."
  }
}

variable "aws_region" {
  description = "AWS region of the environment, e.g. \"us-east-1\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like \"us-east-1\"."
  }
}

variable "tags" {
  description = "Tags put on every resource (merged under Project, Environment and ManagedBy)."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags keys must be 1-128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

# ---------------------------------------------------------------- network

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC (/16 to /24)."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix from /16 to /24."
  }
}

variable "availability_zones" {
  description = "Availability zones of the environment (at least two, distinct, in aws_region)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones."
  }

  validation {
    condition     = alltrue([for z in var.availability_zones : can(regex("^${var.aws_region}[a-z]$", z))])
    error_message = "every availability zone must belong to aws_region (e.g. us-east-1a for us-east-1)."
  }
}

variable "public_subnet_cidrs" {
  description = "Public subnet CIDRs, one per availability zone in the same order, inside vpc_cidr."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.public_subnet_cidrs) == length(var.availability_zones)
    error_message = "public_subnet_cidrs must hold exactly one CIDR per availability zone."
  }

  validation {
    condition = alltrue([for c in var.public_subnet_cidrs : try(
      tonumber(split("/", c)[1]) >= tonumber(split("/", var.vpc_cidr)[1]) &&
      cidrhost("${cidrhost(c, 0)}/${split("/", var.vpc_cidr)[1]}", 0) == cidrhost(var.vpc_cidr, 0),
    false)])
    error_message = "every public subnet CIDR must be a valid CIDR block inside vpc_cidr."
  }
}

variable "private_subnet_cidrs" {
  description = "Private subnet CIDRs (EKS nodes), one per availability zone in the same order, inside vpc_cidr."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.private_subnet_cidrs) == length(var.availability_zones)
    error_message = "private_subnet_cidrs must hold exactly one CIDR per availability zone."
  }

  validation {
    condition = alltrue([for c in var.private_subnet_cidrs : try(
      tonumber(split("/", c)[1]) >= tonumber(split("/", var.vpc_cidr)[1]) &&
      cidrhost("${cidrhost(c, 0)}/${split("/", var.vpc_cidr)[1]}", 0) == cidrhost(var.vpc_cidr, 0),
    false)])
    error_message = "every private subnet CIDR must be a valid CIDR block inside vpc_cidr."
  }
}

variable "database_subnet_cidrs" {
  description = "Database subnet CIDRs (RDS, ElastiCache), one per availability zone in the same order, inside vpc_cidr."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.database_subnet_cidrs) == length(var.availability_zones)
    error_message = "database_subnet_cidrs must hold exactly one CIDR per availability zone."
  }

  validation {
    condition = alltrue([for c in var.database_subnet_cidrs : try(
      tonumber(split("/", c)[1]) >= tonumber(split("/", var.vpc_cidr)[1]) &&
      cidrhost("${cidrhost(c, 0)}/${split("/", var.vpc_cidr)[1]}", 0) == cidrhost(var.vpc_cidr, 0),
    false)])
    error_message = "every database subnet CIDR must be a valid CIDR block inside vpc_cidr."
  }

  validation {
    condition     = length(distinct(concat(var.public_subnet_cidrs, var.private_subnet_cidrs, var.database_subnet_cidrs))) == length(var.public_subnet_cidrs) + length(var.private_subnet_cidrs) + length(var.database_subnet_cidrs)
    error_message = "public, private and database subnet CIDRs must all be different."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (true, cheaper) or one per availability zone (false, zone-independent)."
  type        = bool
  nullable    = false
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs to a KMS-encrypted CloudWatch log group."
  type        = bool
  nullable    = false
}

# ---------------------------------------------------------------- EKS

variable "eks_cluster_version" {
  description = "Kubernetes minor version of the EKS control plane, e.g. \"1.28\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.eks_cluster_version))
    error_message = "eks_cluster_version must look like \"1.28\"."
  }
}

variable "eks_node_groups" {
  description = "EKS managed node groups by name (the spec's eks.node_groups, or the seed's pool split into on-demand and spot): instance types, capacity type (ON_DEMAND or SPOT), AMI type, sizes, node labels and taints (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE)."
  type = map(object({
    instance_types = list(string)
    capacity_type  = string
    ami_type       = string
    desired_size   = number
    min_size       = number
    max_size       = number
    labels         = map(string)
    taints = list(object({
      key    = string
      value  = string
      effect = string
    }))
  }))
  nullable = false

  validation {
    condition     = length(var.eks_node_groups) >= 1 && alltrue([for name in keys(var.eks_node_groups) : can(regex("^[a-z0-9][a-z0-9-]*$", name))])
    error_message = "eks_node_groups must hold at least one group, each named in lower-case letters, digits and '-'."
  }

  validation {
    condition     = alltrue([for group in values(var.eks_node_groups) : length(group.instance_types) >= 1 && alltrue([for t in group.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])])
    error_message = "Each EKS node group must list at least one instance type such as \"t3.medium\"."
  }

  validation {
    condition     = alltrue([for group in values(var.eks_node_groups) : contains(["ON_DEMAND", "SPOT"], group.capacity_type)])
    error_message = "Each EKS node group's capacity_type must be ON_DEMAND or SPOT."
  }

  validation {
    condition = alltrue([for group in values(var.eks_node_groups) :
      floor(group.min_size) == group.min_size && floor(group.desired_size) == group.desired_size && floor(group.max_size) == group.max_size
      && group.min_size >= 0 && group.min_size <= group.desired_size && group.desired_size <= group.max_size && group.max_size >= 1
    ])
    error_message = "Each EKS node group's sizes must be whole numbers with 0 <= min_size <= desired_size <= max_size and max_size >= 1."
  }

  validation {
    condition     = alltrue(flatten([for group in values(var.eks_node_groups) : [for taint in group.taints : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], taint.effect)]]))
    error_message = "Each taint's effect must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }
}

variable "eks_addons" {
  description = "Versions of the EKS managed add-ons by name (coredns, kube-proxy, vpc-cni, aws-ebs-csi-driver); the first three are installed at EKS's default version where none is given, the EBS CSI driver only with one."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for name, version in var.eks_addons : contains(["coredns", "kube-proxy", "vpc-cni", "aws-ebs-csi-driver"], name) && can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", version))])
    error_message = "eks_addons maps coredns, kube-proxy, vpc-cni or aws-ebs-csi-driver to a version such as \"v1.10.1-eksbuild.13\"."
  }
}

variable "eks_endpoint_private_access" {
  description = "Expose the Kubernetes API inside the VPC."
  type        = bool
  nullable    = false
}

variable "eks_endpoint_public_access" {
  description = "Expose the Kubernetes API on the internet (only to eks_public_access_cidrs). Off in production."
  type        = bool
  nullable    = false

  validation {
    condition     = var.eks_endpoint_public_access || var.eks_endpoint_private_access
    error_message = "at least one of eks_endpoint_public_access and eks_endpoint_private_access must be true."
  }
}

variable "eks_public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public Kubernetes API endpoint."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for c in var.eks_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "eks_public_access_cidrs must be valid CIDR blocks."
  }

  validation {
    condition     = !var.eks_endpoint_public_access || length(var.eks_public_access_cidrs) >= 1
    error_message = "eks_public_access_cidrs must not be empty when eks_endpoint_public_access is true."
  }
}

# ---------------------------------------------------------------- RDS

variable "rds_engine" {
  description = "Database engine: \"mysql\" or \"postgres\"."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["mysql", "postgres"], var.rds_engine)
    error_message = "rds_engine must be \"mysql\" or \"postgres\"."
  }
}

variable "rds_engine_version" {
  description = "Engine version, e.g. \"8.0\" for mysql or \"15\" for postgres."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+){0,2}$", var.rds_engine_version))
    error_message = "rds_engine_version must look like \"8.0\", \"8.0.35\", \"15\" or \"15.4\"."
  }

  validation {
    condition     = var.rds_engine != "mysql" || can(regex("^[0-9]+\\.[0-9]+", var.rds_engine_version))
    error_message = "a mysql rds_engine_version needs major and minor (e.g. \"8.0\")."
  }
}

variable "rds_instance_class" {
  description = "RDS instance class, e.g. \"db.t3.micro\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.rds_instance_class))
    error_message = "rds_instance_class must look like \"db.t3.micro\"."
  }
}

variable "rds_allocated_storage" {
  description = "Initial RDS storage in GiB (gp3: 20-65536)."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.rds_allocated_storage) == var.rds_allocated_storage && var.rds_allocated_storage >= 20 && var.rds_allocated_storage <= 65536
    error_message = "rds_allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "rds_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB (>= rds_allocated_storage; equal turns autoscaling off)."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.rds_max_allocated_storage) == var.rds_max_allocated_storage && var.rds_max_allocated_storage >= var.rds_allocated_storage && var.rds_max_allocated_storage <= 65536
    error_message = "rds_max_allocated_storage must be a whole number from rds_allocated_storage to 65536."
  }

  validation {
    condition     = var.rds_max_allocated_storage == var.rds_allocated_storage || var.rds_max_allocated_storage >= var.rds_allocated_storage * 1.1
    error_message = "rds_max_allocated_storage must equal rds_allocated_storage (autoscaling off) or be at least 10 % larger (an RDS rule)."
  }
}

variable "rds_storage_type" {
  description = "RDS storage type: \"gp3\" or \"gp2\"."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["gp2", "gp3"], var.rds_storage_type)
    error_message = "rds_storage_type must be \"gp2\" or \"gp3\"."
  }
}

variable "rds_iops" {
  description = "gp3 IOPS (null: the baseline for the size). Only from 400 GiB: 12000-64000."
  type        = number

  validation {
    condition     = var.rds_iops == null ? true : (var.rds_storage_type == "gp3" && var.rds_allocated_storage >= 400 && var.rds_iops >= 12000 && var.rds_iops <= 64000 && floor(var.rds_iops) == var.rds_iops)
    error_message = "rds_iops must be null, or with gp3 storage of at least 400 GiB a whole number from 12000 to 64000."
  }
}

variable "rds_storage_throughput" {
  description = "gp3 throughput in MiB/s (null: the baseline for the size). Only from 400 GiB: 500-4000, at most a quarter of the IOPS."
  type        = number

  validation {
    condition     = var.rds_storage_throughput == null ? true : (var.rds_storage_type == "gp3" && var.rds_allocated_storage >= 400 && var.rds_storage_throughput >= 500 && var.rds_storage_throughput <= 4000 && floor(var.rds_storage_throughput) == var.rds_storage_throughput)
    error_message = "rds_storage_throughput must be null, or with gp3 storage of at least 400 GiB a whole number from 500 to 4000."
  }

  validation {
    condition     = var.rds_storage_throughput == null ? true : var.rds_storage_throughput * 4 <= coalesce(var.rds_iops, 12000)
    error_message = "rds_storage_throughput may be at most a quarter of the IOPS (12000 when rds_iops is null)."
  }
}

variable "rds_read_replicas" {
  description = "RDS read replicas, each with its instance class and zone (null: RDS chooses)."
  type = list(object({
    instance_class    = string
    availability_zone = string
  }))
  nullable = false

  validation {
    condition     = alltrue([for replica in var.rds_read_replicas : replica.availability_zone == null ? true : contains(var.availability_zones, replica.availability_zone)])
    error_message = "every rds_read_replicas availability_zone must be one of availability_zones."
  }

  validation {
    condition     = length(var.rds_read_replicas) == 0 || var.rds_backup_retention > 0
    error_message = "rds_read_replicas need automated backups (rds_backup_retention > 0)."
  }
}

variable "rds_backup_window" {
  description = "Daily RDS backup window, hh:mm-hh:mm in UTC."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.rds_backup_window))
    error_message = "rds_backup_window must look like \"03:00-04:00\"."
  }
}

variable "rds_maintenance_window" {
  description = "Weekly RDS maintenance window, ddd:hh:mm-ddd:hh:mm in UTC."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.rds_maintenance_window))
    error_message = "rds_maintenance_window must look like \"sun:04:30-sun:05:30\"."
  }
}

variable "rds_monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0 turns it off)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.rds_monitoring_interval)
    error_message = "rds_monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "rds_extensions" {
  description = "PostgreSQL extensions the services may create (their preloaded libraries are in rds_parameters.shared_preload_libraries)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.rds_extensions) == 0 || var.rds_engine == "postgres"
    error_message = "rds_extensions are PostgreSQL's: leave them empty for mysql."
  }
}

variable "rds_multi_az" {
  description = "Keep a synchronous RDS standby in another availability zone."
  type        = bool
  nullable    = false
}

variable "rds_backup_retention" {
  description = "Days of automated RDS backups (0-35)."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.rds_backup_retention) == var.rds_backup_retention && var.rds_backup_retention >= 0 && var.rds_backup_retention <= 35
    error_message = "rds_backup_retention must be a whole number from 0 to 35."
  }
}

variable "rds_backup_copy_region" {
  description = "Region the automated RDS backups are replicated to, for a restore when aws_region is lost (null: no copies)."
  type        = string

  validation {
    condition     = var.rds_backup_copy_region == null || can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.rds_backup_copy_region))
    error_message = "rds_backup_copy_region must be an AWS region name such as us-west-2, or null."
  }

  validation {
    condition     = var.rds_backup_copy_region == null ? true : (var.rds_backup_copy_region != var.aws_region && var.rds_backup_retention > 0)
    error_message = "rds_backup_copy_region must be another region than aws_region, and needs rds_backup_retention > 0 (the copies are of the automated backups)."
  }
}

variable "rds_deletion_protection" {
  description = "Protect the RDS instance from deletion."
  type        = bool
  nullable    = false
}

variable "rds_performance_insights" {
  description = "Enable RDS Performance Insights (RDS for MySQL does not offer it on micro/small burstable classes)."
  type        = bool
  nullable    = false

  validation {
    condition     = !(var.rds_performance_insights && var.rds_engine == "mysql" && contains(["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"], var.rds_instance_class))
    error_message = "RDS for MySQL does not support Performance Insights on db.t2/db.t3/db.t4g micro and small classes: turn rds_performance_insights off or choose a larger rds_instance_class."
  }
}

variable "rds_database_name" {
  description = "Name of the application database."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.rds_database_name))
    error_message = "rds_database_name must start with a letter and hold at most 63 letters, digits or '_'."
  }
}

variable "rds_username" {
  description = "Master user name (its password is generated by the stack, ephemeral, and kept only in RDS and the database secret)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.rds_username)) && !contains(["rdsadmin", "rdsrepladmin", "rdstopmgr"], lower(var.rds_username))
    error_message = "rds_username must start with a letter, hold at most 16 letters, digits or '_', and not be a reserved RDS name."
  }
}

variable "rds_password_version" {
  description = "Generation of the database password (spec database.password_version): raising it writes a new password to RDS and to the database secret in one apply (with rotation on, the generation also carries the rotation period: modules/rotation-clock)."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.rds_password_version) == var.rds_password_version && var.rds_password_version >= 1
    error_message = "rds_password_version must be a whole number from 1."
  }
}

variable "rds_password_rotation_days" {
  description = "Days between automatic rotations of the database password (spec database.password_rotation_days); null or 0: rotated only by raising rds_password_version. On, the first plan of each period (counted from 1970-01-01 UTC) writes a new password."
  type        = number
  nullable    = true

  validation {
    condition     = var.rds_password_rotation_days == null ? true : (var.rds_password_rotation_days == 0 || (var.rds_password_rotation_days >= 1 && var.rds_password_rotation_days <= 365 && floor(var.rds_password_rotation_days) == var.rds_password_rotation_days))
    error_message = "rds_password_rotation_days must be null or 0 (off), or a whole number of days from 1 to 365."
  }
}

variable "rds_parameters" {
  description = "Parameters of the RDS parameter group (name => value), e.g. max_connections, slow_query_log."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.rds_parameters) : can(regex("^[A-Za-z0-9_.]+$", k))])
    error_message = "rds_parameters names may only hold letters, digits, '_' and '.'."
  }
}

# ---------------------------------------------------------------- ElastiCache

variable "redis_node_type" {
  description = "ElastiCache node type, e.g. \"cache.t3.micro\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.redis_node_type))
    error_message = "redis_node_type must look like \"cache.t3.micro\"."
  }
}

variable "redis_cluster_mode" {
  description = "Redis Cluster: the keys split over redis_num_shards shards; clients use a cluster client."
  type        = bool
  nullable    = false
}

variable "redis_num_shards" {
  description = "Redis shards (node groups): 1 without cluster mode, 1-500 with it."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.redis_num_shards) == var.redis_num_shards && var.redis_num_shards >= 1 && var.redis_num_shards <= (var.redis_cluster_mode ? 500 : 1)
    error_message = "redis_num_shards must be 1 without cluster mode, and a whole number from 1 to 500 with it."
  }
}

variable "redis_replicas_per_shard" {
  description = "Replicas of each Redis shard's primary, 0-5."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.redis_replicas_per_shard) == var.redis_replicas_per_shard && var.redis_replicas_per_shard >= 0 && var.redis_replicas_per_shard <= 5
    error_message = "redis_replicas_per_shard must be a whole number from 0 to 5."
  }
}

variable "redis_num_nodes" {
  description = "Every Redis node: redis_num_shards x (1 + redis_replicas_per_shard); 1-6 without cluster mode."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.redis_num_nodes) == var.redis_num_nodes && var.redis_num_nodes >= 1 && (var.redis_cluster_mode || var.redis_num_nodes <= 6)
    error_message = "redis_num_nodes must be a whole number from 1 (at most 6 without cluster mode)."
  }

  validation {
    condition     = var.redis_num_nodes == var.redis_num_shards * (1 + var.redis_replicas_per_shard)
    error_message = "redis_num_nodes must be redis_num_shards x (1 + redis_replicas_per_shard)."
  }
}

variable "redis_automatic_failover" {
  description = "Automatic failover for Redis: needs redis_num_nodes >= 2 without cluster mode, required with it."
  type        = bool
  nullable    = false

  validation {
    condition     = var.redis_cluster_mode ? var.redis_automatic_failover : (!var.redis_automatic_failover || var.redis_num_nodes >= 2)
    error_message = "redis_automatic_failover needs redis_num_nodes >= 2 without cluster mode, and is required with cluster mode."
  }
}

variable "redis_multi_az" {
  description = "Redis Multi-AZ: replicas in other zones than their primary; needs automatic failover and a replica of every primary."
  type        = bool
  nullable    = false

  validation {
    condition     = !var.redis_multi_az || (var.redis_automatic_failover && var.redis_replicas_per_shard >= 1)
    error_message = "redis_multi_az needs redis_automatic_failover and redis_replicas_per_shard >= 1."
  }
}

variable "redis_snapshot_window" {
  description = "Daily Redis snapshot window, hh:mm-hh:mm in UTC."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.redis_snapshot_window))
    error_message = "redis_snapshot_window must look like \"02:00-03:00\"."
  }
}

variable "redis_snapshot_retention" {
  description = "Days a daily Redis snapshot is kept (0-35; 0 turns snapshots off)."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.redis_snapshot_retention) == var.redis_snapshot_retention && var.redis_snapshot_retention >= 0 && var.redis_snapshot_retention <= 35
    error_message = "redis_snapshot_retention must be a whole number from 0 to 35."
  }
}

variable "redis_maintenance_window" {
  description = "Weekly Redis maintenance window, ddd:hh:mm-ddd:hh:mm in UTC."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.redis_maintenance_window))
    error_message = "redis_maintenance_window must look like \"sun:03:00-sun:04:00\"."
  }
}

variable "redis_transit_encryption" {
  description = "Require TLS for Redis connections."
  type        = bool
  nullable    = false
}

variable "redis_at_rest_encryption" {
  description = "Encrypt Redis data at rest with KMS."
  type        = bool
  nullable    = false
}

variable "redis_auth_token_enabled" {
  description = "Require a generated Redis AUTH token (kept in Secrets Manager); needs redis_transit_encryption."
  type        = bool
  nullable    = false

  validation {
    condition     = !var.redis_auth_token_enabled || var.redis_transit_encryption
    error_message = "redis_auth_token_enabled needs redis_transit_encryption."
  }
}

variable "redis_engine_version" {
  description = "Redis engine version, e.g. \"7.0\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9x]+(\\.[0-9]+)?$", var.redis_engine_version))
    error_message = "redis_engine_version must look like \"7.0\" or \"7.1\"."
  }
}

# ---------------------------------------------------------------- bastion

variable "bastion_enabled" {
  description = "Create the bastion host."
  type        = bool
  nullable    = false
}

variable "bastion_instance_type" {
  description = "Instance type of the bastion, e.g. \"t3.small\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion_instance_type))
    error_message = "bastion_instance_type must look like \"t3.small\"."
  }
}

variable "bastion_allowed_cidrs" {
  description = "CIDR blocks (office, VPN) allowed to SSH to the bastion. Never 0.0.0.0/0; empty means Session Manager only."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for c in var.bastion_allowed_cidrs : can(cidrhost(c, 0)) && !contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "bastion_allowed_cidrs must be valid CIDR blocks and must not contain 0.0.0.0/0 or ::/0."
  }
}

# ---------------------------------------------------------------- application and operations

variable "cache_ttl_seconds" {
  description = "Cache TTL of the service in seconds (exposed as an output for the deployment)."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.cache_ttl_seconds) == var.cache_ttl_seconds && var.cache_ttl_seconds >= 1 && var.cache_ttl_seconds <= 604800
    error_message = "cache_ttl_seconds must be a whole number from 1 to 604800."
  }
}

variable "vpc_interface_endpoints" {
  description = "AWS services the private subnets reach through interface endpoints (ecr.api, ecr.dkr, logs, monitoring, sts, secretsmanager)."
  type        = list(string)
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group of the environment, in days."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the environment in US dollars."
  type        = number
  nullable    = false

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be greater than 0."
  }
}

variable "budget_alert_amounts_usd" {
  description = "Absolute monthly amounts in US dollars that also alert budget_alert_emails when actual spend passes them (at most 5)."
  type        = list(number)
  nullable    = false

  validation {
    condition     = length(var.budget_alert_amounts_usd) <= 5 && alltrue([for a in var.budget_alert_amounts_usd : a > 0])
    error_message = "budget_alert_amounts_usd must hold at most 5 amounts, each greater than 0."
  }
}

variable "budget_alert_emails" {
  description = "Addresses notified at 80 %/100 % actual and 100 % forecasted spend (at most 10; empty creates no budget)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.budget_alert_emails) <= 10 && alltrue([for e in var.budget_alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "budget_alert_emails must hold at most 10 valid e-mail addresses."
  }
}

variable "waf_enabled" {
  description = "Create the WAF web ACL for the ALB."
  type        = bool
  nullable    = false
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes one IP may send before WAF blocks it."
  type        = number
  nullable    = false

  validation {
    condition     = floor(var.waf_rate_limit) == var.waf_rate_limit && var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be a whole number from 100 to 2000000000."
  }
}

variable "waf_allowed_countries" {
  description = "The only countries requests may come from (ISO 3166-1 alpha-2 codes); the WAF blocks the others. Empty: no geo rule."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for code in var.waf_allowed_countries : can(regex("^[A-Z]{2}$", code))]) && length(distinct(var.waf_allowed_countries)) == length(var.waf_allowed_countries)
    error_message = "waf_allowed_countries must be distinct ISO 3166-1 alpha-2 codes, such as \"US\" or \"GB\"."
  }
}

variable "buckets" {
  description = "S3 buckets by purpose: name (<project>-<env>-<purpose>), versioning, a KMS key of their own (else SSE-S3), lifecycle days (null: none), CORS origins, and whether the load balancer writes its access logs there."
  type = map(object({
    name               = string
    versioned          = bool
    kms                = bool
    glacier_after_days = number
    expire_after_days  = number
    cors_origins       = list(string)
    alb_access_logs    = bool
  }))
  nullable = false

  validation {
    condition     = alltrue([for b in values(var.buckets) : can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", b.name))])
    error_message = "every bucket name must be 3-63 lower-case letters, digits and hyphens."
  }

  validation {
    condition     = alltrue([for b in values(var.buckets) : !(b.alb_access_logs && b.kms)])
    error_message = "the load balancer writes access logs only to SSE-S3 buckets (kms = false)."
  }

  validation {
    condition     = length([for b in values(var.buckets) : b if b.alb_access_logs]) <= 1
    error_message = "at most one bucket receives the load balancer's access logs."
  }
}

# ---------------------------------------------------------------- service and delivery

variable "services" {
  description = "The platform's services by name (each the service account of its pods in var.namespace): the port the ALB reaches its pods on, its ECR repository, and whether this repository's runtime serves it (its role then reads the database and Redis secrets), whether its release reads those two (through the External Secrets Operator), the buckets (by purpose) its role reads or reads and writes, and the platform secrets (by name) it reads itself."
  type = map(object({
    port                    = number
    ecr_repository          = string
    runtime                 = bool
    reads_datastore_secrets = bool
    buckets_read            = list(string)
    buckets_read_write      = list(string)
    secrets                 = list(string)
  }))
  nullable = false

  validation {
    condition     = length(var.services) >= 1
    error_message = "services must name at least one service."
  }

  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", name))])
    error_message = "every key of services must be a DNS label: lower-case letters, digits and '-', at most 63 characters."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : floor(service.port) == service.port && service.port >= 1024 && service.port <= 65535])
    error_message = "every services[*].port must be a whole number from 1024 to 65535."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : length(service.ecr_repository) >= 2 && length(service.ecr_repository) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", service.ecr_repository))])
    error_message = "every services[*].ecr_repository must be 2-256 characters: lower-case letters and digits separated by '.', '_', '-' or '/'."
  }

  validation {
    condition     = alltrue(flatten([for service in values(var.services) : [for purpose in concat(service.buckets_read, service.buckets_read_write) : contains(keys(var.buckets), purpose)]]))
    error_message = "every services[*].buckets_read and buckets_read_write entry must be a purpose of var.buckets."
  }

  validation {
    condition     = alltrue(flatten([for service in values(var.services) : [for secret in service.secrets : contains(keys(var.platform_secrets), secret)]]))
    error_message = "every services[*].secrets entry must be a key of var.platform_secrets."
  }
}

variable "namespace" {
  description = "Kubernetes namespace the services are deployed to (spec delivery.namespace): the service roles trust service accounts there, and the CI/CD role may deploy there only."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "platform_secrets" {
  description = "The spec's [secrets] by name: each its Secrets Manager name (what the ExternalSecrets read) and description. Created empty; values are put by their issuers."
  type = map(object({
    name        = string
    description = string
  }))
  nullable = false
}

variable "secret_names" {
  description = "Names of the Secrets Manager secrets the services read (the chart's ExternalSecret remote keys, rendered from the same place): database and redis."
  type = object({
    database = string
    redis    = string
  })
  nullable = false

  validation {
    condition     = alltrue([for name in values(var.secret_names) : can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", name))]) && var.secret_names.database != var.secret_names.redis
    error_message = "secret_names must be two different names of 1-512 letters, digits and /_+=.@-."
  }
}

variable "external_secrets_service_account" {
  description = "Service account of the External Secrets Operator's controller (namespace and name), which may read the services' secrets for the ClusterSecretStore."
  type = object({
    namespace = string
    name      = string
  })
  nullable = false
}

# ---------------------------------------------------------------- cluster add-ons

variable "cluster_addon_roles" {
  description = "IAM roles of the cluster add-ons that call AWS (the External Secrets Operator's aside): each one's name and the service account (namespace, name) that may assume it, the ones the add-ons' generated values annotate."
  type = object({
    load_balancer_controller = object({ name = string, namespace = string, service_account = string })
    cluster_autoscaler       = object({ name = string, namespace = string, service_account = string })
    fluent_bit               = object({ name = string, namespace = string, service_account = string })
  })
  nullable = false

  validation {
    condition     = alltrue([for role in values(var.cluster_addon_roles) : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", role.name))])
    error_message = "cluster_addon_roles names must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "container_log_group_name" {
  description = "CloudWatch log group of every container's log (Fluent Bit writes it), kept log_retention_days."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#-]{1,512}$", var.container_log_group_name))
    error_message = "container_log_group_name must be 1-512 characters of letters, digits and _-./#."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"owner/name\") whose workflows may assume the CI/CD role."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/name\" (no wildcards)."
  }
}

variable "github_actions_role_name" {
  description = "Name of the IAM role GitHub Actions assumes through OIDC."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.github_actions_role_name))
    error_message = "github_actions_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "terraform_roles" {
  description = "The roles of .github/workflows/terraform.yml: the read-only plan role and the administrator apply role, each with the exact OIDC subjects it trusts; null when the spec turns the workflow off."
  type = object({
    plan = object({
      name     = string
      subjects = list(string)
    })
    apply = object({
      name     = string
      subjects = list(string)
    })
  })
  nullable = true
}
