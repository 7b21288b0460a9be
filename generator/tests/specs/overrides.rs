//! The fixtures of per-environment probes, rollout and ingress paths: each problem is found in
//! the environment whose settings have it, on the key that wrote the value. Listed in `INVALID`
//! of `specs/mod.rs`.

use super::Edit::InsertAfter;
use super::{AFTER_THE_SERVICE, DEFAULT_RUNNER, DEV_DEPLOY, Fixture, PROD_DEPLOY, fixture};

/// The starter's service: where its own probes and ingress paths go.
const SERVICE_GRACE: &str = "shutdown_grace_seconds = 20";

/// A second service, on its own image, port and prefix.
const REPORTS_SERVICE: &str = "\n[services.myapp-reports]\nport = 8081\n\
     image_repository = \"myapp-reports\"\nhealth_path = \"/health\"\nreadiness_path = \"/ready\"\n\
     metrics_path = \"/metrics\"\nshutdown_grace_seconds = 10\ningress_paths = [\"/v1/reports\"]\n\
     source = \"services/reports\"";

pub(super) const PROBE_TIMING_OVERRIDDEN: Fixture = fixture(
    "probe_timing_overridden_per_environment",
    "dev waits as long for the readiness answer as its period, and [defaults] shortens the \
     liveness period to its timeout, each over the service's own probes",
    &[
        InsertAfter(
            SERVICE_GRACE,
            "probes.liveness = { initial_delay_seconds = 10, period_seconds = 10, timeout_seconds = 2, failure_threshold = 3 }\n\
             probes.readiness = { initial_delay_seconds = 5, period_seconds = 10, timeout_seconds = 2, failure_threshold = 3 }",
        ),
        InsertAfter(
            DEFAULT_RUNNER,
            "\n[defaults.services.myapp-backend]\nprobes.liveness.period_seconds = 2",
        ),
        InsertAfter(
            DEV_DEPLOY,
            "services.myapp-backend.probes.readiness.timeout_seconds = 10",
        ),
    ],
);

pub(super) const ROLLOUT_STUCK_BY_DEFAULT: Fixture = fixture(
    "rollout_stuck_in_defaults",
    "[defaults] gives the service a rolling update with neither a surge nor an unavailable pod",
    &[InsertAfter(
        DEFAULT_RUNNER,
        "\n[defaults.services.myapp-backend]\nrollout = { max_surge = 0, max_unavailable = 0 }",
    )],
);

pub(super) const PREFIX_SHARED_IN_ONE_ENVIRONMENT: Fixture = fixture(
    "prefix_shared_in_one_environment",
    "two services on prefixes of their own, until prod routes the second to the first's prefix",
    &[
        InsertAfter(SERVICE_GRACE, r#"ingress_paths = ["/transaction"]"#),
        InsertAfter(AFTER_THE_SERVICE, REPORTS_SERVICE),
        InsertAfter(
            PROD_DEPLOY,
            r#"services.myapp-reports.ingress_paths = ["/transaction"]"#,
        ),
        InsertAfter("[[dashboards]]", r#"service = "myapp-backend""#),
    ],
);

pub(super) const EGRESS_AND_BUDGET_PER_ENVIRONMENT: Fixture = fixture(
    "egress_and_budget_overridden_per_environment",
    "prod lets the service reach a service the spec does not have and itself, and keeps as many \
     pods up while draining as it runs",
    &[InsertAfter(
        PROD_DEPLOY,
        "services.myapp-backend = { egress = { services = [\"myapp-ledger\", \"myapp-backend\"] }, \
         disruption_budget = { min_available = 2 }, autoscaling = { min_replicas = 2 } }",
    )],
);

pub(super) const ACCESS_PER_ENVIRONMENT: Fixture = fixture(
    "access_overridden_per_environment",
    "prod lets the service's role reach a bucket prod does not have and a secret the spec does \
     not declare",
    &[InsertAfter(
        PROD_DEPLOY,
        "services.myapp-backend = { access = { buckets = { archive = \"read\" }, secrets = [\"stripe\"] } }",
    )],
);

pub(super) const SECRETS_PER_ENVIRONMENT: Fixture = fixture(
    "secrets_overridden_per_environment",
    "prod reads an undeclared secret and the Redis token its cache does not have, and its config \
     sets a name the service reads from a secret",
    &[
        InsertAfter(SERVICE_GRACE, r#"secrets = { DB_URL = "database.host" }"#),
        InsertAfter(
            PROD_DEPLOY,
            "services.myapp-backend = { secrets = { STRIPE_KEY = \"stripe\", TOKEN = \"redis.auth_token\" }, config = { DB_URL = \"x\" } }",
        ),
    ],
);

pub(super) const PORT_SHARED_IN_ONE_ENVIRONMENT: Fixture = fixture(
    "port_shared_in_one_environment",
    "two services on ports of their own, until prod moves the second to the first's port; dev \
     points the runtime's metrics scrape at a path it does not serve",
    &[
        InsertAfter(SERVICE_GRACE, r#"ingress_paths = ["/transaction"]"#),
        InsertAfter(AFTER_THE_SERVICE, REPORTS_SERVICE),
        InsertAfter(PROD_DEPLOY, "services.myapp-reports.port = 8080"),
        InsertAfter(
            DEV_DEPLOY,
            r#"services.myapp-backend.metrics_path = "/internal/metrics""#,
        ),
        InsertAfter("[[dashboards]]", r#"service = "myapp-backend""#),
    ],
);
