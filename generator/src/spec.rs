//! The platform spec as the user writes it: serde + schemars types, strict (`deny_unknown_fields`).
//!
//! Doc comments here become descriptions in `specs/schema.json`, which editors show on hover.
//! Range, length and pattern rules live on the fields so that the JSON Schema check reports them
//! all at once with positions; rules that relate several values live in `validate`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Prometheus duration such as `30s`, `5m`, `1h30m` or `30d`.
pub const DURATION_PATTERN: &str = r"^([0-9]+(ms|y|w|d|h|m|s))+$";
/// An IPv4 CIDR block such as `10.0.0.0/16` (host bits are checked semantically).
pub const CIDR_PATTERN: &str = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$";
/// Lower-case identifiers used for names that become resource names.
pub const NAME_PATTERN: &str = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$";

/// A whole platform: one project, one service, its environments, routes, alerts, SLOs,
/// dashboards and delivery.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Platform spec", extend("$id" = "https://platformgen.dev/schema/spec.json"))]
pub struct Spec {
    /// Points editors at this schema (for example `"./schema.json"`); ignored by platformgen.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub project: Project,
    pub service: Service,
    /// Settings shared by every environment; each `[environments.<name>]` overrides any part.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::environment_layer")]
    pub defaults: serde_json::Map<String, serde_json::Value>,
    /// The environments, by name (for example `dev`, `staging`, `prod`).
    #[schemars(schema_with = "crate::schema::environment_layers")]
    pub environments: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// The HTTP routes the runtime serves. A handler not listed here is not served.
    #[schemars(length(min = 1))]
    pub routes: Vec<Route>,
    /// Prometheus alerting rules, rendered into each environment's PrometheusRule.
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// Service level objectives, rendered as multi-window, multi-burn-rate alerts.
    #[serde(default)]
    pub slos: Vec<Slo>,
    /// Grafana dashboards, each a list of panels from the built-in catalogue.
    #[serde(default)]
    pub dashboards: Vec<Dashboard>,
    /// Where alerts go, by severity.
    pub alerting: Alerting,
    /// How the platform is built and delivered (GitHub Actions).
    pub delivery: Delivery,
}

/// The project that owns the platform.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Short name, used as a prefix of every cloud resource (for example `expense`).
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// AWS region of every environment (for example `us-east-1`).
    #[schemars(regex(pattern = r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"))]
    pub aws_region: String,
    /// Team that owns the resources; becomes the `Owner` tag.
    #[schemars(length(min = 1, max = 128))]
    pub owner: String,
    /// Cost centre for billing; becomes the `CostCenter` tag.
    #[schemars(length(min = 1, max = 128))]
    pub cost_center: String,
    /// The GitHub repository (`owner/name`) whose workflows may assume the deploy role.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))]
    pub github_repository: String,
    /// Extra tags put on every resource.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The service that the runtime implements.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service name; names the Deployment, Service, image and metrics job.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// TCP port the runtime listens on inside the container.
    #[schemars(range(min = 1024, max = 65535))]
    pub port: u16,
    /// ECR repository name of the image.
    #[schemars(regex(pattern = r"^[a-z0-9]+([._/-][a-z0-9]+)*$"))]
    pub image_repository: String,
    /// Liveness path: 200 while the process lives.
    #[schemars(regex(pattern = r"^/[A-Za-z0-9/_-]*$"))]
    pub health_path: String,
    /// Readiness path: 503 while the database is unreachable.
    #[schemars(regex(pattern = r"^/[A-Za-z0-9/_-]*$"))]
    pub readiness_path: String,
    /// Path of the Prometheus metrics endpoint.
    #[schemars(regex(pattern = r"^/[A-Za-z0-9/_-]*$"))]
    pub metrics_path: String,
    /// Default rate limit of every route that does not set its own.
    pub rate_limit: RateLimit,
    /// Default largest request body, in bytes, of every route that does not set its own.
    #[schemars(range(min = 1, max = 10485760))]
    pub body_limit_bytes: u64,
    /// Largest number of rows one `GET` of a list returns (`?limit=` is capped to it).
    #[schemars(range(min = 1, max = 100000))]
    pub max_page_size: u32,
    /// Seconds a shutting-down replica waits for in-flight requests.
    #[schemars(range(min = 1, max = 300))]
    pub shutdown_grace_seconds: u32,
}

