resource "aws_ecr_repository" "runtime" {
name = "sample-runtime"
  image_tag_mutability = "MUTABLE"
}

resource "aws_security_group" "ssh" {
  name = "ssh-from-anywhere"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
