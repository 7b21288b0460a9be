output "web_acl_arn" {
  description = "ARN of the web ACL; attach it to the ALB with the Ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = aws_wafv2_web_acl.this.arn
}

output "web_acl_id" {
  description = "ID of the web ACL."
  value       = aws_wafv2_web_acl.this.id
}

output "log_group_name" {
  description = "CloudWatch log group of the WAF logs."
  value       = aws_cloudwatch_log_group.this.name
}
