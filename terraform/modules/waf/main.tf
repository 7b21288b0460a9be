locals {
  metric_prefix = replace(var.name, "-", "")

  managed_rule_groups = {
    # priority => AWS managed rule group
    "2" = "AWSManagedRulesCommonRuleSet"
    "3" = "AWSManagedRulesKnownBadInputsRuleSet" # includes Log4j (Log4JRCE)
    "4" = "AWSManagedRulesSQLiRuleSet"
  }
}

resource "aws_wafv2_web_acl" "this" {
  name        = "${var.name}-waf"
  description = "Rate limit per IP and AWS managed rules for ${var.name}"
  scope       = var.scope

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.rate_limit
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.metric_prefix}RateLimit"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.managed_rule_groups

    content {
      name     = rule.value
      priority = tonumber(rule.key)

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          name        = rule.value
          vendor_name = "AWS"
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}${rule.value}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.metric_prefix}WebAcl"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

module "kms" {
  source = "../kms"

  name                  = "${var.name}-waf-logs"
  description           = "Encrypts the WAF logs of ${var.name}"
  allow_cloudwatch_logs = true
  tags                  = var.tags
}

# WAF requires the log group name to start with "aws-waf-logs-".
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment by the spec (log_retention_days) to balance cost and audit needs; not every environment keeps a year.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]

  # Credentials never reach the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
