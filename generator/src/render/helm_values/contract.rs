//! [`HelmValues`]: every value the chart reads, typed; the template lays it out, the tests parse
//! the files back into it, and the chart's `values.schema.json` is derived from it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::spec::TaintEffect;

/// Everything the chart reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmValues {
    /// The service's name: every resource's `app.kubernetes.io/name`, which the ServiceMonitor
    /// makes the Prometheus `job`, the job the generated rules and dashboards select.
    pub name_override: String,
    /// The platform (spec `project.name`): every resource's `app.kubernetes.io/part-of`.
    pub part_of: String,
    /// Environment name; the runtime reads its settings for it from the spec.
    pub environment: String,
    pub image: Image,
    /// Replicas when the autoscaler is off, and the initial count when it is on.
    #[schemars(range(min = 1, max = 100))]
    pub replica_count: u32,
    /// Port the container listens on.
    #[schemars(range(min = 1024, max = 65535))]
    pub container_port: u16,
    /// Set at deploy time on a blue-green environment's colour release (`<release>-<colour>`),
    /// which then holds only that colour's workload; empty (the generated files) for a rolling
    /// release.
    #[serde(default, skip_serializing_if = "Colour::is_none")]
    pub colour: Colour,
    pub service: ServiceValues,
    pub resources: ResourceValues,
    pub probes: Probes,
    /// Longer than the runtime's shutdown grace, so in-flight requests finish.
    #[schemars(range(min = 1, max = 600))]
    pub termination_grace_period_seconds: u32,
    pub rollout: RolloutValues,
    /// Non-secret environment variables (a ConfigMap).
    pub config: BTreeMap<String, String>,
    pub secrets: Secrets,
    pub autoscaling: AutoscalingValues,
    pub pod_disruption_budget: PodDisruptionBudget,
    pub spread: Spread,
    /// Node labels the pods must run on: the labels of the node group the spec places the
    /// service on (empty: any node).
    pub node_selector: BTreeMap<String, String>,
    /// The taints of that node group, which the pods tolerate.
    pub tolerations: Vec<Toleration>,
    pub ingress: IngressValues,
    pub service_monitor: ServiceMonitor,
    pub prometheus_rule: PrometheusRule,
    pub grafana_dashboards: GrafanaDashboards,
    /// The spec the release was generated from, which the runtime serves; absent for a service
    /// on its own image, and in the chart's defaults (the runtime then serves the spec in its
    /// image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ServedSpec>,
    /// Annotations on every pod.
    pub pod_annotations: BTreeMap<String, String>,
    pub service_account: ServiceAccount,
    pub security_context: SecurityContext,
    pub network_policy: NetworkPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Registry host, set at deploy time from the ECR login (empty: the repository is complete).
    pub registry: String,
    pub repository: String,
    /// Image tag, set at deploy time to the commit SHA (empty: the chart's appVersion).
    pub tag: String,
    pub pull_policy: PullPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceValues {
    #[serde(rename = "type")]
    pub kind: ServiceType,
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// Set at deploy time on a blue-green environment's release without a colour: the colour
    /// the Service selects; that release then holds only what the colours share.
    #[serde(default, skip_serializing_if = "Colour::is_none")]
    pub active_colour: Colour,
}

/// A blue-green colour, or none (a rolling release).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    #[default]
    #[serde(rename = "")]
    None,
    Blue,
    Green,
}

