variable "name" {
  description = "Name prefix for every resource, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC (prefix /16 to /24)."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix from /16 to /24."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over (at least two, distinct)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones."
  }
}

variable "public_subnet_cidrs" {
  description = "One public subnet CIDR per availability zone, in zone order (ALB, NAT gateways, bastion)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.public_subnet_cidrs) == length(var.availability_zones) && alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "public_subnet_cidrs must hold one valid CIDR block per availability zone."
  }
}

variable "private_subnet_cidrs" {
  description = "One private subnet CIDR per availability zone, in zone order (EKS nodes)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.private_subnet_cidrs) == length(var.availability_zones) && alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "private_subnet_cidrs must hold one valid CIDR block per availability zone."
  }
}

variable "database_subnet_cidrs" {
  description = "One isolated database subnet CIDR per availability zone, in zone order (RDS, ElastiCache)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.database_subnet_cidrs) == length(var.availability_zones) && alltrue([for c in var.database_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "database_subnet_cidrs must hold one valid CIDR block per availability zone."
  }
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway shared by all zones (cheaper); false: one NAT gateway per zone (zone-independent egress)."
  type        = bool
  nullable    = false
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs (ALL traffic) to a KMS-encrypted CloudWatch log group."
  type        = bool
  nullable    = false
}

variable "interface_endpoints" {
  description = "AWS services reached through interface endpoints in the private subnets, by the end of their service name (ecr.api, ecr.dkr, logs, monitoring, sts, secretsmanager)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.interface_endpoints : contains(["ecr.api", "ecr.dkr", "logs", "monitoring", "sts", "secretsmanager"], e)])
    error_message = "interface_endpoints may hold ecr.api, ecr.dkr, logs, monitoring, sts and secretsmanager."
  }
}

variable "log_retention_days" {
  description = "Retention of the flow-log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "eks_cluster_name" {
  description = "Name of the EKS cluster that uses this VPC; subnets get the kubernetes.io tags the AWS Load Balancer Controller discovers."
  type        = string
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
