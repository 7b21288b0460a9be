//! `generated/<env>/prometheus-rules.yaml`: a `monitoring.coreos.com/v1` PrometheusRule with the
//! seed's recording rules, the spec's alerts (thresholds per environment, receivers as routing
//! labels), each SLO as recording rules plus multi-window, multi-burn-rate alerts (the Google SRE
//! workbook method, as Sloth and Pyrra implement it), and PgBouncer's pool alerts where the
//! environment runs it (`pooler`).

mod pooler;

pub use pooler::{PoolerAlert, pooler_alerts};

use std::collections::BTreeMap;

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_template;
use crate::duration;
use crate::model::{Environment, Model, Service};
use crate::model::{Receiver, Severity, Slo, format_number};

/// Rate windows of the SLI recording rules: every window a burn-rate alert reads.
pub const SLI_WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// The burn-rate alerts of the SRE workbook: (severity, long window, short window, burn factor,
/// `for`). Page when 2 % of a 30-day budget burns in an hour or 5 % in six hours; open a ticket
/// when 10 % burns in three days or the whole budget would.
pub const BURN_RATE_ALERTS: [(Severity, &str, &str, f64, &str); 4] = [
    (Severity::Critical, "1h", "5m", 14.4, "2m"),
    (Severity::Critical, "6h", "30m", 6.0, "15m"),
    (Severity::Warning, "1d", "2h", 3.0, "1h"),
    (Severity::Warning, "3d", "6h", 1.0, "3h"),
];

#[derive(Debug, Serialize)]
struct Context {
    name: String,
    namespace: String,
    labels: Vec<Pair>,
    groups: Vec<Group>,
}

#[derive(Debug, Serialize)]
struct Group {
    name: String,
    interval: &'static str,
    rules: Vec<Rule>,
}

/// One rule; either `record` or `alert` is set.
#[derive(Debug, Serialize)]
struct Rule {
    record: Option<String>,
    alert: Option<String>,
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    labels: Vec<Pair>,
    annotations: Vec<Pair>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Pair {
    key: String,
    value: String,
}

fn pairs(map: BTreeMap<String, String>) -> Vec<Pair> {
    map.into_iter()
        .map(|(key, value)| Pair { key, value })
        .collect()
}

/// A number as PromQL and YAML readers expect it: no float noise (`0.0144`, not
/// `0.014400000000000001`), integers without a fraction.
pub(crate) fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

pub(crate) fn receiver_name(receiver: Receiver) -> &'static str {
    match receiver {
        Receiver::Pagerduty => "pagerduty",
        Receiver::Slack => "slack",
        Receiver::Email => "email",
    }
}

/// Routing labels: one `<receiver>: "yes"` label per receiver, as the seed's Alertmanager routes
/// match them.
/// `<receiver>: "yes"` for each receiver, which Alertmanager routes match on.
fn routing_labels(receivers: &[Receiver]) -> BTreeMap<String, String> {
    receivers
        .iter()
        .map(|r| (receiver_name(*r).to_string(), "yes".to_string()))
        .collect()
}

/// The recording rule name of an SLI error ratio over `window`.
pub fn sli_record(window: &str) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}

/// CamelCase of an SLO name, for alert names (`availability` -> `Availability`).
/// The name of an SLO's burn-rate alerts (every window's).
pub fn slo_alert_name(slo: &crate::model::Slo) -> String {
    format!("{}ErrorBudgetBurn", camel(&slo.name))
}

fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn slo_groups(model: &Model, environment: &Environment, slo: &Slo) -> Vec<Group> {
    let service = &slo.service;
    let objective = slo.objective / 100.0;
    let budget = 1.0 - objective;
    let selector = format!("{{slo=\"{}\",service=\"{service}\"}}", slo.name);
    let labels = || {
        pairs(BTreeMap::from([
            ("slo".to_string(), slo.name.clone()),
            ("service".to_string(), service.clone()),
        ]))
    };
    let mut recording: Vec<Rule> = SLI_WINDOWS
        .iter()
        .map(|window| Rule {
            record: Some(sli_record(window)),
            alert: None,
            expr: format!(
                "({}) / ({})",
                environment.in_namespace(&slo.bad_events.text().replace("$window", window)),
                environment.in_namespace(&slo.total_events.text().replace("$window", window))
            ),
            for_: None,
            labels: labels(),
            annotations: Vec::new(),
        })
        .collect();
    // The whole window's ratio, averaged from the 5m ratio (cheap; the rate over 30 days is not).
    let period = duration::format(slo.window.value());
    recording.push(Rule {
        record: Some(sli_record(&period)),
        alert: None,
        expr: format!(
            "sum_over_time({five}{selector}[{period}]) / count_over_time({five}{selector}[{period}])",
            five = sli_record("5m")
        ),
        for_: None,
        labels: labels(),
        annotations: Vec::new(),
    });
    recording.push(Rule {
        record: Some("slo:objective:ratio".into()),
        alert: None,
        expr: format!("vector({})", format_number(objective)),
        for_: None,
        labels: labels(),
        annotations: Vec::new(),
    });
    recording.push(Rule {
        record: Some("slo:error_budget_remaining:ratio".into()),
        alert: None,
        expr: format!(
            "1 - {}{selector} / {}",
            sli_record(&period),
            format_number(budget)
        ),
        for_: None,
        labels: labels(),
        annotations: Vec::new(),
    });
    let alerts = BURN_RATE_ALERTS
        .iter()
        .map(|(severity, long, short, factor, for_)| {
            let limit = format_number(factor * budget);
            let mut labels = routing_labels(model.receivers(*severity));
            labels.insert("severity".into(), severity_name(*severity).into());
            labels.insert("slo".into(), slo.name.clone());
            labels.insert("service".into(), service.clone());
            labels.insert("environment".into(), environment.name.clone());
            labels.insert("namespace".into(), environment.namespace.clone());
            labels.insert("long_window".into(), (*long).into());
            Rule {
                record: None,
                alert: Some(slo_alert_name(slo)),
                expr: format!(
                    "{l}{selector} > {limit} and {s}{selector} > {limit}",
                    l = sli_record(long),
                    s = sli_record(short)
                ),
                for_: Some((*for_).to_string()),
                labels: pairs(labels),
                annotations: pairs(BTreeMap::from([
                    (
                        "summary".to_string(),
                        format!("{} SLO of {service} is burning its error budget {factor}x too fast", slo.name),
                    ),
                    (
                        "runbook_url".to_string(),
                        super::operations::runbook_url(model, environment, &slo_alert_name(slo)),
                    ),
                    (
                        "description".to_string(),
                        format!(
                            "{}: error ratio over {long} and {short} is above {limit} ({factor}x the {} budget of the {} objective of {}%).",
                            slo.description,
                            slo.window,
                            slo.name,
                            format_number(slo.objective)
                        ),
                    ),
                ])),
            }
        })
        .collect();
    vec![
        Group {
            name: format!("slo_{}_recording", slo.name),
            interval: "30s",
            rules: recording,
        },
        Group {
            name: format!("slo_{}_alerts", slo.name),
            interval: "30s",
            rules: alerts,
        },
    ]
}

/// The recording rules of a runtime-backed service's own metrics, labelled with the service.
fn runtime_recording(model: &Model, service: &Service) -> Group {
    let name = &service.name;
    let job = format!("job=\"{name}\"");
    // Recording rules are named `<level>:<metric>` after the project, which may hold `-`; a
    // metric name may not.
    let level = model.project.name.replace('-', "_");
    let labels = || pairs(BTreeMap::from([("service".to_string(), name.clone())]));
    Group {
        name: format!("{}_recording", name.replace('-', "_")),
        interval: "30s",
        rules: vec![
            Rule {
                record: Some(format!("{level}:cache_hit_ratio")),
                alert: None,
                expr: format!(
                    "sum(rate(cache_hits_total{{{job}}}[5m])) / (sum(rate(cache_hits_total{{{job}}}[5m])) + sum(rate(cache_misses_total{{{job}}}[5m])))"
                ),
                for_: None,
                labels: labels(),
                annotations: Vec::new(),
            },
            Rule {
                record: Some(format!("{level}:api_request_duration_p95")),
                alert: None,
                expr: format!(
                    "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{{{job}}}[5m])) by (le, endpoint))"
                ),
                for_: None,
                labels: labels(),
                annotations: Vec::new(),
            },
        ],
    }
}

