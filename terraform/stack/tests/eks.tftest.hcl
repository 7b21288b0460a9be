# The environment's EKS node groups and add-ons, planned from its generated tfvars against a
# mocked AWS API (tests/e2e/stack/ runs it with plan.tftest.hcl, for every environment of every
# example spec): every group of eks_node_groups reaches its aws_eks_node_group with the tfvars'
# instance types, capacity and AMI type, sizes, labels and taints, its Auto Scaling group carries
# the cluster autoscaler's tags, and every add-on runs at the tfvars' version. The stack's
# outputs read the planned resources (a test file's assertions reach no module's resources).

# The mocked data sources answer with well-formed values where the provider checks them.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
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
}

mock_provider "aws" {
  alias = "backup"

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
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
}

run "every_node_group_carries_the_tfvars_values" {
  command = plan

  assert {
    condition     = toset(keys(output.eks_node_groups)) == toset(keys(var.eks_node_groups))
    error_message = "one managed node group per entry of eks_node_groups"
  }

  assert {
    condition = alltrue([for name, group in var.eks_node_groups : jsonencode({
      node_group_name = "${var.project_name}-${var.environment}-${name}"
      instance_types  = group.instance_types
      capacity_type   = group.capacity_type
      ami_type        = group.ami_type
      desired_size    = group.desired_size
      min_size        = group.min_size
      max_size        = group.max_size
      labels          = merge(group.labels, { "node.kubernetes.io/capacity-type" = lower(group.capacity_type) })
      taints          = group.taints
    }) == jsonencode(output.eks_node_groups[name])])
    error_message = "each node group is planned with the tfvars' instance types, capacity and AMI type, scaling, labels and taints"
  }

  assert {
    condition = alltrue(flatten([for name, group in var.eks_node_groups : concat(
      [
        output.eks_autoscaler_tags[name]["k8s.io/cluster-autoscaler/enabled"] == "true",
        output.eks_autoscaler_tags[name]["k8s.io/cluster-autoscaler/${var.project_name}-${var.environment}"] == "owned",
      ],
      [for key, value in group.labels : output.eks_autoscaler_tags[name]["k8s.io/cluster-autoscaler/node-template/label/${key}"] == value],
      [for taint in group.taints : startswith(output.eks_autoscaler_tags[name]["k8s.io/cluster-autoscaler/node-template/taint/${taint.key}"], "${taint.value}:")],
    )]))
    error_message = "each group's Auto Scaling group is tagged for the cluster autoscaler with its labels and taints"
  }

  assert {
    condition     = alltrue([for name, version in var.eks_addons : output.eks_addons[name] == version])
    error_message = "each add-on the tfvars give a version runs at it"
  }

  assert {
    condition     = alltrue([for name in ["coredns", "kube-proxy", "vpc-cni"] : contains(keys(output.eks_addons), name)])
    error_message = "CoreDNS, kube-proxy and the VPC CNI are always installed"
  }
}
