//! The validated platform: the one thing renderers and the runtime read.
//!
//! Only `validate` builds it, from a spec that passed every check, so every value here is
//! already what it claims to be: durations are durations, CIDRs are networks without host bits,
//! routes are templates that fit their handlers, PromQL parses, every action the workflows use
//! is pinned, each route's rate and body limit is resolved. Groups of settings that the schema
//! checks in full (an RDS instance, a cache, a budget) are carried as the spec writes them.

mod action;
mod addons;
mod datastores;
mod delivery;
mod eks;
mod network;
mod route;
mod secrets;
mod tracing;

use std::collections::BTreeMap;

pub use action::{Action, ActionRef};
pub use addons::{
    Addon, ChartRepository, PROMETHEUS_RELEASE, addon_versions, cluster_autoscaler_image_tag,
};
pub use datastores::{
    Cache, CacheTopology, Database, GP3_STRIPED_FROM_GB, POOLER_NAME, POOLER_PORT, Pooler,
    RESERVED_CONNECTIONS, ReadReplica, Storage,
};
pub use delivery::{
    BLUE_GREEN_COLOURS, Delivery, DependencyUpdates, Deploy, DeployTrigger, Strategy,
    TerraformDelivery,
};
pub use eks::{Eks, NodeGroup, pool_groups};
pub use network::{Bastion, Network};
pub use route::{RouteTemplate, TemplateSegment};
pub use secrets::{
    EXTERNAL_SECRETS_NAMESPACE, EXTERNAL_SECRETS_SERVICE_ACCOUNT, SECRET_STORE, Secret,
    SecretVariable,
};

pub use tracing::{TRACING_VARIABLES, Tracing};

pub use crate::duration::PromDuration;
pub use crate::promql::Promql;
pub use crate::resolve::{Layer, Resolved};
pub use crate::spec::{
    Access, Addons, Alerting, AmiType, App, Architecture, Bucket, BucketAccess, BucketEncryption,
    Budget, CachePolicy, CapacityType, DisruptionBudget, Egress, Engine, Handler, HealthCheck,
    HealthCheckPath, Ingress, InterfaceEndpoint, LogLevel, Method, NatMode, Panel, ParameterValue,
    PlatformSecret, Pool, PoolMode, Probe, Probes, Project, Receiver, Rollout, Rule, RunnerLabel,
    Scaling, SecretStore, ServiceSettings, Severity, Taint, TaintEffect, Tier, Waiver,
};
pub use crate::window::{DailyWindow, WeeklyWindow};

/// The validated platform.
#[derive(Debug, Clone)]
pub struct Model {
    pub project: Project,
    /// The services, by name.
    pub services: Vec<Service>,
    pub alerts: Vec<Alert>,
    pub slos: Vec<Slo>,
    pub dashboards: Vec<Dashboard>,
    /// How secrets are named and synced: a prefix holding `{environment}`.
    pub secret_store: SecretStore,
    /// The platform's own secrets, by name (never `database` or `redis`).
    pub secrets: BTreeMap<String, PlatformSecret>,
    pub alerting: Alerting,
    pub delivery: Delivery,
    /// The environments, by name.
    pub environments: BTreeMap<String, Environment>,
}

