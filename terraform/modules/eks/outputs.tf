output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_id" {
  description = "ID of the EKS cluster."
  value       = aws_eks_cluster.this.id
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA bundle of the API server."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_security_group_id" {
  description = "Security group EKS created for the control plane and managed add-ons."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "node_security_group_id" {
  description = "Security group of the worker nodes."
  value       = var.node_security_group_id
}

output "node_role_arn" {
  description = "IAM role of the worker nodes."
  value       = aws_iam_role.node.arn
}

output "node_groups" {
  description = "Managed node groups by their key in node_groups, as planned: EKS name, instance types, capacity type, AMI type, sizes, the labels of their nodes (with the capacity type's) and their taints."
  value = {
    for name, group in aws_eks_node_group.this : name => {
      node_group_name = group.node_group_name
      instance_types  = group.instance_types
      capacity_type   = group.capacity_type
      ami_type        = group.ami_type
      desired_size    = group.scaling_config[0].desired_size
      min_size        = group.scaling_config[0].min_size
      max_size        = group.scaling_config[0].max_size
      labels          = group.labels
      taints          = [for taint in group.taint : { key = taint.key, value = taint.value == null ? "" : taint.value, effect = taint.effect }]
    }
  }
}

output "addons" {
  description = "The managed add-ons by name, as planned: their version (null: EKS's default for the cluster)."
  value       = { for name, addon in aws_eks_addon.this : name => local.addons[name] }
}

output "autoscaler_tags" {
  description = "The tags the cluster autoscaler reads on each node group's Auto Scaling group, by node group."
  value = {
    for name in keys(var.node_groups) : name => {
      for key, tag in aws_autoscaling_group_tag.autoscaler : tag.tag[0].key => tag.tag[0].value if startswith(key, "${name}:")
    }
  }
}

output "cluster_autoscaler_role_arn" {
  description = "IAM role of the cluster autoscaler (IRSA): annotate its service account (var.cluster_autoscaler) with it."
  value       = aws_iam_role.irsa["autoscaler"].arn
}

output "ebs_csi_driver_role_arn" {
  description = "IAM role of the EBS CSI driver's controller (kube-system/ebs-csi-controller-sa), where the add-on is installed; null otherwise."
  value       = local.ebs_csi_driver ? aws_iam_role.irsa["ebs-csi"].arn : null
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for IRSA."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "kms_key_arn" {
  description = "KMS key of the cluster's secrets and log groups (CloudWatch Logs may use it for this account's log groups)."
  value       = module.kms.key_arn
}
