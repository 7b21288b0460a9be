//! The guide's platform (`specs/money-tracking.toml`): its committed tree (`examples/money-tracking`)
//! is what the spec renders, and prod's rendered values are the tables of
//! devops-infrastructure-guide.md.

use std::collections::BTreeMap;

use generator::Model;
use generator::model::BucketEncryption;
use generator::render::{Artifact, Request, helm_values, render_all};

use crate::cli::platformgen;
use crate::support::workspace;

const SPEC: &str = "specs/money-tracking.toml";
const TREE: &str = "examples/money-tracking";

#[test]
fn the_committed_tree_is_what_the_spec_renders() {
    let output = platformgen(&["generate", "--check", "--spec", SPEC, "--out", TREE]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn rendered() -> (Model, Vec<Artifact>) {
    rendered_in(Some("prod"))
}

/// The artifacts of one environment, or of all of them.
fn rendered_in(only_environment: Option<&str>) -> (Model, Vec<Artifact>) {
    let model = Model::load(&workspace().join(SPEC)).expect("the guide's spec is valid");
    let artifacts = render_all(&Request {
        model: &model,
        spec_path: SPEC,
        spec_text: &std::fs::read_to_string(workspace().join(SPEC)).expect("the spec is readable"),
        only_environment,
    })
    .expect("renders");
    (model, artifacts)
}

fn text<'a>(artifacts: &'a [Artifact], path: &str) -> &'a str {
    &artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
        .contents
}

