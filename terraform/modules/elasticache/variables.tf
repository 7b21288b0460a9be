variable "replication_group_id" {
  description = "Replication group identifier, e.g. \"expense-dev\" (at most 40 characters)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.replication_group_id)) && !strcontains(var.replication_group_id, "--")
    error_message = "replication_group_id must be 2-40 lower-case letters, digits or single hyphens, starting with a letter."
  }
}

variable "engine_version" {
  description = "Redis engine version, e.g. \"7.0\". The parameter-group family is derived from it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9x]+(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must look like \"7.0\" or \"7.1\"."
  }
}

variable "node_type" {
  description = "Cache node type, e.g. \"cache.t3.micro\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must look like \"cache.t3.micro\"."
  }
}

variable "num_cache_nodes" {
  description = "Number of nodes (one primary plus replicas), 1-6."
  type        = number
  nullable    = false

  validation {
    condition     = var.num_cache_nodes >= 1 && var.num_cache_nodes <= 6 && floor(var.num_cache_nodes) == var.num_cache_nodes
    error_message = "num_cache_nodes must be a whole number from 1 to 6."
  }
}

variable "automatic_failover_enabled" {
  description = "Promote a replica automatically (and spread nodes over zones). Needs at least two nodes."
  type        = bool
  nullable    = false

  validation {
    condition     = !var.automatic_failover_enabled || var.num_cache_nodes >= 2
    error_message = "automatic_failover_enabled needs num_cache_nodes >= 2."
  }
}

variable "transit_encryption_enabled" {
  description = "Require TLS between clients and Redis."
  type        = bool
  nullable    = false
}

variable "at_rest_encryption_enabled" {
  description = "Encrypt data on disk (and backups) with the module's KMS key."
  type        = bool
  nullable    = false
}

variable "auth_token_enabled" {
  description = "Require a Redis AUTH token: generated here and stored in Secrets Manager. Needs transit encryption."
  type        = bool
  nullable    = false

  validation {
    condition     = !var.auth_token_enabled || var.transit_encryption_enabled
    error_message = "auth_token_enabled needs transit_encryption_enabled."
  }
}

variable "subnet_ids" {
  description = "Database subnets for the cache nodes."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must hold at least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the replication group (from the security-groups module)."
  type        = list(string)
  nullable    = false
}

variable "snapshot_retention_limit" {
  description = "Days of automatic snapshots (0 turns them off)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35 && floor(var.snapshot_retention_limit) == var.snapshot_retention_limit
    error_message = "snapshot_retention_limit must be a whole number from 0 to 35."
  }
}

variable "log_retention_days" {
  description = "Retention of the slow-log and engine-log groups, in days (a value CloudWatch Logs accepts)."
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
