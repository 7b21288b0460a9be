# The managed node groups (each with its instance types, capacity type, AMI type, sizes, labels
# and taints), the cluster autoscaler's tags on their Auto Scaling groups and its IAM role, and
# the add-ons at their versions: planned against a mocked AWS API with the infrastructure
# guide's two groups.

# The provider still checks ARNs and policies while planning: the mocked data sources answer
# with well-formed values.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }
}

# The cluster's OIDC issuer, known while planning, so the IRSA trust policies can be read.
override_resource {
  target          = aws_eks_cluster.this
  override_during = plan
  values = {
    identity              = [{ oidc = [{ issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" }] }]
    certificate_authority = [{ data = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t" }]
  }
}

override_resource {
  target          = aws_iam_openid_connect_provider.this
  override_during = plan
  values = {
    arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  }
}

variables {
  cluster_name              = "money-tracking-prod"
  cluster_version           = "1.28"
  private_subnet_ids        = ["subnet-1", "subnet-2", "subnet-3"]
  cluster_security_group_id = "sg-cluster"
  node_security_group_id    = "sg-nodes"
  endpoint_private_access   = true
  endpoint_public_access    = false
  public_access_cidrs       = []
  log_retention_days        = 90
  tags                      = { Project = "money-tracking" }

  node_groups = {
    general-purpose = {
      instance_types = ["t3.xlarge"]
      capacity_type  = "ON_DEMAND"
      ami_type       = "AL2023_x86_64_STANDARD"
      desired_size   = 3
      min_size       = 3
      max_size       = 10
      labels         = { workload = "general" }
      taints         = []
    }
    memory-optimized = {
      instance_types = ["r6g.large"]
      capacity_type  = "ON_DEMAND"
      ami_type       = "AL2023_ARM_64_STANDARD"
      desired_size   = 1
      min_size       = 1
      max_size       = 3
      labels         = { workload = "analytics" }
      taints         = [{ key = "workload", value = "analytics", effect = "NO_SCHEDULE" }]
    }
  }

  addons = {
    coredns              = "v1.10.1-eksbuild.13"
    kube-proxy           = "v1.28.15-eksbuild.4"
    vpc-cni              = "v1.19.0-eksbuild.1"
    "aws-ebs-csi-driver" = "v1.37.0-eksbuild.1"
  }
}

run "each_node_group_carries_its_instance_types_capacity_sizes_labels_and_taints" {
  command = plan

  assert {
    condition     = toset(keys(aws_eks_node_group.this)) == toset(["general-purpose", "memory-optimized"])
    error_message = "one managed node group per entry of node_groups"
  }

  assert {
    condition     = aws_eks_node_group.this["general-purpose"].node_group_name == "money-tracking-prod-general-purpose"
    error_message = "EKS names each group <cluster>-<name>"
  }

  assert {
    condition = [for g in ["general-purpose", "memory-optimized"] : [
      aws_eks_node_group.this[g].scaling_config[0].min_size,
      aws_eks_node_group.this[g].scaling_config[0].desired_size,
      aws_eks_node_group.this[g].scaling_config[0].max_size,
    ]] == [[3, 3, 10], [1, 1, 3]]
    error_message = "the guide's sizes: general-purpose 3/3/10, memory-optimized 1/1/3"
  }

  assert {
    condition     = aws_eks_node_group.this["general-purpose"].instance_types == tolist(["t3.xlarge"]) && aws_eks_node_group.this["memory-optimized"].instance_types == tolist(["r6g.large"])
    error_message = "each group runs its own instance types"
  }

  assert {
    condition     = aws_eks_node_group.this["memory-optimized"].ami_type == "AL2023_ARM_64_STANDARD" && aws_eks_node_group.this["general-purpose"].ami_type == "AL2023_x86_64_STANDARD"
    error_message = "each group boots its own AMI type (Graviton for r6g)"
  }

  assert {
    condition     = aws_eks_node_group.this["memory-optimized"].capacity_type == "ON_DEMAND"
    error_message = "the capacity type is the group's"
  }

  assert {
    condition = aws_eks_node_group.this["memory-optimized"].labels == tomap({
      workload                           = "analytics"
      "node.kubernetes.io/capacity-type" = "on_demand"
    })
    error_message = "a group's nodes carry its labels and their capacity type"
  }

  assert {
    condition     = [for t in aws_eks_node_group.this["memory-optimized"].taint : [t.key, t.value, t.effect]] == [["workload", "analytics", "NO_SCHEDULE"]]
    error_message = "the memory-optimized nodes are tainted workload=analytics:NoSchedule"
  }

  assert {
    condition     = length(aws_eks_node_group.this["general-purpose"].taint) == 0
    error_message = "the general-purpose nodes have no taint"
  }

  assert {
    condition = output.node_groups["memory-optimized"] == {
      node_group_name = "money-tracking-prod-memory-optimized"
      instance_types  = tolist(["r6g.large"])
      capacity_type   = "ON_DEMAND"
      ami_type        = "AL2023_ARM_64_STANDARD"
      desired_size    = 1
      min_size        = 1
      max_size        = 3
      labels          = tomap({ workload = "analytics", "node.kubernetes.io/capacity-type" = "on_demand" })
      taints          = [{ key = "workload", value = "analytics", effect = "NO_SCHEDULE" }]
    }
    error_message = "the output reports each group as planned"
  }

  assert {
    condition     = output.autoscaler_tags["memory-optimized"]["k8s.io/cluster-autoscaler/node-template/taint/workload"] == "analytics:NoSchedule"
    error_message = "the output reports the autoscaler's tags by group"
  }
}

run "the_cluster_autoscaler_finds_every_group_and_knows_its_labels_and_taints" {
  command = plan

  assert {
    condition = alltrue(flatten([for g in ["general-purpose", "memory-optimized"] : [
      aws_autoscaling_group_tag.autoscaler["${g}:k8s.io/cluster-autoscaler/enabled"].tag[0].value == "true",
      aws_autoscaling_group_tag.autoscaler["${g}:k8s.io/cluster-autoscaler/money-tracking-prod"].tag[0].value == "owned",
    ]]))
    error_message = "every group's Auto Scaling group carries the auto-discovery tags"
  }

  assert {
    condition     = aws_autoscaling_group_tag.autoscaler["memory-optimized:k8s.io/cluster-autoscaler/node-template/taint/workload"].tag[0].value == "analytics:NoSchedule"
    error_message = "the autoscaler knows the memory-optimized group's taint before it has a node"
  }

  assert {
    condition     = aws_autoscaling_group_tag.autoscaler["memory-optimized:k8s.io/cluster-autoscaler/node-template/label/workload"].tag[0].value == "analytics"
    error_message = "the autoscaler knows the memory-optimized group's label before it has a node"
  }

  assert {
    condition     = aws_autoscaling_group_tag.autoscaler["general-purpose:k8s.io/cluster-autoscaler/node-template/label/node.kubernetes.io/capacity-type"].tag[0].value == "on_demand"
    error_message = "the capacity type label is announced too"
  }

  assert {
    condition     = !contains(keys(aws_autoscaling_group_tag.autoscaler), "general-purpose:k8s.io/cluster-autoscaler/node-template/taint/workload")
    error_message = "an untainted group announces no taint"
  }

  assert {
    condition     = alltrue([for tag in aws_autoscaling_group_tag.autoscaler : tag.tag[0].propagate_at_launch == false])
    error_message = "the autoscaler's tags stay on the Auto Scaling group"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role.irsa["autoscaler"].assume_role_policy).Statement : s.Condition.StringEquals] == [{
      "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud" = "sts.amazonaws.com"
      "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub" = "system:serviceaccount:kube-system:cluster-autoscaler"
    }]
    error_message = "only kube-system/cluster-autoscaler assumes the autoscaler's role"
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.cluster_autoscaler.statement : [for c in s.condition : [c.test, c.variable, tolist(c.values)]]
      if contains(s.actions, "autoscaling:SetDesiredCapacity")
    ]) == [["StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/money-tracking-prod", tolist(["owned"])]]
    error_message = "the autoscaler may resize only the Auto Scaling groups tagged as this cluster's"
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.cluster_autoscaler.statement : s.resources if contains(s.actions, "eks:DescribeNodegroup")]) == toset(["arn:aws:eks:us-east-1:123456789012:nodegroup/money-tracking-prod/*/*"])
    error_message = "the autoscaler may describe only this cluster's node groups"
  }
}

