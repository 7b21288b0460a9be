variable "name" {
  description = "The bucket's name, <project>-<environment>-<purpose>."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lower-case letters, digits and hyphens."
  }
}

variable "versioned" {
  description = "Keep every version of every object (noncurrent versions expire after 30 days)."
  type        = bool
  nullable    = false
}

variable "kms" {
  description = "Encrypt with a customer-managed KMS key of the bucket's own (rotated yearly); false: SSE-S3."
  type        = bool
  nullable    = false
}

variable "glacier_after_days" {
  description = "Move objects to S3 Glacier Flexible Retrieval this many days after creation (null: never)."
  type        = number

  validation {
    condition     = var.glacier_after_days == null || try(var.glacier_after_days >= 1, false)
    error_message = "glacier_after_days must be at least 1, or null."
  }
}

variable "expire_after_days" {
  description = "Delete objects this many days after creation (null: never)."
  type        = number

  validation {
    condition     = var.expire_after_days == null || try(var.expire_after_days >= 1, false)
    error_message = "expire_after_days must be at least 1, or null."
  }

  validation {
    condition     = var.expire_after_days == null || var.glacier_after_days == null || try(var.glacier_after_days < var.expire_after_days, false)
    error_message = "objects must move to Glacier before they expire."
  }
}

variable "cors_origins" {
  description = "Origins browsers may use the bucket from (GET, PUT, POST, HEAD); empty: no CORS."
  type        = list(string)
  nullable    = false
}

variable "alb_access_logs" {
  description = "Let the region's Elastic Load Balancing account write access logs under alb/ (needs SSE-S3)."
  type        = bool
  nullable    = false

  validation {
    condition     = !(var.alb_access_logs && var.kms)
    error_message = "ALB access logs can only be written to an SSE-S3 bucket (kms = false)."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  nullable    = false
}
