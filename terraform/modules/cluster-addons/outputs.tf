output "load_balancer_controller_role_arn" {
  description = "Role of the AWS Load Balancer Controller: annotate its service account with it."
  value       = module.load_balancer_controller_role.role_arn
}

output "fluent_bit_role_arn" {
  description = "Role of Fluent Bit: annotate its service account with it."
  value       = module.fluent_bit_role.role_arn
}

output "log_group_name" {
  description = "The containers' log group."
  value       = aws_cloudwatch_log_group.containers.name
}

output "log_group_arn" {
  description = "ARN of the containers' log group."
  value       = aws_cloudwatch_log_group.containers.arn
}
