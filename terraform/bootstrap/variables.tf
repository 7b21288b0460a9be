variable "project_name" {
  description = "Project identifier from the spec (e.g. \"expense\"); prefixes the state bucket and lock table."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.project_name))
    error_message = "project_name must be 1-20 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "aws_region" {
  description = "Region of the state bucket and lock table."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like \"us-east-1\"."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which old (noncurrent) state versions are deleted; they move to STANDARD_IA after 30 and GLACIER after 90 days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days > 90 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number greater than 90."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
