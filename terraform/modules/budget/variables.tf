variable "name" {
  description = "Name prefix, e.g. \"expense-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 80
    error_message = "name must be 1-80 characters."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost limit in US dollars."
  type        = number
  nullable    = false

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be greater than 0."
  }
}

variable "alert_emails" {
  description = "E-mail addresses notified at 80 % and 100 % of actual and 100 % of forecasted spend (at most 10)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.alert_emails) >= 1 && length(var.alert_emails) <= 10 && alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must hold 1-10 valid e-mail addresses."
  }
}

variable "alert_amounts_usd" {
  description = "Absolute monthly amounts in US dollars that alert alert_emails when actual spend passes them (at most 5, ascending)."
  type        = list(number)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.alert_amounts_usd) <= 5 && alltrue([for a in var.alert_amounts_usd : a > 0])
    error_message = "alert_amounts_usd must hold at most 5 amounts, each greater than 0."
  }
}

variable "cost_filter_tags" {
  description = "Only costs carrying one of these cost-allocation tag pairs count (tag key => value; AWS ORs the values), e.g. { Environment = \"prod\" }. Empty: the whole account."
  type        = map(string)
  default     = {}
  nullable    = false
}
