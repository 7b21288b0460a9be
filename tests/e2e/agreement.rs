//! The runtime agrees with every artifact rendered from the same spec: it exports every metric
//! and label the generated rules and dashboards read, it serves exactly the routes the spec
//! enables (as its OpenAPI document lists them), and it answers on the probe paths the chart
//! probes.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{example_specs, render_spec, runtime_service};
use generator::Model;
use generator::render::Artifact;
use generator::spec::Handler;
use promql_parser::parser::{Expr, LabelModifier, VectorSelector};
use runtime::App;
use runtime::config::{Settings, Vars};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) the_runtime_exports_every_metric_and_label_the_rules_and_dashboards_read),
        test!(async(multi_thread) the_openapi_document_lists_exactly_the_routes_the_spec_enables),
        test!(async(multi_thread) the_runtime_answers_on_the_probe_paths_and_port_the_chart_uses),
        test!(the_exposition_parser_reads_names_and_labels),
        test!(a_missing_metric_or_label_is_reported),
    ]
}

/// Metric -> label names, as a PromQL expression reads them.
type Usage = BTreeMap<String, BTreeSet<String>>;

/// Labels Prometheus adds when it scrapes a target; the runtime does not export them.
const TARGET_LABELS: [&str; 6] = [
    "job",
    "instance",
    "namespace",
    "pod",
    "service",
    "container",
];

/// Metrics other exporters provide (Prometheus itself, kube-state-metrics, cAdvisor).
fn external(metric: &str) -> bool {
    metric == "up"
        || metric.starts_with("kube_")
        || metric.starts_with("container_")
        || metric == "ALERTS"
}

fn selector(vector: &VectorSelector, usage: &mut Usage) {
    let name = vector.name.clone().or_else(|| {
        vector
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__")
            .map(|m| m.value.clone())
    });
    if let Some(name) = name {
        let labels = usage.entry(name).or_default();
        labels.extend(
            vector
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name != "__name__")
                .map(|m| m.name.clone()),
        );
    }
}

fn collect(expr: &Expr, usage: &mut Usage) {
    match expr {
        Expr::Aggregate(aggregate) => {
            let mut inner = Usage::new();
            collect(&aggregate.expr, &mut inner);
            if let Some(LabelModifier::Include(by)) = &aggregate.modifier {
                // `sum by (endpoint) (...)`: every metric inside must carry those labels.
                for labels in inner.values_mut() {
                    labels.extend(by.labels.iter().cloned());
                }
            }
            for (metric, labels) in inner {
                usage.entry(metric).or_default().extend(labels);
            }
            if let Some(parameter) = &aggregate.param {
                collect(parameter, usage);
            }
        }
        Expr::Unary(unary) => collect(&unary.expr, usage),
        Expr::Binary(binary) => {
            collect(&binary.lhs, usage);
            collect(&binary.rhs, usage);
        }
        Expr::Paren(paren) => collect(&paren.expr, usage),
        Expr::Subquery(subquery) => collect(&subquery.expr, usage),
        Expr::VectorSelector(vector) => selector(vector, usage),
        Expr::MatrixSelector(matrix) => selector(&matrix.vs, usage),
        Expr::Call(call) => call.args.args.iter().for_each(|arg| collect(arg, usage)),
        _ => {}
    }
}

/// Every PromQL expression of the rules and dashboards, and the names the rules record.
fn expressions(artifacts: &[Artifact], environment: &str) -> (Vec<String>, BTreeSet<String>) {
    let mut expressions = Vec::new();
    let mut recorded = BTreeSet::new();
    for artifact in artifacts
        .iter()
        .filter(|a| a.path.starts_with(&format!("generated/{environment}/")))
    {
        if artifact.path.ends_with("prometheus-rules.yaml") {
            let resource: serde_json::Value =
                serde_norway::from_str(&artifact.contents).expect("rules are YAML");
            for group in resource["spec"]["groups"].as_array().expect("groups") {
                for rule in group["rules"].as_array().expect("rules") {
                    expressions.push(rule["expr"].as_str().expect("expr").to_string());
                    if let Some(record) = rule["record"].as_str() {
                        recorded.insert(record.to_string());
                    }
                }
            }
        } else if artifact.path.contains("/dashboards/") {
            let dashboard: serde_json::Value =
                serde_json::from_str(&artifact.contents).expect("dashboard is JSON");
            for panel in dashboard["panels"].as_array().expect("panels") {
                for target in panel["targets"].as_array().into_iter().flatten() {
                    if let Some(expr) = target["expr"].as_str() {
                        expressions.push(expr.replace("$__rate_interval", "5m"));
                    }
                }
            }
        }
    }
    (expressions, recorded)
}

