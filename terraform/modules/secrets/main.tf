# The platform's own secrets (the spec's [secrets]): created empty, encrypted with a
# customer-managed key of their own; their values are put by whoever issues them
# (`aws secretsmanager put-secret-value`), never by Terraform, so no value is in its state.

module "key" {
  source = "../kms"

  name        = "${var.name}-secrets"
  description = "Encrypts the platform secrets of ${var.name}"
  tags        = var.tags
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:These hold credentials other parties issue (API keys, tokens); their issuer rotates them and the value is put again. The database password rotates through the rds module (password_version).
  for_each = var.secrets

  name                    = each.value.name
  description             = each.value.description
  kms_key_id              = module.key.key_arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}
