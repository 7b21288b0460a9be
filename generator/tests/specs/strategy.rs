//! The fixtures of the deploy strategy: blue-green with the time the previous colour is kept
//! (out of bounds either way), a keep time where the deploy is rolling (written, or inherited
//! from `[defaults]`), a strategy misspelt, and blue-green on its default keep time. Listed in
//! `INVALID`, `WARNINGS` and `VALID` of `specs/mod.rs` by name.

use super::Edit::{InsertAfter, Replace};
use super::{DEFAULT_RUNNER, DEV_DEPLOY, Fixture, PROD_DEPLOY, fixture};

pub(super) const KEEP_PREVIOUS_OUT_OF_BOUNDS: Fixture = fixture(
    "keep_previous_out_of_bounds",
    "blue-green deploys keeping the previous colour 2 hours in prod and 30 seconds in dev",
    &[
        Replace(
            PROD_DEPLOY,
            r#"runner = ["self-hosted", "linux", "myapp-prod"], strategy = "blue-green", keep_previous = "2h" }"#,
        ),
        Replace(
            DEV_DEPLOY,
            r#"deploy = { branch = "main", approval_required = false, strategy = "blue-green", keep_previous = "30s" }"#,
        ),
    ],
);

pub(super) const KEEP_PREVIOUS_WHILE_ROLLING: Fixture = fixture(
    "keep_previous_while_rolling",
    "a time to keep the previous colour in an environment that deploys with a rolling update",
    &[Replace(
        PROD_DEPLOY,
        r#"runner = ["self-hosted", "linux", "myapp-prod"], keep_previous = "30m" }"#,
    )],
);

pub(super) const UNKNOWN_STRATEGY: Fixture = fixture(
    "unknown_strategy",
    "a deploy strategy written with an underscore",
    &[Replace(
        PROD_DEPLOY,
        r#"runner = ["self-hosted", "linux", "myapp-prod"], strategy = "blue_green" }"#,
    )],
);

pub(super) const KEEP_PREVIOUS_INHERITED_WHILE_ROLLING: Fixture = fixture(
    "keep_previous_inherited_while_rolling",
    "blue-green by default, kept 20 minutes, and dev back on a rolling update",
    &[
        InsertAfter(
            DEFAULT_RUNNER,
            "strategy = \"blue-green\"\nkeep_previous = \"20m\"",
        ),
        Replace(
            DEV_DEPLOY,
            r#"deploy = { branch = "main", approval_required = false, strategy = "rolling" }"#,
        ),
    ],
);

pub(super) const BLUE_GREEN_IN_PRODUCTION: Fixture = fixture(
    "blue_green_in_production",
    "prod deploys blue-green, keeping the previous colour the default 10 minutes",
    &[Replace(
        PROD_DEPLOY,
        r#"runner = ["self-hosted", "linux", "myapp-prod"], strategy = "blue-green" }"#,
    )],
);