impl Colour {
    pub fn is_none(&self) -> bool {
        *self == Colour::None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceValues {
    pub requests: Quantities,
    pub limits: Quantities,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quantities {
    #[schemars(regex(pattern = r"^[0-9]+(m|\.[0-9]+)?$"))]
    pub cpu: String,
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi)$"))]
    pub memory: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probes {
    pub liveness: Probe,
    pub readiness: Probe,
    /// Holds off the liveness probe while the runtime connects (with retries) and migrates.
    pub startup: Probe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    #[schemars(regex(pattern = r"^/"))]
    pub path: String,
    #[schemars(range(min = 0, max = 600))]
    pub initial_delay_seconds: u32,
    #[schemars(range(min = 1, max = 600))]
    pub period_seconds: u32,
    #[schemars(range(min = 1, max = 600))]
    pub timeout_seconds: u32,
    #[schemars(range(min = 1, max = 100))]
    pub failure_threshold: u32,
}

/// Where the runtime's secrets come from: names and references only, never values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// Name of the Kubernetes Secret the pods read (created by the ExternalSecret when enabled).
    pub name: String,
    /// With the ExternalSecret off: the operator confirms a Secret `name` holding a key per
    /// `externalSecret.data[].env` already exists (the chart refuses to render otherwise).
    pub existing: bool,
    pub external_secret: ExternalSecret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecret {
    pub enabled: bool,
    pub secret_store: String,
    pub secret_store_kind: SecretStoreKind,
    pub refresh_interval: String,
    /// Environment variable -> secret in AWS Secrets Manager and the property holding it.
    pub data: Vec<SecretReference>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SecretStoreKind {
    SecretStore,
    ClusterSecretStore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretReference {
    pub env: String,
    pub remote_key: String,
    /// The key of the secret's JSON value; absent, the value is read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalingValues {
    pub enabled: bool,
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: u32,
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: u32,
    #[serde(rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: u8,
    /// The memory target, in percent of the request; none: CPU only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_memory_utilization_percentage: Option<u8>,
    pub behavior: ScalingBehavior,
}

/// The seed's HPA behaviour: scale up fast, scale down slowly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingBehavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingRules {
    #[schemars(range(min = 0, max = 3600))]
    pub stabilization_window_seconds: u32,
    pub policies: Vec<ScalingPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingPolicy {
    #[serde(rename = "type")]
    pub kind: ScalingPolicyType,
    #[schemars(range(min = 1))]
    pub value: u32,
    #[schemars(range(min = 1, max = 1800))]
    pub period_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScalingPolicyType {
    Percent,
    Pods,
}

/// The Deployment's rolling update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutValues {
    /// New pods started before old ones stop.
    #[schemars(range(min = 0, max = 100))]
    pub max_surge: u32,
    /// Pods that may be unavailable during the update (not 0 together with `maxSurge`).
    #[schemars(range(min = 0, max = 100))]
    pub max_unavailable: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodDisruptionBudget {
    pub enabled: bool,
    #[schemars(range(min = 0))]
    pub min_available: u32,
}

/// Spread replicas across nodes (anti-affinity) and zones (topology spread).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spread {
    pub across_nodes: bool,
    pub across_zones: bool,
    #[schemars(range(min = 1))]
    pub max_skew: u32,
}

/// A toleration of one node taint, matching its key, value and effect exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    pub key: String,
    pub operator: TolerationOperator,
    pub value: String,
    pub effect: TaintEffect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    Equal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressValues {
    pub enabled: bool,
    pub class_name: String,
    pub host: String,
    /// Path prefixes of the host routed to the service.
    #[schemars(inner(regex(pattern = r"^/")))]
    pub paths: Vec<String>,
    /// The seed's AWS load balancer controller annotations.
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceMonitor {
    pub enabled: bool,
    pub interval: String,
    pub path: String,
    /// Labels the Prometheus operator selects ServiceMonitors by.
    pub labels: BTreeMap<String, String>,
}

/// The generated PrometheusRule, deployed by the chart. The values file of the release that
/// carries it holds the text of `generated/<env>/prometheus-rules.yaml`, and the chart refuses
/// to render without it when enabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusRule {
    pub enabled: bool,
    /// Contents of `generated/<env>/prometheus-rules.yaml` (empty when not enabled).
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrafanaDashboards {
    pub enabled: bool,
    /// The label the Grafana sidecar watches ConfigMaps for.
    pub sidecar_label: String,
    /// Dashboard uid -> contents of `generated/<env>/dashboards/<uid>.json`: every dashboard
    /// of the spec in the values file of the release that carries them. The chart refuses an
    /// empty one.
    pub files: BTreeMap<String, String>,
}

/// The spec file a release was generated from. The chart puts it in a ConfigMap, mounts it
/// read-only and points `PLATFORM_SPEC` at it, and rolls the pods when its checksum changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServedSpec {
    /// The spec file's text, exactly as the generator read it.
    #[schemars(length(min = 1))]
    pub file: String,
    /// SHA-256 of `file`, in lowercase hex: the pods' `checksum/spec` annotation. The chart
    /// refuses a `file` it does not match.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccount {
    pub create: bool,
    /// Empty: the release's full name.
    pub name: String,
    /// For example `eks.amazonaws.com/role-arn` when the pods need AWS access (IRSA).
    pub annotations: BTreeMap<String, String>,
}

/// The user the container runs as; the rest of the pod's hardening (non-root, read-only root
/// filesystem, no capabilities, RuntimeDefault seccomp) is fixed by the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityContext {
    #[schemars(range(min = 1))]
    pub run_as_user: u32,
    #[schemars(range(min = 1))]
    pub run_as_group: u32,
}

/// Ingress only to the service port; egress only to DNS and the listed ports (database, Redis,
/// the AWS APIs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    pub enabled: bool,
    /// Ports reachable at any address: the database's and Redis' (their addresses change on a
    /// failover, their ports do not), and HTTPS where the service's role reaches AWS APIs.
    #[schemars(inner(range(min = 1)))]
    pub egress_ports: Vec<u16>,
    /// Other services' pods reachable, each on its port.
    pub egress_services: Vec<EgressService>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressService {
    /// The service's `app.kubernetes.io/name`.
    pub name: String,
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
}