impl Model {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.get(name)
    }

    /// Where alerts of a severity go unless an alert says otherwise.
    pub fn receivers(&self, severity: Severity) -> &[Receiver] {
        match severity {
            Severity::Critical => &self.alerting.critical,
            Severity::Warning => &self.alerting.warning,
            Severity::Info => &self.alerting.info,
        }
    }

    /// The name of an environment's cloud resources, as Terraform gives them
    /// (`<project>-<environment>`: the RDS instance, the EKS cluster, the VPC, ...).
    pub fn resource_name(&self, environment: &Environment) -> String {
        format!("{}-{}", self.project.name, environment.name)
    }

    /// The IAM role Terraform gives a service's pods in an environment (`module.service_role`):
    /// `<project>-<environment>-<service>`, cut to IAM's 64 characters.
    pub fn service_role_name(&self, environment: &Environment, service: &str) -> String {
        format!("{}-{service}", self.resource_name(environment))
            .chars()
            .take(64)
            .collect()
    }

    /// That role's ARN, where the spec names the environment's account.
    pub fn service_role_arn(&self, environment: &Environment, service: &str) -> Option<String> {
        self.role_arn(environment, &self.service_role_name(environment, service))
    }

    /// The ARN of the environment's IAM role `name`, where the spec names its account.
    pub fn role_arn(&self, environment: &Environment, name: &str) -> Option<String> {
        let account = environment.account_id.as_ref()?;
        Some(self.role_arn_in(account, name))
    }

    /// The ARN of the IAM role `name` in `account` (the spec's, or an expression that reads it
    /// at deploy time), in the partition of the project's region.
    pub fn role_arn_in(&self, account: &str, name: &str) -> String {
        let region = &self.project.aws_region;
        let partition = if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else if region.starts_with("cn-") {
            "aws-cn"
        } else {
            "aws"
        };
        format!("arn:{partition}:iam::{account}:role/{name}")
    }

    /// The S3 name of an environment's bucket: `<project>-<environment>-<purpose>`.
    pub fn bucket_name(&self, environment: &Environment, purpose: &str) -> String {
        format!("{}-{purpose}", self.resource_name(environment))
    }

    /// The Secrets Manager name of one of the secrets the platform makes for the runtime in an
    /// environment (`<prefix>/database`): Terraform creates it under this name (the tfvars carry
    /// it), the chart's ExternalSecret reads it.
    pub fn secret_name(&self, environment: &Environment, secret: Secret) -> String {
        self.platform_secret_name(environment, secret.as_str())
    }

    /// The Secrets Manager name of a secret in an environment: the store's prefix, with the
    /// project and the environment filled in, then `/<name>`.
    pub fn platform_secret_name(&self, environment: &Environment, name: &str) -> String {
        let prefix = self
            .secret_store
            .prefix
            .replace("{project}", &self.project.name)
            .replace("{environment}", &environment.name);
        format!("{prefix}/{name}")
    }

    /// The service whose release carries the environment's PrometheusRule and dashboards: the
    /// first by name (the spec has at least one).
    pub fn observability_service(&self) -> &Service {
        &self.services[0]
    }

    /// The service named `name`, if the spec has it.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.name == name)
    }

    /// The service this repository's runtime serves: the one named `name`, or without a name
    /// the spec's only runtime-backed service.
    pub fn runtime_service(
        &self,
        name: Option<&str>,
    ) -> Result<(&Service, &Api), NoRuntimeService> {
        let served: Vec<(&Service, &Api)> = self
            .services
            .iter()
            .filter_map(|service| Some((service, service.api()?)))
            .collect();
        let names = || {
            served
                .iter()
                .map(|(service, _)| service.name.clone())
                .collect()
        };
        match name {
            Some(name) => served
                .iter()
                .copied()
                .find(|(service, _)| service.name == name)
                .ok_or_else(|| NoRuntimeService::Unknown {
                    name: name.to_string(),
                    served: names(),
                }),
            None => match served.as_slice() {
                [one] => Ok(*one),
                _ => Err(NoRuntimeService::Ambiguous { served: names() }),
            },
        }
    }
}

/// Why no service of the spec is the runtime's to serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoRuntimeService {
    #[error(
        "no runtime-backed service is named `{name}` (the spec's runtime-backed services: {})",
        list(served)
    )]
    Unknown { name: String, served: Vec<String> },
    #[error(
        "name the service to serve (SERVICE): the spec has {} runtime-backed services ({})",
        served.len(),
        list(served)
    )]
    Ambiguous { served: Vec<String> },
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// One service of the platform.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// Its port, image repository and probe and metrics paths are per environment:
    /// [`Environment::settings_of`].
    pub shutdown_grace_seconds: u32,
    /// The service's own non-secret environment (none of it a name the platform sets).
    pub config: BTreeMap<String, String>,
    /// How its image is built, and which changes deploy it.
    pub build: Build,
    pub backend: Backend,
}

/// How a service's image is built from this repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The Dockerfile, from the repository's root.
    pub dockerfile: String,
    /// The build context, from the repository's root.
    pub context: String,
    /// Globs of the sources whose change deploys the service (with its values and the chart).
    pub sources: Vec<String>,
}

