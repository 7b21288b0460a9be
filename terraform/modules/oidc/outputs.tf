output "role_arn" {
  description = "ARN of the role for aws-actions/configure-aws-credentials (role-to-assume)."
  value       = aws_iam_role.github_actions.arn
}

output "role_name" {
  description = "Name of the role."
  value       = aws_iam_role.github_actions.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider."
  value       = local.provider_arn
}
