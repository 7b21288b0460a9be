data "aws_partition" "current" {}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

module "kms" {
  source = "../kms"

  name        = "${var.name}-bastion"
  description = "Encrypts the root volume of the ${var.name} bastion"
  tags        = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "${substr(var.name, 0, 24)}-bastion-"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

# Session Manager access: shell sessions are audited and need no open port.
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${substr(var.name, 0, 24)}-bastion-"
  role        = aws_iam_role.this.name

  tags = var.tags
}

resource "aws_instance" "this" {
  ami                         = data.aws_ssm_parameter.ami.value
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [var.security_group_id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  key_name                    = var.key_name
  associate_public_ip_address = false # the stable address comes from the Elastic IP below
  ebs_optimized               = true
  monitoring                  = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = module.kms.key_arn
    delete_on_termination = true
  }

  tags        = merge(var.tags, { Name = "${var.name}-bastion" })
  volume_tags = merge(var.tags, { Name = "${var.name}-bastion" })

  lifecycle {
    # A new AMI is picked up by replacing the instance on purpose (taint), not on every plan.
    ignore_changes = [ami]
  }
}

# A stable public address that office and VPN firewalls can allow-list.
resource "aws_eip" "this" {
  domain   = "vpc"
  instance = aws_instance.this.id

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}
