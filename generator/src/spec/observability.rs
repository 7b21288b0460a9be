//! Alerts, SLOs, dashboards and where alerts go.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns::{DURATION_PATTERN, NAME_PATTERN};

/// Alert severities, from most to least urgent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

/// Notification receivers an alert can be routed to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Receiver {
    Pagerduty,
    Slack,
    Email,
}

/// Which receivers each severity goes to, unless an alert sets `notify` itself, and where the
/// receivers deliver. Their credentials (the PagerDuty routing key, the Slack webhook, the SMTP
/// password) are read from the Kubernetes Secret `alertmanager-receivers`, never written here.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alerting {
    pub critical: Vec<Receiver>,
    pub warning: Vec<Receiver>,
    pub info: Vec<Receiver>,
    /// The Slack channel the `slack` receiver posts to (default `#alerts`).
    #[serde(default = "Alerting::default_slack_channel")]
    #[schemars(regex(pattern = r"^[#@][a-z0-9._-]{1,80}$"))]
    pub slack_channel: String,
    /// Where the `email` receiver sends its daily digest; required when anything routes to email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailChannel>,
}

impl Alerting {
    fn default_slack_channel() -> String {
        "#alerts".to_string()
    }
}

/// The `email` receiver's mail settings (the SMTP password comes from the receivers' Secret).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChannel {
    /// The team's address.
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub to: String,
    /// The sender's address.
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub from: String,
    /// The SMTP relay, `host:port` (for example `email-smtp.us-east-1.amazonaws.com:587`).
    #[schemars(regex(pattern = r"^[A-Za-z0-9.-]+:[0-9]{1,5}$"))]
    pub smarthost: String,
    /// The SMTP user name (its password: key `smtp-password` of the receivers' Secret).
    #[schemars(length(min = 1))]
    pub username: String,
}

/// A Prometheus alerting rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Alert name, in CamelCase (for example `HighErrorRate`).
    #[schemars(regex(pattern = r"^[A-Z][A-Za-z0-9]*$"))]
    pub name: String,
    /// PromQL expression. `$threshold` stands for the threshold of the environment, and
    /// `$namespace` for its namespace (`up{namespace="$namespace"} == 0`).
    #[schemars(length(min = 1))]
    pub expr: String,
    /// Default value of `$threshold`; environments override it in `monitoring.alert_thresholds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for")]
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub for_: String,
    pub severity: Severity,
    #[schemars(length(min = 1))]
    pub summary: String,
    /// Alertmanager template text; `{{ $value }}` and `{{ $labels.x }}` are passed through.
    #[schemars(length(min = 1))]
    pub description: String,
    /// Receivers; defaults to `alerting.<severity>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Vec<Receiver>>,
    /// Extra labels on the alert.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Link to the runbook, added as the `runbook_url` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https://"))]
    pub runbook_url: Option<String>,
    /// Synthetic series under which the alert must fire, and under which it must stay silent,
    /// in every environment; rendered into `promtool test rules` unit tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<AlertTest>,
}

/// Unit-test input of an alert: series (a PromQL selector) -> values in promtool's expanding
/// notation, one sample a minute (for example `0+10x40`: 0, 10, 20, ... 400). `$namespace` in
/// a series stands for the environment's namespace, as in the expression.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertTest {
    /// Series under which the alert fires.
    #[schemars(length(min = 1))]
    pub firing: BTreeMap<String, String>,
    /// Series under which it stays silent.
    #[schemars(length(min = 1))]
    pub quiet: BTreeMap<String, String>,
    /// When to look, counted from the first sample (default `30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub at: Option<String>,
}

/// A service level objective over request events.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// SLO name, used in recording-rule and alert names (for example `availability`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub name: String,
    /// Target, in percent of good events (for example `99.9`).
    #[schemars(range(min = 50.0, max = 99.999))]
    pub objective: f64,
    /// Compliance window (for example `30d`).
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub window: String,
    #[schemars(length(min = 1))]
    pub description: String,
    /// PromQL rate of bad events; `$window` stands for the rate window, `$namespace` for the
    /// environment's namespace.
    #[schemars(length(min = 1))]
    pub bad_events: String,
    /// PromQL rate of all events; `$window` stands for the rate window, `$namespace` for the
    /// environment's namespace.
    #[schemars(length(min = 1))]
    pub total_events: String,
    /// The service it is about (its `service` label); may be left out when the spec has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub service: Option<String>,
}

/// A Grafana dashboard.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// Stable Grafana uid; also the file name under `generated/<env>/dashboards/`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{1,39}$"))]
    pub uid: String,
    #[schemars(length(min = 1, max = 100))]
    pub title: String,
    /// Panels, in display order, from the built-in catalogue.
    #[schemars(length(min = 1))]
    pub panels: Vec<Panel>,
    /// The service its panels show (its metrics job and Deployment); may be left out when the
    /// spec has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub service: Option<String>,
}

/// The built-in panel catalogue.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    /// Requests per second by endpoint.
    RequestRate,
    /// p50, p95 and p99 request latency.
    LatencyPercentiles,
    /// Share of 5xx responses.
    ErrorRate,
    /// Cache hits / (hits + misses).
    CacheHitRatio,
    /// p95 database query duration by operation.
    DbQueryDuration,
    /// Redis errors per second.
    RedisErrors,
    /// 429 responses per second.
    RateLimited,
    /// Requests per second by endpoint and status.
    EndpointUsage,
    /// Transactions stored.
    TransactionCount,
    /// Sum of the stored amounts.
    TransactionAmount,
    /// Transactions created per hour.
    TransactionsPerHour,
    /// CPU of the service's pods.
    PodCpu,
    /// Memory of the service's pods.
    PodMemory,
    /// Container restarts of the service's pods.
    PodRestarts,
    /// Ready replicas versus desired.
    Replicas,
    /// Remaining error budget of each SLO.
    SloErrorBudget,
}