/// A request budget per client.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window.
    #[schemars(range(min = 1, max = 1000000))]
    pub requests: u32,
    /// Window length, a duration such as `60s`.
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub window: String,
}

/// One HTTP route of the runtime.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub method: Method,
    /// Route template, with `{id}` for a path parameter (for example `/transaction/{id}`).
    #[schemars(regex(
        pattern = r"^/([A-Za-z0-9_.-]+|\{[a-z_]+\})?(/([A-Za-z0-9_.-]+|\{[a-z_]+\}))*$"
    ))]
    pub path: String,
    /// Which of the runtime's handlers serves it.
    pub handler: Handler,
    /// Whether reads go through the cache (`cache-aside`) or always to the database.
    #[serde(default)]
    pub cache: CachePolicy,
    /// Overrides `service.rate_limit` for this route; `false` turns rate limiting off. Without
    /// it, the API's routes take `service.rate_limit` and the operational ones (health,
    /// readiness, metrics, the OpenAPI document, the docs page) are not limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RouteRateLimit>,
    /// Overrides `service.body_limit_bytes` for this route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10485760))]
    pub body_limit_bytes: Option<u64>,
}

/// A per-route rate limit, or `false` for none.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum RouteRateLimit {
    Disabled(Disabled),
    Limit(RateLimit),
}

/// The literal `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "bool", into = "bool")]
#[schemars(extend("const" = false))]
pub struct Disabled;

impl TryFrom<bool> for Disabled {
    type Error = &'static str;
    fn try_from(value: bool) -> Result<Self, Self::Error> {
        if value {
            Err("only `false` is allowed here")
        } else {
            Ok(Disabled)
        }
    }
}

impl From<Disabled> for bool {
    fn from(_: Disabled) -> bool {
        false
    }
}

/// HTTP methods the runtime serves.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The runtime's handlers. Each serves one method; some need a `{id}` path parameter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Handler {
    /// Liveness: `{"status","timestamp","database","redis"}`.
    Health,
    /// Readiness: 503 while the database is unreachable.
    Ready,
    /// Prometheus text exposition.
    Metrics,
    /// The OpenAPI 3 document.
    Openapi,
    /// A page that renders the OpenAPI document.
    Docs,
    /// `GET /transaction`: every transaction, or a page of them.
    ListTransactions,
    /// `POST /transaction`: add one.
    CreateTransaction,
    /// `DELETE /transaction`: delete all.
    DeleteAllTransactions,
    /// `GET /transaction/id` with `{"id":N}` in the body.
    GetTransactionByBody,
    /// `DELETE /transaction/id` with `{"id":N}` in the body.
    DeleteTransactionByBody,
    /// `GET /transaction/{id}`.
    GetTransaction,
    /// `DELETE /transaction/{id}`.
    DeleteTransaction,
}

impl Handler {
    /// The one method this handler answers.
    pub fn method(self) -> Method {
        match self {
            Handler::CreateTransaction => Method::Post,
            Handler::DeleteAllTransactions
            | Handler::DeleteTransactionByBody
            | Handler::DeleteTransaction => Method::Delete,
            _ => Method::Get,
        }
    }

    /// The path parameter this handler reads, if any.
    pub fn path_parameter(self) -> Option<&'static str> {
        match self {
            Handler::GetTransaction | Handler::DeleteTransaction => Some("id"),
            _ => None,
        }
    }

    /// Whether the handler reads data that the cache can serve.
    /// The service's own operational routes (probes, metrics, the API's document and docs page),
    /// which a client's API budget does not limit unless the route sets one.
    pub fn is_operational(self) -> bool {
        matches!(
            self,
            Handler::Health | Handler::Ready | Handler::Metrics | Handler::Openapi | Handler::Docs
        )
    }

    pub fn is_cacheable(self) -> bool {
        matches!(
            self,
            Handler::ListTransactions | Handler::GetTransactionByBody | Handler::GetTransaction
        )
    }
}

