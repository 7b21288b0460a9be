//! `platformgen explain --format json`: what the text shows, typed for tools.

use std::process::Command;

use crate::cli::{platformgen, text};

/// `platformgen <args>` run beside a starter spec (`platformgen init`'s) named `platform.toml`,
/// so its positions read `platform.toml:<line>:<column>` wherever the test runs.
/// Its standard output, checked to be JSON.
fn explain_starter(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("platform.toml"),
        generator::cli::STARTER_SPEC,
    )
    .expect("spec");
    let output = Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(args)
        .args(["--spec", "platform.toml", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .expect("platformgen runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let _: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    text(&output.stdout)
}

#[test]
fn explain_json_of_a_key_gives_its_value_and_where_each_value_under_it_was_set() {
    insta::assert_snapshot!(
        "explain_json_one_key",
        explain_starter(&["explain", "prod", "database.multi_az"])
    );
    insta::assert_snapshot!(
        "explain_json_a_table_and_a_global_key",
        explain_starter(&["explain", "dev", "deploy"])
            + &explain_starter(&["explain", "dev", "project.name"])
    );
}

#[test]
fn explain_json_of_an_environment_gives_every_value_threshold_and_waiver() {
    insta::assert_snapshot!(
        "explain_json_whole_environment",
        explain_starter(&["explain", "dev"])
    );
}

/// The text and the JSON are two layouts of one report: every value the JSON lists, the text
/// shows with the same position.
#[test]
fn explain_json_says_what_the_text_says() {
    let shown = text(&platformgen(&["explain", "prod"]).stdout);
    let json = platformgen(&["explain", "prod", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let settings = report["settings"].as_array().expect("settings");
    assert!(settings.len() > 50, "{}", settings.len());
    for setting in settings {
        let at = format!(
            "{}:{}:{}",
            setting["file"].as_str().expect("file"),
            setting["line"],
            setting["column"]
        );
        let key = setting["key"].as_str().expect("key");
        assert!(
            shown.contains(&format!("\nprod.{key} = "))
                || shown.starts_with(&format!("prod.{key} = ")),
            "{key}"
        );
        assert!(shown.contains(&at), "{key} at {at}");
    }
    let thresholds = report["alert_thresholds"].as_array().expect("thresholds");
    assert!(!thresholds.is_empty());
    for threshold in thresholds {
        let alert = threshold["alert"].as_str().expect("alert");
        assert!(shown.contains(&format!("    {alert} = ")), "{alert}");
    }
}

#[test]
fn explain_json_lists_each_waiver_with_its_owner_expiry_and_position() {
    let (dir, _) = crate::cli::fixture_file("waived_production_rule");
    let output = Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(["explain", "prod", "--spec", "waived_production_rule.toml"])
        .args(["--format", "json"])
        .current_dir(dir.path())
        .output()
        .expect("platformgen runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let waiver = &report["waivers"][0];
    assert_eq!(waiver["rule"], "database-multi-az");
    assert_eq!(waiver["owner"], "platform-team");
    assert_eq!(waiver["expires"], "2999-01-01");
    assert_eq!(waiver["file"], "waived_production_rule.toml");
    assert!(waiver["line"].as_u64().is_some_and(|line| line > 1));
    assert!(
        waiver["written_as"]
            .as_str()
            .is_some_and(|key| key.starts_with("environments.prod.waivers[0]")),
        "{waiver}"
    );
}

#[test]
fn explain_json_errors_are_the_texts() {
    let key = platformgen(&["explain", "prod", "database.multiaz", "--format", "json"]);
    assert_eq!(key.status.code(), Some(1));
    assert!(key.stdout.is_empty());
    assert!(text(&key.stderr).contains("did you mean `multi_az`?"));
}

/// `explain` of a service's probe where prod overrides one timing: that timing from prod's
/// table, the others from the service's own.
#[test]
fn explain_names_where_each_timing_of_an_overridden_probe_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = generator::cli::STARTER_SPEC
        .replacen(
            "shutdown_grace_seconds = 20",
            "shutdown_grace_seconds = 20\nprobes.readiness = { initial_delay_seconds = 5, \
             period_seconds = 10, timeout_seconds = 2, failure_threshold = 3 }",
            1,
        )
        .replacen(
            r#"runner = ["self-hosted", "linux", "myapp-prod"] }"#,
            "runner = [\"self-hosted\", \"linux\", \"myapp-prod\"] }\n\
             services.myapp-backend.probes.readiness.timeout_seconds = 5",
            1,
        );
    std::fs::write(dir.path().join("platform.toml"), spec).expect("spec");
    let output = Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(["explain", "prod", "services.myapp-backend.probes.readiness"])
        .args(["--spec", "platform.toml"])
        .current_dir(dir.path())
        .output()
        .expect("platformgen runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!("explain_overridden_probe", text(&output.stdout));
}
