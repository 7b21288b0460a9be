locals {
  notifications = [
    { type = "ACTUAL", threshold = 80 },
    { type = "ACTUAL", threshold = 100 },
    { type = "FORECASTED", threshold = 100 },
  ]
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = length(var.cost_filter_tags) > 0 ? [1] : []

    content {
      name   = "TagKeyValue"
      values = [for k, v in var.cost_filter_tags : format("user:%s$%s", k, v)] # e.g. user:Environment$prod
    }
  }

  dynamic "notification" {
    for_each = local.notifications

    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      notification_type          = notification.value.type
      subscriber_email_addresses = var.alert_emails
    }
  }
}

# The spec's absolute amounts (budget.alert_amounts_usd), each an alert on actual spend. A budget
# holds at most five notifications and the one above has three, so they have a budget of their
# own, filtered the same way, whose limit is the highest amount.
resource "aws_budgets_budget" "amounts" {
  count = length(var.alert_amounts_usd) > 0 ? 1 : 0

  name         = "${var.name}-monthly-amounts"
  budget_type  = "COST"
  limit_amount = format("%.2f", max(var.alert_amounts_usd...))
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = length(var.cost_filter_tags) > 0 ? [1] : []

    content {
      name   = "TagKeyValue"
      values = [for k, v in var.cost_filter_tags : format("user:%s$%s", k, v)]
    }
  }

  dynamic "notification" {
    for_each = var.alert_amounts_usd

    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value
      threshold_type             = "ABSOLUTE_VALUE"
      notification_type          = "ACTUAL"
      subscriber_email_addresses = var.alert_emails
    }
  }
}
