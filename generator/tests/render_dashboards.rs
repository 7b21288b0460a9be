//! The Grafana dashboards of the example spec, parsed back: they hold the spec's values, lay
//! their panels out without overlap, query through the data source variable, and every query
//! is PromQL over metrics the runtime (or kube-state-metrics / cAdvisor) exports.

use std::collections::BTreeSet;

use crate::support::{EXAMPLE, example, example_text, runtime_service};
use generator::model::{COST_DASHBOARD_UID, Model};
use generator::render::{Artifact, Request, dashboards};
use generator::spec::Panel;
use promql_parser::parser::Expr;
use promql_parser::util::{ExprVisitor, walk_expr};
use serde_json::Value;

/// Every metric a dashboard may read: the runtime's, the PrometheusRule's SLO recording rule,
/// and kube-state-metrics / cAdvisor for the infrastructure panels.
const CONTRACT: &[&str] = &[
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_count",
    "http_request_duration_seconds_sum",
    "cache_hits_total",
    "cache_misses_total",
    "redis_errors_total",
    "db_query_duration_seconds_bucket",
    "transactions_total",
    "transactions_amount_total",
    "slo:error_budget_remaining:ratio",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "kube_pod_container_status_restarts_total",
    "kube_deployment_status_replicas_available",
    "kube_deployment_spec_replicas",
];

/// The title the catalogue gives each panel kind.
fn catalogue_title(panel: Panel) -> &'static str {
    match panel {
        Panel::RequestRate => "Request rate",
        Panel::LatencyPercentiles => "Response time percentiles",
        Panel::ErrorRate => "Error rate",
        Panel::CacheHitRatio => "Cache hit ratio",
        Panel::DbQueryDuration => "Database query duration (p95)",
        Panel::RedisErrors => "Redis errors",
        Panel::RateLimited => "Rate-limited requests",
        Panel::EndpointUsage => "Endpoint usage",
        Panel::TransactionCount => "Transactions stored",
        Panel::TransactionAmount => "Transaction amount",
        Panel::TransactionsPerHour => "Transactions created per hour",
        Panel::PodCpu => "Pod CPU",
        Panel::PodMemory => "Pod memory",
        Panel::PodRestarts => "Container restarts (15m)",
        Panel::Replicas => "Replicas",
        Panel::SloErrorBudget => "SLO error budget remaining",
    }
}

/// The dashboards of the spec's `[[dashboards]]` (the cost dashboard has tests of its own, in
/// cost_artifacts.rs).
fn render(model: &Model) -> Vec<Artifact> {
    let request = Request {
        model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: None,
    };
    let mut artifacts = dashboards::render(&request)
        .unwrap_or_else(|error| panic!("dashboards do not render: {error}"));
    artifacts.retain(|artifact| {
        !artifact
            .path
            .ends_with(&format!("/{COST_DASHBOARD_UID}.json"))
    });
    artifacts
}

fn parse(artifact: &Artifact) -> Value {
    serde_json::from_str(&artifact.contents).unwrap_or_else(|error| {
        panic!(
            "{} is not JSON: {error}\n{}",
            artifact.path, artifact.contents
        )
    })
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}"))
}

fn array_at<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or_else(|| panic!("no array at {pointer}"), Vec::as_slice)
}

fn u64_at(value: &Value, pointer: &str) -> u64 {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no integer at {pointer}"))
}

/// Metric names of the vector and matrix selectors of a PromQL expression.
#[derive(Default)]
struct Metrics(BTreeSet<String>);

impl ExprVisitor for Metrics {
    type Error = String;
    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        let selector = match expr {
            Expr::VectorSelector(selector) => selector,
            Expr::MatrixSelector(matrix) => &matrix.vs,
            _ => return Ok(true),
        };
        let name = selector
            .name
            .clone()
            .ok_or_else(|| format!("a selector without a metric name: {expr}"))?;
        self.0.insert(name);
        Ok(true)
    }
}

