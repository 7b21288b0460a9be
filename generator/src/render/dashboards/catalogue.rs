//! The built-in panel catalogue: what each panel of a spec shows and the PromQL it runs,
//! reading exactly the metrics the runtime exports.

use promql_parser::util::escape_string;

use super::grafana::Visualization;
use crate::model::{Environment, Model, Service};
use crate::spec::{Handler, Panel};

/// How a catalogue panel looks and what it queries.
#[derive(Debug, Clone)]
pub(super) struct CatalogueEntry {
    pub(super) kind: Visualization,
    pub(super) title: &'static str,
    pub(super) description: &'static str,
    pub(super) unit: &'static str,
    pub(super) min: Option<u32>,
    pub(super) max: Option<u32>,
    /// Colour steps `(from, color)`, the first from minus infinity (`None`); stat and gauge
    /// panels colour their value by them.
    pub(super) thresholds: &'static [(Option<f64>, &'static str)],
    /// `(expr, legend)` of each query.
    pub(super) queries: Vec<(String, String)>,
}

const GREEN: &[(Option<f64>, &str)] = &[(None, "green")];

/// The label selectors every query is built from, quoted for PromQL.
pub(super) struct Selectors {
    /// `job="<service>"`: the runtime's own metrics.
    pub(super) job: String,
    /// The namespace, the service's pods and its (non-pause) containers, for cAdvisor.
    pub(super) containers: String,
    /// The namespace and the service's pods, for kube-state-metrics.
    pub(super) pods: String,
    /// The namespace and the service's Deployment, for kube-state-metrics.
    pub(super) deployment: String,
}

impl Selectors {
    pub(super) fn new(environment: &Environment, service: &Service) -> Self {
        let name = &service.name;
        let service = escape_string(name);
        let namespace = escape_string(&environment.namespace);
        // Pods of a Deployment are named `<deployment>-<replicaset hash>-<pod hash>`.
        let pod = escape_string(&format!("{}-[a-z0-9]+-[a-z0-9]+", regex_escape(name)));
        Selectors {
            job: format!("job=\"{service}\""),
            containers: format!(
                "namespace=\"{namespace}\",pod=~\"{pod}\",container!=\"\",container!=\"POD\""
            ),
            pods: format!("namespace=\"{namespace}\",pod=~\"{pod}\""),
            deployment: format!("namespace=\"{namespace}\",deployment=\"{service}\""),
        }
    }
}

/// Escapes the characters RE2 gives a meaning to.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn one(expr: String, legend: &str) -> Vec<(String, String)> {
    vec![(expr, legend.to_string())]
}

