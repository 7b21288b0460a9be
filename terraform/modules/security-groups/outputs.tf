output "alb_security_group_id" {
  description = "Security group for the ALB (give it to the AWS Load Balancer Controller)."
  value       = aws_security_group.alb.id
}

output "eks_cluster_security_group_id" {
  description = "Additional security group of the EKS control plane."
  value       = aws_security_group.eks_cluster.id
}

output "eks_nodes_security_group_id" {
  description = "Security group of the EKS worker nodes and their pods."
  value       = aws_security_group.eks_nodes.id
}

output "database_security_group_id" {
  description = "Security group of the RDS instance."
  value       = aws_security_group.database.id
}

output "database_port" {
  description = "Database port opened by the rules (3306 or 5432)."
  value       = local.database_port
}

output "redis_security_group_id" {
  description = "Security group of the ElastiCache replication group."
  value       = aws_security_group.redis.id
}

output "bastion_security_group_id" {
  description = "Security group of the bastion, or null when the bastion is disabled."
  value       = var.bastion_enabled ? aws_security_group.bastion[0].id : null
}
