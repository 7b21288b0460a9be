//! The planned database password's generation is the spec's: `password_version` alone where the
//! environment rotates by hand, and where it rotates automatically the version with the rotation
//! period of the plan's day, that day counted by Terraform (terraform/modules/rotation-clock)
//! exactly as the Unix clock counts it. The two resources the Terraform workflow's rotation
//! targets are the plan's, and they take each password at the same generation.

use std::time::{SystemTime, UNIX_EPOCH};

use super::plan::planned;
use generator::render::rotation::PASSWORD_RESOURCES;

/// Whole days since 1970-01-01 UTC, now.
fn today() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
        / 86_400
}

pub(super) fn the_planned_password_rotates_as_the_spec_says() {
    let mut rotating = Vec::new();
    for case in planned() {
        let (plan, label) = (&case.plan, &case.label);
        let database = &case.environment().database;
        let [instance, secret] = PASSWORD_RESOURCES.map(|address| plan.at(address));
        let generation = instance["password_wo_version"].as_u64();
        assert_eq!(
            secret["secret_string_wo_version"].as_u64(),
            generation,
            "{label}: RDS and the secret take the password at one generation"
        );
        let version = u64::from(database.password_version);
        match database.password_rotation_days {
            None => assert_eq!(
                generation,
                Some(version),
                "{label}: rotated by hand, the generation is password_version"
            ),
            Some(days) => {
                // The plans ran a moment ago: across midnight UTC they saw yesterday.
                let today = today();
                let expected =
                    [today - 1, today].map(|day| version * 1_000_000 + day / u64::from(days));
                assert!(
                    generation.is_some_and(|generation| expected.contains(&generation)),
                    "{label}: rotating every {days} days, the generation is {version} * 1000000 + the period of the plan's day, {expected:?}, not {generation:?}"
                );
                rotating.push(label.as_str());
            }
        }
    }
    // The guide's 90 days (specs/money-tracking.toml): the plan of its production rotates.
    assert!(
        rotating.contains(&"money-tracking/prod"),
        "money-tracking/prod's plan does not rotate; rotating: {rotating:?}"
    );
}
