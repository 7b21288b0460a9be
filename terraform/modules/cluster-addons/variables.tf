variable "cluster_name" {
  description = "Name of the EKS cluster the add-ons run in."
  type        = string
  nullable    = false
}

variable "oidc_provider_arn" {
  description = "IAM OIDC provider of the cluster (eks module output oidc_provider_arn)."
  type        = string
  nullable    = false
}

variable "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster (eks module output oidc_issuer_url)."
  type        = string
  nullable    = false
}

variable "roles" {
  description = "The add-ons' IAM roles: the name of each and the service account (namespace, name) that may assume it, as the add-ons' generated values annotate them."
  type = object({
    load_balancer_controller = object({ name = string, namespace = string, service_account = string })
    fluent_bit               = object({ name = string, namespace = string, service_account = string })
  })
  nullable = false
}

variable "log_group_name" {
  description = "CloudWatch log group of the containers' logs (Fluent Bit's output)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#-]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be 1-512 characters of letters, digits and _-./#."
  }
}

variable "log_retention_days" {
  description = "Retention of the containers' log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the log group (one CloudWatch Logs may use, e.g. the eks module's kms_key_arn)."
  type        = string
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