/// How a route uses the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CachePolicy {
    /// Always read from the database.
    #[default]
    None,
    /// Read from the cache, fill it on a miss; writes invalidate it.
    CacheAside,
}

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

/// Which receivers each severity goes to, unless an alert sets `notify` itself.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alerting {
    pub critical: Vec<Receiver>,
    pub warning: Vec<Receiver>,
    pub info: Vec<Receiver>,
}

/// A Prometheus alerting rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Alert name, in CamelCase (for example `HighErrorRate`).
    #[schemars(regex(pattern = r"^[A-Z][A-Za-z0-9]*$"))]
    pub name: String,
    /// PromQL expression. `$threshold` stands for the threshold of the environment.
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
/// notation, one sample a minute (for example `0+10x40`: 0, 10, 20, ... 400).
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
    /// PromQL rate of bad events; `$window` stands for the rate window.
    #[schemars(length(min = 1))]
    pub bad_events: String,
    /// PromQL rate of all events; `$window` stands for the rate window.
    #[schemars(length(min = 1))]
    pub total_events: String,
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

/// How the platform is delivered: the actions the workflows use and the deploy role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Name of the IAM role the workflows assume through GitHub OIDC.
    #[schemars(regex(pattern = r"^[A-Za-z0-9+=,.@_-]{1,64}$"))]
    pub aws_role_name: String,
    /// Kubernetes namespace the service is deployed to.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub namespace: String,
    /// Minimum line coverage the PR check enforces, in percent.
    #[schemars(range(min = 0, max = 100))]
    pub min_coverage_percent: u8,
    /// The GitHub Actions used by the workflows, by `owner/name`: a version tag, and optionally
    /// the full commit SHA that tag points to, which is then what the workflows pin.
    pub actions: BTreeMap<String, ActionVersion>,
}

/// The version of one GitHub Action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ActionVersion {
    /// Version tag, for example `v5`.
    #[schemars(regex(pattern = r"^v[0-9]+(\.[0-9]+){0,2}$"))]
    pub version: String,
    /// Full 40-character commit SHA of that tag; when set, workflows pin it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-f]{40}$"))]
    pub sha: Option<String>,
}

/// Everything one environment needs. In the file, `[defaults]` and each
/// `[environments.<name>]` are partial; the two merged must be complete.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// `production` turns on the production rules (which only an explicit waiver lifts).
    pub tier: Tier,
    pub network: Network,
    pub eks: Eks,
    pub database: Database,
    pub cache: Cache,
    pub bastion: Bastion,
    pub app: App,
    pub budget: Budget,
    pub ingress: Ingress,
    pub waf: Waf,
    pub deploy: Deploy,
    #[serde(default)]
    pub monitoring: Monitoring,
    /// Explicit exceptions to production rules, each with a reason.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

/// How critical an environment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Development,
    Staging,
    Production,
}

/// The environment's VPC.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// VPC CIDR block; must not overlap another environment's.
    #[schemars(regex(pattern = CIDR_PATTERN))]
    pub vpc_cidr: String,
    /// Availability zones of the region, one subnet of each kind per zone.
    #[schemars(length(min = 1, max = 6))]
    pub availability_zones: Vec<String>,
    /// Public subnets (ALB, NAT gateways, bastion), one per zone.
    pub public_subnets: Vec<String>,
    /// Private subnets (EKS nodes), one per zone.
    pub private_subnets: Vec<String>,
    /// Database subnets (RDS, ElastiCache), one per zone.
    pub database_subnets: Vec<String>,
    /// `single` NAT gateway (cheaper) or one `per-az` (survives a zone outage).
    pub nat: NatMode,
    /// Send VPC flow logs to CloudWatch.
    pub flow_logs: bool,
}

/// NAT gateway layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    Single,
    PerAz,
}

