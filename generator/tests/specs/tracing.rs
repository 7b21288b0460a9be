//! The fixtures of distributed tracing (a collector without a usable port, services that
//! configure the variables the platform sets for tracing) and of the namespace each environment
//! deploys to. Listed in `INVALID` of `specs/mod.rs`.

use super::Edit::{InsertAfter, Replace};
use super::{DEFAULT_RUNNER, DEV_DEPLOY, Fixture, fixture};

pub(super) const TRACING_THAT_DOES_NOT_FIT: Fixture = fixture(
    "tracing_that_does_not_fit",
    "a collector on port 0, the service naming itself for tracing, and dev choosing its own sampler",
    &[
        InsertAfter(
            DEFAULT_RUNNER,
            "\n[defaults.tracing]\nendpoint = \"http://otel-collector.monitoring.svc:0\"\nsample_ratio = 0.5",
        ),
        InsertAfter(
            r#"image_repository = "myapp-backend""#,
            r#"config = { OTEL_SERVICE_NAME = "backend" }"#,
        ),
        InsertAfter(
            DEV_DEPLOY,
            r#"services.myapp-backend.config = { OTEL_TRACES_SAMPLER = "always_on" }"#,
        ),
    ],
);

pub(super) const NAMESPACE_KUBERNETES_REFUSES: Fixture = fixture(
    "namespace_kubernetes_refuses",
    "a namespace that, filled in, ends with a dash in every environment",
    &[Replace(
        r#"namespace = "myapp""#,
        r#"namespace = "{project}-{environment}-""#,
    )],
);
