# Only typed variable blocks, no providers or resources: `terraform plan -var-file=X` here
# type-checks a tfvars file offline.
variable "environment" {
  type = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "service" {
  type = object({
    desired_size       = number
    availability_zones = list(string)
    port               = optional(number, 8080)
  })
}
