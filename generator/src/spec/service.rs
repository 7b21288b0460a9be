//! A service of the platform: how it runs and is probed, and, for a service this repository's
//! runtime serves, its limits and HTTP routes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns::{
    DURATION_PATTERN, HTTP_PATH_PATTERN, IMAGE_REPOSITORY_PATTERN, INGRESS_PATH_PATTERN,
    NAME_PATTERN, SECRET_REFERENCE_PATTERN, VARIABLE_NAME_PATTERN,
};
use super::secrets::Access;

/// One service (its name is its key in `[services]`: it names the Deployment, Service, image and
/// metrics job).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// TCP port the service listens on inside the container.
    #[schemars(range(min = 1024, max = 65535))]
    pub port: u16,
    /// ECR repository name of the image.
    #[schemars(regex(pattern = IMAGE_REPOSITORY_PATTERN))]
    pub image_repository: String,
    /// Liveness path: 200 while the process lives.
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    pub health_path: String,
    /// Readiness path: 503 while the database is unreachable.
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    pub readiness_path: String,
    /// Path of the Prometheus metrics endpoint.
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    pub metrics_path: String,
    /// Seconds a shutting-down replica waits for in-flight requests.
    #[schemars(range(min = 1, max = 300))]
    pub shutdown_grace_seconds: u32,
    /// How Kubernetes probes the service's containers.
    #[serde(default)]
    pub probes: Probes,
    /// How a new version replaces the old, pod by pod.
    #[serde(default)]
    pub rollout: Rollout,
    /// Pods kept running while nodes are drained (a PodDisruptionBudget, wherever the
    /// autoscaler keeps more than one replica).
    #[serde(default)]
    pub disruption_budget: DisruptionBudget,
    /// Path prefixes the environment's ingress host sends to this service (the ALB matches
    /// them as prefixes); `[]` keeps the service off the ingress.
    #[serde(default = "root_path")]
    #[schemars(inner(regex(pattern = INGRESS_PATH_PATTERN)))]
    pub ingress_paths: Vec<String>,
    /// What the service's pods may reach besides DNS (a NetworkPolicy): the database, the cache,
    /// other services by name. The runtime's services always reach the database and the cache.
    #[serde(default)]
    pub egress: Egress,
    /// The node group (of each environment's `eks.node_groups`) the service's pods run on: its
    /// labels become their node selector, its taints their tolerations. An environment's
    /// `services.<name>.node_group` overrides it; without either the pods run on any node
    /// without a taint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub node_group: Option<String>,
    /// Non-secret environment variables of the containers (a ConfigMap), beside those the
    /// platform sets for the runtime.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": VARIABLE_NAME_PATTERN }))]
    pub config: BTreeMap<String, String>,
    /// Environment variables read from the platform's `[secrets]`: `NAME = "<secret>"` (a
    /// secret's whole value) or `NAME = "<secret>.<key>"` (one key of it), synced into the
    /// service's Kubernetes Secret by an ExternalSecret.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": VARIABLE_NAME_PATTERN }))]
    #[schemars(extend("additionalProperties" = {
        "type": "string",
        "pattern": SECRET_REFERENCE_PATTERN
    }))]
    pub secrets: BTreeMap<String, String>,
    /// What the service's own AWS role may do: buckets and secrets by name.
    #[serde(default)]
    pub access: Access,
    /// The service's directory in this repository, for a service on its own image: its image is
    /// built from `<source>/Dockerfile`, and a change under it (on a branch that deploys)
    /// deploys the service. The runtime's services are built from `runtime/Dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$"
    ))]
    pub source: Option<String>,
    /// Present when this repository's runtime serves the service: its limits. Without it the
    /// service runs its own image, and the spec describes only how it is run and probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// The HTTP routes the runtime serves (a service with `runtime` only). A handler not listed
    /// here is not served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
}

pub(super) fn root_path() -> Vec<String> {
    vec!["/".to_string()]
}

