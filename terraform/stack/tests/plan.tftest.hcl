# The whole environment root, planned against a mocked AWS API with an environment's generated
# tfvars. tests/e2e/stack/ runs this file in a copy of the root for every environment of every
# example spec (`terraform test -json -verbose`, which prints each run's plan as JSON), with
# terraform/modules/password swapped for tests/doubles/password, and checks that the planned
# resources carry the spec's values. Assertions about resources belong there (a module of
# tests/e2e/stack/ per topic), not in `assert` blocks here: a test file's assertions reach only
# the root's own resources and outputs, never the resources inside its modules.

# The mocked data sources answer with well-formed values where the provider checks them.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

mock_provider "aws" {
  alias = "backup"

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

# The cluster's OIDC issuer and provider, known while planning, so the IRSA roles' trust
# policies (written out in modules/service-role and modules/eks) can be read from the plan.
override_resource {
  target          = module.eks.aws_eks_cluster.this
  override_during = plan
  values = {
    identity              = [{ oidc = [{ issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" }] }]
    certificate_authority = [{ data = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t" }]
  }
}

override_resource {
  target          = module.eks.aws_iam_openid_connect_provider.this
  override_during = plan
  values = {
    arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  }
}

run "plan" {
  command = plan
}