/// The guide's "Service Deployment Example", "Ingress Configuration" and "ConfigMap Example".
#[test]
fn prod_runs_each_service_as_the_guide_deploys_it() {
    let (_, artifacts) = rendered();
    for (service, prefix) in [
        ("user-service", "/v1/users"),
        ("auth-service", "/v1/auth"),
        ("bank-service", "/v1/banks"),
        ("transaction-service", "/v1/transactions"),
    ] {
        let path = format!("generated/prod/helm-values/{service}.yaml");
        let values: helm_values::HelmValues =
            serde_norway::from_str(text(&artifacts, &path)).expect("values parse");
        let probe = |p: &helm_values::Probe| {
            (
                p.path.clone(),
                p.initial_delay_seconds,
                p.period_seconds,
                p.timeout_seconds,
                p.failure_threshold,
            )
        };
        assert_eq!(
            probe(&values.probes.liveness),
            ("/health".to_string(), 30, 10, 5, 3),
            "{service}"
        );
        assert_eq!(
            probe(&values.probes.readiness),
            ("/ready".to_string(), 10, 5, 3, 3),
            "{service}"
        );
        assert_eq!(
            (
                values.resources.requests.cpu.as_str(),
                values.resources.requests.memory.as_str(),
                values.resources.limits.cpu.as_str(),
                values.resources.limits.memory.as_str()
            ),
            ("250m", "512Mi", "1000m", "1Gi"),
            "{service}"
        );
        let hpa = &values.autoscaling;
        assert_eq!(
            (
                hpa.enabled,
                hpa.min_replicas,
                hpa.max_replicas,
                hpa.target_cpu_utilization_percentage,
                hpa.target_memory_utilization_percentage
            ),
            (true, 3, 10, 70, Some(80)),
            "{service}"
        );
        let rule = |rules: &helm_values::ScalingRules| {
            let policy = &rules.policies[0];
            (
                rules.stabilization_window_seconds,
                policy.value,
                policy.period_seconds,
            )
        };
        assert_eq!(rule(&hpa.behavior.scale_down), (300, 50, 60), "{service}");
        assert_eq!(rule(&hpa.behavior.scale_up), (0, 100, 30), "{service}");
        assert_eq!(
            (values.rollout.max_surge, values.rollout.max_unavailable),
            (1, 0)
        );
        assert_eq!(values.replica_count, 3);
        assert_eq!(values.ingress.host, "api.money-tracking.com");
        assert_eq!(values.ingress.paths, [prefix], "{service}");
        assert_eq!(
            values.ingress.annotations["alb.ingress.kubernetes.io/group.name"],
            "money-tracking-prod",
            "one load balancer for every service"
        );
        assert_eq!(values.secrets.external_secret.refresh_interval, "1h");
        if service != "transaction-service" {
            for (key, value) in [
                ("LOG_LEVEL", "info"),
                ("CORS_ORIGIN", "https://app.money-tracking.com"),
                ("RATE_LIMIT_WINDOW", "60000"),
                ("RATE_LIMIT_MAX", "100"),
            ] {
                assert_eq!(values.config[key], value, "{service}: {key}");
            }
        }
    }
    // The NetworkPolicy: bank-service reaches the database through PgBouncer's pods, Redis, the
    // AWS APIs (its role's bucket and secret) and the transactions API; not the database's port.
    let bank: helm_values::HelmValues = serde_norway::from_str(text(
        &artifacts,
        "generated/prod/helm-values/bank-service.yaml",
    ))
    .expect("values parse");
    // ... and the tracing collector, Jaeger's OTLP/HTTP port.
    assert_eq!(bank.network_policy.egress_ports, [6379, 443, 4318]);
    assert_eq!(
        bank.network_policy.egress_services,
        [
            helm_values::EgressService {
                name: "transaction-service".to_string(),
                port: 3003
            },
            helm_values::EgressService {
                name: "pgbouncer".to_string(),
                port: 6432
            }
        ]
    );
    // The analytics workload is off the ingress, on the memory-optimized nodes: it selects their
    // label and tolerates their taint, workload=analytics:NoSchedule.
    let analytics: helm_values::HelmValues = serde_norway::from_str(text(
        &artifacts,
        "generated/prod/helm-values/analytics-service.yaml",
    ))
    .expect("values parse");
    assert!(!analytics.ingress.enabled);
    assert_eq!(
        analytics.node_selector,
        BTreeMap::from([("workload".to_string(), "analytics".to_string())])
    );
    assert_eq!(
        analytics.tolerations,
        [helm_values::Toleration {
            key: "workload".to_string(),
            operator: helm_values::TolerationOperator::Equal,
            value: "analytics".to_string(),
            effect: helm_values::TaintEffect::NoSchedule,
        }]
    );
    // Every other service runs on the general-purpose nodes, which need no selector: the
    // memory-optimized nodes' taint keeps them off those.
    for service in [
        "user-service",
        "auth-service",
        "bank-service",
        "transaction-service",
    ] {
        let path = format!("generated/prod/helm-values/{service}.yaml");
        let values: helm_values::HelmValues =
            serde_norway::from_str(text(&artifacts, &path)).expect("values parse");
        assert!(values.node_selector.is_empty(), "{service}");
        assert!(values.tolerations.is_empty(), "{service}");
    }
}

/// The guide's namespace, one per environment (`money-tracking-prod`): where the workflows deploy,
/// what the rules select and carry, and what Terraform's roles trust.
#[test]
fn each_environment_deploys_to_the_guides_namespace() {
    let (model, artifacts) = rendered_in(None);
    for environment in ["dev", "staging", "prod"] {
        let namespace = format!("money-tracking-{environment}");
        assert_eq!(model.environments[environment].namespace, namespace);
        let workflow = text(
            &artifacts,
            &format!(".github/workflows/deploy-user-service-{environment}.yml"),
        );
        assert!(
            workflow.contains(&format!("NAMESPACE: \"{namespace}\"")),
            "{workflow}"
        );
        let rules = text(
            &artifacts,
            &format!("generated/{environment}/prometheus-rules.yaml"),
        );
        assert!(
            rules.contains(&format!("up{{namespace=\\\"{namespace}\\\"}} == 0")),
            "{rules}"
        );
        assert!(!rules.contains("$namespace"), "{rules}");
        let tfvars: serde_json::Value = hcl::from_str(text(
            &artifacts,
            &format!("generated/{environment}/terraform.tfvars"),
        ))
        .expect("HCL");
        assert_eq!(tfvars["namespace"], namespace.as_str());
    }
}