/// Where a service's pods may open connections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Egress {
    /// The environment's database, on its port.
    #[serde(default)]
    pub database: bool,
    /// The environment's Redis, on its port.
    #[serde(default)]
    pub cache: bool,
    /// Other services of the spec, on their ports.
    #[serde(default)]
    #[schemars(inner(regex(pattern = NAME_PATTERN)))]
    pub services: Vec<String>,
}

/// The timings of a service's probes (a probe the service's table writes is written whole; an
/// environment's settings may then change any one timing of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// `health_path`: the container is restarted when it fails.
    #[serde(default = "Probe::liveness")]
    pub liveness: Probe,
    /// `readiness_path`: the pod takes traffic only while it passes.
    #[serde(default = "Probe::readiness")]
    pub readiness: Probe,
    /// `health_path` while the container starts (the other probes wait for it): the time a start
    /// may take is `period_seconds x failure_threshold`.
    #[serde(default = "Probe::startup")]
    pub startup: Probe,
}

impl Default for Probes {
    fn default() -> Self {
        Self {
            liveness: Probe::liveness(),
            readiness: Probe::readiness(),
            startup: Probe::startup(),
        }
    }
}

/// One probe's timing, as Kubernetes takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Seconds after the container starts before the first probe.
    #[schemars(range(max = 600))]
    pub initial_delay_seconds: u32,
    /// Seconds between probes.
    #[schemars(range(min = 1, max = 600))]
    pub period_seconds: u32,
    /// Seconds a probe waits for its answer; shorter than `period_seconds`.
    #[schemars(range(min = 1, max = 600))]
    pub timeout_seconds: u32,
    /// Failures in a row that count as failed.
    #[schemars(range(min = 1, max = 100))]
    pub failure_threshold: u32,
}

impl Probe {
    fn liveness() -> Self {
        Self {
            initial_delay_seconds: 10,
            period_seconds: 10,
            timeout_seconds: 2,
            failure_threshold: 3,
        }
    }

    fn readiness() -> Self {
        Self {
            initial_delay_seconds: 5,
            period_seconds: 5,
            timeout_seconds: 2,
            failure_threshold: 2,
        }
    }

    /// Up to 2 minutes for the database connect retries and the migrations.
    fn startup() -> Self {
        Self {
            initial_delay_seconds: 0,
            period_seconds: 5,
            timeout_seconds: 2,
            failure_threshold: 24,
        }
    }
}

/// A rolling update: pods started above the wanted count, and pods allowed to be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// New pods started before old ones stop.
    #[schemars(range(max = 100))]
    pub max_surge: u32,
    /// Pods that may be unavailable during the update (0: capacity never drops).
    #[schemars(range(max = 100))]
    pub max_unavailable: u32,
}

impl Default for Rollout {
    fn default() -> Self {
        Self {
            max_surge: 1,
            max_unavailable: 0,
        }
    }
}

/// The PodDisruptionBudget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisruptionBudget {
    /// Pods that stay up while a node is drained; below the autoscaler's minimum.
    #[schemars(range(min = 1, max = 100))]
    pub min_available: u32,
}

impl Default for DisruptionBudget {
    fn default() -> Self {
        Self { min_available: 1 }
    }
}

/// The limits of a service served by this repository's runtime.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// Default rate limit of every route that does not set its own.
    pub rate_limit: RateLimit,
    /// Default largest request body, in bytes, of every route that does not set its own.
    #[schemars(range(min = 1, max = 10485760))]
    pub body_limit_bytes: u64,
    /// Largest number of rows one `GET` of a list returns (`?limit=` is capped to it).
    #[schemars(range(min = 1, max = 100000))]
    pub max_page_size: u32,
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
    /// Overrides the service's `runtime.rate_limit` for this route; `false` turns rate limiting
    /// off. Without it, the API's routes take `runtime.rate_limit` and the operational ones (health,
    /// readiness, metrics, the OpenAPI document, the docs page) are not limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RouteRateLimit>,
    /// Overrides the service's `runtime.body_limit_bytes` for this route.
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
