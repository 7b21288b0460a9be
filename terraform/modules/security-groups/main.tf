# Least-privilege security groups, as listed in the design's "Security Considerations":
#   internet -> ALB 80/443; ALB -> nodes service_ports; control plane <-> nodes;
#   nodes -> database port and Redis 6379; bastion SSH from allowed CIDRs only; bastion -> database.
# Security groups are created without inline rules; every rule is its own resource with a description.

locals {
  database_port = var.database_engine == "mysql" ? 3306 : 5432
  redis_port    = 6379
}

# ---------------------------------------------------------------- groups

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached by the AWS Load Balancer Controller to the ALB it creates from the Ingress (outside Terraform).
  name_prefix = "${var.name}-alb-"
  description = "Internet-facing ALB of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "eks_cluster" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (eks cluster vpc_config) through the environment root; checkov does not follow module outputs into other modules.
  name_prefix = "${var.name}-eks-cluster-"
  description = "Additional security group of the EKS control plane of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-eks-cluster" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "eks_nodes" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (eks node launch template) through the environment root; checkov does not follow module outputs into other modules.
  name_prefix = "${var.name}-eks-nodes-"
  description = "EKS worker nodes (and their pods) of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-eks-nodes" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (rds instance) through the environment root; checkov does not follow module outputs into other modules.
  name_prefix = "${var.name}-rds-"
  description = "RDS ${var.database_engine} of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-rds" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "redis" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (elasticache replication group) through the environment root; checkov does not follow module outputs into other modules.
  name_prefix = "${var.name}-redis-"
  description = "ElastiCache Redis of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-redis" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "bastion" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (bastion instance) through the environment root; checkov does not follow module outputs into other modules.
  count = var.bastion_enabled ? 1 : 0

  name_prefix = "${var.name}-bastion-"
  description = "Bastion host of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-bastion" })

  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------- ALB

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:A public ALB must accept HTTP on 80; its listener only redirects to HTTPS.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet (redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_nodes" {
  for_each = toset([for port in var.service_ports : tostring(port)])

  security_group_id            = aws_security_group.alb.id
  description                  = "To a service port (${each.key}) on the EKS nodes/pods"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.key)
  to_port                      = tonumber(each.key)
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

# ---------------------------------------------------------------- EKS control plane

resource "aws_vpc_security_group_ingress_rule" "cluster_from_nodes" {
  security_group_id            = aws_security_group.eks_cluster.id
  description                  = "Kubernetes API from the worker nodes"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

resource "aws_vpc_security_group_ingress_rule" "cluster_from_bastion" {
  count = var.bastion_enabled ? 1 : 0

  security_group_id            = aws_security_group.eks_cluster.id
  description                  = "Kubernetes API from the bastion (private endpoint access)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.bastion[0].id
}

resource "aws_vpc_security_group_egress_rule" "cluster_to_nodes" {
  for_each = toset(["443", "9443", "10250"])

  security_group_id            = aws_security_group.eks_cluster.id
  description                  = "Control plane to nodes on ${each.key} (kubelet, admission webhooks)"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.key)
  to_port                      = tonumber(each.key)
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

# ---------------------------------------------------------------- EKS nodes

resource "aws_vpc_security_group_ingress_rule" "nodes_from_alb" {
  for_each = toset([for port in var.service_ports : tostring(port)])

  security_group_id            = aws_security_group.eks_nodes.id
  description                  = "A service port (${each.key}) from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.key)
  to_port                      = tonumber(each.key)
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_cluster" {
  for_each = toset(["443", "9443", "10250"])

  security_group_id            = aws_security_group.eks_nodes.id
  description                  = "From the control plane on ${each.key} (kubelet, admission webhooks)"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.key)
  to_port                      = tonumber(each.key)
  referenced_security_group_id = aws_security_group.eks_cluster.id
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_nodes" {
  security_group_id            = aws_security_group.eks_nodes.id
  description                  = "Node-to-node and pod-to-pod traffic"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_nodes" {
  security_group_id            = aws_security_group.eks_nodes.id
  description                  = "Node-to-node and pod-to-pod traffic"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

resource "aws_vpc_security_group_egress_rule" "nodes_https" {
  security_group_id = aws_security_group.eks_nodes.id
  description       = "HTTPS to the EKS API, ECR, S3, STS and other AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_database" {
  security_group_id            = aws_security_group.eks_nodes.id
  description                  = "To the ${var.database_engine} database"
  ip_protocol                  = "tcp"
  from_port                    = local.database_port
  to_port                      = local.database_port
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_redis" {
  security_group_id            = aws_security_group.eks_nodes.id
  description                  = "To Redis"
  ip_protocol                  = "tcp"
  from_port                    = local.redis_port
  to_port                      = local.redis_port
  referenced_security_group_id = aws_security_group.redis.id
}

# ---------------------------------------------------------------- database (no egress)

resource "aws_vpc_security_group_ingress_rule" "database_from_nodes" {
  security_group_id            = aws_security_group.database.id
  description                  = "${var.database_engine} from the EKS nodes"
  ip_protocol                  = "tcp"
  from_port                    = local.database_port
  to_port                      = local.database_port
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_bastion" {
  count = var.bastion_enabled ? 1 : 0

  security_group_id            = aws_security_group.database.id
  description                  = "${var.database_engine} from the bastion"
  ip_protocol                  = "tcp"
  from_port                    = local.database_port
  to_port                      = local.database_port
  referenced_security_group_id = aws_security_group.bastion[0].id
}

# ---------------------------------------------------------------- Redis (no egress)

resource "aws_vpc_security_group_ingress_rule" "redis_from_nodes" {
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from the EKS nodes"
  ip_protocol                  = "tcp"
  from_port                    = local.redis_port
  to_port                      = local.redis_port
  referenced_security_group_id = aws_security_group.eks_nodes.id
}

# ---------------------------------------------------------------- bastion

resource "aws_vpc_security_group_ingress_rule" "bastion_ssh" {
  for_each = var.bastion_enabled ? toset(var.bastion_allowed_cidrs) : toset([])

  security_group_id = aws_security_group.bastion[0].id
  description       = "SSH from an allowed network (${each.value})"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "bastion_to_database" {
  count = var.bastion_enabled ? 1 : 0

  security_group_id            = aws_security_group.bastion[0].id
  description                  = "To the ${var.database_engine} database"
  ip_protocol                  = "tcp"
  from_port                    = local.database_port
  to_port                      = local.database_port
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "bastion_https" {
  count = var.bastion_enabled ? 1 : 0

  security_group_id = aws_security_group.bastion[0].id
  description       = "HTTPS to SSM, the EKS API and package repositories"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