/// The guide's sampling strategy: every service traced, 10 % of traces kept in production and
/// all of them in staging and development, through the OpenTelemetry SDK's own variables (the
/// runtime's transaction-service reads them too).
#[test]
fn every_environment_samples_traces_as_the_guide_says() {
    let (_, artifacts) = rendered_in(None);
    for (environment, ratio) in [("prod", "0.1"), ("staging", "1"), ("dev", "1")] {
        for service in [
            "user-service",
            "auth-service",
            "bank-service",
            "transaction-service",
            "analytics-service",
        ] {
            let path = format!("generated/{environment}/helm-values/{service}.yaml");
            let values: helm_values::HelmValues =
                serde_norway::from_str(text(&artifacts, &path)).expect("values parse");
            for (key, value) in [
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", ratio),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_SERVICE_NAME", service),
                (
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "http://jaeger-collector.monitoring.svc:4318",
                ),
            ] {
                assert_eq!(values.config[key], value, "{path}: {key}");
            }
            assert!(
                values.network_policy.egress_ports.contains(&4318),
                "{path} reaches the collector"
            );
        }
    }
}

/// The guide's node groups and add-ons ("Compute: EKS"), as Terraform receives them.
#[test]
fn prod_runs_the_guides_node_groups_and_add_ons() {
    let (_, artifacts) = rendered();
    let tfvars: serde_json::Value =
        hcl::from_str(text(&artifacts, "generated/prod/terraform.tfvars")).expect("HCL");
    assert_eq!(
        tfvars["eks_node_groups"],
        serde_json::json!({
            "general-purpose": {
                "instance_types": ["t3.xlarge"], "min_size": 3, "max_size": 10, "desired_size": 3,
                "capacity_type": "ON_DEMAND", "ami_type": "AL2023_x86_64_STANDARD",
                "labels": {}, "taints": []
            },
            "memory-optimized": {
                "instance_types": ["r6g.large"], "min_size": 1, "max_size": 3, "desired_size": 1,
                "capacity_type": "ON_DEMAND", "ami_type": "AL2023_ARM_64_STANDARD",
                "labels": { "workload": "analytics" },
                "taints": [{ "key": "workload", "value": "analytics", "effect": "NO_SCHEDULE" }]
            }
        })
    );
    let addons: Vec<&str> = tfvars["eks_addons"]
        .as_object()
        .expect("add-ons")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        addons,
        ["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]
    );
}

