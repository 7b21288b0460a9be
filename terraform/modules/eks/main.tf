data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition          = data.aws_partition.current.partition
  control_plane_logs = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # Kubernetes' names of the taint effects, as the cluster autoscaler's tags write them.
  taint_effects = {
    NO_SCHEDULE        = "NoSchedule"
    NO_EXECUTE         = "NoExecute"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
  }

  # Every node also says its capacity type (on_demand or spot).
  node_labels = {
    for name, group in var.node_groups : name => merge(group.labels, {
      "node.kubernetes.io/capacity-type" = lower(group.capacity_type)
    })
  }

  # What the cluster autoscaler reads on each group's Auto Scaling group: the auto-discovery tags
  # (--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/<cluster>),
  # and the labels and taints its nodes will have, so that it can scale a group up from zero
  # nodes for a pod that selects those labels and tolerates those taints.
  autoscaler_discovery_tags = {
    "k8s.io/cluster-autoscaler/enabled"             = "true"
    "k8s.io/cluster-autoscaler/${var.cluster_name}" = "owned"
  }
  autoscaler_tags = {
    for name, group in var.node_groups : name => merge(
      local.autoscaler_discovery_tags,
      { for key, value in local.node_labels[name] : "k8s.io/cluster-autoscaler/node-template/label/${key}" => value },
      { for taint in group.taints : "k8s.io/cluster-autoscaler/node-template/taint/${taint.key}" => "${taint.value}:${local.taint_effects[taint.effect]}" },
    )
  }
  autoscaler_group_tags = merge([
    for name, tags in local.autoscaler_tags : {
      for key, value in tags : "${name}:${key}" => { group = name, key = key, value = value }
    }
  ]...)

  # CoreDNS, kube-proxy and the VPC CNI always (at EKS's default version for the cluster where
  # none is given); the EBS CSI driver where it has a version.
  ebs_csi_driver = contains(keys(var.addons), "aws-ebs-csi-driver")
  addons = merge(
    { for name in ["vpc-cni", "kube-proxy", "coredns"] : name => lookup(var.addons, name, null) },
    local.ebs_csi_driver ? { "aws-ebs-csi-driver" = var.addons["aws-ebs-csi-driver"] } : {},
  )
  oidc_issuer_host = trimprefix(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://")
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
  for_each = var.node_groups

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${var.cluster_name}-${each.key}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.private_subnet_ids
  capacity_type   = each.value.capacity_type
  instance_types  = each.value.instance_types
  ami_type        = each.value.ami_type

  scaling_config {
    desired_size = each.value.desired_size
    min_size     = each.value.min_size
    max_size     = each.value.max_size
  }

  update_config {
    max_unavailable_percentage = 33
  }

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  labels = local.node_labels[each.key]

  dynamic "taint" {
    for_each = each.value.taints

    content {
      key    = taint.value.key
      value  = taint.value.value == "" ? null : taint.value.value
      effect = taint.value.effect
    }
  }

  tags = merge(var.tags, local.autoscaler_discovery_tags)

  lifecycle {
    # The cluster autoscaler owns the desired size once the group exists.
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

# EKS tags a node group, not the Auto Scaling group behind it, with the node group's tags; the
# cluster autoscaler reads the Auto Scaling group's.
resource "aws_autoscaling_group_tag" "autoscaler" {
  for_each = local.autoscaler_group_tags

  autoscaling_group_name = aws_eks_node_group.this[each.value.group].resources[0].autoscaling_groups[0].name

  tag {
    key                 = each.value.key
    value               = each.value.value
    propagate_at_launch = false
  }
}

# ---------------------------------------------------------------- add-ons

resource "aws_eks_addon" "this" {
  for_each = local.addons

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = each.value
  service_account_role_arn    = each.key == "aws-ebs-csi-driver" ? aws_iam_role.irsa["ebs-csi"].arn : null
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags

  depends_on = [aws_eks_node_group.this]
}

# ---------------------------------------------------------------- IRSA roles of the add-ons

locals {
  # The service accounts that assume a role of their own: the cluster autoscaler (installed with
  # its Helm chart under the name, and with the role name, var.cluster_autoscaler gives), and the
  # EBS CSI driver's controller where the driver is installed.
  irsa = merge(
    {
      autoscaler = {
        role_name       = var.cluster_autoscaler.role_name
        namespace       = var.cluster_autoscaler.namespace
        service_account = var.cluster_autoscaler.service_account
      }
    },
    local.ebs_csi_driver ? {
      ebs-csi = { role_name = null, namespace = "kube-system", service_account = "ebs-csi-controller-sa" }
    } : {},
  )
}

# Each trusts exactly its service account; written out so a plan shows the subject.
resource "aws_iam_role" "irsa" {
  for_each = local.irsa

  name        = each.value.role_name
  name_prefix = each.value.role_name == null ? "${substr(var.cluster_name, 0, 24)}-${each.key}-" : null
  description = "${each.value.namespace}/${each.value.service_account} of ${var.cluster_name} (IRSA)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.this.arn }
      Condition = {
        StringEquals = {
          "${local.oidc_issuer_host}:aud" = "sts.amazonaws.com"
          "${local.oidc_issuer_host}:sub" = "system:serviceaccount:${each.value.namespace}:${each.value.service_account}"
        }
      }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ebs_csi_driver" {
  count = local.ebs_csi_driver ? 1 : 0

  role       = aws_iam_role.irsa["ebs-csi"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

# The cluster autoscaler's policy as AWS documents it: it may resize and shrink only the Auto
# Scaling groups tagged as this cluster's (every node group's, tagged above), and read what it
# needs to pick a group: the groups and their instances, launch templates, instance types, and
# the node groups' labels and taints (to scale a group up from zero).
data "aws_iam_policy_document" "cluster_autoscaler" {
  statement {
    sid    = "ScaleThisClustersNodeGroups"
    effect = "Allow"
    actions = [
      "autoscaling:SetDesiredCapacity",
      "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}"
      values   = ["owned"]
    }
  }

  statement {
    sid    = "DescribeScalingCandidates"
    effect = "Allow"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeThisClustersNodeGroups"
    effect    = "Allow"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:nodegroup/${var.cluster_name}/*/*"]
  }
}

resource "aws_iam_role_policy" "cluster_autoscaler" {
  name   = "cluster-autoscaler"
  role   = aws_iam_role.irsa["autoscaler"].id
  policy = data.aws_iam_policy_document.cluster_autoscaler.json
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
