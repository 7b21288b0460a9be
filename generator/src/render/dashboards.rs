//! `generated/<env>/dashboards/<uid>.json`: one Grafana dashboard (the classic JSON model that
//! provisioning reads) per `[[dashboards]]` entry and environment, its panels taken from the
//! built-in catalogue below, whose PromQL reads exactly the metrics the runtime exports.
//!
//! The dashboard is a typed value (`GrafanaDashboard`) serialized by serde, keys in alphabetical
//! order as Grafana itself exports them; no template lays it out.

use promql_parser::util::escape_string;
use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use crate::model::{Environment, Model};
use crate::spec::{Dashboard, Handler, Panel};

/// The dashboard JSON model version written: one that every Grafana from 10.4 on reads, and that
/// newer releases migrate forward when they load it, so the files need not follow each release.
pub const SCHEMA_VERSION: u32 = 39;

/// Name of the Prometheus data source variable every panel and target reads through.
pub const DATASOURCE_VARIABLE: &str = "datasource";

/// Panel size on Grafana's 24-column grid: two panels side by side per row.
const PANEL_WIDTH: u32 = 12;
const PANEL_HEIGHT: u32 = 8;
const GRID_COLUMNS: u32 = 24;

/// The Grafana dashboard JSON model, as far as these dashboards use it. Fields are declared in
/// alphabetical order, the order Grafana exports them in, so the file is serde's pretty form.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GrafanaDashboard {
    description: String,
    editable: bool,
    graph_tooltip: u8,
    links: Vec<Link>,
    panels: Vec<GrafanaPanel>,
    refresh: &'static str,
    schema_version: u32,
    tags: Vec<String>,
    templating: Templating,
    time: TimeRange,
    timezone: &'static str,
    title: String,
    uid: String,
    version: u32,
}

/// The menu of the other dashboards (those carrying `tags`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    as_dropdown: bool,
    icon: &'static str,
    include_vars: bool,
    keep_time: bool,
    tags: Vec<String>,
    target_blank: bool,
    title: &'static str,
    tooltip: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct DataSource {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: String,
}

/// The Grafana panel plugin of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Visualization {
    /// A graph over time.
    Timeseries,
    /// The latest value, large, with a sparkline.
    Stat,
    /// The latest value on a dial between `min` and `max`.
    Gauge,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GrafanaPanel {
    datasource: DataSource,
    description: &'static str,
    field_config: FieldConfig,
    grid_pos: GridPos,
    id: u32,
    options: PanelOptions,
    targets: Vec<Target>,
    title: &'static str,
    #[serde(rename = "type")]
    kind: Visualization,
}

#[derive(Debug, Serialize)]
struct FieldConfig {
    defaults: FieldDefaults,
    overrides: [(); 0],
}

#[derive(Debug, Serialize)]
struct FieldDefaults {
    color: ColorMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<u32>,
    thresholds: Thresholds,
    unit: &'static str,
}

#[derive(Debug, Serialize)]
struct ColorMode {
    mode: &'static str,
}

#[derive(Debug, Serialize)]
struct Thresholds {
    mode: &'static str,
    steps: Vec<Threshold>,
}

#[derive(Debug, Clone, Serialize)]
struct Threshold {
    color: &'static str,
    /// `None` is the base step (Grafana writes `-Infinity` as `null`).
    value: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

/// Each visualization's own options.
#[derive(Debug, Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum PanelOptions {
    Timeseries {
        legend: Legend,
        tooltip: Tooltip,
    },
    Stat {
        color_mode: &'static str,
        graph_mode: &'static str,
        justify_mode: &'static str,
        orientation: &'static str,
        reduce_options: ReduceOptions,
        text_mode: &'static str,
    },
    Gauge {
        orientation: &'static str,
        reduce_options: ReduceOptions,
        show_threshold_labels: bool,
        show_threshold_markers: bool,
    },
}

