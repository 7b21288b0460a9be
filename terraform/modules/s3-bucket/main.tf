# One S3 bucket of the environment: private (every public access blocked, ACLs off), TLS only,
# encrypted (SSE-S3, or a KMS key of its own), the spec's lifecycle, and optionally the target
# of the load balancer's access logs.

data "aws_elb_service_account" "this" {}

module "kms" {
  source = "../kms"
  count  = var.kms ? 1 : 0

  name        = "${var.name}-s3"
  description = "Encrypts the objects of the S3 bucket ${var.name}"
  tags        = var.tags
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs would go to the environment's logs bucket, which cannot log into itself; object-level audit is CloudTrail's data events, an account-level choice outside this stack.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a per-bucket disaster recovery choice the spec does not make yet; the database's backups are copied by RDS (database.backup_copy_region).
  #checkov:skip=CKV2_AWS_62:Event notifications are for consumers of the bucket's events; the platform declares none.
  #checkov:skip=CKV_AWS_145:Encryption is the spec's per-bucket choice (encryption = "sse-s3" or "sse-kms"); ALB access logs can only be written to SSE-S3 buckets.
  #checkov:skip=CKV_AWS_21:Versioning is the spec's per-bucket choice (versioned): reports and logs expire and are not kept in versions.
  bucket        = var.name
  force_destroy = false

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: the bucket policy alone grants access
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count  = var.versioned ? 1 : 0
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms ? module.kms[0].key_arn : null
    }
    bucket_key_enabled = var.kms
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "lifecycle"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    dynamic "transition" {
      for_each = var.glacier_after_days == null ? [] : [var.glacier_after_days]

      content {
        days          = transition.value
        storage_class = "GLACIER"
      }
    }

    dynamic "expiration" {
      for_each = var.expire_after_days == null ? [] : [var.expire_after_days]

      content {
        days = expiration.value
      }
    }

    # Versions replaced or deleted are kept 30 days, then removed; in Glacier as the current
    # ones are when the bucket moves objects there.
    dynamic "noncurrent_version_transition" {
      for_each = var.versioned && var.glacier_after_days != null ? [1] : []

      content {
        noncurrent_days = 1
        storage_class   = "GLACIER"
      }
    }

    dynamic "noncurrent_version_expiration" {
      for_each = var.versioned ? [1] : []

      content {
        noncurrent_days = 30
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_cors_configuration" "this" {
  count  = length(var.cors_origins) > 0 ? 1 : 0
  bucket = aws_s3_bucket.this.id

  cors_rule {
    allowed_methods = ["GET", "PUT", "POST", "HEAD"]
    allowed_origins = var.cors_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # The load balancer's access logs: the region's Elastic Load Balancing account writes under
  # the alb/ prefix, nothing else.
  dynamic "statement" {
    for_each = var.alb_access_logs ? [1] : []

    content {
      sid       = "AlbAccessLogs"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this.arn}/alb/*"]

      principals {
        type        = "AWS"
        identifiers = [data.aws_elb_service_account.this.arn]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
