data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  log_group = "arn:${local.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${var.log_group_name}"
}

# Every container's log, shipped by Fluent Bit, kept as long as the environment's other logs.
resource "aws_cloudwatch_log_group" "containers" {
  #checkov:skip=CKV_AWS_338:Retention is the spec's per-environment choice (log_retention_days), balancing cost against audit needs; long-term archives belong in S3, not CloudWatch.
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

# The AWS Load Balancer Controller: the ALBs of the Ingresses, their target groups and security
# groups, with the IAM policy the controller's project publishes for its release (v3.5.0,
# docs/install/iam_policy.json), in this partition.
module "load_balancer_controller_role" {
  source = "../service-role"

  name              = var.roles.load_balancer_controller.name
  description       = "AWS Load Balancer Controller of ${var.cluster_name} (${var.roles.load_balancer_controller.namespace}/${var.roles.load_balancer_controller.service_account})"
  oidc_provider_arn = var.oidc_provider_arn
  oidc_issuer_url   = var.oidc_issuer_url
  namespace         = var.roles.load_balancer_controller.namespace
  service_account   = var.roles.load_balancer_controller.service_account
  secret_arns       = []
  kms_key_arns      = []
  policies = {
    aws-load-balancer-controller = replace(file("${path.module}/aws-load-balancer-controller-policy.json"), "arn:aws:", "arn:${local.partition}:")
  }
  tags = var.tags
}

# Fluent Bit: log streams and events in the containers' group, nothing else (the group is
# Terraform's, so it may neither create one nor set a retention).
module "fluent_bit_role" {
  source = "../service-role"

  name              = var.roles.fluent_bit.name
  description       = "Fluent Bit of ${var.cluster_name} (${var.roles.fluent_bit.namespace}/${var.roles.fluent_bit.service_account}): writes ${var.log_group_name}"
  oidc_provider_arn = var.oidc_provider_arn
  oidc_issuer_url   = var.oidc_issuer_url
  namespace         = var.roles.fluent_bit.namespace
  service_account   = var.roles.fluent_bit.service_account
  secret_arns       = []
  kms_key_arns      = []
  policies = {
    ship-container-logs = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid      = "WriteContainerLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = [local.log_group, "${local.log_group}:log-stream:*"]
      }]
    })
  }
  tags = var.tags
}
