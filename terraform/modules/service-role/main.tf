locals {
  issuer_host = trimprefix(var.oidc_issuer_url, "https://")
}

data "aws_region" "current" {}

# IRSA: only the one service account of the one namespace can assume the role. Written out (not
# a policy document data source) so a plan shows whom it trusts.
locals {
  trust = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = var.oidc_provider_arn }
      Condition = {
        StringEquals = {
          "${local.issuer_host}:aud" = "sts.amazonaws.com"
          "${local.issuer_host}:sub" = "system:serviceaccount:${var.namespace}:${var.service_account}"
        }
      }
    }]
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = coalesce(var.description, "Pods of ${var.namespace}/${var.service_account}: the service's secrets and buckets")
  assume_role_policy = jsonencode(local.trust)

  tags = var.tags
}

data "aws_iam_policy_document" "permissions" {
  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []

    content {
      sid       = "ReadServiceSecrets"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      resources = var.secret_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptThroughSecretsManager"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = var.kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.bucket_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "UseBucketKeysThroughS3"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = var.bucket_kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  count = length(var.secret_arns) + length(var.bucket_kms_key_arns) > 0 ? 1 : 0

  name   = "read-service-secrets"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

# The buckets the service reaches, by the names the spec gives them: objects to read, or to
# read and write, and listing each bucket. Written out here (not a policy document data
# source) so the plan shows it whole.
locals {
  bucket_statements = concat(
    length(var.bucket_arns.read) + length(var.bucket_arns.read_write) > 0 ? [{
      Sid      = "ListBuckets"
      Effect   = "Allow"
      Action   = ["s3:ListBucket"]
      Resource = sort(concat(var.bucket_arns.read, var.bucket_arns.read_write))
    }] : [],
    length(var.bucket_arns.read) > 0 ? [{
      Sid      = "ReadObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = [for arn in sort(var.bucket_arns.read) : "${arn}/*"]
    }] : [],
    length(var.bucket_arns.read_write) > 0 ? [{
      Sid      = "ReadWriteObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      Resource = [for arn in sort(var.bucket_arns.read_write) : "${arn}/*"]
    }] : [],
  )
}

resource "aws_iam_role_policy" "buckets" {
  count = length(local.bucket_statements) > 0 ? 1 : 0

  name = "reach-service-buckets"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.bucket_statements
  })
}

# Whatever else the workload needs, as whole policy documents (a cluster add-on's own policy).
resource "aws_iam_role_policy" "extra" {
  for_each = var.policies

  name   = each.key
  role   = aws_iam_role.this.id
  policy = each.value
}
