variable "name" {
  description = "Name prefix for every security group, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC that holds the security groups."
  type        = string
  nullable    = false
}

variable "service_ports" {
  description = "Container ports of the services; the only ports the ALB may reach on the nodes (pods use the node security group)."
  type        = list(number)
  nullable    = false

  validation {
    condition     = length(var.service_ports) >= 1 && alltrue([for port in var.service_ports : port >= 1 && port <= 65535 && floor(port) == port])
    error_message = "service_ports must hold at least one whole number from 1 to 65535, and only such numbers."
  }
}

variable "database_engine" {
  description = "RDS engine, which decides the database port: mysql (3306) or postgres (5432)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["mysql", "postgres"], var.database_engine)
    error_message = "database_engine must be \"mysql\" or \"postgres\"."
  }
}

variable "bastion_enabled" {
  description = "Create the bastion security group and its rules."
  type        = bool
  nullable    = false
}

variable "bastion_allowed_cidrs" {
  description = "CIDR blocks (office, VPN) allowed to reach the bastion on SSH. Never 0.0.0.0/0."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for c in var.bastion_allowed_cidrs : can(cidrhost(c, 0)) && !contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "bastion_allowed_cidrs must be valid CIDR blocks and must not contain 0.0.0.0/0 or ::/0."
  }
}

variable "tags" {
  description = "Tags applied to every security group."
  type        = map(string)
  default     = {}
  nullable    = false
}
