variable "identifier" {
  description = "RDS instance identifier, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,58}[a-z0-9]$", var.identifier)) && !strcontains(var.identifier, "--")
    error_message = "identifier must be 2-60 lower-case letters, digits or single hyphens, starting with a letter."
  }
}

variable "engine" {
  description = "Database engine: \"mysql\" or \"postgres\"."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["mysql", "postgres"], var.engine)
    error_message = "engine must be \"mysql\" or \"postgres\"."
  }
}

variable "engine_version" {
  description = "Engine version, e.g. \"8.0\" (mysql) or \"15\" (postgres). The parameter-group family is derived from it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+){0,2}$", var.engine_version))
    error_message = "engine_version must look like \"8.0\", \"8.0.35\", \"15\" or \"15.4\"."
  }
}

variable "instance_class" {
  description = "Instance class, e.g. \"db.t3.micro\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like \"db.t3.micro\"."
  }
}

variable "allocated_storage" {
  description = "Initial gp3 storage in GiB."
  type        = number
  nullable    = false

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "max_allocated_storage" {
  description = "Upper bound for storage autoscaling in GiB; equal to allocated_storage turns autoscaling off."
  type        = number
  nullable    = false

  validation {
    condition     = var.max_allocated_storage >= var.allocated_storage && var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage
    error_message = "max_allocated_storage must be a whole number from allocated_storage to 65536."
  }

  validation {
    condition     = var.max_allocated_storage == var.allocated_storage || var.max_allocated_storage >= var.allocated_storage * 1.1
    error_message = "max_allocated_storage must equal allocated_storage (autoscaling off) or be at least 10 % larger (an RDS rule)."
  }
}

variable "storage_type" {
  description = "Storage type: \"gp3\" (IOPS and throughput provisioned apart from the size) or \"gp2\" (both follow the size)."
  type        = string
  default     = "gp3"
  nullable    = false

  validation {
    condition     = contains(["gp2", "gp3"], var.storage_type)
    error_message = "storage_type must be \"gp2\" or \"gp3\"."
  }
}

variable "iops" {
  description = "gp3 IOPS (null: the baseline, 3,000 below 400 GiB and 12,000 from it). RDS for MySQL and PostgreSQL take a value only from 400 GiB: 12,000 to 64,000."
  type        = number
  default     = null

  validation {
    condition     = var.iops == null ? true : (var.storage_type == "gp3" && var.allocated_storage >= 400 && var.iops >= 12000 && var.iops <= 64000 && floor(var.iops) == var.iops)
    error_message = "iops must be null, or with gp3 storage of at least 400 GiB a whole number from 12000 to 64000."
  }
}

variable "storage_throughput" {
  description = "gp3 throughput in MiB/s (null: the baseline, 125 below 400 GiB and 500 from it). From 400 GiB only: 500 to 4,000, at most a quarter of the IOPS."
  type        = number
  default     = null

  validation {
    condition     = var.storage_throughput == null ? true : (var.storage_type == "gp3" && var.allocated_storage >= 400 && var.storage_throughput >= 500 && var.storage_throughput <= 4000 && floor(var.storage_throughput) == var.storage_throughput)
    error_message = "storage_throughput must be null, or with gp3 storage of at least 400 GiB a whole number from 500 to 4000."
  }

  validation {
    condition     = var.storage_throughput == null ? true : var.storage_throughput * 4 <= coalesce(var.iops, 12000)
    error_message = "storage_throughput may be at most a quarter of the IOPS (12000 when iops is null)."
  }
}

variable "backup_window" {
  description = "Daily window of the automated backup, hh:mm-hh:mm in UTC (at least 30 minutes, apart from maintenance_window)."
  type        = string
  default     = "03:00-04:00"
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must look like \"03:00-04:00\" (UTC)."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window of the instance and its replicas, ddd:hh:mm-ddd:hh:mm in UTC (at least 30 minutes)."
  type        = string
  default     = "sun:04:30-sun:05:30"
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like \"sun:04:30-sun:05:30\" (UTC)."
  }
}

