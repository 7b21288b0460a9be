variable "github_repository" {
  description = "GitHub repository allowed to assume the role, as \"owner/name\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/name\" (no wildcards)."
  }
}

variable "role_name" {
  description = "Name of the IAM role GitHub Actions assumes."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. Set false when another stack in the same account already owns it."
  type        = bool
  default     = true
  nullable    = false
}

variable "ecr_repository_arns" {
  description = "ECR repositories the workflows may push to and pull from."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.ecr_repository_arns) >= 1
    error_message = "ecr_repository_arns must name at least one repository."
  }
}

variable "eks_cluster_arns" {
  description = "EKS clusters the workflows may describe (to build a kubeconfig)."
  type        = list(string)
  nullable    = false
}

variable "max_session_duration" {
  description = "Maximum session length of the role in seconds."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be from 3600 to 43200 seconds."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
