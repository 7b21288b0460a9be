data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # On-demand / spot split: the on-demand share is rounded up so a small cluster always keeps
  # on-demand capacity; the spot group gets the rest. Sizes stay min <= desired <= max per group.
  on_demand_percent  = var.enable_spot_instances ? 100 - var.spot_percentage : 100
  on_demand_desired  = ceil(var.node_desired_size * local.on_demand_percent / 100)
  on_demand_min      = ceil(var.node_min_size * local.on_demand_percent / 100)
  on_demand_max      = ceil(var.node_max_size * local.on_demand_percent / 100)
  spot_desired       = var.node_desired_size - local.on_demand_desired
  spot_min           = var.node_min_size - local.on_demand_min
  spot_max           = var.node_max_size - local.on_demand_max
  control_plane_logs = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  node_groups = {
    for k, v in {
      on-demand = { capacity_type = "ON_DEMAND", desired = local.on_demand_desired, min = local.on_demand_min, max = local.on_demand_max }
      spot      = { capacity_type = "SPOT", desired = local.spot_desired, min = local.spot_min, max = local.spot_max }
    } : k => v if v.max > 0
  }
}

# ---------------------------------------------------------------- encryption and logs

module "kms" {
  source = "../kms"

  name                  = "${var.cluster_name}-eks"
  description           = "Encrypts Kubernetes secrets and the control-plane logs of ${var.cluster_name}"
  allow_cloudwatch_logs = true
  tags                  = var.tags
}

# Created before the cluster so EKS writes into a group with retention and KMS.
resource "aws_cloudwatch_log_group" "cluster" {
  #checkov:skip=CKV_AWS_338:Retention is the spec's per-environment choice (log_retention_days), balancing cost against audit needs; long-term archives belong in S3, not CloudWatch.
  name              = "/aws/eks/${var.cluster_name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

# ---------------------------------------------------------------- cluster

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name_prefix        = "${substr(var.cluster_name, 0, 24)}-cluster-"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# Envelope encryption of secrets: the control plane uses the key through this role.
data "aws_iam_policy_document" "cluster_kms" {
  statement {
    effect    = "Allow"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [module.kms.key_arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

resource "aws_eks_cluster" "this" {
  #checkov:skip=CKV_AWS_39:The public endpoint is the spec's per-environment choice (eks.endpoint_public_access), open only to eks.public_access_cidrs; the production rule keeps it private in production.
  #checkov:skip=CKV_AWS_339:The Kubernetes version is the spec's (eks.version, the seeds' 1.28, which the chart's schemas are checked against); moving it is a spec change, not a module one.
  name     = var.cluster_name
  version  = var.cluster_version
  role_arn = aws_iam_role.cluster.arn

  enabled_cluster_log_types = local.control_plane_logs

  vpc_config {
    subnet_ids              = var.private_subnet_ids
    security_group_ids      = [var.cluster_security_group_id]
    endpoint_private_access = var.endpoint_private_access
    endpoint_public_access  = var.endpoint_public_access
    public_access_cidrs     = var.endpoint_public_access ? var.public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = module.kms.key_arn
    }
  }

  access_config {
    authentication_mode                         = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions = true
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
    aws_cloudwatch_log_group.cluster,
  ]
}

# ---------------------------------------------------------------- IRSA

# No thumbprint: IAM trusts the EKS OIDC issuer through its library of root CAs (the
# attribute is optional and computed by AWS), so the module needs no TLS provider.
resource "aws_iam_openid_connect_provider" "this" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]

  tags = merge(var.tags, { Name = "${var.cluster_name}-irsa" })
}

# ---------------------------------------------------------------- nodes

data "aws_iam_policy_document" "node_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix        = "${substr(var.cluster_name, 0, 24)}-node-"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
  ])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# Log shipping from the nodes (Fluent Bit), limited to this cluster's log groups.
data "aws_iam_policy_document" "node_logs" {
  statement {
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [
      "arn:${local.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/eks/${var.cluster_name}/*",
    ]
  }
}

resource "aws_iam_role_policy" "node_logs" {
  name   = "ship-container-logs"
  role   = aws_iam_role.node.id
  policy = data.aws_iam_policy_document.node_logs.json
}

resource "aws_launch_template" "node" {
  name_prefix            = "${var.cluster_name}-node-"
  description            = "Worker nodes of ${var.cluster_name}: IMDSv2 only, encrypted gp3 root volume"
  update_default_version = true
  vpc_security_group_ids = [var.node_security_group_id]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1 # pods get AWS credentials through IRSA, never from the node role
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.node_disk_size_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.cluster_name}-node" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.cluster_name}-node" })
  }

  tags = var.tags
}

resource "aws_eks_node_group" "this" {
  for_each = local.node_groups

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${var.cluster_name}-${each.key}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.private_subnet_ids
  capacity_type   = each.value.capacity_type
  instance_types  = var.node_instance_types
  ami_type        = var.node_ami_type

  scaling_config {
    desired_size = each.value.desired
    min_size     = each.value.min
    max_size     = each.value.max
  }

  update_config {
    max_unavailable_percentage = 33
  }

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  labels = {
    "node.kubernetes.io/capacity-type" = lower(each.value.capacity_type)
  }

  tags = merge(var.tags, {
    "k8s.io/cluster-autoscaler/enabled"             = "true"
    "k8s.io/cluster-autoscaler/${var.cluster_name}" = "owned"
  })

  lifecycle {
    # The cluster autoscaler owns the desired size once the group exists.
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

# ---------------------------------------------------------------- add-ons

resource "aws_eks_addon" "this" {
  for_each = toset(["vpc-cni", "kube-proxy", "coredns"])

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags

  depends_on = [aws_eks_node_group.this]
}

# ---------------------------------------------------------------- access entries

resource "aws_eks_access_entry" "this" {
  for_each = var.access_entries

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  type          = "STANDARD"

  tags = var.tags
}

resource "aws_eks_access_policy_association" "this" {
  for_each = var.access_entries

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  policy_arn    = each.value.policy_arn

  access_scope {
    type       = length(each.value.namespaces) > 0 ? "namespace" : "cluster"
    namespaces = length(each.value.namespaces) > 0 ? each.value.namespaces : null
  }

  depends_on = [aws_eks_access_entry.this]
}