impl Build {
    /// The runtime's image: the whole workspace is its context (it embeds the generator and the
    /// example spec).
    pub fn runtime() -> Self {
        Self {
            dockerfile: "runtime/Dockerfile".to_string(),
            context: ".".to_string(),
            sources: [
                "runtime/**",
                "generator/**",
                "specs/**",
                "Cargo.toml",
                "Cargo.lock",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    /// A service's own image, built from its directory.
    pub fn own(source: &str) -> Self {
        Self {
            dockerfile: format!("{source}/Dockerfile"),
            context: source.to_string(),
            sources: vec![format!("{source}/**")],
        }
    }
}

impl Service {
    /// Whether `environment`'s ingress sends `path` to this service.
    pub fn routes_on_ingress(&self, environment: &Environment, path: &str) -> bool {
        environment
            .settings_of(self)
            .ingress_paths
            .iter()
            .any(|prefix| prefix_holds(prefix, path))
    }

    /// The path of the runtime's list of transactions, if it serves one: what a smoke test GETs
    /// to prove the API answers.
    pub fn list_path(&self) -> Option<&str> {
        self.api()?
            .routes
            .iter()
            .find(|route| route.method == Method::Get && route.handler == Handler::ListTransactions)
            .map(|route| route.path.as_str())
    }

    /// What a smoke test GETs through `environment`'s ingress: the health probe's path and the
    /// API's list of transactions, each where the ingress sends it to this service.
    pub fn smoke_paths<'a>(&'a self, environment: &'a Environment) -> SmokePaths<'a> {
        let routed = |path: &&str| self.routes_on_ingress(environment, path);
        let health = environment.settings_of(self).health_path.as_str();
        SmokePaths {
            health: Some(health).filter(routed),
            api: self.list_path().filter(routed),
        }
    }

    /// The API the runtime serves for this service, if the runtime serves it.
    pub fn api(&self) -> Option<&Api> {
        match &self.backend {
            Backend::Runtime(api) => Some(api),
            Backend::Image => None,
        }
    }
}

/// The paths a smoke test of a service GETs through the ingress (see [`Service::smoke_paths`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmokePaths<'a> {
    pub health: Option<&'a str>,
    pub api: Option<&'a str>,
}

/// What runs a service.
#[derive(Debug, Clone)]
pub enum Backend {
    /// This repository's runtime, serving the spec's routes.
    Runtime(Api),
    /// The service's own image: the spec knows only how it is run and probed.
    Image,
}

/// What the runtime serves for a service.
#[derive(Debug, Clone)]
pub struct Api {
    /// The budget of every API route that sets none of its own.
    pub rate_limit: RateLimit,
    pub body_limit_bytes: u64,
    pub max_page_size: u32,
    /// The routes, in the spec's order.
    pub routes: Vec<Route>,
}

impl Api {
    /// The route served by `handler`, if the spec routes it.
    pub fn route_of(&self, handler: Handler) -> Option<&Route> {
        self.routes.iter().find(|route| route.handler == handler)
    }
}

/// The names the platform sets in the environment of a runtime-backed service's containers;
/// the service's own `config` may not take them.
pub const PLATFORM_VARIABLES: [&str; 14] = [
    "SERVICE",
    "ENVIRONMENT",
    "LISTEN_ADDR",
    "DB_DATABASE",
    "DB_PORT",
    "DB_HOST",
    "DB_USER",
    "DB_PWD",
    "REDIS_PORT",
    "REDIS_TLS",
    "REDIS_HOST",
    "REDIS_AUTH_TOKEN",
    "REDIS_CLUSTER",
    "TRUST_X_FORWARDED_FOR",
];

/// A request budget per client: `requests` per `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: PromDuration,
}

/// One route, with its limits resolved.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub path: RouteTemplate,
    pub handler: Handler,
    /// Reads go through the cache (the spec asks for it, and the handler reads transactions).
    pub cached: bool,
    /// The route's budget: its own, or the service's for an API route; none for an operational
    /// route (probes, metrics, the document, the docs page) or where the spec says `false`.
    pub rate_limit: Option<RateLimit>,
    pub body_limit_bytes: u64,
}

/// A Prometheus alerting rule.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    /// The expression, `$threshold` standing for the environment's threshold.
    pub expr: Promql,
    pub for_: PromDuration,
    pub severity: Severity,
    pub summary: String,
    pub description: String,
    /// Where it goes: the alert's own receivers, or its severity's.
    pub receivers: Vec<Receiver>,
    pub labels: BTreeMap<String, String>,
    pub runbook_url: Option<String>,
    pub test: Option<AlertTest>,
}

/// Series under which an alert must fire, and under which it must stay silent.
#[derive(Debug, Clone)]
pub struct AlertTest {
    pub firing: BTreeMap<String, String>,
    pub quiet: BTreeMap<String, String>,
    /// When to look, from the first sample.
    pub at: PromDuration,
}

/// A service level objective.
#[derive(Debug, Clone)]
pub struct Slo {
    pub name: String,
    /// Percent of good events.
    pub objective: f64,
    pub window: PromDuration,
    pub description: String,
    /// Rates of bad and of all events, `$window` standing for the rate window.
    pub bad_events: Promql,
    pub total_events: Promql,
    /// The service it is about.
    pub service: String,
}

/// The uid of the cost dashboard every environment gets (`render::dashboards::cost`); no
/// dashboard of the spec may take it.
pub const COST_DASHBOARD_UID: &str = "aws-cost";

/// A Grafana dashboard of one service.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    pub panels: Vec<Panel>,
    /// The service its panels show.
    pub service: String,
}

