variable "name" {
  description = "Name of the IAM role, e.g. \"expense-dev-expense-backend\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "oidc_provider_arn" {
  description = "IAM OIDC provider of the EKS cluster (eks module output oidc_provider_arn)."
  type        = string
  nullable    = false
}

variable "oidc_issuer_url" {
  description = "OIDC issuer URL of the EKS cluster (eks module output oidc_issuer_url)."
  type        = string
  nullable    = false

  validation {
    condition     = startswith(var.oidc_issuer_url, "https://")
    error_message = "oidc_issuer_url must start with https://."
  }
}

variable "namespace" {
  description = "Kubernetes namespace of the service account."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "service_account" {
  description = "Name of the Kubernetes service account the service's pods run as."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", var.service_account))
    error_message = "service_account must be a DNS subdomain name."
  }
}

variable "secret_arns" {
  description = "Secrets Manager secrets the service may read (database credentials, Redis AUTH token)."
  type        = list(string)
  nullable    = false
}

variable "kms_key_arns" {
  description = "KMS keys that encrypt those secrets (decrypt only, and only through Secrets Manager)."
  type        = list(string)
  nullable    = false
}

variable "bucket_arns" {
  description = "S3 buckets whose objects the service reads (read) or reads, writes and deletes (read_write); it may list both."
  type = object({
    read       = list(string)
    read_write = list(string)
  })
  default  = { read = [], read_write = [] }
  nullable = false

  validation {
    condition     = alltrue([for arn in concat(var.bucket_arns.read, var.bucket_arns.read_write) : can(regex("^arn:[^:]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn))])
    error_message = "bucket_arns must hold bucket ARNs (arn:<partition>:s3:::<name>)."
  }
}

variable "bucket_kms_key_arns" {
  description = "KMS keys of those buckets (SSE-KMS): used only through S3."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "policies" {
  description = "Further inline policies of the role, by name: whole IAM policy documents (JSON), for a workload whose needs are not secrets and buckets (a cluster add-on)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "description" {
  description = "Description of the role; null: the pods of the service account, reaching the service's secrets and buckets."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to the role."
  type        = map(string)
  default     = {}
  nullable    = false
}
