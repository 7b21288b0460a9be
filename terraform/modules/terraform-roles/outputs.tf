output "plan_role_arn" {
  description = "ARN of the read-only role pull-request plans assume (role-to-assume)."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "ARN of the administrator role the applies assume (role-to-assume)."
  value       = aws_iam_role.apply.arn
}
