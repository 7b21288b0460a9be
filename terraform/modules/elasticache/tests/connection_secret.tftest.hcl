# The secret the services read Redis from (the chart's ExternalSecret): created in every
# environment under the name the spec gives, holding the AUTH token only where AUTH is on.
# Planned against a mocked AWS API.

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

variables {
  replication_group_id       = "expense-dev"
  engine_version             = "7.0"
  node_type                  = "cache.t3.micro"
  num_cache_nodes            = 1
  automatic_failover_enabled = false
  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  auth_token_enabled         = false
  connection_secret_name     = "expense/dev/redis"
  subnet_ids                 = ["subnet-1", "subnet-2"]
  security_group_ids         = ["sg-1"]
  log_retention_days         = 7
  tags                       = {}
}

run "without_auth_the_secret_holds_the_connection_only" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.connection.name == "expense/dev/redis"
    error_message = "the connection secret must carry the name the spec gives it"
  }

  assert {
    condition     = join(",", output.connection_secret_properties) == "host,port,tls"
    error_message = "without AUTH the secret holds host, port and tls"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.auth_token == null
    error_message = "without AUTH the cluster takes no token"
  }
}

run "with_auth_the_secret_holds_the_token_the_cluster_requires" {
  command = plan

  variables {
    connection_secret_name = "expense/prod/redis"
    auth_token_enabled     = true
    auth_token             = "a-generated-auth-token-0123456789"
  }

  assert {
    condition     = join(",", output.connection_secret_properties) == "auth_token,host,port,tls"
    error_message = "with AUTH the secret also holds auth_token"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.auth_token == "a-generated-auth-token-0123456789"
    error_message = "the cluster must require the token the secret holds"
  }
}

run "auth_without_a_token_is_refused" {
  command = plan

  variables {
    auth_token_enabled = true
  }

  expect_failures = [var.auth_token]
}
