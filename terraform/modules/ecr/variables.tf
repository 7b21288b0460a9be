variable "repository_name" {
  description = "Name of the ECR repository, e.g. \"expense-backend\"."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.repository_name) >= 2 && length(var.repository_name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be 2-256 characters: lower-case letters and digits separated by '.', '_', '-' or '/'."
  }
}

variable "untagged_image_expiry_days" {
  description = "Days after which untagged images are deleted."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_image_expiry_days >= 1 && floor(var.untagged_image_expiry_days) == var.untagged_image_expiry_days
    error_message = "untagged_image_expiry_days must be a whole number >= 1."
  }
}

variable "max_tagged_images" {
  description = "How many tagged images to keep (older ones are deleted)."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.max_tagged_images >= 1 && floor(var.max_tagged_images) == var.max_tagged_images
    error_message = "max_tagged_images must be a whole number >= 1."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