run "the_add_ons_run_at_the_spec_versions_and_the_ebs_csi_driver_has_its_role" {
  command = plan

  assert {
    condition = tomap({ for name, addon in aws_eks_addon.this : name => addon.addon_version }) == tomap({
      coredns              = "v1.10.1-eksbuild.13"
      kube-proxy           = "v1.28.15-eksbuild.4"
      vpc-cni              = "v1.19.0-eksbuild.1"
      "aws-ebs-csi-driver" = "v1.37.0-eksbuild.1"
    })
    error_message = "CoreDNS, kube-proxy, the VPC CNI and the EBS CSI driver at the given versions"
  }

  assert {
    condition     = aws_iam_role_policy_attachment.ebs_csi_driver[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    error_message = "the EBS CSI driver's role has AWS's policy for it"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role.irsa["ebs-csi"].assume_role_policy).Statement : one([for k, v in s.Condition.StringEquals : v if endswith(k, ":sub")])] == ["system:serviceaccount:kube-system:ebs-csi-controller-sa"]
    error_message = "only the EBS CSI controller's service account assumes its role"
  }
}

run "without_versions_the_core_add_ons_take_eks_defaults_and_no_ebs_csi_driver" {
  command = plan

  variables {
    addons = {}
  }

  assert {
    condition     = toset(keys(aws_eks_addon.this)) == toset(["coredns", "kube-proxy", "vpc-cni"])
    error_message = "CoreDNS, kube-proxy and the VPC CNI are always installed; the EBS CSI driver only with a version"
  }

  assert {
    condition     = alltrue([for version in values(local.addons) : version == null])
    error_message = "without a version, EKS picks its default for the cluster (addon_version unset)"
  }

  assert {
    condition     = keys(aws_iam_role.irsa) == ["autoscaler"]
    error_message = "no EBS CSI role without the driver"
  }
}