/// Metric -> label names of a Prometheus text exposition.
fn exported(text: &str) -> Usage {
    let mut usage = Usage::new();
    for line in text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
    {
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let labels = usage.entry(line[..name_end].to_string()).or_default();
        if line[name_end..].starts_with('{') {
            let mut in_value = false;
            let mut escaped = false;
            let mut name = String::new();
            for c in line[name_end + 1..].chars() {
                match (in_value, c) {
                    (true, '\\') if !escaped => escaped = true,
                    (true, '"') if !escaped => in_value = false,
                    (true, _) => escaped = false,
                    (false, '"') => in_value = true,
                    (false, '=') => {
                        labels.insert(
                            std::mem::take(&mut name)
                                .trim_matches(',')
                                .trim()
                                .to_string(),
                        );
                    }
                    (false, '}') => break,
                    (false, c) => name.push(c),
                }
            }
        }
    }
    usage
}

/// What the expressions read that the exposition does not have.
fn disagreements(
    expressions: &[String],
    recorded: &BTreeSet<String>,
    exported: &Usage,
) -> Vec<String> {
    let mut problems = Vec::new();
    for expr in expressions {
        let parsed = promql_parser::parser::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let mut used = Usage::new();
        collect(&parsed, &mut used);
        for (metric, labels) in used {
            if external(&metric) || recorded.contains(&metric) {
                continue;
            }
            let Some(have) = exported.get(&metric) else {
                problems.push(format!("`{metric}` (in `{expr}`) is not exported"));
                continue;
            };
            for label in labels
                .iter()
                .filter(|l| !TARGET_LABELS.contains(&l.as_str()))
            {
                if !have.contains(label) {
                    problems.push(format!("`{metric}` has no label `{label}` (in `{expr}`)"));
                }
            }
        }
    }
    problems
}

/// A running runtime for one environment of a spec, on SQLite and the in-process cache.
struct Running {
    base: String,
    shutdown: runtime::startup::Shutdown,
    _dir: tempfile::TempDir,
}

async fn start(model: &Model, environment: &str) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("agreement.sqlite3").display()
    );
    let vars = Vars::from_pairs([("DATABASE_URL", url.as_str())]);
    let listen = "127.0.0.1:0".parse().expect("address");
    let settings = Settings::from_model(model, environment, Some(listen), &vars).expect("settings");
    let app = App::build(settings).await.expect("the runtime starts");
    let base = format!("http://{}", app.address());
    let shutdown = app.shutdown();
    tokio::spawn(app.run(false));
    Running {
        base,
        shutdown,
        _dir: dir,
    }
}

/// Adds a transaction through the spec's create route (`path`) and returns its id.
async fn create(client: &reqwest::Client, base: &str, path: &str) -> i64 {
    let created: serde_json::Value = client
        .post(format!("{base}{path}"))
        .json(&serde_json::json!({"amount": 12.5, "description": "agreement"}))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("JSON");
    created["id"].as_i64().expect("an id")
}

/// Calls every route the spec enables, as a client would; routes about one transaction get a
/// transaction of their own, so a delete-all earlier in the list does not matter.
async fn exercise(client: &reqwest::Client, base: &str, model: &Model) {
    let api = model
        .runtime_service(None)
        .expect("the runtime serves a service")
        .1;
    let created = api
        .route_of(Handler::CreateTransaction)
        .expect("the spec routes transaction creation")
        .path
        .to_string();
    for route in &api.routes {
        let id = create(client, base, &created).await;
        let path = route.path.as_str().replace("{id}", &id.to_string());
        let method = reqwest::Method::from_bytes(route.method.as_str().as_bytes()).expect("method");
        let mut request = client.request(method, format!("{base}{path}"));
        request = match route.handler {
            Handler::CreateTransaction => {
                request.json(&serde_json::json!({"amount": 3, "description": "again"}))
            }
            Handler::GetTransactionByBody | Handler::DeleteTransactionByBody => {
                request.json(&serde_json::json!({"id": id}))
            }
            _ => request,
        };
        let status = request.send().await.expect("request").status();
        assert!(
            status.is_success(),
            "{} {} answered {status}",
            route.method.as_str(),
            route.path
        );
    }
}

