//! The platform spec as the user writes it: serde + schemars types, strict (`deny_unknown_fields`).
//!
//! Doc comments here become descriptions in `specs/schema.json`, which editors show on hover.
//! Range, length and pattern rules live on the fields so that the JSON Schema check reports them
//! all at once with positions; rules that relate several values live in `validate`.

mod addons;
mod datastores;
mod delivery;
mod eks;
mod environment;
mod observability;
mod patterns;
mod secrets;
mod service;

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

pub use addons::*;
pub use datastores::*;
pub use delivery::*;
pub use eks::*;
pub use environment::*;
pub use observability::*;
pub use patterns::*;
pub use secrets::*;
pub use service::*;

/// A whole platform: one project, its services and their routes, its environments, alerts,
/// SLOs, dashboards and delivery.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Platform spec", extend("$id" = "https://platformgen.dev/schema/spec.json"))]
pub struct Spec {
    /// Points editors at this schema (for example `"./schema.json"`); ignored by platformgen.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub project: Project,
    /// The services, by name (a DNS label: it names the Deployment, Service, image and metrics
    /// job).
    #[schemars(schema_with = "services")]
    pub services: BTreeMap<String, Service>,
    /// Settings shared by every environment; each `[environments.<name>]` overrides any part.
    #[serde(default)]
    #[schemars(schema_with = "environment_layer")]
    pub defaults: serde_json::Map<String, serde_json::Value>,
    /// The environments, by name (for example `dev`, `staging`, `prod`).
    #[schemars(schema_with = "environment_layers")]
    pub environments: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Prometheus alerting rules, rendered into each environment's PrometheusRule.
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// Service level objectives, rendered as multi-window, multi-burn-rate alerts.
    #[serde(default)]
    pub slos: Vec<Slo>,
    /// Grafana dashboards, each a list of panels from the built-in catalogue.
    #[serde(default)]
    pub dashboards: Vec<Dashboard>,
    /// How the secrets are named in AWS Secrets Manager and synced into the cluster.
    #[serde(default)]
    pub secret_store: SecretStore,
    /// The platform's secrets, by name (a DNS label; `database` and `redis` are the platform's
    /// own): Terraform creates each in every environment, services read them by name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub secrets: BTreeMap<String, PlatformSecret>,
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

/// `schema_with` target for `[services]`: services by name.
pub fn services(generator: &mut SchemaGenerator) -> Schema {
    let service = generator.subschema_for::<Service>();
    json_schema!({
        "type": "object",
        "minProperties": 1,
        "propertyNames": { "pattern": NAME_PATTERN },
        "additionalProperties": service,
    })
}

/// `schema_with` target for `[defaults]`: a partial environment.
pub fn environment_layer(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<Environment>()
}

/// `schema_with` target for `[environments]`: partial environments by name.
pub fn environment_layers(generator: &mut SchemaGenerator) -> Schema {
    let layer = generator.subschema_for::<Environment>();
    json_schema!({
        "type": "object",
        "minProperties": 1,
        "propertyNames": { "pattern": ENVIRONMENT_NAME_PATTERN },
        "additionalProperties": layer,
    })
}