fn metrics_of(expr: &str) -> BTreeSet<String> {
    let promql = expr.replace("$__rate_interval", "5m");
    let parsed = promql_parser::parser::parse(&promql)
        .unwrap_or_else(|error| panic!("not PromQL: {expr}\n{error}"));
    let mut metrics = Metrics::default();
    if let Err(error) = walk_expr(&mut metrics, &parsed) {
        panic!("{error}");
    }
    metrics.0
}

#[test]
fn every_dashboard_of_the_spec_is_rendered_once_per_environment() {
    let model = example();
    let artifacts = render(&model);
    let expected: BTreeSet<String> = model
        .environments
        .keys()
        .flat_map(|env| {
            model
                .dashboards
                .iter()
                .map(move |d| format!("generated/{env}/dashboards/{}.json", d.uid))
        })
        .collect();
    let rendered: Vec<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        rendered.len(),
        expected.len(),
        "one file per dashboard per environment: {rendered:?}"
    );
    assert_eq!(
        rendered
            .iter()
            .map(std::string::ToString::to_string)
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(
        model.environments.len() * 3,
        rendered.len(),
        "the example spec has three dashboards"
    );
}

#[test]
fn dashboards_hold_the_specs_uid_title_and_panels_in_order() {
    let model = example();
    for artifact in render(&model) {
        let (env, uid) = artifact
            .path
            .strip_prefix("generated/")
            .and_then(|rest| rest.split_once("/dashboards/"))
            .unwrap_or_else(|| panic!("unexpected path {}", artifact.path));
        let uid = uid.strip_suffix(".json").unwrap_or(uid);
        let spec = model
            .dashboards
            .iter()
            .find(|d| d.uid == uid)
            .unwrap_or_else(|| panic!("no dashboard {uid}"));
        let json = parse(&artifact);
        assert_eq!(str_at(&json, "/uid"), spec.uid);
        assert_eq!(str_at(&json, "/title"), format!("{} ({env})", spec.title));
        assert!(
            str_at(&json, "/description")
                .contains(&format!("Generated by platformgen from {EXAMPLE}"))
        );
        assert_eq!(json["editable"], Value::Bool(false));
        assert!(u64_at(&json, "/schemaVersion") >= 39);
        let tags: Vec<&str> = array_at(&json, "/tags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            tags.contains(&env) && tags.contains(&"platformgen"),
            "{tags:?}"
        );
        // The link menu lists the dashboards carrying its tags: every generated one does.
        let link_tags = array_at(&json, "/links/0/tags");
        assert!(!link_tags.is_empty());
        for link_tag in link_tags.iter().filter_map(Value::as_str) {
            assert!(
                tags.contains(&link_tag),
                "{link_tag} is not a tag of {}",
                artifact.path
            );
        }

        let panels = array_at(&json, "/panels");
        assert_eq!(panels.len(), spec.panels.len(), "{}", artifact.path);
        for (panel, kind) in panels.iter().zip(&spec.panels) {
            let type_ = str_at(panel, "/type");
            assert!(
                ["timeseries", "stat", "gauge"].contains(&type_),
                "{kind:?} is a {type_}"
            );
            assert_eq!(
                str_at(panel, "/title"),
                catalogue_title(*kind),
                "{}",
                artifact.path
            );
            assert!(!str_at(panel, "/description").is_empty());
            assert!(!str_at(panel, "/fieldConfig/defaults/unit").is_empty());
            assert!(
                !array_at(panel, "/targets").is_empty(),
                "{kind:?} has no query"
            );
        }
        let ids: BTreeSet<u64> = panels.iter().map(|p| u64_at(p, "/id")).collect();
        assert_eq!(
            ids.len(),
            panels.len(),
            "panel ids are unique in {}",
            artifact.path
        );
    }
}

