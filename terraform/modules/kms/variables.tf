variable "name" {
  description = "Alias of the key without the \"alias/\" prefix, e.g. \"expense-dev-rds\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.name)) && !startswith(var.name, "aws/")
    error_message = "name must be 1-250 characters of [A-Za-z0-9/_-] and must not start with \"aws/\"."
  }
}

variable "description" {
  description = "What the key protects."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.description) > 0 && length(var.description) <= 8192
    error_message = "description must be 1-8192 characters."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number from 7 to 30."
  }
}

variable "allow_cloudwatch_logs" {
  description = "Let the CloudWatch Logs service of this region use the key for log groups of this account."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the key."
  type        = map(string)
  default     = {}
  nullable    = false
}
