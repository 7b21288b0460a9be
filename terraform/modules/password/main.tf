# A password drawn by Secrets Manager as an ephemeral value: never in the state or the plan, so
# it can only go to write-only attributes (RDS's password_wo, a secret's secret_string_wo).
#
# Its own module so that `terraform test` can plan the stack: Terraform 1.11's mocked providers
# cannot open ephemeral resources (hashicorp/terraform#38608), and the stack's plan test swaps
# this module for terraform/stack/tests/doubles/password, which has the same interface.
ephemeral "aws_secretsmanager_random_password" "this" {
  password_length     = var.length
  exclude_punctuation = var.exclude_punctuation
  include_space       = false
}
