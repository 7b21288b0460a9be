variable "name" {
  description = "Name prefix, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "scope" {
  description = "REGIONAL (ALB, the default) or CLOUDFRONT."
  type        = string
  default     = "REGIONAL"
  nullable    = false

  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.scope)
    error_message = "scope must be REGIONAL or CLOUDFRONT."
  }
}

variable "rate_limit" {
  description = "Requests one IP may send in a 5-minute window before it is blocked."
  type        = number
  nullable    = false

  validation {
    condition     = var.rate_limit >= 100 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number from 100 to 2000000000."
  }
}

variable "allowed_countries" {
  description = "The only countries requests may come from (ISO 3166-1 alpha-2 codes); a rule blocks every request whose origin country is not listed. Empty: no geo rule."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for code in var.allowed_countries : can(regex("^[A-Z]{2}$", code))])
    error_message = "allowed_countries must be ISO 3166-1 alpha-2 codes, such as \"US\" or \"GB\"."
  }

  validation {
    condition     = length(distinct(var.allowed_countries)) == length(var.allowed_countries)
    error_message = "allowed_countries must list each country once."
  }
}

variable "log_retention_days" {
  description = "Retention of the WAF log group, in days (a value CloudWatch Logs accepts)."
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