/// The built-in panel catalogue: what each `Panel` shows of `service` and the PromQL it runs.
pub(super) fn catalogue_entry(
    model: &Model,
    environment: &Environment,
    service: &Service,
    panel: Panel,
) -> CatalogueEntry {
    let s = Selectors::new(environment, service);
    let job = &s.job;
    let rate = |metric: &str, extra: &str| {
        let selector = if extra.is_empty() {
            job.clone()
        } else {
            format!("{job},{extra}")
        };
        format!("rate({metric}{{{selector}}}[$__rate_interval])")
    };
    let timeseries = |title, description, unit, queries| CatalogueEntry {
        kind: Visualization::Timeseries,
        title,
        description,
        unit,
        min: Some(0),
        max: None,
        thresholds: GREEN,
        queries,
    };
    match panel {
        Panel::RequestRate => timeseries(
            "Request rate",
            "Requests per second, by endpoint (route template).",
            "reqps",
            one(
                format!("sum by (endpoint) ({})", rate("http_requests_total", "")),
                "{{endpoint}}",
            ),
        ),
        Panel::LatencyPercentiles => timeseries(
            "Response time percentiles",
            "p50, p95 and p99 request latency over all endpoints.",
            "s",
            [("0.5", "p50"), ("0.95", "p95"), ("0.99", "p99")]
                .into_iter()
                .map(|(quantile, legend)| {
                    let buckets = rate("http_request_duration_seconds_bucket", "");
                    (
                        format!("histogram_quantile({quantile}, sum({buckets}) by (le))"),
                        legend.to_string(),
                    )
                })
                .collect(),
        ),
        Panel::ErrorRate => CatalogueEntry {
            max: Some(1),
            ..timeseries(
                "Error rate",
                "Share of responses with a 5xx status.",
                "percentunit",
                one(
                    format!(
                        "sum({}) / sum({})",
                        rate("http_requests_total", "status=~\"5..\""),
                        rate("http_requests_total", "")
                    ),
                    "5xx share",
                ),
            )
        },
        Panel::CacheHitRatio => {
            let hits = format!("sum({})", rate("cache_hits_total", ""));
            let misses = format!("sum({})", rate("cache_misses_total", ""));
            CatalogueEntry {
                kind: Visualization::Gauge,
                title: "Cache hit ratio",
                description: "Cache hits / (hits + misses) of the cache-aside reads.",
                unit: "percentunit",
                min: Some(0),
                max: Some(1),
                thresholds: &[(None, "red"), (Some(0.5), "orange"), (Some(0.8), "green")],
                queries: one(format!("{hits} / ({hits} + {misses})"), "hit ratio"),
            }
        }
        Panel::DbQueryDuration => timeseries(
            "Database query duration (p95)",
            "p95 database query duration, by operation.",
            "s",
            one(
                format!(
                    "histogram_quantile(0.95, sum({}) by (le, operation))",
                    rate("db_query_duration_seconds_bucket", "")
                ),
                "{{operation}}",
            ),
        ),
        Panel::RedisErrors => timeseries(
            "Redis errors",
            "Redis errors per second; requests fall back to the database meanwhile.",
            "short",
            one(
                format!("sum({})", rate("redis_errors_total", "")),
                "errors/s",
            ),
        ),
        Panel::RateLimited => timeseries(
            "Rate-limited requests",
            "429 responses per second, by endpoint.",
            "reqps",
            one(
                format!(
                    "sum by (endpoint) ({})",
                    rate("http_requests_total", "status=\"429\"")
                ),
                "{{endpoint}}",
            ),
        ),
        Panel::EndpointUsage => timeseries(
            "Endpoint usage",
            "Requests per second, by method, endpoint and status.",
            "reqps",
            one(
                format!(
                    "sum by (method, endpoint, status) ({})",
                    rate("http_requests_total", "")
                ),
                "{{method}} {{endpoint}} {{status}}",
            ),
        ),
        // Every replica reports the shared database's totals: take one, never the sum.
        Panel::TransactionCount => CatalogueEntry {
            kind: Visualization::Stat,
            title: "Transactions stored",
            description: "Number of transactions stored.",
            unit: "short",
            min: None,
            max: None,
            thresholds: &[(None, "blue")],
            queries: one(format!("max(transactions_total{{{job}}})"), "transactions"),
        },
        Panel::TransactionAmount => timeseries(
            "Transaction amount",
            "Sum of the stored transaction amounts.",
            "short",
            one(format!("max(transactions_amount_total{{{job}}})"), "amount"),
        ),
        Panel::TransactionsPerHour => {
            let created = create_selector(service);
            timeseries(
                "Transactions created per hour",
                "Successful creations (2xx answers to the create route) in the last hour.",
                "short",
                one(
                    format!(
                        "sum(increase(http_requests_total{{{job},{created},status=~\"2..\"}}[1h]))"
                    ),
                    "created/h",
                ),
            )
        }
        Panel::PodCpu => timeseries(
            "Pod CPU",
            "CPU cores used by each of the service's pods.",
            "short",
            one(
                format!(
                    "sum by (pod) (rate(container_cpu_usage_seconds_total{{{}}}[$__rate_interval]))",
                    s.containers
                ),
                "{{pod}}",
            ),
        ),
        Panel::PodMemory => timeseries(
            "Pod memory",
            "Working-set memory of each of the service's pods.",
            "bytes",
            one(
                format!(
                    "sum by (pod) (container_memory_working_set_bytes{{{}}})",
                    s.containers
                ),
                "{{pod}}",
            ),
        ),
        Panel::PodRestarts => timeseries(
            "Container restarts (15m)",
            "Container restarts of each of the service's pods in the last 15 minutes.",
            "short",
            one(
                format!(
                    "sum by (pod) (increase(kube_pod_container_status_restarts_total{{{}}}[15m]))",
                    s.pods
                ),
                "{{pod}}",
            ),
        ),
        Panel::Replicas => timeseries(
            "Replicas",
            "Available replicas of the service's Deployment versus desired.",
            "short",
            vec![
                (
                    format!(
                        "sum(kube_deployment_status_replicas_available{{{}}})",
                        s.deployment
                    ),
                    "available".into(),
                ),
                (
                    format!("sum(kube_deployment_spec_replicas{{{}}})", s.deployment),
                    "desired".into(),
                ),
            ],
        ),
        Panel::SloErrorBudget => {
            let name = escape_string(&service.name);
            CatalogueEntry {
                kind: Visualization::Stat,
                title: "SLO error budget remaining",
                description: "Share of each SLO's error budget left in its window (below 0: exhausted).",
                unit: "percentunit",
                min: None,
                max: None,
                thresholds: &[(None, "red"), (Some(0.0), "orange"), (Some(0.25), "green")],
                queries: model
                    .slos
                    .iter()
                    .filter(|slo| slo.service == service.name)
                    .map(|slo| {
                        let slo_name = escape_string(&slo.name);
                        (
                            format!("slo:error_budget_remaining:ratio{{slo=\"{slo_name}\",service=\"{name}\"}}"),
                            slo.name.clone(),
                        )
                    })
                    .collect(),
            }
        }
    }
}

/// `method="POST",endpoint="<path>"` of the service's create route (a regex when there are
/// several).
fn create_selector(service: &Service) -> String {
    let paths: Vec<&str> = service
        .api()
        .map(|api| api.routes.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|route| route.handler == Handler::CreateTransaction)
        .map(|route| route.path.as_str())
        .collect();
    match paths.as_slice() {
        [] => "method=\"POST\"".to_string(),
        [path] => format!("method=\"POST\",endpoint=\"{}\"", escape_string(path)),
        paths => {
            let alternatives: Vec<String> = paths.iter().map(|path| regex_escape(path)).collect();
            format!(
                "method=\"POST\",endpoint=~\"{}\"",
                escape_string(&alternatives.join("|"))
            )
        }
    }
}