impl PanelOptions {
    fn of(kind: Visualization) -> Self {
        match kind {
            Visualization::Timeseries => PanelOptions::Timeseries {
                legend: Legend {
                    calcs: [],
                    display_mode: "list",
                    placement: "bottom",
                    show_legend: true,
                },
                tooltip: Tooltip {
                    mode: "multi",
                    sort: "desc",
                },
            },
            Visualization::Stat => PanelOptions::Stat {
                color_mode: "value",
                graph_mode: "area",
                justify_mode: "auto",
                orientation: "auto",
                reduce_options: ReduceOptions::LAST,
                text_mode: "auto",
            },
            Visualization::Gauge => PanelOptions::Gauge {
                orientation: "auto",
                reduce_options: ReduceOptions::LAST,
                show_threshold_labels: false,
                show_threshold_markers: true,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Legend {
    calcs: [&'static str; 0],
    display_mode: &'static str,
    placement: &'static str,
    show_legend: bool,
}

#[derive(Debug, Serialize)]
struct Tooltip {
    mode: &'static str,
    sort: &'static str,
}

/// The panel shows the last value of each series.
#[derive(Debug, Serialize)]
struct ReduceOptions {
    calcs: [&'static str; 1],
    fields: &'static str,
    values: bool,
}

impl ReduceOptions {
    const LAST: ReduceOptions = ReduceOptions {
        calcs: ["lastNotNull"],
        fields: "",
        values: false,
    };
}

/// One PromQL query of a panel.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    datasource: DataSource,
    editor_mode: &'static str,
    expr: String,
    legend_format: String,
    range: bool,
    ref_id: String,
}

/// The data source variable the dashboard offers.
#[derive(Debug, Serialize)]
struct Templating {
    list: Vec<Variable>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Variable {
    hide: u8,
    include_all: bool,
    label: &'static str,
    multi: bool,
    name: &'static str,
    query: &'static str,
    refresh: u8,
    regex: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct TimeRange {
    from: &'static str,
    to: &'static str,
}

/// How a catalogue panel looks and what it queries.
#[derive(Debug, Clone)]
struct CatalogueEntry {
    kind: Visualization,
    title: &'static str,
    description: &'static str,
    unit: &'static str,
    min: Option<u32>,
    max: Option<u32>,
    /// Colour steps `(from, color)`, the first from minus infinity (`None`); stat and gauge
    /// panels colour their value by them.
    thresholds: &'static [(Option<f64>, &'static str)],
    /// `(expr, legend)` of each query.
    queries: Vec<(String, String)>,
}

const GREEN: &[(Option<f64>, &str)] = &[(None, "green")];

/// The label selectors every query is built from, quoted for PromQL.
struct Selectors {
    /// `job="<service>"`: the runtime's own metrics.
    job: String,
    /// The namespace, the service's pods and its (non-pause) containers, for cAdvisor.
    containers: String,
    /// The namespace and the service's pods, for kube-state-metrics.
    pods: String,
    /// The namespace and the service's Deployment, for kube-state-metrics.
    deployment: String,
}

impl Selectors {
    fn new(model: &Model) -> Self {
        let service = escape_string(&model.service.name);
        let namespace = escape_string(&model.delivery.namespace);
        // Pods of a Deployment are named `<deployment>-<replicaset hash>-<pod hash>`.
        let pod = escape_string(&format!(
            "{}-[a-z0-9]+-[a-z0-9]+",
            regex_escape(&model.service.name)
        ));
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

/// The built-in panel catalogue: what each `Panel` shows and the PromQL it runs.
fn catalogue_entry(model: &Model, panel: Panel) -> CatalogueEntry {
    let s = Selectors::new(model);
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
            let created = create_selector(model);
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
            let service = escape_string(&model.service.name);
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
                    .map(|slo| {
                        let name = escape_string(&slo.name);
                        (
                            format!("slo:error_budget_remaining:ratio{{slo=\"{name}\",service=\"{service}\"}}"),
                            slo.name.clone(),
                        )
                    })
                    .collect(),
            }
        }
    }
}

/// `method="POST",endpoint="<path>"` of the spec's create route (a regex when there are several).
fn create_selector(model: &Model) -> String {
    let paths: Vec<&str> = model
        .routes
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

/// Where the `index`-th panel goes: two per row, rows top to bottom.
fn grid_position(index: usize) -> GridPos {
    let per_row = GRID_COLUMNS / PANEL_WIDTH;
    let index = u32::try_from(index).unwrap_or(u32::MAX / PANEL_HEIGHT);
    GridPos {
        h: PANEL_HEIGHT,
        w: PANEL_WIDTH,
        x: (index % per_row) * PANEL_WIDTH,
        y: (index / per_row) * PANEL_HEIGHT,
    }
}

/// The reference letters Grafana gives queries: A..Z, then AA, AB, ...
fn ref_id(index: usize) -> String {
    let letter = |n: usize| char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
    if index < 26 {
        letter(index).to_string()
    } else {
        format!("{}{}", letter(index / 26 - 1), letter(index))
    }
}

fn dashboard(
    request: &Request<'_>,
    environment: &Environment,
    dashboard: &Dashboard,
) -> GrafanaDashboard {
    let model = request.model;
    let datasource = DataSource {
        kind: "prometheus",
        uid: format!("${{{DATASOURCE_VARIABLE}}}"),
    };
    let panels = dashboard
        .panels
        .iter()
        .enumerate()
        .map(|(index, panel)| {
            let spec = catalogue_entry(model, *panel);
            GrafanaPanel {
                datasource: datasource.clone(),
                description: spec.description,
                field_config: FieldConfig {
                    defaults: FieldDefaults {
                        // Series are told apart by colour; single values by their thresholds.
                        color: ColorMode {
                            mode: if spec.kind == Visualization::Timeseries {
                                "palette-classic"
                            } else {
                                "thresholds"
                            },
                        },
                        max: spec.max,
                        min: spec.min,
                        thresholds: Thresholds {
                            mode: "absolute",
                            steps: spec
                                .thresholds
                                .iter()
                                .map(|&(value, color)| Threshold { color, value })
                                .collect(),
                        },
                        unit: spec.unit,
                    },
                    overrides: [],
                },
                grid_pos: grid_position(index),
                id: u32::try_from(index + 1).unwrap_or(u32::MAX),
                options: PanelOptions::of(spec.kind),
                targets: spec
                    .queries
                    .into_iter()
                    .enumerate()
                    .map(|(index, (expr, legend_format))| Target {
                        datasource: datasource.clone(),
                        editor_mode: "code",
                        expr,
                        legend_format,
                        range: true,
                        ref_id: ref_id(index),
                    })
                    .collect(),
                title: spec.title,
                kind: spec.kind,
            }
        })
        .collect();
    GrafanaDashboard {
        description: format!(
            "Environment: {}. Generated by platformgen from {spec}; do not edit. Regenerate with: platformgen generate --spec {spec}",
            environment.name,
            spec = request.spec_path
        ),
        editable: false,
        graph_tooltip: 1,
        links: vec![Link {
            as_dropdown: true,
            icon: "external link",
            include_vars: true,
            keep_time: true,
            tags: vec!["platformgen".to_string(), model.service.name.clone()],
            target_blank: false,
            title: "Dashboards",
            tooltip: "The other dashboards generated from the spec",
            kind: "dashboards",
        }],
        panels,
        refresh: "30s",
        schema_version: SCHEMA_VERSION,
        tags: vec![
            "platformgen".to_string(),
            model.service.name.clone(),
            environment.name.clone(),
        ],
        templating: Templating {
            list: vec![Variable {
                hide: 0,
                include_all: false,
                label: "Data source",
                multi: false,
                name: DATASOURCE_VARIABLE,
                query: "prometheus",
                refresh: 1,
                regex: "",
                kind: "datasource",
            }],
        },
        time: TimeRange {
            from: "now-6h",
            to: "now",
        },
        timezone: "browser",
        title: format!("{} ({})", dashboard.title, environment.name),
        uid: dashboard.uid.clone(),
        version: 1,
    }
}

/// Renders every dashboard of the spec for each environment.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = Vec::new();
    for environment in request.environments() {
        for dashboard in &request.model.dashboards {
            let mut contents =
                serde_json::to_string_pretty(&self::dashboard(request, environment, dashboard))
                    .map_err(|error| RenderError {
                        template: "dashboards.rs".to_string(),
                        line: None,
                        message: error.to_string(),
                    })?;
            contents.push('\n');
            artifacts.push(Artifact {
                path: format!(
                    "generated/{}/dashboards/{}.json",
                    environment.name, dashboard.uid
                ),
                contents,
            });
        }
    }
    Ok(artifacts)
}
