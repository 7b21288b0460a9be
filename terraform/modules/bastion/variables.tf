variable "name" {
  description = "Name prefix, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the bastion, e.g. \"t3.small\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like \"t3.small\"."
  }
}

variable "subnet_id" {
  description = "Public subnet of the bastion."
  type        = string
  nullable    = false
}

variable "security_group_id" {
  description = "Bastion security group (from the security-groups module): SSH only from the allowed CIDRs."
  type        = string
  nullable    = false
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter that names the current AMI (Amazon Linux 2023 by default, patched by AWS)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  nullable    = false
}

variable "key_name" {
  description = "Optional EC2 key pair. Leave null and use SSM Session Manager or EC2 Instance Connect instead of long-lived keys."
  type        = string
  default     = null
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted gp3 root volume in GiB."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.root_volume_size_gb >= 8 && floor(var.root_volume_size_gb) == var.root_volume_size_gb
    error_message = "root_volume_size_gb must be a whole number of at least 8."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
