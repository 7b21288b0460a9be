variable "name" {
  description = "Name prefix of the key's alias, e.g. \"money-tracking-prod\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "secrets" {
  description = "The secrets by their name in the spec: each its Secrets Manager name and description."
  type = map(object({
    name        = string
    description = string
  }))
  nullable = false

  validation {
    condition     = alltrue([for secret in values(var.secrets) : can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", secret.name))])
    error_message = "every secrets[*].name must be 1-512 characters of letters, digits and /_+=.@-."
  }

  validation {
    condition     = alltrue([for secret in values(var.secrets) : length(secret.description) >= 1 && length(secret.description) <= 2048])
    error_message = "every secrets[*].description must be 1-2048 characters."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (7-30)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30 && floor(var.recovery_window_in_days) == var.recovery_window_in_days
    error_message = "recovery_window_in_days must be a whole number from 7 to 30."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