#[test]
fn the_seeds_panels_are_on_the_api_dashboard() {
    let model = example();
    let artifacts = render(&model);
    let api = artifacts
        .iter()
        .find(|a| a.path == "generated/prod/dashboards/expense-api.json")
        .map(parse);
    let api = api.unwrap_or_else(|| panic!("no prod API dashboard"));
    let titles: Vec<&str> = array_at(&api, "/panels")
        .iter()
        .map(|p| str_at(p, "/title"))
        .collect();
    for title in [
        "Request rate",
        "Response time percentiles",
        "Error rate",
        "Cache hit ratio",
    ] {
        assert!(titles.contains(&title), "{title} missing from {titles:?}");
    }
    let latency = array_at(&api, "/panels")
        .iter()
        .find(|p| str_at(p, "/title") == "Response time percentiles");
    let latency = latency.unwrap_or_else(|| panic!("no latency panel"));
    let legends: Vec<&str> = array_at(latency, "/targets")
        .iter()
        .map(|t| str_at(t, "/legendFormat"))
        .collect();
    assert_eq!(legends, ["p50", "p95", "p99"]);
    assert_eq!(
        str_at(latency, "/targets/1/expr"),
        "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{job=\"expense-backend\"}[$__rate_interval])) by (le))"
    );
}

#[test]
fn panels_are_laid_out_on_the_grid_without_overlapping() {
    let model = example();
    for artifact in render(&model) {
        let json = parse(&artifact);
        let boxes: Vec<[u64; 4]> = array_at(&json, "/panels")
            .iter()
            .map(|p| {
                [
                    u64_at(p, "/gridPos/x"),
                    u64_at(p, "/gridPos/y"),
                    u64_at(p, "/gridPos/w"),
                    u64_at(p, "/gridPos/h"),
                ]
            })
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            assert!(
                a[0] + a[2] <= 24 && a[2] > 0 && a[3] > 0,
                "panel {i} leaves the grid in {}",
                artifact.path
            );
            for b in &boxes[i + 1..] {
                let apart = a[0] + a[2] <= b[0]
                    || b[0] + b[2] <= a[0]
                    || a[1] + a[3] <= b[1]
                    || b[1] + b[3] <= a[1];
                assert!(apart, "{a:?} overlaps {b:?} in {}", artifact.path);
            }
        }
        // Reading order: top to bottom, left to right.
        let mut sorted = boxes.clone();
        sorted.sort_by_key(|b| (b[1], b[0]));
        assert_eq!(
            sorted, boxes,
            "panels follow the spec's order in {}",
            artifact.path
        );
    }
}

#[test]
fn every_panel_and_query_reads_through_the_datasource_variable() {
    let model = example();
    for artifact in render(&model) {
        let json = parse(&artifact);
        let variables = array_at(&json, "/templating/list");
        let datasource = variables
            .iter()
            .find(|v| str_at(v, "/type") == "datasource");
        let datasource =
            datasource.unwrap_or_else(|| panic!("no datasource variable in {}", artifact.path));
        assert_eq!(str_at(datasource, "/query"), "prometheus");
        let reference = format!("${{{}}}", str_at(datasource, "/name"));
        for panel in array_at(&json, "/panels") {
            assert_eq!(str_at(panel, "/datasource/uid"), reference);
            assert_eq!(str_at(panel, "/datasource/type"), "prometheus");
            for target in array_at(panel, "/targets") {
                assert_eq!(str_at(target, "/datasource/uid"), reference);
                assert_eq!(str_at(target, "/datasource/type"), "prometheus");
            }
        }
    }
}

