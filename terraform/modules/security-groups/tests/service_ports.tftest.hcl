# The ALB reaches every service's port on the nodes, and no other: one rule each way per
# distinct port of the spec's services, planned against a mocked AWS API.

mock_provider "aws" {}

variables {
  name                  = "money-tracking-prod"
  vpc_id                = "vpc-0123456789abcdef0"
  service_ports         = [3000, 3001, 8080]
  database_engine       = "postgres"
  bastion_enabled       = false
  bastion_allowed_cidrs = []
  tags                  = {}
}

run "each_service_port_is_open_from_the_alb_to_the_nodes" {
  command = plan

  assert {
    condition     = toset(keys(aws_vpc_security_group_egress_rule.alb_to_nodes)) == toset(["3000", "3001", "8080"])
    error_message = "the ALB must reach exactly the services' ports"
  }

  assert {
    condition     = alltrue([for port, rule in aws_vpc_security_group_ingress_rule.nodes_from_alb : rule.from_port == tonumber(port) && rule.to_port == tonumber(port)])
    error_message = "each node rule must open its one port, not a range"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.nodes_from_alb) == 3
    error_message = "the nodes must accept the ALB on exactly the services' ports"
  }
}

run "no_service_port_is_refused" {
  command = plan

  variables {
    service_ports = []
  }

  expect_failures = [var.service_ports]
}
