//! One environment's settings: its AWS resources, how the runtime runs there, how it is
//! deployed, and the exceptions to the production rules.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::datastores::{Cache, Database};
use super::delivery::Deploy;
use super::eks::Eks;
use super::patterns::{
    CIDR_PATTERN, HTTP_PATH_PATTERN, IMAGE_REPOSITORY_PATTERN, INGRESS_PATH_PATTERN, NAME_PATTERN,
    SECRET_REFERENCE_PATTERN, VARIABLE_NAME_PATTERN,
};
use super::secrets::Access;
use super::service::{DisruptionBudget, Egress, Probes, Rollout, root_path};

/// Everything one environment needs. In the file, `[defaults]` and each
/// `[environments.<name>]` are partial; the two merged must be complete.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// `production` turns on the production rules (which only an explicit waiver lifts).
    pub tier: Tier,
    /// The AWS account the environment lives in (12 digits): Terraform refuses to run against
    /// any other (`allowed_account_ids`) and builds ARNs from it, and the spec's ARNs must name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{12}$"))]
    pub account_id: Option<String>,
    pub network: Network,
    pub eks: Eks,
    pub database: Database,
    pub cache: Cache,
    pub bastion: Bastion,
    pub app: App,
    /// Each service's settings here, by service name: `app`'s replicas, autoscaling and
    /// resources unless `[environments.<env>.services.<name>]` (or `[defaults.services.<name>]`)
    /// overrides them, and configuration added to the service's own.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub services: BTreeMap<String, ServiceSettings>,
    pub budget: Budget,
    pub ingress: Ingress,
    pub waf: Waf,
    /// S3 buckets by purpose, each named `<project>-<environment>-<purpose>`: private, TLS only,
    /// encrypted, with the lifecycle given here.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub buckets: BTreeMap<String, Bucket>,
    pub deploy: Deploy,
    #[serde(default)]
    pub monitoring: Monitoring,
    /// Distributed tracing: where every service sends its spans, and how many it keeps.
    /// Absent: the services get no tracing settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<Tracing>,
    /// Chart versions of the cluster add-ons, where they differ from the generator's pins.
    #[serde(default)]
    pub cluster_addons: super::addons::ClusterAddons,
    /// Disaster recovery targets this environment promises; validation checks that its
    /// settings can keep them (the recovery rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
    /// Explicit exceptions to the production and recovery rules, each with a reason.
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

impl Tier {
    /// The name the spec (and `generator/prices/usage.toml`) uses.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Development => "development",
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }
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
    /// AWS services the private subnets reach through interface endpoints (private DNS), not
    /// the NAT gateways; S3 always has its gateway endpoint.
    #[serde(default)]
    pub interface_endpoints: std::collections::BTreeSet<InterfaceEndpoint>,
}

/// An AWS service reached through a VPC interface endpoint.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum InterfaceEndpoint {
    /// ECR's API and its image layers' registry (`ecr.api`, `ecr.dkr`): image pulls.
    Ecr,
    /// CloudWatch Logs (`logs`).
    Logs,
    /// CloudWatch metrics (`monitoring`).
    Monitoring,
    /// STS (`sts`): IRSA's token exchange.
    Sts,
    /// Secrets Manager (`secretsmanager`): the External Secrets Operator's reads.
    SecretsManager,
}

impl InterfaceEndpoint {
    /// The endpoint services, as `com.amazonaws.<region>.<name>` ends.
    pub fn services(self) -> &'static [&'static str] {
        match self {
            InterfaceEndpoint::Ecr => &["ecr.api", "ecr.dkr"],
            InterfaceEndpoint::Logs => &["logs"],
            InterfaceEndpoint::Monitoring => &["monitoring"],
            InterfaceEndpoint::Sts => &["sts"],
            InterfaceEndpoint::SecretsManager => &["secretsmanager"],
        }
    }
}

/// NAT gateway layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    Single,
    PerAz,
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

