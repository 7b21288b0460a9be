variable "length" {
  description = "Number of characters."
  type        = number

  validation {
    condition     = var.length >= 16 && var.length <= 128
    error_message = "length must be between 16 and 128."
  }
}

variable "exclude_punctuation" {
  description = "Letters and digits only (RDS refuses '/', '@', '\"' and spaces in a master password)."
  type        = bool
  default     = true
}