#[test]
fn every_query_is_promql_over_contract_metrics_only() {
    let model = example();
    let mut used = BTreeSet::new();
    for artifact in render(&model) {
        let json = parse(&artifact);
        for panel in array_at(&json, "/panels") {
            let mut ref_ids = BTreeSet::new();
            for target in array_at(panel, "/targets") {
                assert!(
                    ref_ids.insert(str_at(target, "/refId").to_string()),
                    "refIds repeat in {panel}"
                );
                let expr = str_at(target, "/expr");
                let metrics = metrics_of(expr);
                assert!(!metrics.is_empty(), "{expr} reads no metric");
                for metric in &metrics {
                    assert!(
                        CONTRACT.contains(&metric.as_str()),
                        "{metric} (in {expr}) is not a contract metric"
                    );
                }
                if expr.contains("rate(") {
                    assert!(
                        expr.contains("[$__rate_interval]"),
                        "{expr} should rate over $__rate_interval"
                    );
                }
                // The runtime's own metrics are scraped as the service's job; the rest are
                // filtered to the service's namespace.
                let runtime_metric = metrics.iter().any(|m| {
                    !m.starts_with("container_")
                        && !m.starts_with("kube_")
                        && !m.starts_with("slo:")
                });
                if runtime_metric {
                    assert!(
                        expr.contains(&format!("job=\"{}\"", runtime_service(&model).name)),
                        "{expr}"
                    );
                } else if !expr.starts_with("slo:") {
                    assert!(
                        expr.contains(&format!("namespace=\"{}\"", model.project.name)),
                        "{expr}"
                    );
                }
                used.extend(metrics);
            }
        }
    }
    // The example spec uses the whole catalogue, so this is every metric the catalogue reads.
    for metric in [
        "http_requests_total",
        "cache_hits_total",
        "transactions_total",
        "kube_deployment_spec_replicas",
    ] {
        assert!(used.contains(metric), "{metric} unused: {used:?}");
    }
}

#[test]
fn the_slo_panel_has_one_query_per_slo_named_after_it() {
    let model = example();
    let artifacts = render(&model);
    let api = artifacts
        .iter()
        .find(|a| a.path == "generated/dev/dashboards/expense-api.json")
        .map(parse);
    let api = api.unwrap_or_else(|| panic!("no dev API dashboard"));
    let panel = array_at(&api, "/panels")
        .iter()
        .find(|p| str_at(p, "/title") == "SLO error budget remaining");
    let panel = panel.unwrap_or_else(|| panic!("no SLO panel"));
    let targets = array_at(panel, "/targets");
    assert_eq!(targets.len(), model.slos.len());
    for (target, slo) in targets.iter().zip(&model.slos) {
        assert_eq!(str_at(target, "/legendFormat"), slo.name);
        assert!(str_at(target, "/expr").starts_with(&format!(
            "slo:error_budget_remaining:ratio{{slo=\"{}\"",
            slo.name
        )));
    }
}

#[test]
fn output_is_deterministic_pretty_json_ending_with_a_newline() {
    let model = example();
    let first = render(&model);
    assert_eq!(first, render(&model), "two renders differ");
    for artifact in &first {
        let pretty = serde_json::to_string_pretty(&parse(artifact))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            artifact.contents,
            format!("{pretty}\n"),
            "{} is not 2-space pretty JSON",
            artifact.path
        );
    }
}

#[test]
fn a_hostile_title_and_spec_path_round_trip_exactly() {
    let mut model = example();
    let hostile = "\"quoted\" \\back\\slash\\ \n new line\t{{ title }} ${datasource} {% if %} é 漢字 🚀 \u{1} </script>";
    model.dashboards[0].title = hostile.to_string();
    let uid = model.dashboards[0].uid.clone();
    let request = Request {
        model: &model,
        spec_path: hostile,
        spec_text: &example_text(),
        only_environment: None,
    };
    let artifacts = dashboards::render(&request).unwrap_or_else(|error| panic!("{error}"));
    // The spec's dashboards and the cost dashboard, in each environment.
    assert_eq!(
        artifacts.len(),
        model.environments.len() * (model.dashboards.len() + 1)
    );
    for artifact in &artifacts {
        let json = parse(artifact);
        assert!(str_at(&json, "/description").contains(&format!("from {hostile};")));
        if artifact.path.ends_with(&format!("/{uid}.json")) {
            let env = artifact.path.split('/').nth(1).unwrap_or_default();
            assert_eq!(str_at(&json, "/title"), format!("{hostile} ({env})"));
        }
        let pretty = serde_json::to_string_pretty(&json).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            artifact.contents,
            format!("{pretty}\n"),
            "{}",
            artifact.path
        );
    }
}