# The seed's pool, as the generator splits it (expense dev: 2 of 1..4 nodes, 80 % spot).
run "a_spot_group_runs_on_spot_capacity" {
  command = plan

  variables {
    node_groups = {
      on-demand = {
        instance_types = ["t3.medium"]
        capacity_type  = "ON_DEMAND"
        ami_type       = "AL2023_x86_64_STANDARD"
        desired_size   = 1
        min_size       = 1
        max_size       = 1
        labels         = {}
        taints         = []
      }
      spot = {
        instance_types = ["t3.medium"]
        capacity_type  = "SPOT"
        ami_type       = "AL2023_x86_64_STANDARD"
        desired_size   = 1
        min_size       = 0
        max_size       = 3
        labels         = {}
        taints         = []
      }
    }
  }

  assert {
    condition     = aws_eks_node_group.this["spot"].capacity_type == "SPOT" && aws_eks_node_group.this["on-demand"].capacity_type == "ON_DEMAND"
    error_message = "each group is bought as its capacity type says"
  }

  assert {
    condition     = aws_eks_node_group.this["spot"].labels["node.kubernetes.io/capacity-type"] == "spot"
    error_message = "spot nodes say so"
  }

  assert {
    condition     = aws_eks_node_group.this["spot"].scaling_config[0].min_size == 0
    error_message = "a group may scale to zero"
  }
}

run "a_cluster_whose_every_group_is_tainted_is_refused" {
  command = plan

  variables {
    node_groups = {
      analytics = {
        instance_types = ["r6g.large"]
        capacity_type  = "ON_DEMAND"
        ami_type       = "AL2023_ARM_64_STANDARD"
        desired_size   = 1
        min_size       = 1
        max_size       = 3
        labels         = { workload = "analytics" }
        taints         = [{ key = "workload", value = "analytics", effect = "NO_SCHEDULE" }]
      }
    }
  }

  expect_failures = [var.node_groups]
}