async fn the_runtime_exports_every_metric_and_label_the_rules_and_dashboards_read() {
    let client = reqwest::Client::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.keys() {
            let running = start(&model, environment).await;
            exercise(&client, &running.base, &model).await;
            let metrics_path = &model
                .environment(environment)
                .expect("environment")
                .settings_of(runtime_service(&model))
                .metrics_path;
            let text = client
                .get(format!("{}{metrics_path}", running.base))
                .send()
                .await
                .expect("scrape")
                .text()
                .await
                .expect("text");
            let exported = exported(&text);
            let (mut expressions, recorded) = expressions(&artifacts, environment);
            // Beside services on their own images, an expression that does not select the
            // runtime's job may read their metrics, which this runtime cannot export.
            if model.services.iter().any(|service| service.api().is_none()) {
                let job = format!("job=\"{}\"", runtime_service(&model).name);
                expressions.retain(|expr| expr.contains(&job));
            }
            assert!(!expressions.is_empty());
            let problems = disagreements(&expressions, &recorded, &exported);
            assert!(
                problems.is_empty(),
                "{} / {environment}:\n{}",
                spec.display(),
                problems.join("\n")
            );
            running.shutdown.stop();
        }
    }
}

async fn the_openapi_document_lists_exactly_the_routes_the_spec_enables() {
    let client = reqwest::Client::new();
    for spec in example_specs() {
        let (model, _) = render_spec(&spec);
        let Some(openapi) = model
            .runtime_service(None)
            .expect("the runtime serves a service")
            .1
            .routes
            .iter()
            .find(|r| r.handler == Handler::Openapi)
        else {
            continue;
        };
        for environment in model.environments.keys() {
            let running = start(&model, environment).await;
            let document: serde_json::Value = client
                .get(format!("{}{}", running.base, openapi.path))
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("JSON");
            let listed: BTreeSet<(String, String)> = document["paths"]
                .as_object()
                .expect("paths")
                .iter()
                .flat_map(|(path, operations)| {
                    operations
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(move |(method, _)| (method.to_uppercase(), path.clone()))
                })
                .collect();
            let enabled: BTreeSet<(String, String)> = model
                .runtime_service(None)
                .expect("the runtime serves a service")
                .1
                .routes
                .iter()
                .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
                .collect();
            assert_eq!(listed, enabled, "{} / {environment}", spec.display());
            running.shutdown.stop();
        }
    }
}

async fn the_runtime_answers_on_the_probe_paths_and_port_the_chart_uses() {
    let client = reqwest::Client::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.keys() {
            let values = artifacts
                .iter()
                .find(|a| {
                    a.path
                        == format!(
                            "generated/{environment}/helm-values/{}.yaml",
                            runtime_service(&model).name
                        )
                })
                .expect("values");
            let values: serde_json::Value = serde_norway::from_str(&values.contents).expect("YAML");
            let port = model
                .environment(environment)
                .expect("environment")
                .settings_of(runtime_service(&model))
                .port;
            assert_eq!(
                values["containerPort"], port,
                "the chart's port is the port the runtime binds"
            );
            assert_eq!(values["config"]["LISTEN_ADDR"], format!("0.0.0.0:{port}"));
            let running = start(&model, environment).await;
            for probe in ["liveness", "readiness", "startup"] {
                let Some(path) = values["probes"][probe]["path"].as_str() else {
                    continue;
                };
                let response = client
                    .get(format!("{}{path}", running.base))
                    .send()
                    .await
                    .expect("probe");
                assert_eq!(
                    response.status(),
                    reqwest::StatusCode::OK,
                    "{probe} probe {path}"
                );
            }
            running.shutdown.stop();
        }
    }
}

fn the_exposition_parser_reads_names_and_labels() {
    let text = "# HELP x y\nhttp_requests_total{method=\"GET\",endpoint=\"/a,b\",status=\"200\"} 3\nup 1\n";
    let usage = exported(text);
    assert_eq!(
        usage["http_requests_total"],
        BTreeSet::from(["endpoint".into(), "method".into(), "status".into()])
    );
    assert!(usage["up"].is_empty());
}

fn a_missing_metric_or_label_is_reported() {
    let exported = exported("http_requests_total{method=\"GET\",status=\"200\"} 1\n");
    let expressions = vec![
        r#"sum by (endpoint) (rate(http_requests_total{job="x"}[5m]))"#.to_string(),
        "rate(cache_hits_total[5m]) + expense:ratio".to_string(),
        "up == 0".to_string(),
    ];
    let recorded = BTreeSet::from(["expense:ratio".to_string()]);
    assert_eq!(
        disagreements(&expressions, &recorded, &exported),
        vec![
            "`http_requests_total` has no label `endpoint` (in `sum by (endpoint) (rate(http_requests_total{job=\"x\"}[5m]))`)".to_string(),
            "`cache_hits_total` (in `rate(cache_hits_total[5m]) + expense:ratio`) is not exported".to_string(),
        ]
    );
}