/// The EKS cluster and its managed node group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Eks {
    /// Kubernetes version, for example `1.28`.
    #[schemars(regex(pattern = r"^1\.[0-9]{2}$"))]
    pub version: String,
    #[schemars(length(min = 1))]
    pub instance_types: Vec<String>,
    #[schemars(range(min = 0, max = 1000))]
    pub desired_size: u32,
    #[schemars(range(min = 0, max = 1000))]
    pub min_size: u32,
    #[schemars(range(min = 1, max = 1000))]
    pub max_size: u32,
    /// Run part of the nodes on spot capacity.
    pub spot: bool,
    /// Share of spot nodes, in percent.
    #[schemars(range(min = 0, max = 100))]
    pub spot_percentage: u8,
    pub endpoint_private_access: bool,
    pub endpoint_public_access: bool,
    /// CIDRs allowed to reach a public endpoint.
    pub public_access_cidrs: Vec<String>,
}

/// The RDS instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub engine: Engine,
    /// Engine version, for example `8.0` (MySQL) or `15` (PostgreSQL).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+){0,2}$"))]
    pub version: String,
    /// Instance class, for example `db.t3.micro`.
    #[schemars(regex(pattern = r"^db\.[a-z0-9]+\.[a-z0-9]+$"))]
    pub instance_class: String,
    /// Initial storage in GiB.
    #[schemars(range(min = 20, max = 65536))]
    pub allocated_storage_gb: u32,
    /// Storage autoscaling ceiling in GiB.
    #[schemars(range(min = 20, max = 65536))]
    pub max_allocated_storage_gb: u32,
    pub multi_az: bool,
    #[schemars(range(min = 0, max = 35))]
    pub backup_retention_days: u8,
    pub deletion_protection: bool,
    pub performance_insights: bool,
    /// Initial database name.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,62}$"))]
    pub name: String,
    /// Application user name (the password lives in a secret, never here).
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,15}$"))]
    pub username: String,
    /// Connection pool of each runtime replica.
    pub pool: Pool,
    /// Parameter group settings, for example `max_connections = 100`.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterValue>,
}

/// Database engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Mysql,
    Postgres,
}

/// A parameter group value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ParameterValue {
    Integer(i64),
    Boolean(bool),
    Text(String),
}

impl std::fmt::Display for ParameterValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParameterValue::Integer(n) => write!(f, "{n}"),
            ParameterValue::Boolean(b) => write!(f, "{}", u8::from(*b)),
            ParameterValue::Text(s) => f.write_str(s),
        }
    }
}

/// A database connection pool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Connections kept open.
    #[schemars(range(min = 1, max = 1000))]
    pub size: u32,
    /// Extra connections opened under load.
    #[schemars(range(min = 0, max = 1000))]
    pub max_overflow: u32,
    /// Seconds after which a connection is replaced.
    #[schemars(range(min = 1, max = 86400))]
    pub recycle_seconds: u32,
    /// Check a connection before use.
    pub pre_ping: bool,
}

/// The ElastiCache Redis replication group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// Node type, for example `cache.t3.micro`.
    #[schemars(regex(pattern = r"^cache\.[a-z0-9]+\.[a-z0-9]+$"))]
    pub node_type: String,
    #[schemars(range(min = 1, max = 6))]
    pub nodes: u8,
    pub automatic_failover: bool,
    pub transit_encryption: bool,
    pub at_rest_encryption: bool,
    /// Require an AUTH token (kept in a secret, never here).
    pub auth_token: bool,
    /// Redis engine version.
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+$"))]
    pub version: String,
}

/// The SSH bastion host.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bastion {
    pub enabled: bool,
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"))]
    pub instance_type: String,
    /// CIDRs allowed to reach port 22 (office, VPN).
    pub allowed_cidrs: Vec<String>,
}

/// How the runtime runs in this environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Time to live of cached reads.
    #[schemars(range(min = 1, max = 86400))]
    pub cache_ttl_seconds: u32,
    pub log_level: LogLevel,
    /// CloudWatch log retention (a value CloudWatch accepts).
    pub log_retention_days: u16,
    /// Replicas before the autoscaler acts.
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    pub autoscaling: Autoscaling,
    pub resources: Resources,
    /// Milliseconds after which a Redis call is abandoned and the database answers instead.
    #[schemars(range(min = 1, max = 10000))]
    pub redis_timeout_ms: u32,
}

