variable "timestamp" {
  description = "The moment to read, RFC 3339 in UTC (the stack passes plantimestamp(), so a saved plan applies the generation it showed)."
  type        = string
  nullable    = false

  validation {
    condition     = can(formatdate("YYYY", var.timestamp)) && endswith(var.timestamp, "Z")
    error_message = "timestamp must be an RFC 3339 time in UTC (ending in Z), as plantimestamp() gives."
  }
}

variable "password_version" {
  description = "The spec's generation of the password (database.password_version): raising it rotates at once."
  type        = number
  nullable    = false

  validation {
    condition     = var.password_version >= 1 && floor(var.password_version) == var.password_version
    error_message = "password_version must be a whole number from 1."
  }
}

variable "rotation_days" {
  description = "Days between automatic rotations (database.password_rotation_days); null or 0: rotated by password_version only."
  type        = number
  nullable    = true

  validation {
    condition     = var.rotation_days == null ? true : (var.rotation_days == 0 || (var.rotation_days >= 1 && var.rotation_days <= 365 && floor(var.rotation_days) == var.rotation_days))
    error_message = "rotation_days must be null or 0 (off), or a whole number of days from 1 to 365."
  }
}