/// One service's settings in one environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// TCP port the service's containers listen on here (default: the service's own `port`).
    // These five always come from the service's table where no layer sets them; `default` only
    // lets settings of a service the spec does not have reach the check that names it.
    #[serde(default)]
    #[schemars(range(min = 1024, max = 65535))]
    pub port: u16,
    /// ECR repository of the service's image here (default: the service's own
    /// `image_repository`): the deploy workflows push to it and the pods pull from it.
    #[schemars(regex(pattern = IMAGE_REPOSITORY_PATTERN))]
    #[serde(default)]
    pub image_repository: String,
    /// Liveness path here (default: the service's own `health_path`).
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    #[serde(default)]
    pub health_path: String,
    /// Readiness path here (default: the service's own `readiness_path`).
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    #[serde(default)]
    pub readiness_path: String,
    /// Path Prometheus scrapes here, on `port` (default: the service's own `metrics_path`).
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    #[serde(default)]
    pub metrics_path: String,
    /// Replicas before the autoscaler acts (default: `app.replicas`).
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    /// Default: `app.autoscaling`, key by key.
    pub autoscaling: Autoscaling,
    /// Default: `app.resources`, key by key.
    pub resources: Resources,
    /// Non-secret environment variables added to (or replacing) the service's own `config`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": VARIABLE_NAME_PATTERN }))]
    pub config: BTreeMap<String, String>,
    /// The node group (of `eks.node_groups`) the service's pods run on (default: the service's
    /// own `node_group`; without one, any node without a taint): its labels become the pods'
    /// node selector, its taints their tolerations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub node_group: Option<String>,
    /// How Kubernetes probes the service's containers here (default: the service's own
    /// `probes`, key by key, so `probes.liveness.initial_delay_seconds` alone changes one
    /// timing of a probe the service's table writes).
    #[serde(default)]
    pub probes: Probes,
    /// How a new version replaces the old here (default: the service's own `rollout`, key by
    /// key).
    #[serde(default)]
    pub rollout: Rollout,
    /// Path prefixes the environment's ingress host sends to the service (default: the
    /// service's own `ingress_paths`; a list given here replaces it whole).
    #[serde(default = "root_path")]
    #[schemars(inner(regex(pattern = INGRESS_PATH_PATTERN)))]
    pub ingress_paths: Vec<String>,
    /// The pods kept up while nodes are drained here (default: the service's own
    /// `disruption_budget`).
    #[serde(default)]
    pub disruption_budget: DisruptionBudget,
    /// Where the service's pods may connect here (default: the service's own `egress`, key by
    /// key; a `services` list given here replaces it whole).
    #[serde(default)]
    pub egress: Egress,
    /// Environment variables read from the platform's `[secrets]` added to (or replacing) the
    /// service's own `secrets` here, written the same way (`NAME = "<secret>.<key>"`).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": VARIABLE_NAME_PATTERN }))]
    #[schemars(extend("additionalProperties" = {
        "type": "string",
        "pattern": SECRET_REFERENCE_PATTERN
    }))]
    pub secrets: BTreeMap<String, String>,
    /// What the service's own AWS role may do here (default: the service's own `access`, key by
    /// key: a bucket given here is added or changes its access; a `secrets` list given here
    /// replaces it whole).
    #[serde(default)]
    pub access: Access,
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
    /// Average memory use the autoscaler aims for, in percent of the request; without it the
    /// autoscaler looks at CPU only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub memory_target_percent: Option<u8>,
    /// How fast the autoscaler adds replicas (default: double every 30 s, at once).
    #[serde(default = "Scaling::up")]
    pub scale_up: Scaling,
    /// How fast it removes them (default: half every 60 s, after 5 minutes of lower load).
    #[serde(default = "Scaling::down")]
    pub scale_down: Scaling,
}

/// One direction of the autoscaler's behaviour: at most `percent` of the current replicas per
/// `period_seconds`, once the wanted count has held for `stabilization_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    #[schemars(range(min = 1, max = 1000))]
    pub percent: u32,
    #[schemars(range(min = 1, max = 1800))]
    pub period_seconds: u32,
    #[schemars(range(max = 3600))]
    pub stabilization_seconds: u32,
}

impl Scaling {
    fn up() -> Self {
        Self {
            percent: 100,
            period_seconds: 30,
            stabilization_seconds: 0,
        }
    }

    fn down() -> Self {
        Self {
            percent: 50,
            period_seconds: 60,
            stabilization_seconds: 300,
        }
    }
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
    /// Absolute monthly amounts (USD) that also alert when actual spend passes them, ascending,
    /// at most 5 (AWS Budgets' notifications per budget), such as `[2000, 2500, 3000]`.
    #[serde(default)]
    #[schemars(length(max = 5))]
    pub alert_amounts_usd: Vec<u32>,
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
    /// The bucket (a purpose of `buckets`) the load balancer writes its access logs to; it must
    /// be encrypted with `sse-s3`, the only encryption ALB log delivery supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_logs_bucket: Option<String>,
    /// The load balancer's health check of each service's pods; without it the controller's
    /// defaults apply (every 15 s, 5 s timeout, 2 and 2) on the readiness path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
}

/// How the load balancer checks a target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// Which of the service's paths it requests: `health` (liveness) or `readiness`.
    #[serde(default)]
    pub path: HealthCheckPath,
    #[schemars(range(min = 5, max = 300))]
    pub interval_seconds: u16,
    #[schemars(range(min = 2, max = 120))]
    pub timeout_seconds: u16,
    /// Consecutive successes before a target counts as healthy.
    #[schemars(range(min = 2, max = 10))]
    pub healthy_threshold: u8,
    /// Consecutive failures before a target counts as unhealthy.
    #[schemars(range(min = 2, max = 10))]
    pub unhealthy_threshold: u8,
}

/// Which of a service's paths the load balancer checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheckPath {
    /// The service's `health_path` (liveness).
    Health,
    /// The service's `readiness_path`.
    #[default]
    Readiness,
}

