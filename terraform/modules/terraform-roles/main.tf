# No data source here: the stack makes this module wait for the OIDC provider (depends_on), which
# would defer any data source to the apply and leave the trust policies unknown in the plan.
locals {
  github_oidc_host = "token.actions.githubusercontent.com"
  partition        = var.partition
  state_bucket_arn = "arn:${local.partition}:s3:::${var.state.bucket}"

  # Each role's trust: only the exact subjects given, only with the STS audience; jsonencode
  # rather than a policy document, so the plan shows them.
  trust = {
    for role, subjects in { plan = var.plan_role.subjects, apply = var.apply_role.subjects } :
    role => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Action    = "sts:AssumeRoleWithWebIdentity"
        Principal = { Federated = var.oidc_provider_arn }
        Condition = {
          StringEquals = {
            "${local.github_oidc_host}:aud" = "sts.amazonaws.com"
            "${local.github_oidc_host}:sub" = subjects
          }
        }
      }]
    })
  }
}

# ---------------------------------------------------------------- plan: read-only

# Trusted by pull requests and the deploying branches of one repository (local.trust).
resource "aws_iam_role" "plan" {
  name                 = var.plan_role.name
  description          = "Terraform plans of ${var.github_repository} through GitHub OIDC: read-only"
  assume_role_policy   = local.trust["plan"]
  max_session_duration = 3600

  tags = var.tags
}

# Refreshing every resource of the stack reads every service's configuration.
resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# What ReadOnlyAccess lacks for a plan (the environment's state and its lock, the values of the
# secrets the stack writes, a drawn password) and what it grants that a plan never needs (the
# objects of the spec's buckets).
resource "aws_iam_role_policy" "plan" {
  name = "terraform-plan"
  role = aws_iam_role.plan.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "StateList"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = [local.state_bucket_arn]
        },
        {
          Sid      = "StateRead"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.state_bucket_arn}/${var.state.key}"]
        },
        {
          Sid      = "StateLock"
          Effect   = "Allow"
          Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
          Resource = [var.state.lock_table_arn]
        },
        {
          # The state key, found by its alias: the bootstrap's key is not known here.
          Sid      = "StateKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
          Resource = ["arn:${local.partition}:kms:*:*:key/*"]
          Condition = {
            "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = [var.state.kms_alias] }
          }
        },
        {
          Sid      = "DrawPassword"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetRandomPassword"] # account-level action: no resource
          Resource = ["*"]
        },
      ],
      length(var.readable_secret_arns) == 0 ? [] : [
        {
          Sid      = "StackSecrets"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = var.readable_secret_arns
        },
        {
          Sid      = "StackSecretKeys"
          Effect   = "Allow"
          Action   = ["kms:Decrypt"]
          Resource = var.readable_kms_key_arns
        },
      ],
      length(var.denied_bucket_names) == 0 ? [] : [
        {
          Sid      = "NoBucketObjects"
          Effect   = "Deny"
          Action   = ["s3:GetObject", "s3:GetObjectVersion"]
          Resource = [for name in var.denied_bucket_names : "arn:${local.partition}:s3:::${name}/*"]
        },
      ],
    )
  })
}

# ---------------------------------------------------------------- apply: administrator

resource "aws_iam_role" "apply" {
  name                 = var.apply_role.name
  description          = "Terraform applies of ${var.github_repository} through GitHub OIDC, from its GitHub environments"
  assume_role_policy   = local.trust["apply"]
  max_session_duration = var.apply_max_session_duration

  tags = var.tags
}

# The stack creates IAM roles, KMS keys, clusters and networks: only administrator rights can
# apply it. The README states the blast radius; the trust above is what narrows it.
resource "aws_iam_role_policy_attachment" "apply_administrator" {
  #checkov:skip=CKV_AWS_274:The apply role applies the whole stack (IAM, KMS, EKS, VPC); only environment-scoped OIDC subjects may assume it
  role       = aws_iam_role.apply.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
}
