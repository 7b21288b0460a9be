variable "github_repository" {
  description = "GitHub repository whose workflows may assume the roles, as \"owner/name\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/name\" (no wildcards)."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC provider (arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com)."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.oidc_provider_arn, ":oidc-provider/token.actions.githubusercontent.com")
    error_message = "oidc_provider_arn must be the ARN of GitHub's OIDC provider."
  }
}

variable "partition" {
  description = "The AWS partition of the account (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
  nullable    = false
}

variable "plan_role" {
  description = "The read-only plan role: its name and the exact OIDC subjects (repo:<owner/name>:...) it trusts."
  type = object({
    name     = string
    subjects = list(string)
  })
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.plan_role.name))
    error_message = "plan_role.name must be 1-64 characters of letters, digits and +=,.@_-."
  }

  validation {
    condition     = length(var.plan_role.subjects) > 0 && alltrue([for subject in var.plan_role.subjects : startswith(subject, "repo:${var.github_repository}:") && !strcontains(subject, "*")])
    error_message = "plan_role.subjects must be subjects of github_repository, without wildcards."
  }
}

variable "apply_role" {
  description = "The administrator apply role: its name and the exact OIDC subjects (repo:<owner/name>:environment:<name>) it trusts."
  type = object({
    name     = string
    subjects = list(string)
  })
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.apply_role.name))
    error_message = "apply_role.name must be 1-64 characters of letters, digits and +=,.@_-."
  }

  validation {
    condition     = length(var.apply_role.subjects) > 0 && alltrue([for subject in var.apply_role.subjects : startswith(subject, "repo:${var.github_repository}:environment:") && !strcontains(subject, "*")])
    error_message = "apply_role.subjects must be GitHub environments of github_repository (repo:<owner/name>:environment:<name>), without wildcards."
  }
}

variable "state" {
  description = "Where the environment's state lives (terraform/bootstrap): bucket name, object key, lock table ARN, alias of the state's KMS key."
  type = object({
    bucket         = string
    key            = string
    lock_table_arn = string
    kms_alias      = string
  })
  nullable = false
}

variable "readable_secret_arns" {
  description = "Secrets whose values the stack writes (a plan refreshes them): the plan role reads them."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "readable_kms_key_arns" {
  description = "The keys of readable_secret_arns."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "denied_bucket_names" {
  description = "Buckets whose objects the plan role may not read (ReadOnlyAccess would allow it)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "apply_max_session_duration" {
  description = "Maximum session length of the apply role in seconds (an apply that creates a cluster and a database takes long)."
  type        = number
  default     = 7200
  nullable    = false

  validation {
    condition     = var.apply_max_session_duration >= 3600 && var.apply_max_session_duration <= 43200
    error_message = "apply_max_session_duration must be from 3600 to 43200 seconds."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