/// One environment, resolved and validated.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub tier: Tier,
    /// The Kubernetes namespace the services are deployed to here (`delivery.namespace` with
    /// the project and the environment filled in).
    pub namespace: String,
    pub account_id: Option<String>,
    pub network: Network,
    pub eks: Eks,
    pub database: Database,
    pub cache: Cache,
    pub bastion: Bastion,
    pub app: App,
    /// Every service's settings here, by name (its configuration merged with the service's):
    /// each probe answers within its period, no rollout has both limits 0, and no two services
    /// share or shadow an ingress prefix.
    pub services: BTreeMap<String, ServiceSettings>,
    /// The variables each service reads from secrets here, by service: its own `secrets` with
    /// the environment's additions, each a declared secret (and one of its keys where it has
    /// keys), none a name its config or the platform sets.
    pub secret_variables: BTreeMap<String, Vec<SecretVariable>>,
    pub budget: Budget,
    pub ingress: Ingress,
    pub waf: Waf,
    /// By purpose.
    pub buckets: BTreeMap<String, Bucket>,
    pub deploy: Deploy,
    /// Where the services send their spans here, if the environment traces.
    pub tracing: Option<Tracing>,
    /// The cluster add-ons and the chart version of each, in the order they are installed.
    pub cluster_addons: Vec<(Addon, String)>,
    /// The threshold in effect of every alert that has one: the environment's override, or the
    /// alert's default.
    pub thresholds: BTreeMap<String, f64>,
    /// The disaster recovery targets the environment promises, if it states them.
    pub recovery: Option<Recovery>,
    pub waivers: Vec<Waiver>,
    /// The merged settings and where each was written (for `explain`).
    pub resolved: Resolved,
}

/// The AWS WAF web ACL in front of the load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waf {
    pub enabled: bool,
    /// Requests one IP may send in 5 minutes before it is blocked.
    pub rate_limit_per_5min: u32,
    /// The only countries requests may come from, ISO 3166-1 alpha-2 codes, sorted (`EU`
    /// expanded to its member states); empty: no geo rule.
    pub allowed_countries: Vec<String>,
}

/// Disaster recovery targets, each checked against what the environment's settings deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    /// Restoring from a backup: serving again within this time.
    pub rto: PromDuration,
    /// Restoring from a backup: at most this much of the latest writes lost.
    pub rpo: PromDuration,
    /// Failing over to the standby: serving again within this time, nothing lost.
    pub failover: Option<PromDuration>,
    /// The targets hold when the region is lost (restored from the backup copies).
    pub region_loss: bool,
}

impl Environment {
    /// The variables `service` reads from secrets here.
    pub fn secret_variables_of(&self, service: &Service) -> &[SecretVariable] {
        self.secret_variables
            .get(&service.name)
            .map_or(&[], Vec::as_slice)
    }

    /// The settings of `service` here (validation gives every service its own).
    pub fn settings_of(&self, service: &Service) -> &ServiceSettings {
        self.services
            .get(&service.name)
            .unwrap_or_else(|| unreachable!("validation settles every service: {}", service.name))
    }

    /// An alert's expression with this environment's threshold in place of `$threshold`, and
    /// its namespace in place of `$namespace`.
    pub fn alert_expression(&self, alert: &Alert) -> String {
        let expr = self.in_namespace(alert.expr.text());
        match self.thresholds.get(&alert.name) {
            Some(value) => expr.replace("$threshold", &format_number(*value)),
            None => expr,
        }
    }

    /// PromQL (or a series of a rule test) with this environment's namespace in place of
    /// `$namespace`.
    pub fn in_namespace(&self, promql: &str) -> String {
        promql.replace("$namespace", &self.namespace)
    }
}

/// Whether the ingress prefix `prefix` holds `path`, segment by segment, as the ALB's `Prefix`
/// match does (`/v1` holds `/v1` and `/v1/users`, not `/v10`; `/` holds everything).
pub fn prefix_holds(prefix: &str, path: &str) -> bool {
    prefix == "/"
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A number as PromQL and YAML print it: no float noise, no trailing zeros.
pub fn format_number(value: f64) -> String {
    let rounded = format!("{value:.12}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() || trimmed == "-" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_holds;

    #[test]
    fn a_prefix_holds_the_paths_below_it_segment_by_segment() {
        assert!(prefix_holds("/v1", "/v1/users"));
        assert!(prefix_holds("/v1", "/v1"));
        assert!(prefix_holds("/", "/v1"));
        assert!(prefix_holds("/", "/"));
        assert!(!prefix_holds("/v1", "/v10"));
        assert!(!prefix_holds("/v1/users", "/v1"));
    }
}
