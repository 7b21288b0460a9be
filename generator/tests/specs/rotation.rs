//! The fixtures of the database password's automatic rotation (`database.password_rotation_days`):
//! a period longer than a year, rotation without the Terraform workflow that carries it out, and
//! a production environment that rotates while dev does not. Listed in `INVALID` and `VALID` of
//! `specs/mod.rs` by name.

use super::Edit::{InsertAfter, Replace};
use super::{DATABASE_POOL, Fixture, PROD_DATABASE, SUPPLY_CHAIN_ON, fixture};

pub(super) const ROTATION_BEYOND_A_YEAR: Fixture = fixture(
    "rotation_beyond_a_year",
    "the database password rotated every 400 days, in [defaults]",
    &[InsertAfter(DATABASE_POOL, "password_rotation_days = 400")],
);

pub(super) const ROTATION_WITHOUT_THE_WORKFLOW: Fixture = fixture(
    "rotation_without_the_terraform_workflow",
    "prod's password rotated every 90 days with the Terraform workflow turned off",
    &[
        InsertAfter(SUPPLY_CHAIN_ON, "\n[delivery.terraform]\nenabled = false"),
        Replace(
            PROD_DATABASE,
            "database = { multi_az = true, backup_retention_days = 14, performance_insights = true, deletion_protection = true, password_rotation_days = 90 }",
        ),
    ],
);

/// Prod deploys on a tag behind an approval, from a self-hosted runner: its rotation checks out
/// the newest tag and waits for the approval; dev keeps rotating by hand.
pub(super) const ROTATION_IN_PROD: Fixture = fixture(
    "rotation_in_prod",
    "prod's database password rotated every 30 days, dev's by hand",
    &[Replace(
        PROD_DATABASE,
        "database = { multi_az = true, backup_retention_days = 14, performance_insights = true, deletion_protection = true, password_rotation_days = 30 }",
    )],
);