fn context(model: &Model, environment: &Environment) -> Context {
    let carrier = &model.observability_service().name;
    let mut groups: Vec<Group> = model
        .services
        .iter()
        .filter(|service| service.api().is_some())
        .map(|service| runtime_recording(model, service))
        .collect();
    for severity in [Severity::Critical, Severity::Warning, Severity::Info] {
        let rules: Vec<Rule> = model
            .alerts
            .iter()
            .filter(|alert| alert.severity == severity)
            .map(|alert| {
                let mut labels = alert.labels.clone();
                labels.extend(routing_labels(&alert.receivers));
                labels.insert("severity".into(), severity_name(severity).into());
                labels.insert("environment".into(), environment.name.clone());
                // The namespace's AlertmanagerConfig matches only alerts carrying it.
                labels.insert("namespace".into(), environment.namespace.clone());
                let mut annotations = BTreeMap::from([
                    ("summary".to_string(), alert.summary.clone()),
                    ("description".to_string(), alert.description.clone()),
                ]);
                // The spec's link, or the alert's section of the environment's runbook.
                let runbook = alert.runbook_url.clone().unwrap_or_else(|| {
                    super::operations::runbook_url(model, environment, &alert.name)
                });
                annotations.insert("runbook_url".into(), runbook);
                Rule {
                    record: None,
                    alert: Some(alert.name.clone()),
                    expr: environment.alert_expression(alert),
                    for_: Some(alert.for_.to_string()),
                    labels: pairs(labels),
                    annotations: pairs(annotations),
                }
            })
            .collect();
        if !rules.is_empty() {
            groups.push(Group {
                name: format!("{}_alerts", severity_name(severity)),
                interval: "30s",
                rules,
            });
        }
    }
    if let Some(pooler) = &environment.database.pooler {
        groups.push(pooler::group(model, environment, pooler));
    }
    for slo in &model.slos {
        groups.extend(slo_groups(model, environment, slo));
    }
    Context {
        name: format!("{carrier}-rules"),
        namespace: environment.namespace.clone(),
        labels: pairs(BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), carrier.clone()),
            (
                "app.kubernetes.io/part-of".to_string(),
                model.project.name.clone(),
            ),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "platformgen".to_string(),
            ),
            ("environment".to_string(), environment.name.clone()),
            // kube-prometheus-stack selects rules by its release label.
            ("release".to_string(), "prometheus".to_string()),
        ])),
        groups,
    }
}

/// A burn rate, as a multiple of the error budget, at which a scenario holds every window.
struct Scenario {
    name: &'static str,
    burn: f64,
}

/// Scenarios of the SLO unit tests: a fast burn fires all four alerts, a slow burn only the
/// 1x ticket, a healthy service none.
const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "fast burn: every burn-rate alert fires",
        burn: 20.0,
    },
    Scenario {
        name: "slow burn (2x): only the 3d/6h ticket fires",
        burn: 2.0,
    },
    Scenario {
        name: "healthy (0.5x): nothing fires",
        burn: 0.5,
    },
];

