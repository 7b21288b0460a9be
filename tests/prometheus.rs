//! Every environment's PrometheusRule is accepted by the tools that consume it: promtool (the
//! rules themselves, PromQL included) and the prometheus-operator CRD models.

use generator::Model;
use generator::render::{Artifact, Request, render_all};
use platform_e2e::{assert_success, run, tool, tool_command, workspace};

fn rule_files() -> Vec<Artifact> {
    let model = Model::load(&workspace().join("specs/expense.toml")).expect("example spec");
    let request = Request { model: &model, spec_path: "specs/expense.toml", only_environment: None };
    render_all(&request).expect("renders").into_iter().filter(|a| a.path.ends_with("prometheus-rules.yaml")).collect()
}

#[test]
fn promtool_accepts_every_environments_rules() {
    let Some(promtool) = tool("promtool") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rule_files();
    assert_eq!(rules.len(), 3);
    for artifact in rules {
        let resource: serde_json::Value = serde_norway::from_str(&artifact.contents).expect("YAML");
        let path = dir.path().join(artifact.path.replace('/', "_"));
        std::fs::write(&path, serde_norway::to_string(&resource["spec"]).expect("rules file")).expect("write");
        let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&path));
        assert_success(&output, &format!("promtool check rules ({})", artifact.path));
        assert!(String::from_utf8_lossy(&output.stdout).contains("SUCCESS"));
    }
}

#[test]
fn promtool_rejects_a_rule_that_does_not_parse() {
    let Some(promtool) = tool("promtool") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m])\n").expect("write");
    let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&path));
    assert!(!output.status.success());
}

#[test]
fn the_prometheus_operator_models_accept_every_environments_rule() {
    let Some(checker) = tool("promop-check") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for artifact in rule_files() {
        let path = dir.path().join(artifact.path.replace('/', "_"));
        std::fs::write(&path, &artifact.contents).expect("write");
        let output = run(tool_command(&checker).arg(&path));
        assert_success(&output, &format!("promop-check ({})", artifact.path));
    }
}
