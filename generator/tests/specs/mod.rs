//! The fixture specs, each the starter spec (`generator::cli::STARTER_SPEC`, what `platformgen
//! init` writes) with a few edits and a first comment line saying what it shows: a change to the
//! starter reaches every fixture at once.
//!
//! An edit names text that must occur exactly once in the spec it edits, so a change to the
//! starter that an edit no longer fits fails the fixture by name instead of testing something
//! else. Shared by the generator's tests (`diagnostics.rs`, `cli.rs`).

mod nodes;
mod overrides;
mod pooler;
mod rotation;
mod secrets;
mod strategy;
mod tracing;
mod waf;

use std::path::{Path, PathBuf};

use Edit::{InsertAfter, RemoveLine, Replace, ReplaceAll, Whole};

/// A spec for the tests: the starter, edited.
pub(super) struct Fixture {
    /// The file stem, and the snapshot name.
    pub name: &'static str,
    /// What the fixture shows, written as the spec's first line (a comment).
    pub says: &'static str,
    edits: &'static [Edit],
}

/// One change to the starter spec, applied in order.
enum Edit {
    /// Replaces text that occurs once.
    Replace(&'static str, &'static str),
    /// Replaces every occurrence of text that occurs at least twice.
    ReplaceAll(&'static str, &'static str),
    /// Inserts lines after the line holding text that occurs once.
    InsertAfter(&'static str, &'static str),
    /// Removes the line holding text that occurs once.
    RemoveLine(&'static str),
    /// The whole spec, instead of the starter: for bytes no edit of it can express.
    Whole(&'static [u8]),
}

const fn fixture(name: &'static str, says: &'static str, edits: &'static [Edit]) -> Fixture {
    Fixture { name, says, edits }
}

/// The end of the starter's service (its runtime table): where a second service goes.
const AFTER_THE_SERVICE: &str = r#"rate_limit = { requests = 100, window = "60s" }"#;

/// A second service's table, inserted after the starter's: `[services.<name>]` on `port`, probed
/// and scraped as the starter's service is, then each of `extra` as a line.
macro_rules! second_service {
    ($name:literal, $port:literal $(, $extra:literal)*) => {
        concat!(
            "\n[services.", $name, "]\nport = ", $port, "\nimage_repository = \"", $name,
            "\"\nhealth_path = \"/health\"\nreadiness_path = \"/ready\"\n",
            "metrics_path = \"/metrics\"\nshutdown_grace_seconds = 20"
            $(, "\n", $extra)*
        )
    };
}

/// The dev environment's deploy trigger, the end of its table.
const DEV_DEPLOY: &str = r#"deploy = { branch = "main", approval_required = false }"#;
/// The starter's default deploy runner (a self-hosted runner inside the VPC).
/// The last key of the starter's [delivery] table: where its sub-tables may go.
const SUPPLY_CHAIN_ON: &str = "supply_chain = true ";
const DEFAULT_RUNNER: &str = r#"runner = ["self-hosted", "linux", "myapp-deployer"]"#;
/// The starter's e-mail receiver settings.
const STARTER_EMAIL: &str = r#"email = { to = "oncall@example.com", from = "alertmanager@example.com", smarthost = "email-smtp.us-east-1.amazonaws.com:587", username = "alertmanager" }"#;
/// The prod environment's deploy trigger, the end of its table.
const PROD_DEPLOY: &str = r#"runner = ["self-hosted", "linux", "myapp-prod"] }"#;
/// The prod environment's disaster recovery targets.
const PROD_RECOVERY: &str = r#"recovery = { rto = "1h", rpo = "5m", failover = "2m" }"#;
/// The WAF's rate, the end of `[defaults.waf]`.
const WAF_RATE: &str = "rate_limit_per_5min = 2000";
/// The last line of the routes.
const LAST_ROUTE: &str = r#"handler = "create_transaction""#;
/// The end of the starter's [defaults.database]: where its other keys go.
const DATABASE_POOL: &str =
    "pool = { size = 10, max_overflow = 20, recycle_seconds = 3600, pre_ping = true }";
/// The end of the starter's [defaults.cache].
const CACHE_END: &str = "auth_token = false";
/// The prod environment's database and cache.
const PROD_DATABASE: &str = "database = { multi_az = true, backup_retention_days = 14, performance_insights = true, deletion_protection = true }";
const PROD_CACHE: &str = "cache = { nodes = 2, automatic_failover = true }";
/// RDS for MySQL offers Performance Insights from medium classes up, which the production rule
/// asks of prod: a MySQL fixture moves prod's database up to one.
const PROD_MYSQL_CLASS: Edit = Replace(
    "performance_insights = true, ",
    r#"instance_class = "db.t3.medium", performance_insights = true, "#,
);

/// Specs that fail validation, each pinned by a snapshot of its diagnostics.
pub(super) const INVALID: &[Fixture] = &[
    fixture(
        "bad_duration_format",
        "a duration written in words",
        &[Replace(r#"for = "5m""#, r#"for = "5 minutes""#)],
    ),
    fixture(
        "bastion_open_to_internet",
        "SSH open to 0.0.0.0/0",
        &[
            Replace("enabled = false", "enabled = true"),
            Replace("allowed_cidrs = []", r#"allowed_cidrs = ["0.0.0.0/0"]"#),
        ],
    ),
    fixture(
        "cache_failover_single_node",
        "automatic failover with one cache node",
        &[Replace("cache = { nodes = 2", "cache = { nodes = 1")],
    ),
    fixture(
        "cache_on_write_route",
        "cache-aside on a handler that writes",
        &[InsertAfter(LAST_ROUTE, r#"cache = "cache-aside""#)],
    ),
    fixture(
        "cidr_with_host_bits",
        "a CIDR with host bits set, with the network suggested",
        &[Replace(r#""10.10.1.0/24""#, r#""10.10.1.5/24""#)],
    ),
    fixture(
        "datetime_value",
        "a TOML date where a string goes",
        &[Replace(r#"owner = "platform-team""#, "owner = 2024-11-17")],
    ),
    fixture(
        "deploy_branch_and_tag",
        "a deploy triggered by both a branch and a tag",
        &[Replace(
            r#"branch = "main", approval_required = false"#,
            r#"branch = "main", tag = "v*-dev", approval_required = false"#,
        )],
    ),
    fixture(
        "disruption_budget_blocks_drains",
        "a disruption budget as large as dev's minimum replicas (prod runs more)",
        &[
            InsertAfter(
                "shutdown_grace_seconds = 20",
                "disruption_budget = { min_available = 2 }",
            ),
            InsertAfter(
                PROD_DEPLOY,
                "app = { replicas = 3, autoscaling = { min_replicas = 3, max_replicas = 6, cpu_target_percent = 70 } }",
            ),
        ],
    ),
    fixture(
        "duplicate_route",
        "the same method and path twice",
        &[InsertAfter(
            r#"cache = "cache-aside""#,
            r#"
[[services.myapp-backend.routes]]
method = "GET"
path = "/transaction"
handler = "list_transactions""#,
        )],
    ),
    fixture(
        "duration_units_out_of_order",
        "a duration whose units are out of order",
        &[Replace(r#"window = "60s""#, r#"window = "30s1m""#)],
    ),
    fixture(
        "earlier_service_form",
        "the earlier form: one [service] table and top-level [[routes]]",
        &[
            Replace(
                "[services.myapp-backend]\n",
                "[service]\nname = \"myapp-backend\"\n",
            ),
            RemoveLine("[services.myapp-backend.runtime]"),
            ReplaceAll("[[services.myapp-backend.routes]]", "[[routes]]"),
        ],
    ),
    fixture(
        "empty_file",
        "an empty file: every required top-level key is missing",
        &[Whole(b"")],
    ),
    fixture(
        "health_path_not_routed",
        "a health_path that no route serves",
        &[Replace(
            r#"health_path = "/health""#,
            r#"health_path = "/healthz""#,
        )],
    ),
    fixture(
        "integer_too_large",
        "an integer beyond 64 bits",
        &[Replace("port = 8080", "port = 99999999999999999999")],
    ),
    fixture(
        "invalid_cidr_octet",
        "a CIDR with an octet above 255",
        &[Replace(
            r#"vpc_cidr = "10.10.0.0/16""#,
            r#"vpc_cidr = "10.300.0.0/16""#,
        )],
    ),
    fixture(
        "invalid_email",
        "a budget e-mail without a domain",
        &[Replace(
            r#""platform-team@example.com""#,
            r#""platform-team@example""#,
        )],
    ),
    fixture(
        "invalid_environment_name",
        "an environment name with upper-case letters",
        &[Replace("[environments.dev]", "[environments.Dev]")],
    ),
    fixture(
        "invalid_promql",
        "an alert expression that is not PromQL",
        &[Replace("[5m])) > $threshold", "[5m]) > $threshold")],
    ),
    fixture(
        "log_retention_not_accepted",
        "a log retention CloudWatch does not accept",
        &[Replace("log_retention_days = 7", "log_retention_days = 10")],
    ),
    fixture(
        "missing_global_key",
        "a required key missing from a global table",
        &[RemoveLine(r#"owner = "platform-team""#)],
    ),
    fixture(
        "missing_key_after_merge",
        "a key set neither in [defaults] nor in the environment",
        &[Replace(r#"vpc_cidr = "10.10.0.0/16", "#, "")],
    ),
    fixture(
        "missing_table_after_merge",
        "a whole table set neither in [defaults] nor in the environment",
        &[RemoveLine(r#"ingress = { host = "api.dev.example.com""#)],
    ),
    fixture(
        "missing_workflow_action",
        "an action the workflows use is missing from [delivery.actions]",
        &[RemoveLine(r#""azure/setup-helm""#)],
    ),
    fixture(
        "emulation_without_qemu",
        "a deploy runner of unknown architecture, which may emulate the image's, without QEMU's pin",
        &[RemoveLine(r#""docker/setup-qemu-action""#)],
    ),
    fixture(
        "terraform_role_named_as_the_deploy_role",
        "the Terraform plan role given the deploy role's name (one account holds both)",
        &[InsertAfter(
            SUPPLY_CHAIN_ON,
            "\n[delivery.terraform]\nplan_role_name = \"GitHubActionsRole\"",
        )],
    ),
    fixture(
        "dependency_ecosystem_twice",
        "an ecosystem listed twice in [delivery.dependency_updates]",
        &[Replace(
            r#"ecosystems = ["github-actions"]"#,
            r#"ecosystems = ["github-actions", "github-actions"]"#,
        )],
    ),
    fixture(
        "negative_size",
        "a negative node count",
        &[Replace("desired_size = 2", "desired_size = -1")],
    ),
    fixture(
        "node_sizes_out_of_order",
        "EKS min > desired",
        &[Replace("min_size = 1", "min_size = 3")],
    ),
    fixture(
        "non_finite_number",
        "a threshold that is not a finite number",
        &[Replace("threshold = 0.05", "threshold = nan")],
    ),
    fixture(
        "not_utf8",
        "a spec that is not UTF-8",
        &[Whole(b"[project]\nname = \"caf\xe9\"\n")],
    ),
    fixture(
        "out_of_range_percentage",
        "a percentage above 100",
        &[Replace("spot_percentage = 0", "spot_percentage = 150")],
    ),
    fixture(
        "out_of_range_port",
        "a privileged port",
        &[Replace("port = 8080", "port = 80")],
    ),
    fixture(
        "private_endpoint_hosted_runner",
        "a private EKS endpoint deployed from a GitHub-hosted runner",
        &[
            Replace(r#", runner = ["self-hosted", "linux", "myapp-prod"]"#, ""),
            Replace(DEFAULT_RUNNER, ""),
        ],
    ),
    fixture(
        "hosted_runner_outside_public_endpoint",
        "a GitHub-hosted runner deploying to an endpoint public only to an office range",
        &[Replace(DEFAULT_RUNNER, "")],
    ),
    fixture(
        "email_receiver_without_address",
        "alerts routed to email with nowhere to send them",
        &[Replace(STARTER_EMAIL, "")],
    ),
    fixture(
        "production_rule_multi_az",
        "a production database in one zone, no waiver",
        &[
            Replace("multi_az = true", "multi_az = false"),
            Replace(PROD_RECOVERY, r#"recovery = { rto = "1h", rpo = "5m" }"#),
        ],
    ),
    fixture(
        "production_rule_public_endpoint",
        "a public EKS endpoint in production, no waiver",
        &[Replace(
            "eks = { endpoint_public_access = false, public_access_cidrs = [] }",
            "eks = { endpoint_public_access = true }",
        )],
    ),
    fixture(
        "replicas_outside_autoscaling",
        "replicas above the autoscaling maximum",
        // With its line end: `min_replicas = 2,` holds `replicas = 2` too.
        &[Replace("replicas = 2\n", "replicas = 9\n")],
    ),
    fixture(
        "route_method_mismatch",
        "a handler served on the wrong method",
        &[Replace(r#"method = "POST""#, r#"method = "PUT""#)],
    ),
    fixture(
        "probe_timeout_not_below_period",
        "a readiness probe that waits longer for an answer than the time between probes",
        &[InsertAfter(
            "shutdown_grace_seconds = 20",
            "probes.readiness = { initial_delay_seconds = 5, period_seconds = 5, timeout_seconds = 5, failure_threshold = 3 }",
        )],
    ),
    fixture(
        "resource_limits_below_requests",
        "memory and CPU limits below their requests (prod overrides the memory limit)",
        &[
            Replace(r#"cpu_request = "100m""#, r#"cpu_request = "1.5""#),
            InsertAfter(
                PROD_DEPLOY,
                r#"app = { resources = { cpu_request = "100m", memory_request = "1Gi", cpu_limit = "500m", memory_limit = "512Mi" } }"#,
            ),
        ],
    ),
    fixture(
        "rollout_that_cannot_move",
        "a rolling update with neither a surge nor an unavailable pod",
        &[InsertAfter(
            "shutdown_grace_seconds = 20",
            "rollout = { max_surge = 0, max_unavailable = 0 }",
        )],
    ),
    fixture(
        "route_missing_path_parameter",
        "a handler that needs {id} on a path without it",
        &[InsertAfter(
            r#"cache = "cache-aside""#,
            r#"
[[services.myapp-backend.routes]]
method = "GET"
path = "/transaction/one"
handler = "get_transaction""#,
        )],
    ),
    fixture(
        "dashboard_of_no_service",
        "two services, and a dashboard that does not say which of them it shows",
        &[InsertAfter(
            AFTER_THE_SERVICE,
            second_service!(
                "myapp-worker",
                8081,
                r#"ingress_paths = []"#,
                r#"source = "services/worker""#
            ),
        )],
    ),
    fixture(
        "services_share_a_port_and_prefixes",
        "a second service on the first one's port, under its `/`, with one prefix inside another",
        &[InsertAfter(
            AFTER_THE_SERVICE,
            second_service!(
                "myapp-reports",
                8080,
                r#"ingress_paths = ["/v1/reports", "/v1/reports/daily", "/v10"]"#,
                r#"source = "services/reports""#
            ),
        )],
    ),
    fixture(
        "routes_without_the_runtime",
        "a service running its own image that lists routes only the runtime serves",
        &[InsertAfter(
            AFTER_THE_SERVICE,
            second_service!(
                "myapp-worker",
                8081,
                r#"ingress_paths = []"#,
                r#"source = "services/worker""#,
                r#"routes = [{ method = "GET", path = "/health", handler = "health" }]"#
            ),
        )],
    ),
    fixture(
        "runtime_without_routes",
        "a service the runtime serves with no route at all",
        &[InsertAfter(
            AFTER_THE_SERVICE,
            second_service!(
                "myapp-worker",
                8081,
                r#"ingress_paths = []"#,
                r#"runtime = { body_limit_bytes = 1024, max_page_size = 10, rate_limit = { requests = 10, window = "1m" } }"#
            ),
        )],
    ),
    fixture(
        "own_image_without_source",
        "a service on its own image that does not say where its source is",
        &[InsertAfter(
            AFTER_THE_SERVICE,
            second_service!("myapp-worker", 8081, r#"ingress_paths = []"#),
        )],
    ),
    fixture(
        "runtime_service_with_a_source",
        "the runtime's service naming a source directory of its own",
        &[InsertAfter(
            "shutdown_grace_seconds = 20",
            r#"source = "services/backend""#,
        )],
    ),
    fixture(
        "dashboard_of_an_unknown_service",
        "a dashboard naming a service the spec does not have",
        &[InsertAfter(
            r#"uid = "myapp-api""#,
            r#"service = "myapp-frontend""#,
        )],
    ),
    fixture(
        "dashboard_taking_the_cost_dashboard_s_uid",
        "a dashboard under the uid of the generated cost dashboard",
        &[Replace(r#"uid = "myapp-api""#, r#"uid = "aws-cost""#)],
    ),
    fixture(
        "environment_settings_of_an_unknown_service",
        "prod sizing a service the spec does not have",
        &[InsertAfter(
            PROD_DEPLOY,
            r#"services.myapp-frontend = { replicas = 2 }"#,
        )],
    ),
    fixture(
        "service_override_limit_below_request",
        "prod giving the service a memory limit below the request it inherits from app",
        &[InsertAfter(
            PROD_DEPLOY,
            r#"services.myapp-backend = { resources = { memory_limit = "64Mi" } }"#,
        )],
    ),
    fixture(
        "egress_to_an_unknown_service",
        "a service allowed to reach itself and a service the spec does not have",
        &[InsertAfter(
            "shutdown_grace_seconds = 20",
            r#"egress = { database = true, services = ["myapp-backend", "myapp-ledger"] }"#,
        )],
    ),
    fixture(
        "config_sets_a_platform_variable",
        "the runtime's service setting DB_HOST, which the platform sets from its secret",
        &[InsertAfter(
            "shutdown_grace_seconds = 20",
            r#"config = { DB_HOST = "db.internal", LOG_FORMAT = "json" }"#,
        )],
    ),
    fixture(
        "service_name_not_a_dns_label",
        "a service named with capitals and an underscore",
        &[
            Replace("[services.myapp-backend]", "[services.MyApp_Backend]"),
            Replace(
                "[services.myapp-backend.runtime]",
                "[services.MyApp_Backend.runtime]",
            ),
            ReplaceAll(
                "[[services.myapp-backend.routes]]",
                "[[services.MyApp_Backend.routes]]",
            ),
        ],
    ),
    fixture(
        "same_trigger_twice",
        "two environments deployed by the same trigger",
        &[Replace(
            r#"deploy = { tag = "v*","#,
            r#"deploy = { branch = "main","#,
        )],
    ),
    fixture(
        "several_mistakes_at_once",
        "structural mistakes in several places are all reported in one run",
        &[
            Replace("port = 8080", r#"port = "8080""#),
            Replace(r#"engine = "postgres""#, r#"engine = "oracle""#),
            Replace("multi_az = false", "multi_azz = false"),
        ],
    ),
    fixture(
        "several_semantic_mistakes",
        "semantic mistakes in several environments are all reported in one run",
        &[
            Replace("min_size = 1", "min_size = 3"),
            Replace("log_retention_days = 7", "log_retention_days = 10"),
            Replace(r#""10.10.1.0/24""#, r#""10.10.1.5/24""#),
        ],
    ),
    fixture(
        "subnet_count_mismatch",
        "more subnets than availability zones",
        &[Replace(
            r#"public_subnets = ["10.10.1.0/24", "10.10.2.0/24"]"#,
            r#"public_subnets = ["10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"]"#,
        )],
    ),
    fixture(
        "subnet_outside_vpc",
        "a subnet outside its VPC",
        &[Replace(r#""10.10.12.0/24""#, r#""10.20.12.0/24""#)],
    ),
    fixture(
        "subnets_overlap",
        "two subnets of one VPC overlap",
        &[Replace(r#""10.10.22.0/24""#, r#""10.10.11.0/25""#)],
    ),
    fixture(
        "syntax_duplicate_key",
        "TOML syntax: the same key twice",
        &[InsertAfter("port = 8080", "port = 8081")],
    ),
    fixture(
        "syntax_several_errors",
        "TOML syntax: several errors are all reported",
        &[
            Replace("port = 8080", "port = = 8080"),
            Replace("max_page_size = 1000", "max_page_size = 1000 1000"),
        ],
    ),
    fixture(
        "syntax_unclosed_string",
        "TOML syntax: a string that is never closed",
        &[Replace(r#"name = "myapp""#, r#"name = "myapp"#)],
    ),
    fixture(
        "threshold_override_of_unknown_alert",
        "a per-environment threshold for an alert that does not exist",
        &[InsertAfter(
            DEV_DEPLOY,
            "monitoring = { alert_thresholds = { HighErrorRat = 0.1 } }",
        )],
    ),
    fixture(
        "threshold_placeholder_without_value",
        "$threshold used but no threshold set",
        &[RemoveLine("threshold = 0.05")],
    ),
    fixture(
        "unknown_engine",
        "an unknown database engine, with a suggestion",
        &[Replace(r#"engine = "postgres""#, r#"engine = "postgress""#)],
    ),
    fixture(
        "unknown_handler",
        "an unknown route handler, with a suggestion",
        &[Replace(
            r#"handler = "list_transactions""#,
            r#"handler = "list_transaction""#,
        )],
    ),
    fixture(
        "unknown_key_in_defaults",
        "an unknown key in [defaults], with a suggestion",
        &[Replace("multi_az = false", "multi_azz = false")],
    ),
    fixture(
        "unknown_key_in_environment",
        "an unknown key in an environment",
        &[InsertAfter(DEV_DEPLOY, r#"tier_name = "dev""#)],
    ),
    fixture(
        "unknown_key_without_suggestion",
        "an unknown key with nothing close to it",
        &[InsertAfter("port = 8080", r#"colour = "blue""#)],
    ),
    fixture(
        "unknown_panel",
        "an unknown dashboard panel, with a suggestion",
        &[Replace(
            r#""latency_percentiles""#,
            r#""latency_percentile""#,
        )],
    ),
    fixture(
        "unknown_severity",
        "an unknown alert severity, with a suggestion",
        &[Replace(
            r#"severity = "critical""#,
            r#"severity = "critcal""#,
        )],
    ),
    fixture(
        "unknown_top_level_table",
        "an unknown table name, with a suggestion",
        &[Replace("[alerting]", "[alertng]")],
    ),
    fixture(
        "unknown_waiver_rule",
        "a waiver of a rule that does not exist, with a suggestion",
        &[InsertAfter(
            PROD_DEPLOY,
            r#"waivers = [{ rule = "database-multiaz", reason = "a single zone is enough for the pilot", owner = "platform-team", expires = "2999-01-01" }]"#,
        )],
    ),
    fixture(
        "vpc_overlap",
        "two environments whose VPCs overlap",
        &[Replace(
            r#"vpc_cidr = "10.11.0.0/16""#,
            r#"vpc_cidr = "10.10.0.0/15""#,
        )],
    ),
    fixture(
        "wrong_type_string_for_boolean",
        "a string where a boolean goes",
        &[Replace("flow_logs = true", r#"flow_logs = "yes""#)],
    ),
    fixture(
        "wrong_type_string_for_integer",
        "a string where an integer goes",
        &[Replace("port = 8080", r#"port = "8080""#)],
    ),
    fixture(
        "wrong_type_string_for_list",
        "a string where a list goes",
        &[Replace(
            r#"instance_types = ["t3.medium"]"#,
            r#"instance_types = "t3.medium""#,
        )],
    ),
    fixture(
        "wrong_type_table_for_value",
        "a table where a value goes",
        &[Replace(
            r#"owner = "platform-team""#,
            r#"owner = { name = "platform-team" }"#,
        )],
    ),
    fixture(
        "zero_ttl",
        "a cache TTL of zero",
        &[Replace("cache_ttl_seconds = 60", "cache_ttl_seconds = 0")],
    ),
    fixture(
        "zone_outside_region",
        "an availability zone of another region",
        &[Replace(
            r#"vpc_cidr = "10.10.0.0/16", availability_zones = ["us-east-1a", "us-east-1b"]"#,
            r#"vpc_cidr = "10.10.0.0/16", availability_zones = ["us-east-1a", "eu-west-1b"]"#,
        )],
    ),
    fixture(
        "backup_copy_in_own_region",
        "backups copied to the platform's own region",
        &[Replace(
            "deletion_protection = true }",
            r#"deletion_protection = true, backup_copy_region = "us-east-1" }"#,
        )],
    ),
    fixture(
        "recovery_bad_duration",
        "a recovery time objective written in words",
        &[Replace(r#"rto = "1h""#, r#"rto = "an hour""#)],
    ),
    fixture(
        "recovery_failover_longer_than_rto",
        "a failover target slower than the restore it is the fast path of",
        &[Replace(r#"failover = "2m""#, r#"failover = "3h""#)],
    ),
    fixture(
        "recovery_failover_single_zone",
        "a development environment promising a lossless failover on a single-zone database",
        &[InsertAfter(
            DEV_DEPLOY,
            r#"recovery = { rto = "4h", rpo = "1h", failover = "10m" }"#,
        )],
    ),
    fixture(
        "recovery_region_loss_without_copies",
        "targets that survive the region's loss, with no backup copied out of it",
        &[Replace(
            PROD_RECOVERY,
            r#"recovery = { rto = "1h", rpo = "5m", failover = "2m", region_loss = true }"#,
        )],
    ),
    fixture(
        "recovery_rpo_below_restore_granularity",
        "an RPO shorter than point-in-time recovery can restore to, and a failover faster than RDS fails over",
        &[Replace(
            PROD_RECOVERY,
            r#"recovery = { rto = "1h", rpo = "1m", failover = "30s" }"#,
        )],
    ),
    fixture(
        "recovery_without_backups",
        "an RPO with automated backups turned off",
        &[
            Replace("backup_retention_days = 1\n", "backup_retention_days = 0\n"),
            InsertAfter(DEV_DEPLOY, r#"recovery = { rto = "4h", rpo = "1d" }"#),
        ],
    ),
    fixture(
        "access_logs_to_an_undeclared_bucket",
        "load balancer access logs to a bucket the environment does not have",
        &[InsertAfter(
            WAF_RATE,
            "\n[defaults.buckets.logs]\nexpire_after_days = 365\n\n[defaults.ingress]\naccess_logs_bucket = \"log\"",
        )],
    ),
    fixture(
        "access_logs_to_a_kms_bucket",
        "load balancer access logs to a bucket encrypted with its own KMS key",
        &[InsertAfter(
            WAF_RATE,
            "\n[defaults.buckets.logs]\nencryption = \"sse-kms\"\n\n[defaults.ingress]\naccess_logs_bucket = \"logs\"",
        )],
    ),
    fixture(
        "bucket_expires_before_glacier",
        "a bucket whose objects expire before they would move to Glacier, and a CORS origin with a path",
        &[InsertAfter(
            WAF_RATE,
            "\n[defaults.buckets.documents]\nglacier_after_days = 90\nexpire_after_days = 30\ncors_origins = [\"https://app.example.com/upload\"]",
        )],
    ),
    fixture(
        "certificate_of_another_account",
        "an environment in one account whose certificate is in another",
        &[Replace(
            "tier = \"production\"\n",
            "tier = \"production\"\naccount_id = \"999999999999\"\n",
        )],
    ),
    fixture(
        "expired_waiver",
        "a production rule lifted by a waiver that has expired, and one whose owner is a placeholder",
        &[
            Replace(
                PROD_RECOVERY,
                concat!(
                    r#"recovery = { rto = "1h", rpo = "5m", failover = "2m" }"#,
                    "\n",
                    r#"waivers = [{ rule = "nat-per-az", reason = "one NAT gateway until the traffic grows", owner = "TODO: who", expires = "2020-01-31" }]"#,
                ),
            ),
            Replace(r#"nat = "per-az" }"#, r#"nat = "single" }"#),
        ],
    ),
    fixture(
        "budget_amounts_out_of_order",
        "budget alert amounts that do not rise",
        &[InsertAfter(
            "monthly_usd = 450",
            "alert_amounts_usd = [300, 600, 450]",
        )],
    ),
    fixture(
        "health_check_timeout_not_below_interval",
        "a load balancer health check that times out no sooner than it repeats",
        &[InsertAfter(
            WAF_RATE,
            "\n[defaults.ingress]\nhealth_check = { interval_seconds = 10, timeout_seconds = 10, healthy_threshold = 2, unhealthy_threshold = 3 }",
        )],
    ),
    nodes::ARCHITECTURE_MISMATCH,
    nodes::SIZES_OUT_OF_ORDER,
    nodes::UNKNOWN_TAINT_EFFECT,
    nodes::EVERY_GROUP_TAINTED,
    nodes::POOL_AND_GROUPS,
    nodes::NO_NODES,
    nodes::POOL_INCOMPLETE,
    nodes::GROUP_NAME_TOO_LONG,
    nodes::KUBE_PROXY_VERSION,
    nodes::UNKNOWN_GROUP,
    nodes::UNLABELLED_GROUP,
    secrets::READS_THAT_DO_NOT_FIT,
    secrets::PLATFORM_VARIABLE,
    secrets::STORE_AND_NAMES,
    secrets::ACCESS_BEYOND_THE_SPEC,
    tracing::TRACING_THAT_DOES_NOT_FIT,
    pooler::POOLER_ON_MYSQL,
    pooler::POOLS_ABOVE_MAX_CONNECTIONS,
    pooler::TRANSACTION_MODE_WITHOUT_PREPARED_STATEMENTS,
    tracing::NAMESPACE_KUBERNETES_REFUSES,
    overrides::PROBE_TIMING_OVERRIDDEN,
    overrides::ROLLOUT_STUCK_BY_DEFAULT,
    overrides::PREFIX_SHARED_IN_ONE_ENVIRONMENT,
    overrides::EGRESS_AND_BUDGET_PER_ENVIRONMENT,
    overrides::ACCESS_PER_ENVIRONMENT,
    overrides::SECRETS_PER_ENVIRONMENT,
    overrides::PORT_SHARED_IN_ONE_ENVIRONMENT,
    waf::UNKNOWN_COUNTRIES,
    waf::COUNTRY_TWICE,
    waf::NO_COUNTRY,
    waf::WAF_OFF_IN_PRODUCTION,
    waf::NO_INSIGHTS_IN_PRODUCTION,
    strategy::KEEP_PREVIOUS_OUT_OF_BOUNDS,
    strategy::KEEP_PREVIOUS_WHILE_ROLLING,
    strategy::UNKNOWN_STRATEGY,
    fixture(
        "parameter_of_the_other_engine",
        "MySQL parameters on a PostgreSQL database",
        &[InsertAfter(
            DATABASE_POOL,
            r#"parameters = { character_set_server = "utf8mb4", innodb_buffer_pool_size = 1073741824, max_connections = 100 }"#,
        )],
    ),
    fixture(
        "postgres_parameter_on_mysql",
        "PostgreSQL parameters on a MySQL database",
        &[
            Replace(r#"engine = "postgres""#, r#"engine = "mysql""#),
            Replace(r#"version = "15""#, r#"version = "8.0""#),
            InsertAfter(
                DATABASE_POOL,
                "parameters = { shared_buffers = 131072, work_mem = 16384, slow_query_log = 1 }",
            ),
            PROD_MYSQL_CLASS,
        ],
    ),
    fixture(
        "parameter_in_the_wrong_unit",
        "shared_buffers in gigabytes where RDS takes 8 kB pages, a cost in words, a flag of 2",
        &[InsertAfter(
            DATABASE_POOL,
            r#"parameters = { shared_buffers = "8GB", random_page_cost = "fast", log_connections = 2 }"#,
        )],
    ),
    fixture(
        "parameter_the_platform_sets",
        "TLS enforcement turned off, and the extensions allowed by hand",
        &[InsertAfter(
            DATABASE_POOL,
            r#"parameters = { "rds.force_ssl" = 0, "rds.allowed_extensions" = "*" }"#,
        )],
    ),
    fixture(
        "gp3_iops_below_400_gib",
        "gp3 IOPS and throughput on 20 GiB, where RDS fixes both",
        &[InsertAfter(
            DATABASE_POOL,
            "iops = 12000\nstorage_throughput_mibps = 500",
        )],
    ),
    fixture(
        "gp3_iops_out_of_range",
        "gp3 IOPS above what RDS provisions, throughput below it",
        &[
            Replace("allocated_storage_gb = 20", "allocated_storage_gb = 500"),
            Replace(
                "max_allocated_storage_gb = 100",
                "max_allocated_storage_gb = 1000",
            ),
            InsertAfter(
                DATABASE_POOL,
                "iops = 80000\nstorage_throughput_mibps = 200",
            ),
        ],
    ),
    fixture(
        "gp3_throughput_above_a_quarter_of_the_iops",
        "4,000 MiB/s on 12,000 IOPS: more than a quarter of a MiB/s per IOPS",
        &[
            Replace("allocated_storage_gb = 20", "allocated_storage_gb = 500"),
            Replace(
                "max_allocated_storage_gb = 100",
                "max_allocated_storage_gb = 1000",
            ),
            InsertAfter(
                DATABASE_POOL,
                "iops = 12000\nstorage_throughput_mibps = 4000",
            ),
        ],
    ),
    fixture(
        "gp2_with_iops",
        "gp2 storage given IOPS, which follow its size",
        &[InsertAfter(
            DATABASE_POOL,
            "storage_type = \"gp2\"\niops = 3000",
        )],
    ),
    fixture(
        "read_replica_outside_the_zones",
        "a read replica in a zone the environment has no subnet in",
        &[Replace(
            PROD_DATABASE,
            r#"database = { multi_az = true, backup_retention_days = 14, performance_insights = true, deletion_protection = true, read_replicas = [{ instance_class = "db.t3.small", availability_zone = "us-east-1c" }] }"#,
        )],
    ),
    fixture(
        "read_replicas_without_backups",
        "a read replica of an instance that keeps no backups",
        &[
            Replace("backup_retention_days = 1\n", "backup_retention_days = 0\n"),
            InsertAfter(
                DATABASE_POOL,
                r#"read_replicas = [{ instance_class = "db.t3.small" }]"#,
            ),
        ],
    ),
    fixture(
        "extensions_on_mysql",
        "PostgreSQL extensions on a MySQL database",
        &[
            Replace(r#"engine = "postgres""#, r#"engine = "mysql""#),
            Replace(r#"version = "15""#, r#"version = "8.0""#),
            InsertAfter(DATABASE_POOL, r#"extensions = ["pg_stat_statements"]"#),
            PROD_MYSQL_CLASS,
        ],
    ),
    fixture(
        "extension_rds_does_not_offer",
        "timescaledb, which RDS for PostgreSQL does not ship; pgvector by its project's name; one listed twice",
        &[InsertAfter(
            DATABASE_POOL,
            r#"extensions = ["timescaledb", "pgvector", "pg_trgm", "pg_trgm"]"#,
        )],
    ),
    fixture(
        "monitoring_interval_not_accepted",
        "an Enhanced Monitoring interval RDS does not offer",
        &[InsertAfter(
            DATABASE_POOL,
            "monitoring_interval_seconds = 45",
        )],
    ),
    fixture(
        "window_malformed",
        "a backup window and a cache maintenance window AWS cannot read",
        &[
            InsertAfter(DATABASE_POOL, r#"backup_window = "3am""#),
            InsertAfter(
                CACHE_END,
                r#"maintenance_window = "Sunday:03:00-Sunday:04:00""#,
            ),
        ],
    ),
    fixture(
        "windows_overlap",
        "a backup window across the database's maintenance window, a snapshot window across the cache's",
        &[
            InsertAfter(DATABASE_POOL, r#"backup_window = "04:00-05:00""#),
            InsertAfter(CACHE_END, r#"snapshot_window = "03:00-04:00""#),
        ],
    ),
    fixture(
        "window_too_short",
        "a 30-minute cache snapshot window, where ElastiCache takes at least 60",
        &[InsertAfter(CACHE_END, r#"snapshot_window = "01:00-01:30""#)],
    ),
    fixture(
        "cache_cluster_without_shards",
        "cluster mode without its shards and replicas",
        &[Replace(
            PROD_CACHE,
            "cache = { cluster_mode = true, automatic_failover = true }",
        )],
    ),
    fixture(
        "cache_cluster_without_failover",
        "cluster mode with automatic failover off",
        &[Replace(
            PROD_CACHE,
            "cache = { cluster_mode = true, shards = 2, replicas_per_shard = 1, automatic_failover = false }",
        )],
    ),
    fixture(
        "cache_multi_az_without_a_replica",
        "a Multi-AZ cluster whose shards have no replica (and a production cache without one)",
        &[Replace(
            PROD_CACHE,
            "cache = { cluster_mode = true, shards = 2, replicas_per_shard = 0, automatic_failover = true, multi_az = true }",
        )],
    ),
    fixture(
        "cache_multi_az_without_failover",
        "a Multi-AZ cache that does not fail over",
        &[InsertAfter(CACHE_END, "multi_az = true")],
    ),
    rotation::ROTATION_BEYOND_A_YEAR,
    rotation::ROTATION_WITHOUT_THE_WORKFLOW,
];

/// Specs that validate with warnings, each pinned by a snapshot of its warnings.
pub(super) const WARNINGS: &[Fixture] = &[
    fixture(
        "spot_percentage_without_spot",
        "a spot percentage while spot is off",
        &[Replace("spot_percentage = 0", "spot_percentage = 30")],
    ),
    fixture(
        "unused_action",
        "an action listed in [delivery.actions] that no workflow uses",
        &[InsertAfter(
            r#""actions/checkout""#,
            r#""actions/cache" = { version = "v4" }"#,
        )],
    ),
    fixture(
        "qemu_for_native_builds",
        "QEMU pinned where every deploy runner builds its platform natively (X64)",
        &[
            Replace(
                DEFAULT_RUNNER,
                r#"runner = ["self-hosted", "linux", "X64", "myapp-deployer"]"#,
            ),
            Replace(
                PROD_DEPLOY,
                r#"runner = ["self-hosted", "linux", "X64", "myapp-prod"] }"#,
            ),
        ],
    ),
    fixture(
        "action_pinned_by_tag_only",
        "an action pinned by its tag, without the commit the tag stands for",
        &[Replace(
            r#""actions/checkout" = { version = "v5.1.0", sha = "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09" }"#,
            r#""actions/checkout" = { version = "v5" }"#,
        )],
    ),
    fixture(
        "supply_chain_off",
        "the image supply chain turned off, its actions still listed",
        &[Replace("supply_chain = true", "supply_chain = false")],
    ),
    fixture(
        "unused_waiver",
        "a waiver of a rule that holds anyway",
        &[InsertAfter(
            PROD_DEPLOY,
            r#"waivers = [{ rule = "cache-failover", reason = "kept from the pilot, no longer needed", owner = "platform-team", expires = "2999-01-01" }]"#,
        )],
    ),
    fixture(
        "recovery_waiver_without_targets",
        "a waiver of a recovery rule where no recovery target is set",
        &[InsertAfter(
            DEV_DEPLOY,
            r#"waivers = [{ rule = "failover-needs-multi-az", reason = "dev never fails over, it is rebuilt", owner = "platform-team", expires = "2999-01-01" }]"#,
        )],
    ),
    fixture(
        "estimate_above_budget",
        "a prod budget below what platformgen cost estimates for prod",
        &[InsertAfter(PROD_DEPLOY, "budget = { monthly_usd = 300 }")],
    ),
    fixture(
        "estimates_above_an_inherited_budget",
        "a budget in [defaults] below both environments' estimates: one warning each, at the default",
        &[Replace("monthly_usd = 450", "monthly_usd = 100")],
    ),
    fixture(
        "waiver_outside_production",
        "a waiver in a non-production environment",
        &[InsertAfter(
            DEV_DEPLOY,
            r#"waivers = [{ rule = "nat-per-az", reason = "dev does not need zone redundancy", owner = "platform-team", expires = "2999-01-01" }]"#,
        )],
    ),
    nodes::LABELS_SELECT_ANOTHER_GROUP,
    secrets::UNUSED,
    waf::COUNTRIES_WITHOUT_WAF,
    pooler::FEWER_CLIENTS_THAN_THE_POOLS_OPEN,
    strategy::KEEP_PREVIOUS_INHERITED_WHILE_ROLLING,
    fixture(
        "unknown_parameter",
        "parameters the PostgreSQL list does not hold, one a typo of a known one",
        &[InsertAfter(
            DATABASE_POOL,
            "parameters = { effective_cache = 100000, jit = 0 }",
        )],
    ),
    fixture(
        "unknown_extension",
        "an extension platformgen does not know, a typo of a known one",
        &[InsertAfter(
            DATABASE_POOL,
            r#"extensions = ["pg_partmann"]"#,
        )],
    ),
    fixture(
        "cache_keys_of_the_other_mode",
        "a cluster in prod while [defaults] give the nodes of one shard",
        &[Replace(
            PROD_CACHE,
            "cache = { cluster_mode = true, shards = 2, replicas_per_shard = 1, automatic_failover = true }",
        )],
    ),
];

/// Specs that validate without a warning.
pub(super) const VALID: &[Fixture] = &[
    fixture(
        "terraform_off",
        "the Terraform workflow and its roles turned off",
        &[InsertAfter(
            SUPPLY_CHAIN_ON,
            "\n[delivery.terraform]\nenabled = false",
        )],
    ),
    fixture(
        "unpriced_instance_type",
        "a node type the price table lacks: valid, no budget warning (`cost` names it)",
        &[Replace(
            r#"instance_types = ["t3.medium"]"#,
            r#"instance_types = ["t3.mystery"]"#,
        )],
    ),
    fixture(
        "postgres_with_overrides",
        "PostgreSQL, per-environment threshold override and a route rate limit",
        &[
            InsertAfter(
                DEV_DEPLOY,
                "monitoring = { alert_thresholds = { HighErrorRate = 0.2 } }",
            ),
            InsertAfter(
                LAST_ROUTE,
                "rate_limit = { requests = 5, window = \"1m\" }\nbody_limit_bytes = 2048",
            ),
        ],
    ),
    fixture(
        "recovery_across_regions",
        "targets that survive the region's loss, backups copied to another region",
        &[
            Replace(
                PROD_RECOVERY,
                r#"recovery = { rto = "1h", rpo = "5m", failover = "2m", region_loss = true }"#,
            ),
            Replace(
                "deletion_protection = true }",
                r#"deletion_protection = true, backup_copy_region = "us-west-2" }"#,
            ),
        ],
    ),
    fixture(
        "waived_recovery_rule",
        "a recovery rule lifted by an explicit waiver",
        &[
            Replace(
                PROD_RECOVERY,
                r#"recovery = { rto = "1h", rpo = "5m", failover = "1m" }"#,
            ),
            InsertAfter(
                PROD_DEPLOY,
                r#"waivers = [{ rule = "failover-within-rds-failover-time", reason = "the on-call goal is 1 minute; measured failovers are reviewed each quarter", owner = "platform-team", expires = "2999-01-01" }]"#,
            ),
        ],
    ),
    fixture(
        "waived_production_rule",
        "a production rule lifted by an explicit waiver",
        &[
            Replace("multi_az = true", "multi_az = false"),
            Replace(PROD_RECOVERY, r#"recovery = { rto = "1h", rpo = "5m" }"#),
            InsertAfter(
                PROD_DEPLOY,
                r#"waivers = [{ rule = "database-multi-az", reason = "pilot customers only; single-AZ accepted until GA", owner = "platform-team", expires = "2999-01-01" }]"#,
            ),
        ],
    ),
    nodes::PLACED,
    secrets::READ_AND_REACHED,
    waf::GUIDE_COUNTRIES,
    pooler::POOLER_IN_FRONT_OF_POSTGRES,
    waf::WAIVED_WAF,
    waf::WAIVED_INSIGHTS,
    strategy::BLUE_GREEN_IN_PRODUCTION,
    rotation::ROTATION_IN_PROD,
];

/// The fixture of that name, from any table.
pub(super) fn named(name: &str) -> &'static Fixture {
    [INVALID, WARNINGS, VALID]
        .into_iter()
        .flatten()
        .find(|fixture| fixture.name == name)
        .unwrap_or_else(|| panic!("no fixture spec is named `{name}`"))
}

impl Fixture {
    /// The spec's bytes: `# <says>`, then the starter with every edit applied.
    ///
    /// # Panics
    /// If an edit's text does not occur exactly once in the spec it edits.
    pub(super) fn bytes(&self) -> Vec<u8> {
        let mut spec = generator::cli::STARTER_SPEC.as_bytes().to_vec();
        for edit in self.edits {
            spec = match *edit {
                Replace(old, new) => {
                    let at = self.find_once(&spec, old);
                    [&spec[..at], new.as_bytes(), &spec[at + old.len()..]].concat()
                }
                ReplaceAll(old, new) => {
                    let text = String::from_utf8(spec).expect("the starter is UTF-8");
                    assert!(
                        text.matches(old).count() >= 2,
                        "fixture `{}`: `{old}` occurs fewer than twice; use Replace",
                        self.name
                    );
                    text.replace(old, new).into_bytes()
                }
                InsertAfter(anchor, lines) => {
                    let end = line_end(&spec, self.find_once(&spec, anchor));
                    [&spec[..end], lines.as_bytes(), b"\n", &spec[end..]].concat()
                }
                RemoveLine(text) => {
                    let at = self.find_once(&spec, text);
                    let start = spec[..at]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                    [&spec[..start], &spec[line_end(&spec, at)..]].concat()
                }
                Whole(bytes) => bytes.to_vec(),
            };
        }
        [format!("# {}\n", self.says).as_bytes(), &spec].concat()
    }

    /// Writes the spec to `<dir>/<name>.toml`, creating `dir`, and returns the file's path.
    pub(super) fn write_in(&self, dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).expect("create the fixture directory");
        let path = dir.join(format!("{}.toml", self.name));
        std::fs::write(&path, self.bytes()).expect("write the fixture spec");
        path
    }

    fn find_once(&self, spec: &[u8], text: &str) -> usize {
        let found: Vec<usize> = spec
            .windows(text.len())
            .enumerate()
            .filter(|(_, window)| *window == text.as_bytes())
            .map(|(at, _)| at)
            .collect();
        match found[..] {
            [at] => at,
            _ => panic!(
                "fixture `{}`: `{text}` occurs {} times in the spec it edits, not once",
                self.name,
                found.len()
            ),
        }
    }
}

/// The offset just past the end of the line holding offset `at`.
fn line_end(spec: &[u8], at: usize) -> usize {
    spec[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(spec.len(), |i| at + i + 1)
}