/// The guide's VPC design, node group, RDS and ElastiCache for prod, as Terraform receives them.
#[test]
fn prod_infrastructure_is_the_guides() {
    let (_, artifacts) = rendered();
    let tfvars = text(&artifacts, "generated/prod/terraform.tfvars");
    for line in [
        r#"vpc_cidr = "10.2.0.0/16""#,
        r#"public_subnet_cidrs = ["10.2.1.0/24", "10.2.2.0/24", "10.2.3.0/24"]"#,
        r#"private_subnet_cidrs = ["10.2.10.0/24", "10.2.11.0/24", "10.2.12.0/24"]"#,
        r#"database_subnet_cidrs = ["10.2.20.0/24", "10.2.21.0/24", "10.2.22.0/24"]"#,
        r#"single_nat_gateway = false"#,
        r#"eks_cluster_version = "1.28""#,
        r#"rds_engine = "postgres""#,
        r#"rds_instance_class = "db.r6g.xlarge""#,
        r#"rds_allocated_storage = 500"#,
        r#"rds_max_allocated_storage = 2000"#,
        r#"rds_multi_az = true"#,
        r#"rds_backup_retention = 30"#,
        r#"rds_performance_insights = true"#,
        // The guide's RDS PostgreSQL: 15, gp3 with 12,000 IOPS and 500 MB/s, two db.r6g.large
        // replicas in us-east-1a and us-east-1b, backups at 03:00 UTC, Enhanced Monitoring
        // every 60 s, its parameter group and the extensions RDS offers (pgvector is `vector`).
        r#"rds_engine_version = "15""#,
        r#"rds_storage_type = "gp3""#,
        r#"rds_iops = 12000"#,
        r#"rds_storage_throughput = 500"#,
        r#"rds_read_replicas = [{ availability_zone = "us-east-1a", instance_class = "db.r6g.large" }, { availability_zone = "us-east-1b", instance_class = "db.r6g.large" }]"#,
        r#"rds_backup_window = "03:00-04:00""#,
        r#"rds_monitoring_interval = 60"#,
        r#"rds_extensions = ["pg_stat_statements", "vector"]"#,
        r#"max_connections = "500""#,
        r#"shared_buffers = "1048576""#,
        r#"effective_cache_size = "3145728""#,
        r#"work_mem = "65536""#,
        r#"maintenance_work_mem = "2097152""#,
        r#"random_page_cost = "1.1""#,
        r#"shared_preload_libraries = "pg_stat_statements""#,
        // The guide's ElastiCache: Redis 7.0 on cache.r6g.large, cluster mode, 3 shards x 1
        // replica, Multi-AZ with automatic failover, a daily backup at 02:00 UTC kept 7 days,
        // encrypted at rest and in transit, maintenance on Sunday 03:00-04:00 UTC.
        r#"redis_node_type = "cache.r6g.large""#,
        r#"budget_alert_amounts_usd = [2000, 2500, 3000]"#,
        r#"redis_engine_version = "7.0""#,
        r#"redis_cluster_mode = true"#,
        r#"redis_num_shards = 3"#,
        r#"redis_replicas_per_shard = 1"#,
        r#"redis_num_nodes = 6"#,
        r#"redis_automatic_failover = true"#,
        r#"redis_multi_az = true"#,
        r#"redis_at_rest_encryption = true"#,
        r#"redis_transit_encryption = true"#,
        r#"redis_snapshot_window = "02:00-03:00""#,
        r#"redis_snapshot_retention = 7"#,
        r#"redis_maintenance_window = "sun:03:00-sun:04:00""#,
    ] {
        let squeezed: String = tfvars
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(squeezed.contains(line), "{line} not in\n{tfvars}");
    }
}

