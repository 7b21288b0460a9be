output "instance_id" {
  description = "Instance ID (target of `aws ssm start-session`)."
  value       = aws_instance.this.id
}

output "public_ip" {
  description = "Elastic IP of the bastion."
  value       = aws_eip.this.public_ip
}

output "private_ip" {
  description = "Private IP of the bastion."
  value       = aws_instance.this.private_ip
}

output "role_arn" {
  description = "IAM role of the bastion."
  value       = aws_iam_role.this.arn
}
