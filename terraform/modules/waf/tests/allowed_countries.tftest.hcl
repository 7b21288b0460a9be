# The allow list of countries becomes one rule, first of all, that blocks every request whose
# origin country is not listed; without a list there is no such rule. Planned against a mocked
# AWS API.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name               = "money-tracking-prod"
  rate_limit         = 2000
  log_retention_days = 30
  allowed_countries  = ["CA", "GB", "US"]
}

run "listed_countries_pass_and_every_other_is_blocked_first" {
  command = plan

  assert {
    condition     = length([for rule in aws_wafv2_web_acl.this.rule : rule if rule.name == "allowed-countries-only"]) == 1
    error_message = "the web ACL must carry one geo rule"
  }

  assert {
    condition = alltrue([for rule in aws_wafv2_web_acl.this.rule : (
      rule.priority == 0
      && length(rule.action[0].block) == 1
      && jsonencode(rule.statement[0].not_statement[0].statement[0].geo_match_statement[0].country_codes) == jsonencode(["CA", "GB", "US"])
    ) if rule.name == "allowed-countries-only"])
    error_message = "the geo rule must block, first, what is not in exactly the listed countries"
  }

  assert {
    condition     = length(distinct([for rule in aws_wafv2_web_acl.this.rule : rule.priority])) == length(aws_wafv2_web_acl.this.rule)
    error_message = "every rule must have a priority of its own"
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this.rule) == 5
    error_message = "the geo rule comes besides the rate limit and the three managed rule groups"
  }
}

run "no_list_no_geo_rule" {
  command = plan

  variables {
    allowed_countries = []
  }

  assert {
    condition     = length([for rule in aws_wafv2_web_acl.this.rule : rule if rule.name == "allowed-countries-only"]) == 0 && length(aws_wafv2_web_acl.this.rule) == 4
    error_message = "without an allow list the web ACL must have no geo rule"
  }
}

run "a_code_that_is_not_iso_is_refused" {
  command = plan

  variables {
    allowed_countries = ["US", "uk"]
  }

  expect_failures = [var.allowed_countries]
}

run "a_country_listed_twice_is_refused" {
  command = plan

  variables {
    allowed_countries = ["US", "US"]
  }

  expect_failures = [var.allowed_countries]
}