/// The guide's buckets, its ALB (health check, access logs) and its WAF attached, in prod.
#[test]
fn prod_buckets_and_load_balancer_are_the_guides() {
    let (model, artifacts) = rendered();
    let prod = model.environment("prod").expect("prod");
    assert_eq!(prod.account_id.as_deref(), Some("333333333333"));
    let bucket = |purpose: &str| &prod.buckets[purpose];
    let documents = bucket("documents");
    assert!(documents.versioned);
    assert_eq!(documents.encryption, BucketEncryption::SseS3);
    assert_eq!(documents.glacier_after_days, Some(90));
    assert_eq!(bucket("reports").expire_after_days, Some(30));
    let backups = bucket("backups");
    assert!(backups.versioned);
    assert_eq!(backups.encryption, BucketEncryption::SseKms);
    assert_eq!(backups.glacier_after_days, Some(7));
    assert_eq!(bucket("logs").expire_after_days, Some(365));

    let tfvars = text(&artifacts, "generated/prod/terraform.tfvars");
    assert!(
        tfvars.contains(r#"aws_account_id = "333333333333""#),
        "{tfvars}"
    );
    assert!(
        tfvars.contains(r#"name = "money-tracking-prod-documents""#),
        "{tfvars}"
    );

    let values = text(&artifacts, "generated/prod/helm-values/user-service.yaml");
    for line in [
        r#"alb.ingress.kubernetes.io/healthcheck-path: "/health""#,
        r#"alb.ingress.kubernetes.io/healthcheck-interval-seconds: "30""#,
        r#"alb.ingress.kubernetes.io/healthcheck-timeout-seconds: "5""#,
        r#"alb.ingress.kubernetes.io/healthy-threshold-count: "2""#,
        r#"alb.ingress.kubernetes.io/unhealthy-threshold-count: "3""#,
        r#"alb.ingress.kubernetes.io/target-type: "ip""#,
        r#"alb.ingress.kubernetes.io/ssl-redirect: "443""#,
        r#"alb.ingress.kubernetes.io/load-balancer-attributes: "access_logs.s3.enabled=true,access_logs.s3.bucket=money-tracking-prod-logs,access_logs.s3.prefix=alb""#,
        r#"alb.ingress.kubernetes.io/wafv2-acl-name: "money-tracking-prod-waf""#,
    ] {
        assert!(values.contains(line), "{line} not in\n{values}");
    }
}

/// The guide's geo-blocking in prod: the US, Canada, the UK (GB) and the EU's 27 member states
/// are allowed, every other country blocked; dev and staging have no geo rule.
#[test]
fn prod_allows_the_guides_countries_only() {
    let (model, artifacts) = rendered();
    let allowed = &model
        .environment("prod")
        .expect("prod")
        .waf
        .allowed_countries;
    assert_eq!(allowed.len(), 30, "{allowed:?}");
    for country in ["US", "CA", "GB", "FR", "DE", "IE", "PL"] {
        assert!(
            allowed.iter().any(|a| a == country),
            "{country}: {allowed:?}"
        );
    }
    assert!(!allowed.iter().any(|a| a == "UK" || a == "CH" || a == "NO"));
    let tfvars = text(&artifacts, "generated/prod/terraform.tfvars");
    assert!(
        tfvars.contains(r#"waf_allowed_countries = ["AT", "BE", "BG", "CA","#),
        "{tfvars}"
    );
    for env in ["dev", "staging"] {
        let environment = model.environment(env).expect(env);
        assert!(environment.waf.allowed_countries.is_empty(), "{env}");
    }
}

/// The runtime's service is told it talks to a Redis Cluster (its cluster client, keys under one
/// hash tag), in every environment, since each one's cache is a cluster; the others are not
/// the runtime and get no Redis wiring.
#[test]
fn the_runtime_talks_to_the_cache_as_a_cluster() {
    let model = Model::load(&workspace().join(SPEC)).expect("the guide's spec is valid");
    for environment in model.environments.values() {
        assert!(
            environment.cache.topology.is_cluster(),
            "{}",
            environment.name
        );
        for service in &model.services {
            let values = helm_values::values(&model, environment, service);
            let cluster = values.config.get("REDIS_CLUSTER").map(String::as_str);
            let expected = service.api().is_some().then_some("true");
            assert_eq!(cluster, expected, "{} {}", environment.name, service.name);
        }
    }
}

/// The guide's "Secrets Manager" list under its names, its ExternalSecret (user-service reads
/// the database, Redis and the JWT secret) and its BankServiceRole (the documents bucket, the
/// Plaid secret), all from names the spec declares once.
#[test]
fn prod_secrets_and_service_access_are_the_guides() {
    let (model, artifacts) = rendered();
    let prod = model.environment("prod").expect("prod");
    let names: Vec<String> = model
        .secrets
        .keys()
        .map(|name| model.platform_secret_name(prod, name))
        .collect();
    assert_eq!(
        names,
        [
            "prod/money-tracking/encryption-key",
            "prod/money-tracking/jwt-secret",
            "prod/money-tracking/openai-api-key",
            "prod/money-tracking/plaid-secret",
            "prod/money-tracking/telegram-bot-token",
        ]
    );

    let reads = |service: &str| -> BTreeMap<String, (String, Option<String>)> {
        let path = format!("generated/prod/helm-values/{service}.yaml");
        let values: helm_values::HelmValues =
            serde_norway::from_str(text(&artifacts, &path)).expect("values parse");
        assert!(values.secrets.external_secret.enabled, "{service}");
        assert_eq!(values.secrets.external_secret.refresh_interval, "1h");
        values
            .secrets
            .external_secret
            .data
            .into_iter()
            .map(|read| (read.env, (read.remote_key, read.property)))
            .collect()
    };
    let user = reads("user-service");
    let read = |key: &str, property: Option<&str>| (key.to_string(), property.map(str::to_string));
    assert_eq!(
        user["DB_USER"],
        read("prod/money-tracking/database", Some("username"))
    );
    // The database's address is PgBouncer's Service, and the database name the service's own
    // entry of it: configuration, not the secret's.
    for variable in ["DB_HOST", "DB_PORT", "DB_NAME"] {
        assert!(
            !user.contains_key(variable),
            "{variable} read from a secret"
        );
    }
    let user_values: helm_values::HelmValues = serde_norway::from_str(text(
        &artifacts,
        "generated/prod/helm-values/user-service.yaml",
    ))
    .expect("values parse");
    assert_eq!(
        user_values.config["DB_HOST"],
        "pgbouncer.money-tracking-prod.svc.cluster.local"
    );
    assert_eq!(user_values.config["DB_PORT"], "6432");
    assert_eq!(user_values.config["DB_NAME"], "user-service");
    assert_eq!(
        user["REDIS_HOST"],
        read("prod/money-tracking/redis", Some("host"))
    );
    assert_eq!(
        user["JWT_SECRET"],
        read("prod/money-tracking/jwt-secret", None)
    );
    assert_eq!(
        reads("bank-service")["ENCRYPTION_KEY"],
        read("prod/money-tracking/encryption-key", None)
    );

    // Only the services whose roles reach AWS APIs may open HTTPS connections.
    for (service, https) in [
        ("bank-service", true),
        ("analytics-service", true),
        ("user-service", false),
        ("transaction-service", false),
    ] {
        let path = format!("generated/prod/helm-values/{service}.yaml");
        let values: helm_values::HelmValues =
            serde_norway::from_str(text(&artifacts, &path)).expect("values parse");
        let ports = &values.network_policy.egress_ports;
        assert_eq!(ports.contains(&443), https, "{service}: {ports:?}");
        // The pods assume the role Terraform makes for the service, in prod's account.
        assert_eq!(
            values.service_account.annotations[helm_values::IRSA_ANNOTATION],
            format!("arn:aws:iam::333333333333:role/money-tracking-prod-{service}")
        );
    }

    let tfvars = text(&artifacts, "generated/prod/terraform.tfvars");
    assert!(
        tfvars.contains(r#""bank-service"        = { buckets_read = [], buckets_read_write = ["documents"], ecr_repository = "bank-service", port = 3002, reads_datastore_secrets = true, runtime = false, secrets = ["plaid-secret"] }"#),
        "{tfvars}"
    );
    assert!(
        tfvars.contains(r#""plaid-secret"       = { description = "Plaid API credentials (bank-service reads them through the AWS API)", name = "prod/money-tracking/plaid-secret" }"#),
        "{tfvars}"
    );
}

/// An environment changes what one service may reach and how many of another's pods a drain
/// keeps, in its own releases only.
#[test]
fn an_environment_overrides_egress_and_the_disruption_budget_of_its_own_releases() {
    let text = std::fs::read_to_string(workspace().join(SPEC))
        .expect("the spec is readable")
        .replacen(
            "[environments.prod.tracing]",
            "[environments.prod.services.bank-service]\n\
             egress.services = [\"transaction-service\", \"user-service\"]\n\n\
             [environments.prod.services.auth-service]\n\
             disruption_budget = { min_available = 2 }\n\n\
             [environments.prod.tracing]",
            1,
        );
    let model = Model::load_str(SPEC, &text).expect("valid");
    let values = |environment: &str, service: &str| {
        helm_values::values(
            &model,
            model.environment(environment).expect("environment"),
            model.service(service).expect("service"),
        )
    };
    let reached = |environment: &str| -> Vec<String> {
        values(environment, "bank-service")
            .network_policy
            .egress_services
            .into_iter()
            .map(|service| service.name)
            .collect()
    };
    assert_eq!(
        reached("prod"),
        ["transaction-service", "user-service", "pgbouncer"]
    );
    assert_eq!(reached("staging"), ["transaction-service", "pgbouncer"]);
    // The rest of prod's egress is the service's own: Redis (the database through PgBouncer).
    assert_eq!(
        values("prod", "bank-service").network_policy.egress_ports[..1],
        [6379]
    );
    assert_eq!(
        values("prod", "auth-service")
            .pod_disruption_budget
            .min_available,
        2
    );
    assert_eq!(
        values("staging", "auth-service")
            .pod_disruption_budget
            .min_available,
        1
    );
}

/// An environment lets a service's role reach one more bucket there: its IRSA policy (the
/// tfvars), its NetworkPolicy's HTTPS egress and `explain` say so, the other environments keep
/// the service's own access.
#[test]
fn an_environment_extends_a_services_access_in_its_own_role_only() {
    let spec = std::fs::read_to_string(workspace().join(SPEC))
        .expect("the spec is readable")
        .replacen(
            "[environments.prod.tracing]",
            "[environments.prod.services.transaction-service]\n\
             access.buckets.reports = \"read\"\n\n\
             [environments.prod.tracing]",
            1,
        );
    let model = Model::load_str(SPEC, &spec).expect("valid");
    let request = Request {
        model: &model,
        spec_path: SPEC,
        spec_text: &spec,
        only_environment: None,
    };
    let artifacts = render_all(&request).expect("renders");
    let role = |environment: &str| -> String {
        text(
            &artifacts,
            &format!("generated/{environment}/terraform.tfvars"),
        )
        .lines()
        .find(|line| line.trim_start().starts_with("\"transaction-service\""))
        .expect("the service's role")
        .to_string()
    };
    assert!(
        role("prod").contains(r#"buckets_read = ["reports"]"#),
        "{}",
        role("prod")
    );
    assert!(
        role("staging").contains("buckets_read = []"),
        "{}",
        role("staging")
    );
    let https = |environment: &str| {
        helm_values::values(
            &model,
            model.environment(environment).expect("environment"),
            model.service("transaction-service").expect("service"),
        )
        .network_policy
        .egress_ports
        .contains(&443)
    };
    assert!(https("prod"));
    assert!(!https("staging"));
    let key = generator::source::Path::parse_dotted(
        "services.transaction-service.access.buckets.reports",
    )
    .expect("a path");
    assert_eq!(
        model.environments["prod"]
            .resolved
            .source_of(&key)
            .to_string(),
        "environments.prod.services.transaction-service.access.buckets.reports"
    );
}

/// An environment gives a service one more variable from a secret: its release there reads it
/// through the ExternalSecret, the others' do not.
#[test]
fn an_environment_adds_a_variable_read_from_a_secret_to_its_own_release_only() {
    let spec = std::fs::read_to_string(workspace().join(SPEC))
        .expect("the spec is readable")
        .replacen(
            "[environments.prod.tracing]",
            "[environments.prod.services.bank-service]\n\
             secrets.OPENAI_API_KEY = \"openai-api-key\"\n\n\
             [environments.prod.tracing]",
            1,
        );
    let model = Model::load_str(SPEC, &spec).expect("valid");
    let reads = |environment: &str| -> Vec<String> {
        helm_values::values(
            &model,
            model.environment(environment).expect("environment"),
            model.service("bank-service").expect("service"),
        )
        .secrets
        .external_secret
        .data
        .into_iter()
        .map(|item| item.env)
        .collect()
    };
    assert!(
        reads("prod").contains(&"OPENAI_API_KEY".to_string()),
        "{:?}",
        reads("prod")
    );
    assert!(!reads("staging").contains(&"OPENAI_API_KEY".to_string()));
    // The service's own reads stay in both.
    for environment in ["prod", "staging"] {
        assert!(reads(environment).contains(&"ENCRYPTION_KEY".to_string()));
    }
}