/// An S3 bucket of the environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Keep every version of every object (noncurrent versions expire with the lifecycle).
    #[serde(default)]
    pub versioned: bool,
    #[serde(default)]
    pub encryption: BucketEncryption,
    /// Move objects to S3 Glacier Flexible Retrieval this many days after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub glacier_after_days: Option<u32>,
    /// Delete objects this many days after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub expire_after_days: Option<u32>,
    /// Origins browsers may read and write the bucket from (CORS), such as
    /// `https://app.example.com`.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// How a bucket's objects are encrypted at rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BucketEncryption {
    /// S3-managed keys (AES-256).
    #[default]
    #[serde(rename = "sse-s3")]
    SseS3,
    /// A customer-managed KMS key of the bucket's own, with rotation.
    #[serde(rename = "sse-kms")]
    SseKms,
}

/// The AWS WAF web ACL in front of the load balancer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waf {
    pub enabled: bool,
    /// Requests one IP may send in 5 minutes before it is blocked.
    #[schemars(range(min = 100, max = 2000000000))]
    pub rate_limit_per_5min: u32,
    /// The only countries requests may come from (ISO 3166-1 alpha-2 codes, such as `US`, `GB`;
    /// `EU` stands for the 27 member states of the European Union): the web ACL blocks every
    /// request whose origin country, by its IP address, is not listed. Absent: no geo rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_countries: Option<Vec<String>>,
}

/// The OpenTelemetry settings every service's containers get, as the SDKs' standard variables
/// (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`,
/// `OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG`,
/// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`); the services' network policies let them
/// reach the collector's port. The runtime sends a span per request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tracing {
    /// The OTLP/HTTP collector the spans go to, `http://<host>:<port>` (OTLP/HTTP listens on
    /// 4318), for example the guide's Jaeger collector
    /// `http://jaeger-collector.monitoring.svc:4318`.
    #[schemars(regex(pattern = r"^https?://[A-Za-z0-9.-]+:[0-9]{1,5}$"))]
    pub endpoint: String,
    /// The share of new traces recorded, from 0 to 1 (the guide: 0.1 in production, 1 in
    /// staging and development); a request that arrives traced keeps its caller's decision.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub sample_ratio: f64,
}

/// Per-environment monitoring settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Overrides of alert thresholds, by alert name.
    #[serde(default)]
    pub alert_thresholds: BTreeMap<String, f64>,
}

/// Disaster recovery targets (the devops guide's RTO 1 hour and RPO 5 minutes, the expense
/// design's RDS failover in 1-2 minutes). Durations as `30s`, `5m`, `1h`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// Recovery time objective: the longest the service may be down when the database is lost
    /// or corrupted and must be restored from a backup.
    pub rto: String,
    /// Recovery point objective: the most recent writes a restore from backup may lose.
    pub rpo: String,
    /// When the database instance or its zone fails: serving again within this time, with no
    /// acknowledged write lost. Needs a multi-AZ database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<String>,
    /// The RTO and RPO also hold when the whole region is lost (the restore then happens in
    /// `database.backup_copy_region`).
    #[serde(default)]
    pub region_loss: bool,
}

/// An explicit, visible exception to a production or recovery rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: Rule,
    /// Why the rule does not apply; shown in reviews.
    #[schemars(length(min = 10))]
    pub reason: String,
    /// Who answers for the exception: a team or a person.
    #[schemars(length(min = 2))]
    pub owner: String,
    /// The day (`YYYY-MM-DD`) the waiver stops lifting the rule: from that day validation fails,
    /// and it warns in the 14 days before.
    pub expires: String,
}

/// Rules an environment holds unless a waiver lifts them: the production rules, in every
/// `tier = "production"` environment, and the recovery rules, wherever `[recovery]` sets targets.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
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
    /// The WAF web ACL stands in front of the load balancer.
    WafEnabled,
    /// The database has Performance Insights on.
    PerformanceInsights,
    /// An RPO needs automated backups with point-in-time recovery.
    RpoNeedsPointInTimeRecovery,
    /// An RPO is no shorter than point-in-time recovery's granularity (5 minutes on RDS).
    RpoWithinRestoreGranularity,
    /// A failover that loses no write needs a multi-AZ database.
    FailoverNeedsMultiAz,
    /// A failover target is no shorter than an RDS Multi-AZ failover takes (up to 2 minutes).
    FailoverWithinRdsFailoverTime,
    /// Targets that hold when the region is lost need backups copied to another region.
    RegionLossNeedsBackupCopies,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::DatabaseMultiAz => "database-multi-az",
            Rule::CacheFailover => "cache-failover",
            Rule::BackupRetention => "backup-retention",
            Rule::PrivateEksEndpoint => "private-eks-endpoint",
            Rule::DeletionProtection => "deletion-protection",
            Rule::NatPerAz => "nat-per-az",
            Rule::ApprovalRequired => "approval-required",
            Rule::WafEnabled => "waf-enabled",
            Rule::PerformanceInsights => "performance-insights",
            Rule::RpoNeedsPointInTimeRecovery => "rpo-needs-point-in-time-recovery",
            Rule::RpoWithinRestoreGranularity => "rpo-within-restore-granularity",
            Rule::FailoverNeedsMultiAz => "failover-needs-multi-az",
            Rule::FailoverWithinRdsFailoverTime => "failover-within-rds-failover-time",
            Rule::RegionLossNeedsBackupCopies => "region-loss-needs-backup-copies",
        }
    }
}