/// `promtool test rules` unit tests of one environment's rules: each spec alert fires on its
/// `firing` series and stays silent on its `quiet` ones (with this environment's threshold),
/// each SLO's burn-rate alerts fire exactly as the scenarios say (the SLI ratios are fed as
/// series; expected labels and annotations are exact), and so do PgBouncer's alerts where it
/// runs. `rule_file` is the path promtool reads the rules from (the `spec` of the
/// PrometheusRule).
pub fn rule_tests(model: &Model, environment: &Environment, rule_file: &str) -> serde_json::Value {
    let mut tests = alert_tests(model, environment);
    tests.extend(slo_tests(model, environment));
    if let Some(pooler) = &environment.database.pooler {
        tests.extend(pooler::tests(model, environment, pooler));
    }
    serde_json::json!({ "rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests })
}

fn alert_tests(model: &Model, environment: &Environment) -> Vec<serde_json::Value> {
    let mut tests = Vec::new();
    for alert in &model.alerts {
        let Some(test) = &alert.test else { continue };
        let at = test.at.as_str();
        let firing = format!(
            "count(ALERTS{{alertname=\"{}\",alertstate=\"firing\",environment=\"{}\"}})",
            alert.name, environment.name
        );
        for (scenario, series, expr, value) in [
            ("fires", &test.firing, format!("clamp_max({firing}, 1)"), 1),
            (
                "stays silent",
                &test.quiet,
                format!("{firing} or vector(0)"),
                0,
            ),
        ] {
            let input_series: Vec<serde_json::Value> = series
                .iter()
                .map(|(series, values)| {
                    serde_json::json!({ "series": environment.in_namespace(series), "values": values })
                })
                .collect();
            tests.push(serde_json::json!({
                "name": format!("{} {scenario} in {}", alert.name, environment.name),
                "interval": "1m",
                "input_series": input_series,
                "promql_expr_test": [{ "expr": expr, "eval_time": at, "exp_samples": [{ "labels": "{}", "value": value }] }],
            }));
        }
    }
    tests
}

fn slo_tests(model: &Model, environment: &Environment) -> Vec<serde_json::Value> {
    let map = |pairs: &[Pair]| -> serde_json::Map<String, serde_json::Value> {
        pairs
            .iter()
            .map(|p| (p.key.clone(), serde_json::Value::String(p.value.clone())))
            .collect()
    };
    let mut tests = Vec::new();
    for slo in &model.slos {
        let budget = 1.0 - slo.objective / 100.0;
        let selector = format!("{{slo=\"{}\",service=\"{}\"}}", slo.name, slo.service);
        let alerts: Vec<Rule> = slo_groups(model, environment, slo)
            .into_iter()
            .flat_map(|g| g.rules)
            .filter(|r| r.alert.is_some())
            .collect();
        for scenario in &SCENARIOS {
            let ratio = format_number(scenario.burn * budget);
            let input_series: Vec<serde_json::Value> = SLI_WINDOWS
                .iter()
                .map(|window| serde_json::json!({ "series": format!("{}{selector}", sli_record(window)), "values": format!("{ratio}x300") }))
                .collect();
            let firing: Vec<serde_json::Value> = alerts
                .iter()
                .zip(BURN_RATE_ALERTS.iter())
                .filter(|(_, (_, _, _, factor, _))| scenario.burn > *factor)
                .map(|(rule, _)| serde_json::json!({ "exp_labels": map(&rule.labels), "exp_annotations": map(&rule.annotations) }))
                .collect();
            let alertname = alerts
                .first()
                .and_then(|r| r.alert.clone())
                .unwrap_or_default();
            tests.push(serde_json::json!({
                "name": format!("{}: {}", slo.name, scenario.name),
                "interval": "1m",
                "input_series": input_series,
                // Four hours: longer than the slowest alert's `for` (3h).
                "alert_rule_test": [{ "eval_time": "4h", "alertname": alertname, "exp_alerts": firing }],
            }));
        }
    }
    tests
}

/// Renders `generated/<env>/prometheus-rules.yaml` for each environment.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    request
        .environments()
        .map(|environment| rules_file(request, environment))
        .collect()
}

/// `generated/<env>/prometheus-rules.yaml` of one environment.
pub fn rules_file(
    request: &Request<'_>,
    environment: &Environment,
) -> Result<Artifact, RenderError> {
    let body = render_template(
        "prometheus-rules.yaml.j2",
        &context(request.model, environment),
    )?;
    Ok(Artifact {
        path: format!("generated/{}/prometheus-rules.yaml", environment.name),
        contents: format!("{}{body}", request.header("#")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_without_float_noise() {
        assert_eq!(format_number(14.4 * 0.001), "0.0144");
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.05), "0.05");
        assert_eq!(format_number(1.0 - 0.999), "0.001");
        assert_eq!(format_number(0.0), "0");
    }

    #[test]
    fn slo_names_become_camel_case() {
        assert_eq!(camel("availability"), "Availability");
        assert_eq!(camel("checkout_latency"), "CheckoutLatency");
    }
}
