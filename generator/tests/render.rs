//! Every artifact of the example spec: pinned by snapshots, deterministic, and parsing back to
//! the spec's values.

use crate::support::{EXAMPLE, example, example_text, load, runtime_service, two_service_text};
use std::collections::BTreeMap;

use generator::Model;
use generator::model::{COST_DASHBOARD_UID, PLATFORM_VARIABLES};
use generator::render::{Artifact, Request, helm_values, render_all, tfvars};

fn render(model: &Model) -> Vec<Artifact> {
    render_all(&Request {
        model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: None,
    })
    .expect("renders")
}

fn artifact<'a>(artifacts: &'a [Artifact], path: &str) -> &'a Artifact {
    artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let model = example();
    assert_eq!(render(&model), render(&model));
}

/// Moves every `[environments.<name>...]` block of the example to the reverse order.
fn with_environments_reversed(text: &str) -> String {
    let start = text.find("[environments.dev]").expect("dev block");
    let end = text
        .find("# Routes of the runtime")
        .expect("routes comment");
    let (head, rest) = text.split_at(start);
    let (environments, tail) = rest.split_at(end - start);
    let mut blocks: Vec<String> = Vec::new();
    for line in environments.lines() {
        // A header `[environments.<name>]` (exactly two dotted parts) opens an environment's block.
        let opens_environment = line.starts_with("[environments.") && line.split('.').count() == 2;
        if opens_environment || blocks.is_empty() {
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks.reverse();
    format!("{head}{}{tail}", blocks.concat())
}

#[test]
fn output_does_not_depend_on_the_order_of_tables_in_the_spec() {
    let original = example_text();
    let reordered = with_environments_reversed(&original);
    assert_ne!(original, reordered, "the reordering changed nothing");
    let reordered_model = Model::load_str(EXAMPLE, &reordered).expect("still valid");
    assert_eq!(render(&example()), render(&reordered_model));
}

#[test]
fn tfvars_parse_back_to_the_spec_values() {
    let model = example();
    let artifacts = render(&model);
    for environment in model.environments.values() {
        let text = &artifact(
            &artifacts,
            &format!("generated/{}/terraform.tfvars", environment.name),
        )
        .contents;
        let parsed: serde_json::Value = hcl::from_str(text).expect("tfvars is HCL");
        let expected: serde_json::Map<String, serde_json::Value> =
            tfvars::variables(&model, environment)
                .into_iter()
                .flat_map(|(_, group)| group)
                .map(|(name, value)| (name.to_string(), value))
                .collect();
        assert_eq!(
            parsed,
            serde_json::Value::Object(expected),
            "{}",
            environment.name
        );
    }
}

#[test]
fn tfvars_carry_the_seed_tables_exactly() {
    let model = example();
    let artifacts = render(&model);
    let parse = |env: &str| -> serde_json::Value {
        hcl::from_str(&artifact(&artifacts, &format!("generated/{env}/terraform.tfvars")).contents)
            .expect("HCL")
    };
    let dev = parse("dev");
    let staging = parse("staging");
    let prod = parse("prod");
    // The seed's "Environment-Specific Configurations", value by value.
    let seed = serde_json::json!({
        "dev": { "environment": "dev", "project_name": "expense", "aws_region": "us-east-1", "vpc_cidr": "10.0.0.0/16",
            "availability_zones": ["us-east-1a", "us-east-1b"], "eks_cluster_version": "1.28", "rds_instance_class": "db.t3.micro", "rds_allocated_storage": 20, "rds_multi_az": false,
            "rds_backup_retention": 1, "redis_node_type": "cache.t3.micro", "redis_num_nodes": 1, "redis_automatic_failover": false,
            "bastion_instance_type": "t3.small", "cache_ttl_seconds": 60, "log_retention_days": 7 },
        "staging": { "environment": "staging", "vpc_cidr": "10.1.0.0/16", "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
            "rds_instance_class": "db.t3.small", "rds_allocated_storage": 50,
            "rds_multi_az": true, "rds_backup_retention": 7, "redis_node_type": "cache.t3.small", "redis_num_nodes": 2,
            "redis_automatic_failover": true, "bastion_instance_type": "t3.small", "cache_ttl_seconds": 180, "log_retention_days": 30 },
        "prod": { "environment": "prod", "vpc_cidr": "10.2.0.0/16", "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
            "rds_instance_class": "db.t3.small", "rds_allocated_storage": 100,
            "rds_max_allocated_storage": 500, "rds_multi_az": true, "rds_backup_retention": 30, "redis_node_type": "cache.t3.medium",
            "redis_num_nodes": 3, "redis_automatic_failover": true, "bastion_instance_type": "t3.medium", "cache_ttl_seconds": 300,
            "log_retention_days": 90, "monthly_budget_usd": 500, "budget_alert_emails": ["devops@example.com"] }
    });
    for (name, parsed) in [("dev", &dev), ("staging", &staging), ("prod", &prod)] {
        for (key, value) in seed[name].as_object().expect("table") {
            assert_eq!(&parsed[key], value, "{name}: {key}");
        }
    }
    // The seed's node pool (its eks_node_instance_types, sizes and spot share) is the spec's
    // `[eks]` shorthand, as written; the tfvars carry it as the eks module used to split it: the
    // on-demand share of each size rounded up, the rest on spot, no group that could hold no node.
    let pools = serde_json::json!({
        "dev": { "instance_types": ["t3.medium"], "desired_size": 2, "min_size": 1, "max_size": 4, "spot": true, "spot_percentage": 80 },
        "staging": { "instance_types": ["t3.medium", "t3.large"], "desired_size": 3, "min_size": 2, "max_size": 6, "spot": true, "spot_percentage": 50 },
        "prod": { "instance_types": ["t3.large", "t3.xlarge"], "desired_size": 4, "min_size": 3, "max_size": 10, "spot": false, "spot_percentage": 0 }
    });
    // (capacity type, desired, min, max) of each group.
    let split = serde_json::json!({
        "dev": { "on-demand": ["ON_DEMAND", 1, 1, 1], "spot": ["SPOT", 1, 0, 3] },
        "staging": { "on-demand": ["ON_DEMAND", 2, 1, 3], "spot": ["SPOT", 1, 1, 3] },
        "prod": { "on-demand": ["ON_DEMAND", 4, 3, 10] }
    });
    for (name, parsed) in [("dev", &dev), ("staging", &staging), ("prod", &prod)] {
        let resolved = &model.environments[name].resolved.value["eks"];
        for (key, value) in pools[name].as_object().expect("table") {
            assert_eq!(&resolved[key], value, "{name}: eks.{key}");
        }
        let groups = parsed["eks_node_groups"].as_object().expect("node groups");
        let rendered: serde_json::Map<String, serde_json::Value> = groups
            .iter()
            .map(|(group, settings)| {
                assert_eq!(
                    settings["instance_types"], pools[name]["instance_types"],
                    "{name}: {group}"
                );
                let sizes = serde_json::json!([
                    settings["capacity_type"],
                    settings["desired_size"],
                    settings["min_size"],
                    settings["max_size"]
                ]);
                (group.clone(), sizes)
            })
            .collect();
        assert_eq!(serde_json::Value::Object(rendered), split[name], "{name}");
    }
}

#[test]
fn helm_values_parse_back_into_the_typed_contract() {
    let model = example();
    let artifacts = render(&model);
    for environment in model.environments.values() {
        let text = &artifact(
            &artifacts,
            &helm_values::path(environment, runtime_service(&model)),
        )
        .contents;
        let parsed: helm_values::HelmValues =
            serde_norway::from_str(text).expect("values parse into HelmValues");
        let request = Request {
            model: &model,
            spec_path: EXAMPLE,
            spec_text: &example_text(),
            only_environment: None,
        };
        assert_eq!(
            parsed,
            helm_values::release_values(&request, environment, runtime_service(&model))
                .expect("renders"),
            "{}",
            environment.name
        );
        let settings = environment;
        assert_eq!(
            parsed.container_port,
            environment.settings_of(runtime_service(&model)).port
        );
        assert_eq!(
            parsed.probes.liveness.path,
            environment.settings_of(runtime_service(&model)).health_path
        );
        assert_eq!(
            parsed.probes.readiness.path,
            environment
                .settings_of(runtime_service(&model))
                .readiness_path
        );
        assert_eq!(
            parsed.autoscaling.min_replicas,
            settings.app.autoscaling.min_replicas
        );
        assert_eq!(
            parsed.autoscaling.max_replicas,
            settings.app.autoscaling.max_replicas
        );
        assert_eq!(parsed.ingress.host, settings.ingress.host);
        assert!(
            !text.to_lowercase().contains("password:"),
            "no secret values in values files"
        );
    }
}

#[test]
fn the_spec_probe_timings_reach_the_chart_values() {
    // The guide's liveness probe; readiness and startup keep their defaults.
    let text = example_text().replacen(
        "shutdown_grace_seconds = 20",
        "shutdown_grace_seconds = 20\nprobes.liveness = { initial_delay_seconds = 30, \
         period_seconds = 10, timeout_seconds = 5, failure_threshold = 3 }",
        1,
    );
    let model = Model::load_str("probes.toml", &text).expect("valid");
    let prod = model.environment("prod").expect("prod");
    let probes = helm_values::values(&model, prod, runtime_service(&model)).probes;
    let timing = |probe: &helm_values::Probe| {
        (
            probe.initial_delay_seconds,
            probe.period_seconds,
            probe.timeout_seconds,
            probe.failure_threshold,
        )
    };
    assert_eq!(timing(&probes.liveness), (30, 10, 5, 3));
    assert_eq!(timing(&probes.readiness), (5, 5, 2, 2));
    assert_eq!(timing(&probes.startup), (0, 5, 2, 24));
    assert_eq!(probes.startup.path, "/health");
}

#[test]
fn the_spec_rollout_and_scaling_behaviour_reach_the_chart_values() {
    let text = example_text()
        .replacen(
            "shutdown_grace_seconds = 20",
            "shutdown_grace_seconds = 20\nrollout = { max_surge = 2, max_unavailable = 1 }",
            1,
        )
        .replacen(
            "autoscaling = { min_replicas = 3, max_replicas = 10, cpu_target_percent = 70 }",
            "autoscaling = { min_replicas = 3, max_replicas = 10, cpu_target_percent = 70, \
             scale_down = { percent = 10, period_seconds = 120, stabilization_seconds = 600 } }",
            1,
        );
    let model = Model::load_str("behaviour.toml", &text).expect("valid");
    let prod = helm_values::values(
        &model,
        model.environment("prod").expect("prod"),
        runtime_service(&model),
    );
    assert_eq!(
        (prod.rollout.max_surge, prod.rollout.max_unavailable),
        (2, 1)
    );
    let rules = |rules: &helm_values::ScalingRules| {
        let policy = &rules.policies[0];
        (
            policy.value,
            policy.period_seconds,
            rules.stabilization_window_seconds,
        )
    };
    assert_eq!(rules(&prod.autoscaling.behavior.scale_down), (10, 120, 600));
    // The seed's scale-up where the spec leaves it alone.
    assert_eq!(rules(&prod.autoscaling.behavior.scale_up), (100, 30, 0));
    let staging = helm_values::values(
        &model,
        model.environment("staging").expect("staging"),
        runtime_service(&model),
    );
    assert_eq!(
        rules(&staging.autoscaling.behavior.scale_down),
        (50, 60, 300)
    );
}

#[test]
fn a_memory_target_reaches_the_autoscaler_only_where_the_spec_sets_one() {
    for (spec, wanted) in [(EXAMPLE, None), ("specs/ledger.toml", Some(80))] {
        let model = load(spec);
        for environment in model.environments.values() {
            let autoscaling =
                helm_values::values(&model, environment, runtime_service(&model)).autoscaling;
            assert_eq!(
                autoscaling.target_memory_utilization_percentage, wanted,
                "{spec} {}",
                environment.name
            );
        }
    }
}

#[test]
fn prometheus_rules_carry_each_environments_thresholds_and_routing() {
    for spec in ["specs/expense.toml", "specs/ledger.toml"] {
        prometheus_rules_carry_thresholds_and_routing(&load(spec));
    }
    // The expense spec's own values: dev's override of one threshold, PagerDuty on errors.
    let model = example();
    let artifacts = render(&model);
    for environment in model.environments.values() {
        let text = &artifact(
            &artifacts,
            &format!("generated/{}/prometheus-rules.yaml", environment.name),
        )
        .contents;
        let parsed: serde_json::Value = serde_norway::from_str(text).expect("YAML");
        let rules: Vec<&serde_json::Value> = parsed["spec"]["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .flat_map(|g| g["rules"].as_array().expect("rules").iter())
            .collect();
        let high_response = rules
            .iter()
            .find(|r| r["alert"] == "HighResponseTime")
            .expect("HighResponseTime");
        let expected = if environment.name == "dev" {
            "0.5"
        } else {
            "0.2"
        };
        assert!(
            high_response["expr"]
                .as_str()
                .expect("expr")
                .ends_with(&format!("> {expected}"))
        );
        let error_rate = rules
            .iter()
            .find(|r| r["alert"] == "HighErrorRate")
            .expect("HighErrorRate");
        assert_eq!(error_rate["labels"]["pagerduty"], "yes");
        let availability_page = rules
            .iter()
            .find(|r| {
                r["alert"] == "AvailabilityErrorBudgetBurn" && r["labels"]["long_window"] == "1h"
            })
            .expect("fast burn alert");
        assert!(
            availability_page["expr"]
                .as_str()
                .expect("expr")
                .contains("> 0.0144"),
            "14.4 x (1 - 0.999)"
        );
    }
}

fn prometheus_rules_carry_thresholds_and_routing(model: &Model) {
    let artifacts = render(model);
    for environment in model.environments.values() {
        let text = &artifact(
            &artifacts,
            &format!("generated/{}/prometheus-rules.yaml", environment.name),
        )
        .contents;
        let parsed: serde_json::Value = serde_norway::from_str(text).expect("YAML");
        assert_eq!(parsed["kind"], "PrometheusRule");
        assert_eq!(parsed["apiVersion"], "monitoring.coreos.com/v1");
        let rules: Vec<&serde_json::Value> = parsed["spec"]["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .flat_map(|g| g["rules"].as_array().expect("rules").iter())
            .collect();
        for rule in &rules {
            let expr = rule["expr"].as_str().expect("expr");
            promql_parser::parser::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        }
        // Recording rules are named after the project (`ledger:...` for ledger.toml).
        for metric in ["cache_hit_ratio", "api_request_duration_p95"] {
            let record = format!("{}:{metric}", model.project.name);
            assert!(
                rules.iter().any(|r| r["record"] == record.as_str()),
                "{record}"
            );
        }
        for alert in &model.alerts {
            let rule = rules
                .iter()
                .find(|r| r["alert"] == alert.name.as_str())
                .expect("alert rendered");
            assert_eq!(rule["expr"], environment.alert_expression(alert));
            assert_eq!(rule["for"], alert.for_.as_str());
            assert_eq!(rule["labels"]["environment"], environment.name.as_str());
            let severity = serde_json::to_value(alert.severity).expect("severity");
            assert_eq!(rule["labels"]["severity"], severity);
        }
        for slo in &model.slos {
            let burn: Vec<_> = rules
                .iter()
                .filter(|r| r["labels"]["slo"] == slo.name.as_str() && r["alert"].is_string())
                .collect();
            assert_eq!(burn.len(), 4, "{}: four burn-rate alerts", slo.name);
            assert!(
                rules
                    .iter()
                    .any(|r| r["record"] == "slo:error_budget_remaining:ratio"
                        && r["labels"]["slo"] == slo.name.as_str())
            );
        }
    }
}

const HOSTILE: &str =
    "q\"t b\\s\nnl ${v.x} %{if} {{ j }} {% b %} {= w =} ü 💥\tt #h: - [a] &a *r !t '";

fn hostile_spec() -> (Model, String) {
    let toml_string = toml::Value::String(HOSTILE.to_string()).to_string();
    let text = generator::cli::STARTER_SPEC
        .replace(
            "owner = \"platform-team\"",
            &format!("owner = {toml_string}"),
        )
        .replace(
            "summary = \"High error rate\"",
            &format!("summary = {toml_string}\nlabels = {{ team = {toml_string} }}"),
        )
        .replace(
            "description = \"Error rate is {{ $value | humanizePercentage }}\"",
            &format!("description = {toml_string}"),
        )
        .replace("title = \"API\"", &format!("title = {toml_string}"));
    let model =
        Model::load_str("hostile.toml", &text).expect("hostile strings are valid spec values");
    (model, text)
}

#[test]
fn hostile_strings_render_into_artifacts_that_parse_and_round_trip() {
    let (model, text) = hostile_spec();
    let artifacts = render_all(&Request {
        model: &model,
        spec_path: "hostile.toml",
        spec_text: &text,
        only_environment: None,
    })
    .expect("renders");
    let mut served = 0;
    for artifact in &artifacts {
        if artifact.path.ends_with(".tfvars") {
            let parsed: serde_json::Value = hcl::from_str(&artifact.contents).expect("HCL");
            assert_eq!(parsed["tags"]["Owner"], HOSTILE, "{}", artifact.path);
        } else if artifact.path.ends_with(".yaml") || artifact.path.ends_with(".yml") {
            let parsed: serde_json::Value = serde_norway::from_str(&artifact.contents)
                .unwrap_or_else(|e| panic!("{}: {e}", artifact.path));
            if artifact.path.ends_with("prometheus-rules.yaml") {
                let rules = parsed["spec"]["groups"]
                    .as_array()
                    .expect("groups")
                    .iter()
                    .flat_map(|g| g["rules"].as_array().expect("rules"));
                let alert = rules
                    .into_iter()
                    .find(|r| r["alert"] == "HighErrorRate")
                    .expect("alert");
                assert_eq!(alert["annotations"]["summary"], HOSTILE);
                assert_eq!(alert["annotations"]["description"], HOSTILE);
                assert_eq!(alert["labels"]["team"], HOSTILE);
            }
            if artifact.path.contains("/helm-values/") && parsed.get("spec").is_some() {
                assert_eq!(parsed["spec"]["file"], text.as_str(), "{}", artifact.path);
                served += 1;
            }
        } else if artifact.path.contains("/dashboards/")
            && !artifact
                .path
                .ends_with(&format!("/{COST_DASHBOARD_UID}.json"))
        {
            let parsed: serde_json::Value = serde_json::from_str(&artifact.contents)
                .unwrap_or_else(|e| panic!("{}: {e}", artifact.path));
            assert_eq!(
                parsed["title"].as_str().map(|t| t.starts_with(HOSTILE)),
                Some(true),
                "{}",
                artifact.path
            );
        }
    }
    assert!(served > 0, "a runtime release carries the hostile spec");
}

#[test]
fn a_template_error_names_the_template_file_and_line() {
    let error = generator::render::RenderError::from(
        minijinja::Environment::new()
            .template_from_named_str("x.yaml.j2", "a\n{{ nope(")
            .expect_err("does not parse"),
    );
    let text = error.to_string();
    assert!(
        text.starts_with("generator/templates/x.yaml.j2:2: "),
        "{text}"
    );
}

/// The example with its service running its own image: the runtime's table and routes removed,
/// a configuration and two ingress prefixes added.
fn own_image_example() -> Model {
    let example = example_text();
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in example.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[services.expense-backend.runtime]")
                || line.starts_with("[[services.expense-backend.routes]]");
        }
        if !skipping {
            kept.push(line);
        }
    }
    let text = kept.join("\n").replacen(
        "shutdown_grace_seconds = 20",
        "shutdown_grace_seconds = 20\ningress_paths = [\"/v1/reports\", \"/v1/exports\"]\n\
         source = \"services/reports\"\n\
         config = { LOG_LEVEL = \"info\", CORS_ORIGIN = \"https://app.example.com\" }",
        1,
    );
    Model::load_str("own-image.toml", &text).expect("a service without the runtime is valid")
}

#[test]
fn a_service_on_its_own_image_gets_its_config_and_prefixes_and_none_of_the_runtimes_wiring() {
    let model = own_image_example();
    let service = model.service("expense-backend").expect("the service");
    assert!(service.api().is_none());
    let prod = model.environment("prod").expect("prod");
    let values = helm_values::values(&model, prod, service);
    assert_eq!(
        values.config,
        BTreeMap::from([
            (
                "CORS_ORIGIN".to_string(),
                "https://app.example.com".to_string()
            ),
            ("LOG_LEVEL".to_string(), "info".to_string()),
        ])
    );
    assert!(!values.secrets.external_secret.enabled);
    assert!(values.secrets.external_secret.data.is_empty());
    assert!(values.network_policy.egress_ports.is_empty());
    assert!(values.ingress.enabled);
    assert_eq!(values.ingress.paths, ["/v1/reports", "/v1/exports"]);
    // Every artifact still renders: the smoke test and runbook skip the API they do not have.
    let artifacts = render(&model);
    assert!(
        artifacts
            .iter()
            .any(|a| a.path == helm_values::path(prod, service))
    );
}

#[test]
fn the_runtimes_service_gets_exactly_the_variables_the_platform_reserves_and_its_own() {
    let text = example_text().replacen(
        "shutdown_grace_seconds = 20",
        "shutdown_grace_seconds = 20\nconfig = { LOG_FORMAT = \"json\" }",
        1,
    );
    let model = Model::load_str("config.toml", &text).expect("valid");
    for environment in model.environments.values() {
        let values = helm_values::values(&model, environment, runtime_service(&model));
        let mut set: Vec<&str> = values.config.keys().map(String::as_str).collect();
        set.extend(
            values
                .secrets
                .external_secret
                .data
                .iter()
                .map(|s| s.env.as_str()),
        );
        for name in &set {
            assert!(
                *name == "LOG_FORMAT" || PLATFORM_VARIABLES.contains(name),
                "{}: {name} is set by the platform but not reserved",
                environment.name
            );
        }
        assert_eq!(values.config["LOG_FORMAT"], "json");
        assert_eq!(values.config["SERVICE"], "expense-backend");
    }
}

/// The example with a second service beside the runtime's ([`two_service_text`]).
fn two_service_example() -> Model {
    let text = two_service_text();
    Model::load_str("two-services.toml", &text).expect("two services are valid")
}

#[test]
fn every_service_gets_its_release_image_role_and_deploy_and_one_release_carries_the_rules() {
    let model = two_service_example();
    let names: Vec<&str> = model.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["expense-backend", "reports"]);
    let artifacts = render(&model);
    for environment in model.environments.values() {
        let env = &environment.name;
        for service in &model.services {
            let values: helm_values::HelmValues = serde_norway::from_str(
                &artifact(&artifacts, &helm_values::path(environment, service)).contents,
            )
            .expect("values parse");
            assert_eq!(values.name_override, service.name);
            assert_eq!(values.container_port, environment.settings_of(service).port);
            assert_eq!(
                values.ingress.paths,
                environment.settings_of(service).ingress_paths
            );
            // The rules and dashboards are installed once, by the first service's release.
            let carrier = service.name == "expense-backend";
            assert_eq!(
                values.prometheus_rule.enabled, carrier,
                "{env} {}",
                service.name
            );
            assert_eq!(values.grafana_dashboards.enabled, carrier);
            assert_eq!(values.secrets.external_secret.enabled, carrier);
            let workflow = format!(".github/workflows/deploy-{}-{env}.yml", service.name);
            let workflow = &artifact(&artifacts, &workflow).contents;
            assert!(workflow.contains(&format!("RELEASE: \"{}\"", service.name)));
            assert!(!workflow.contains("--set-file"), "{workflow}");
        }
        let tfvars = &artifact(&artifacts, &format!("generated/{env}/terraform.tfvars")).contents;
        assert!(tfvars.contains(
            "  \"expense-backend\" = { buckets_read = [], buckets_read_write = [], ecr_repository = \"expense-backend\", port = 8080, reads_datastore_secrets = true, runtime = true, secrets = [] }\n  \
             reports           = { buckets_read = [], buckets_read_write = [], ecr_repository = \"expense-reports\", port = 8090, reads_datastore_secrets = false, runtime = false, secrets = [] }\n"
        ), "{tfvars}");
    }
    // The reports deploy builds its own directory, and deploys on changes there.
    let dev = &artifact(&artifacts, ".github/workflows/deploy-reports-dev.yml").contents;
    assert!(
        dev.contains("DOCKERFILE: \"services/reports/Dockerfile\""),
        "{dev}"
    );
    assert!(dev.contains("- \"services/reports/**\""), "{dev}");
    assert!(!dev.contains("- \"runtime/**\""), "{dev}");
    // Its health path is on its prefix, so the smoke test goes through the ingress.
    assert!(dev.contains("HEALTH_PATH: \"/v1/reports/health\""), "{dev}");
}

#[test]
fn an_environment_sizes_and_configures_one_service_without_touching_the_others() {
    let text = example_text().replacen(
        "[environments.prod.deploy]",
        "[environments.prod.services.expense-backend]\n\
         autoscaling = { max_replicas = 20, memory_target_percent = 80 }\n\
         resources = { memory_limit = \"1Gi\" }\n\
         config = { FEATURE_FLAGS = \"fast-path\" }\n\n\
         [environments.prod.deploy]",
        1,
    );
    let model = Model::load_str("overrides.toml", &text).expect("valid");
    let service = runtime_service(&model);
    let prod = model.environment("prod").expect("prod");
    let values = helm_values::values(&model, prod, service);
    // Overridden key by key; the rest still app's.
    assert_eq!(values.autoscaling.max_replicas, 20);
    assert_eq!(values.autoscaling.min_replicas, 3);
    assert_eq!(
        values.autoscaling.target_memory_utilization_percentage,
        Some(80)
    );
    assert_eq!(values.resources.limits.memory, "1Gi");
    assert_eq!(values.resources.requests.memory, "128Mi");
    assert_eq!(values.config["FEATURE_FLAGS"], "fast-path");
    // Staging keeps app's sizing and no extra configuration.
    let staging = model.environment("staging").expect("staging");
    let values = helm_values::values(&model, staging, service);
    assert_eq!(values.autoscaling.max_replicas, 10);
    assert_eq!(values.resources.limits.memory, "512Mi");
    assert!(!values.config.contains_key("FEATURE_FLAGS"));
    // explain's provenance: each key where it was written.
    let resolved = &prod.resolved;
    let origin = |key: &str| {
        resolved
            .source_of(&generator::source::Path::parse_dotted(key).expect("key"))
            .to_string()
    };
    assert_eq!(
        origin("services.expense-backend.autoscaling.max_replicas"),
        "environments.prod.services.expense-backend.autoscaling.max_replicas"
    );
    assert_eq!(
        origin("services.expense-backend.autoscaling.min_replicas"),
        "environments.prod.app.autoscaling.min_replicas"
    );
    assert_eq!(
        origin("services.expense-backend.resources.memory_request"),
        "defaults.app.resources.memory_request"
    );
}

#[test]
fn an_environment_overrides_a_probe_timing_and_the_ingress_paths_of_its_own_release_only() {
    let text = example_text()
        .replacen(
            "shutdown_grace_seconds = 20",
            "shutdown_grace_seconds = 20\nprobes.liveness = { initial_delay_seconds = 30, \
             period_seconds = 10, timeout_seconds = 5, failure_threshold = 3 }",
            1,
        )
        .replacen(
            "[environments.prod.deploy]",
            "[environments.prod.services.expense-backend]\n\
             probes.liveness.initial_delay_seconds = 60\n\
             rollout = { max_surge = 2, max_unavailable = 0 }\n\
             ingress_paths = [\"/transaction\", \"/health\"]\n\n\
             [environments.prod.deploy]",
            1,
        );
    let model = Model::load_str("probe-overrides.toml", &text).expect("valid");
    let service = runtime_service(&model);
    let timing = |probe: &helm_values::Probe| {
        (
            probe.initial_delay_seconds,
            probe.period_seconds,
            probe.timeout_seconds,
            probe.failure_threshold,
        )
    };
    let prod = helm_values::values(&model, model.environment("prod").expect("prod"), service);
    // The one timing prod writes; the rest of the probe is the service's.
    assert_eq!(timing(&prod.probes.liveness), (60, 10, 5, 3));
    assert_eq!(timing(&prod.probes.readiness), (5, 5, 2, 2));
    assert_eq!(
        (prod.rollout.max_surge, prod.rollout.max_unavailable),
        (2, 0)
    );
    assert_eq!(prod.ingress.paths, ["/transaction", "/health"]);
    for name in ["dev", "staging"] {
        let other = helm_values::values(&model, model.environment(name).expect(name), service);
        assert_eq!(timing(&other.probes.liveness), (30, 10, 5, 3), "{name}");
        assert_eq!(
            (other.rollout.max_surge, other.rollout.max_unavailable),
            (1, 0),
            "{name}"
        );
        assert_eq!(other.ingress.paths, ["/"], "{name}");
    }
    // prod's smoke test through the ingress follows prod's prefixes: `/health` is routed.
    let artifacts = render(&model);
    let deploy = &artifact(
        &artifacts,
        ".github/workflows/deploy-expense-backend-prod.yml",
    )
    .contents;
    assert!(deploy.contains("HEALTH_PATH: \"/health\""), "{deploy}");
}

#[test]
fn an_environment_changes_one_built_in_timing_and_keeps_the_rest_of_the_defaults() {
    // The expense service's table writes no probe and no rollout: prod changes one key of each.
    let text = example_text().replacen(
        "[environments.prod.deploy]",
        "[environments.prod.services.expense-backend]\n\
         probes.startup.failure_threshold = 60\n\
         rollout.max_surge = 3\n\n\
         [environments.prod.deploy]",
        1,
    );
    let model = Model::load_str("builtin-overrides.toml", &text).expect("valid");
    let service = runtime_service(&model);
    let prod = helm_values::values(&model, model.environment("prod").expect("prod"), service);
    let startup = &prod.probes.startup;
    assert_eq!(
        (
            startup.initial_delay_seconds,
            startup.period_seconds,
            startup.timeout_seconds,
            startup.failure_threshold
        ),
        (0, 5, 2, 60)
    );
    assert_eq!(
        (prod.rollout.max_surge, prod.rollout.max_unavailable),
        (3, 0)
    );
    let dev = helm_values::values(&model, model.environment("dev").expect("dev"), service);
    assert_eq!(dev.probes.startup.failure_threshold, 24);
    assert_eq!(dev.rollout.max_surge, 1);
}
