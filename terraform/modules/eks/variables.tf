variable "cluster_name" {
  description = "Name of the EKS cluster, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must start with a letter and hold at most 100 letters, digits or '-'."
  }
}

variable "cluster_version" {
  description = "Kubernetes minor version of the control plane, e.g. \"1.28\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.cluster_version))
    error_message = "cluster_version must look like \"1.28\"."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two zones) for the control-plane ENIs and the worker nodes."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids must hold at least two subnets in different zones."
  }
}

variable "cluster_security_group_id" {
  description = "Additional security group for the control plane (from the security-groups module)."
  type        = string
  nullable    = false
}

variable "node_security_group_id" {
  description = "Security group of the worker nodes (from the security-groups module)."
  type        = string
  nullable    = false
}

variable "node_instance_types" {
  description = "Instance types of the managed node groups; several types widen the spot pools."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.node_instance_types) >= 1 && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "node_instance_types must list at least one instance type such as \"t3.medium\"."
  }
}

variable "node_ami_type" {
  description = "AMI type of the managed node groups."
  type        = string
  default     = "AL2023_x86_64_STANDARD"
  nullable    = false
}

variable "node_disk_size_gb" {
  description = "Size of each node's encrypted gp3 root volume, in GiB."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.node_disk_size_gb >= 20 && floor(var.node_disk_size_gb) == var.node_disk_size_gb
    error_message = "node_disk_size_gb must be a whole number of at least 20."
  }
}

variable "node_desired_size" {
  description = "Desired number of nodes over all node groups."
  type        = number
  nullable    = false

  validation {
    condition     = var.node_desired_size >= 0 && floor(var.node_desired_size) == var.node_desired_size
    error_message = "node_desired_size must be a whole number >= 0."
  }
}

variable "node_min_size" {
  description = "Minimum number of nodes over all node groups."
  type        = number
  nullable    = false

  validation {
    condition     = var.node_min_size >= 0 && floor(var.node_min_size) == var.node_min_size && var.node_min_size <= var.node_desired_size
    error_message = "node_min_size must be a whole number >= 0 and <= node_desired_size."
  }
}

variable "node_max_size" {
  description = "Maximum number of nodes over all node groups."
  type        = number
  nullable    = false

  validation {
    condition     = var.node_max_size >= 1 && floor(var.node_max_size) == var.node_max_size && var.node_max_size >= var.node_desired_size
    error_message = "node_max_size must be a whole number >= 1 and >= node_desired_size."
  }
}

variable "enable_spot_instances" {
  description = "Run part of the nodes as spot capacity in a separate node group."
  type        = bool
  nullable    = false
}

variable "spot_percentage" {
  description = "Share of the nodes (0-100) that run on spot capacity when spot is enabled; the on-demand share is rounded up."
  type        = number
  nullable    = false

  validation {
    condition     = var.spot_percentage >= 0 && var.spot_percentage <= 100 && floor(var.spot_percentage) == var.spot_percentage
    error_message = "spot_percentage must be a whole number from 0 to 100."
  }
}

variable "endpoint_private_access" {
  description = "Expose the Kubernetes API inside the VPC."
  type        = bool
  nullable    = false
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API on the internet (restricted to public_access_cidrs). Off in production: use the bastion or a VPN."
  type        = bool
  nullable    = false

  validation {
    condition     = var.endpoint_public_access || var.endpoint_private_access
    error_message = "At least one of endpoint_public_access and endpoint_private_access must be true."
  }
}

variable "public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public API endpoint (ignored when it is off)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "public_access_cidrs must be valid CIDR blocks."
  }
}

variable "log_retention_days" {
  description = "Retention of the control-plane log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "access_entries" {
  description = "Extra IAM principals given access to the cluster: an EKS access policy, cluster-wide or limited to namespaces."
  type = map(object({
    principal_arn = string
    policy_arn    = string
    namespaces    = optional(list(string), [])
  }))
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