/// Log levels of the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Horizontal pod autoscaling.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: u32,
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: u32,
    /// Average CPU utilisation the autoscaler aims for, in percent.
    #[schemars(range(min = 1, max = 100))]
    pub cpu_target_percent: u8,
}

/// Container resources, in Kubernetes quantities.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[schemars(regex(pattern = r"^[0-9]+(m|\.[0-9]+)?$"))]
    pub cpu_request: String,
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi)$"))]
    pub memory_request: String,
    #[schemars(regex(pattern = r"^[0-9]+(m|\.[0-9]+)?$"))]
    pub cpu_limit: String,
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi)$"))]
    pub memory_limit: String,
}

/// The monthly AWS budget.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    #[schemars(range(min = 1, max = 10000000))]
    pub monthly_usd: u32,
    /// Who is told at 80 %, 100 % and at a 100 % forecast.
    #[schemars(length(min = 1))]
    pub alert_emails: Vec<String>,
}

/// Public HTTPS entry through the AWS load balancer controller.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// Host name, for example `api.dev.example.com`.
    #[schemars(regex(pattern = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"))]
    pub host: String,
    /// ACM certificate ARN.
    #[schemars(regex(pattern = r"^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$"))]
    pub certificate_arn: String,
}

/// The AWS WAF web ACL in front of the load balancer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waf {
    pub enabled: bool,
    /// Requests one IP may send in 5 minutes before it is blocked.
    #[schemars(range(min = 100, max = 2000000000))]
    pub rate_limit_per_5min: u32,
}

/// What deploys this environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// Deploy on every push to this branch (set this or `tag`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._/-]+$"))]
    pub branch: Option<String>,
    /// Deploy on every pushed tag matching this glob, for example `v*-prod` (set this or `branch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._*/-]+$"))]
    pub tag: Option<String>,
    /// Hold the deploy until a reviewer approves it (a GitHub environment with reviewers).
    pub approval_required: bool,
    /// Labels of the runner the deploy job runs on; empty means a GitHub-hosted runner. A
    /// private EKS endpoint needs a self-hosted runner inside the VPC, such as
    /// `["self-hosted", "linux", "expense-prod"]`.
    #[serde(default)]
    pub runner: Vec<RunnerLabel>,
}

/// A GitHub Actions runner label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct RunnerLabel(#[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,64}$"))] pub String);

/// Per-environment monitoring settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Overrides of alert thresholds, by alert name.
    #[serde(default)]
    pub alert_thresholds: BTreeMap<String, f64>,
}

/// An explicit, visible exception to a production rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: ProductionRule,
    /// Why the rule does not apply; shown in reviews.
    #[schemars(length(min = 10))]
    pub reason: String,
}

/// Rules that hold in every `production` environment unless waived.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ProductionRule {
    /// The database runs in several zones.
    DatabaseMultiAz,
    /// The cache fails over automatically.
    CacheFailover,
    /// Backups are kept at least 7 days.
    BackupRetention,
    /// The EKS API endpoint is private.
    PrivateEksEndpoint,
    /// The database cannot be deleted by accident.
    DeletionProtection,
    /// NAT gateways survive a zone outage.
    NatPerAz,
    /// Deploys wait for a reviewer's approval.
    ApprovalRequired,
}

impl ProductionRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductionRule::DatabaseMultiAz => "database-multi-az",
            ProductionRule::CacheFailover => "cache-failover",
            ProductionRule::BackupRetention => "backup-retention",
            ProductionRule::PrivateEksEndpoint => "private-eks-endpoint",
            ProductionRule::DeletionProtection => "deletion-protection",
            ProductionRule::NatPerAz => "nat-per-az",
            ProductionRule::ApprovalRequired => "approval-required",
        }
    }
}
