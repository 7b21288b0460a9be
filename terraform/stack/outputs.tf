output "environment" {
  description = "Environment name."
  value       = var.environment
}

output "vpc_id" {
  description = "VPC of the environment."
  value       = module.vpc.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets (ALB)."
  value       = module.vpc.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets (EKS nodes)."
  value       = module.vpc.private_subnet_ids
}

output "nat_gateway_ips" {
  description = "Egress IPs of the private subnets."
  value       = module.vpc.nat_gateway_ips
}

output "alb_security_group_id" {
  description = "Security group for the ALB (alb.ingress.kubernetes.io/security-groups)."
  value       = module.security_groups.alb_security_group_id
}

output "eks_cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "eks_cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "eks_oidc_provider_arn" {
  description = "IRSA OIDC provider of the cluster."
  value       = module.eks.oidc_provider_arn
}

output "eks_node_groups" {
  description = "Managed node groups by name: their EKS name, instance types, capacity type, AMI type, sizes, node labels and taints."
  value       = module.eks.node_groups
}

output "eks_addons" {
  description = "EKS managed add-ons by name and their version (null: EKS's default for the cluster)."
  value       = module.eks.addons
}

output "eks_autoscaler_tags" {
  description = "The tags the cluster autoscaler reads on each node group's Auto Scaling group, by node group."
  value       = module.eks.autoscaler_tags
}

output "cluster_autoscaler_role_arn" {
  description = "IAM role of the cluster autoscaler: annotate the service account kube-system/cluster-autoscaler of its Helm release with it."
  value       = module.eks.cluster_autoscaler_role_arn
}

output "rds_endpoint" {
  description = "Database host."
  value       = module.rds.endpoint
}

output "rds_port" {
  description = "Database port."
  value       = module.rds.port
}

output "rds_engine" {
  description = "Database engine (mysql or postgres)."
  value       = module.rds.engine
}

output "rds_instance" {
  description = "The database instance as planned (class, storage, Multi-AZ, backups, windows, monitoring)."
  value       = module.rds.instance
}

output "rds_password_generation" {
  description = "The generation of the database password as planned on the instance and on the database secret (rds_password_version, with the rotation period where rds_password_rotation_days is on)."
  value       = module.rds.password_generation
}

output "rds_replicas" {
  description = "The read replicas as planned (class, zone, source, storage type)."
  value       = module.rds.replicas
}

output "rds_parameters" {
  description = "The database's parameter group as planned, by name."
  value       = module.rds.parameters
}

output "rds_replica_endpoints" {
  description = "Read replica hosts (the services read from the primary: see generator/SPEC.md)."
  value       = module.rds.replica_endpoints
}

output "database_secret_arn" {
  description = "Secrets Manager secret the services read the database from (engine, host, port, dbname, username, password)."
  value       = module.rds.credentials_secret_arn
}

output "redis_endpoint" {
  description = "Redis endpoint: the configuration endpoint of a Redis Cluster, else the primary."
  value       = module.elasticache.endpoint
}

output "redis_replication_group" {
  description = "The Redis replication group as planned (node type, shards and replicas, failover, Multi-AZ, encryption, windows, parameters)."
  value       = module.elasticache.replication_group
}

output "redis_cluster_mode" {
  description = "Whether Redis is a Redis Cluster (the services use a cluster client)."
  value       = module.elasticache.cluster_mode_enabled
}

output "redis_port" {
  description = "Redis port."
  value       = module.elasticache.port
}

output "redis_tls_enabled" {
  description = "Whether Redis clients must use TLS (rediss://)."
  value       = module.elasticache.tls_enabled
}

output "redis_secret_arn" {
  description = "Secrets Manager secret the services read Redis from (host, port, tls, and auth_token with AUTH)."
  value       = module.elasticache.connection_secret_arn
}

output "bastion_public_ip" {
  description = "Elastic IP of the bastion, or null."
  value       = var.bastion_enabled ? module.bastion[0].public_ip : null
}

output "bastion_instance_id" {
  description = "Bastion instance (aws ssm start-session --target ...), or null."
  value       = var.bastion_enabled ? module.bastion[0].instance_id : null
}

output "ecr_repository_urls" {
  description = "Where CI pushes each image, by ECR repository name."
  value       = { for name, repository in module.ecr : name => repository.repository_url }
}

output "github_actions_role_arn" {
  description = "role-to-assume for aws-actions/configure-aws-credentials."
  value       = module.oidc.role_arn
}

output "terraform_plan_role_arn" {
  description = "role-to-assume of the Terraform workflow's pull-request plans (null without the workflow)."
  value       = one(module.terraform_roles[*].plan_role_arn)
}

output "terraform_apply_role_arn" {
  description = "role-to-assume of the Terraform workflow's applies (null without the workflow)."
  value       = one(module.terraform_roles[*].apply_role_arn)
}

output "service_role_arns" {
  description = "IRSA role of each service, by name (service account annotation eks.amazonaws.com/role-arn)."
  value       = { for name, role in module.service_role : name => role.role_arn }
}

output "external_secrets_role_arn" {
  description = "IRSA role of the External Secrets Operator (its service account annotation eks.amazonaws.com/role-arn)."
  value       = module.external_secrets_role.role_arn
}

output "aws_load_balancer_controller_role_arn" {
  description = "IAM role of the AWS Load Balancer Controller (IRSA), for its service account (generated/<env>/addons/)."
  value       = module.cluster_addons.load_balancer_controller_role_arn
}

output "fluent_bit_role_arn" {
  description = "IAM role of Fluent Bit (IRSA), for its service account (generated/<env>/addons/)."
  value       = module.cluster_addons.fluent_bit_role_arn
}

output "container_log_group_name" {
  description = "CloudWatch log group of the containers' logs."
  value       = module.cluster_addons.log_group_name
}

output "waf_web_acl_arn" {
  description = "WAF web ACL for the Ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn, or null."
  value       = var.waf_enabled ? module.waf[0].web_acl_arn : null
}

output "services" {
  description = "Service settings from the spec that the deployment consumes alongside the infrastructure."
  value = {
    for name, service in var.services : name => {
      port              = service.port
      cache_ttl_seconds = var.cache_ttl_seconds
    }
  }
}
