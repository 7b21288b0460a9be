//! Every environment's PrometheusRule is accepted by the tools that consume it: promtool (the
//! rules themselves, PromQL included) and the prometheus-operator CRD models.

use generator::render::Artifact;
use platform_e2e::{assert_success, example_specs, render_spec, run, tool, tool_command};

/// The PrometheusRule of every environment of every example spec.
fn rule_files() -> Vec<Artifact> {
    example_specs()
        .iter()
        .flat_map(|spec| render_spec(spec).1)
        .filter(|artifact| artifact.path.ends_with("prometheus-rules.yaml"))
        .collect()
}

#[test]
fn promtool_accepts_every_environments_rules() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rule_files();
    assert_eq!(
        rules.len(),
        5,
        "3 environments of expense.toml and 2 of ledger.toml"
    );
    for (index, artifact) in rules.into_iter().enumerate() {
        let resource: serde_json::Value = serde_norway::from_str(&artifact.contents).expect("YAML");
        let path = dir
            .path()
            .join(format!("{index}-{}", artifact.path.replace('/', "_")));
        std::fs::write(
            &path,
            serde_norway::to_string(&resource["spec"]).expect("rules file"),
        )
        .expect("write");
        let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&path));
        assert_success(
            &output,
            &format!("promtool check rules ({})", artifact.path),
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("SUCCESS"));
    }
}

#[test]
fn promtool_rejects_a_rule_that_does_not_parse() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m])\n",
    )
    .expect("write");
    let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&path));
    assert!(!output.status.success());
}

#[test]
fn the_prometheus_operator_models_accept_every_environments_rule() {
    let Some(checker) = tool("promop-check") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (index, artifact) in rule_files().into_iter().enumerate() {
        let path = dir
            .path()
            .join(format!("{index}-{}", artifact.path.replace('/', "_")));
        std::fs::write(&path, &artifact.contents).expect("write");
        let output = run(tool_command(&checker).arg(&path));
        assert_success(&output, &format!("promop-check ({})", artifact.path));
    }
}