variable "read_replicas" {
  description = "Read replicas, each with its instance class and zone (null: RDS chooses). RDS builds them from the instance's backups."
  type = list(object({
    instance_class    = string
    availability_zone = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = length(var.read_replicas) <= 15 && alltrue([for replica in var.read_replicas : can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", replica.instance_class))])
    error_message = "read_replicas may hold at most 15 replicas, each with an instance_class like \"db.r6g.large\"."
  }

  validation {
    condition     = length(var.read_replicas) == 0 || var.backup_retention_period > 0
    error_message = "read_replicas need automated backups (backup_retention_period > 0)."
  }

  validation {
    condition     = length(var.read_replicas) == 0 || length(var.identifier) <= 53
    error_message = "with read replicas the identifier may hold at most 53 characters (each replica is <identifier>-replica-<n>)."
  }
}

variable "extensions" {
  description = "PostgreSQL extensions the services may create (rds.allowed_extensions); those needing a preloaded library are in parameters.shared_preload_libraries."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.extensions) == 0 || var.engine == "postgres"
    error_message = "extensions are PostgreSQL's: leave them empty for mysql."
  }
}

variable "database_name" {
  description = "Name of the database created with the instance."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold at most 63 letters, digits or '_'."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated here and kept only in the credentials secret."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.master_username)) && !contains(["rdsadmin", "rdsrepladmin", "rdstopmgr"], lower(var.master_username))
    error_message = "master_username must start with a letter, hold at most 16 letters, digits or '_', and not be a reserved name."
  }
}

variable "credentials_secret_name" {
  description = "Name of the Secrets Manager secret the services read the database from (e.g. \"expense/dev/database\"): engine, host, port, dbname, username, password."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.credentials_secret_name))
    error_message = "credentials_secret_name must be 1-512 characters of letters, digits and /_+=.@-."
  }
}

variable "master_password" {
  description = "Master password (ephemeral: written to RDS and the credentials secret, never stored in state). The stack generates it with Secrets Manager's random password. Only read when password_version changes."
  type        = string
  sensitive   = true
  ephemeral   = true
  nullable    = false

  validation {
    condition     = length(var.master_password) >= 16 && length(var.master_password) <= 128 && !can(regex("[/@\" ]", var.master_password))
    error_message = "master_password must be 16-128 characters without '/', '@', '\"' or spaces (RDS refuses them)."
  }
}

variable "password_version" {
  description = "Generation of the master password: a new value writes a new password to RDS and to the credentials secret in one apply (a rotation)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.password_version >= 1 && floor(var.password_version) == var.password_version
    error_message = "password_version must be a whole number from 1."
  }
}

variable "subnet_ids" {
  description = "Database subnets (at least two zones)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two subnets in different zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the instance (from the security-groups module)."
  type        = list(string)
  nullable    = false
}

variable "multi_az" {
  description = "Keep a synchronous standby in another zone."
  type        = bool
  nullable    = false
}

variable "backup_copy_region" {
  description = "Region the automated backups (snapshots and transaction logs) are replicated to, through the aws.backup provider, which must be configured for that region; null: no copies."
  type        = string
  default     = null

  validation {
    condition     = var.backup_copy_region == null || can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.backup_copy_region))
    error_message = "backup_copy_region must be an AWS region name such as us-west-2, or null."
  }
}

variable "backup_retention_period" {
  description = "Days of automated backups (0-35; 0 disables backups and point-in-time recovery)."
  type        = number
  nullable    = false

  validation {
    condition     = var.backup_retention_period >= 0 && var.backup_retention_period <= 35 && floor(var.backup_retention_period) == var.backup_retention_period
    error_message = "backup_retention_period must be a whole number from 0 to 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off."
  type        = bool
  nullable    = false
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (encrypted with the module's KMS key, 7 days free tier)."
  type        = bool
  nullable    = false

  validation {
    condition     = !(var.performance_insights_enabled && var.engine == "mysql" && contains(["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"], var.instance_class))
    error_message = "RDS for MySQL does not support Performance Insights on db.t2/db.t3/db.t4g micro and small classes."
  }
}

variable "parameters" {
  description = "Parameters of the custom parameter group (name => value). TLS enforcement is always added on top."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.parameters) : can(regex("^[A-Za-z0-9_.]+$", k))])
    error_message = "parameter names may only hold letters, digits, '_' and '.'."
  }
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0 turns it off)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "log_retention_days" {
  description = "Retention of the exported database log groups, in days (a value CloudWatch Logs accepts)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
