//! `platformgen diff`: every resolved value that differs between two environments, each side
//! with where it was set, for people and as JSON.

use serde_json::Value;

use crate::cli::{platformgen, text};

#[test]
fn diff_shows_every_value_that_differs_and_where_each_side_was_set() {
    let output = platformgen(&["diff", "staging", "prod"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!(text(&output.stdout));
}

#[test]
fn diff_as_json_gives_each_side_its_value_its_position_and_its_layer() {
    let output = platformgen(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["spec"], "specs/expense.toml");
    assert_eq!(
        report["environments"],
        serde_json::json!(["staging", "prod"])
    );
    let difference = |key: &str| -> Value {
        report["differences"]
            .as_array()
            .and_then(|all| all.iter().find(|d| d["key"] == key))
            .cloned()
            .unwrap_or_else(|| panic!("no difference at `{key}`"))
    };

    let nat = difference("network.nat");
    let [staging, prod] = [&nat["values"][0], &nat["values"][1]];
    assert_eq!(staging["environment"], "staging");
    assert_eq!(staging["value"], "single");
    assert_eq!(staging["layer"], "defaults");
    assert_eq!(staging["written_as"], "defaults.network.nat");
    assert_eq!(prod["value"], "per-az");
    assert_eq!(prod["layer"], "environment");
    let set_at = prod["set_at"].as_str().expect("a position");
    assert!(set_at.starts_with("specs/expense.toml:"), "{set_at}");

    // Set in prod only: staging's side is null throughout.
    let copy = difference("database.backup_copy_region");
    assert_eq!(copy["values"][0]["value"], Value::Null);
    assert_eq!(copy["values"][0]["set_at"], Value::Null);
    assert_eq!(copy["values"][1]["value"], "us-west-2");

    // Values both environments share are not listed, wherever each was written.
    let keys: Vec<&str> = report["differences"]
        .as_array()
        .map(|all| all.iter().filter_map(|d| d["key"].as_str()).collect())
        .unwrap_or_default();
    assert!(!keys.contains(&"database.instance_class"), "{keys:?}");
    assert!(!keys.contains(&"eks.version"), "{keys:?}");
}

#[test]
fn diff_of_an_environment_with_itself_is_empty_and_of_an_unknown_one_an_error() {
    let same = platformgen(&["diff", "prod", "prod", "--format", "text"]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert_eq!(
        text(&same.stdout),
        "prod and prod resolve to the same values\n"
    );

    let unknown = platformgen(&["diff", "staging", "prd"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        text(&unknown.stderr),
        "error: there is no environment `prd` in specs/expense.toml\n  help: did you mean `prod`?\n"
    );
    assert!(unknown.stdout.is_empty());
    let missing = platformgen(&["diff", "staging"]);
    assert_eq!(missing.status.code(), Some(2));
}
