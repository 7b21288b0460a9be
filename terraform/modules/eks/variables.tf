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

variable "node_groups" {
  description = "Managed node groups by name (EKS names each <cluster_name>-<name>): instance types (the first preferred, all of the AMI type's architecture), ON_DEMAND or SPOT capacity, the AMI type, the sizes (the cluster autoscaler owns desired_size after creation), and the Kubernetes labels and taints (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE) of their nodes."
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
    condition     = length(var.node_groups) >= 1 && alltrue([for name in keys(var.node_groups) : can(regex("^[a-z0-9][a-z0-9-]*$", name)) && length("${var.cluster_name}-${name}") <= 63])
    error_message = "node_groups must hold at least one group, each named in lower-case letters, digits and '-', at most 63 characters with the cluster's name."
  }

  validation {
    condition     = alltrue([for group in values(var.node_groups) : length(group.instance_types) >= 1 && alltrue([for t in group.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])])
    error_message = "Each node group must list at least one instance type such as \"t3.medium\"."
  }

  validation {
    condition     = alltrue([for group in values(var.node_groups) : contains(["ON_DEMAND", "SPOT"], group.capacity_type)])
    error_message = "Each node group's capacity_type must be ON_DEMAND or SPOT."
  }

  validation {
    condition = alltrue([for group in values(var.node_groups) :
      floor(group.min_size) == group.min_size && floor(group.desired_size) == group.desired_size && floor(group.max_size) == group.max_size
      && group.min_size >= 0 && group.min_size <= group.desired_size && group.desired_size <= group.max_size && group.max_size >= 1
    ])
    error_message = "Each node group's sizes must be whole numbers with 0 <= min_size <= desired_size <= max_size and max_size >= 1."
  }

  validation {
    condition     = alltrue(flatten([for group in values(var.node_groups) : [for taint in group.taints : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], taint.effect)]]))
    error_message = "Each taint's effect must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }

  validation {
    condition     = anytrue([for group in values(var.node_groups) : alltrue([for taint in group.taints : taint.effect == "PREFER_NO_SCHEDULE"])])
    error_message = "At least one node group must have no NO_SCHEDULE or NO_EXECUTE taint: CoreDNS and the other add-ons run there."
  }
}

variable "addons" {
  description = "Versions of the managed add-ons by EKS name: vpc-cni, kube-proxy and coredns are always installed (at EKS's default version for the cluster where none is given), aws-ebs-csi-driver only when it has a version (with an IRSA role for its controller)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name, version in var.addons : contains(["coredns", "kube-proxy", "vpc-cni", "aws-ebs-csi-driver"], name) && can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", version))])
    error_message = "addons maps coredns, kube-proxy, vpc-cni or aws-ebs-csi-driver to a version such as \"v1.10.1-eksbuild.13\"."
  }
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

variable "cluster_autoscaler" {
  description = "The cluster autoscaler's IAM role: its name (null: a generated one) and the service account (namespace, name) that may assume it."
  type = object({
    role_name       = optional(string)
    namespace       = optional(string, "kube-system")
    service_account = optional(string, "cluster-autoscaler")
  })
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
