//! The example spec's Grafana dashboards pass `grafana-dash-check` (the JSON Schema derived from
//! @grafana/schema's `Dashboard` type), the check does reject a broken dashboard, and every
//! panel query is PromQL that Prometheus's own parser (`promtool`) accepts (the cost
//! dashboard's, CloudWatch queries, aside).

use std::path::{Path, PathBuf};

use crate::support::{assert_success, run, tool, tool_command, workspace};
use generator::model::Model;
use generator::render::{Request, dashboards};
use serde_json::Value;
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            every_rendered_dashboard_passes_grafana_dash_check,
            Need::Tool("grafana-dash-check")
        ),
        test!(
            grafana_dash_check_rejects_a_dashboard_with_a_wrong_typed_field,
            Need::Tool("grafana-dash-check")
        ),
        test!(
            every_dashboard_query_passes_promtool,
            Need::Tool("promtool")
        ),
    ]
}

const SPEC: &str = "specs/expense.toml";

/// Renders the example spec's dashboards under `dir`, returning the files written.
fn render_dashboards(dir: &Path) -> Vec<PathBuf> {
    let model = Model::load(&workspace().join(SPEC))
        .unwrap_or_else(|error| panic!("{SPEC} does not load: {error}"));
    let request = Request {
        model: &model,
        spec_path: SPEC,
        spec_text: &std::fs::read_to_string(workspace().join(SPEC)).expect("the spec is readable"),
        only_environment: None,
    };
    let artifacts = dashboards::render(&request)
        .unwrap_or_else(|error| panic!("dashboards do not render: {error}"));
    assert!(
        !artifacts.is_empty(),
        "the example spec renders no dashboard"
    );
    artifacts
        .iter()
        .map(|artifact| {
            let path = dir.join(&artifact.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .unwrap_or_else(|error| panic!("mkdir {}: {error}", parent.display()));
            }
            std::fs::write(&path, &artifact.contents)
                .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
            path
        })
        .collect()
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|error| panic!("no temp dir: {error}"))
}

fn every_rendered_dashboard_passes_grafana_dash_check() {
    let check = tool("grafana-dash-check");
    let dir = temp_dir();
    let files = render_dashboards(dir.path());
    let output = run(tool_command(&check).args(&files));
    assert_success(
        &output,
        &format!("grafana-dash-check on {} dashboards", files.len()),
    );
}

fn grafana_dash_check_rejects_a_dashboard_with_a_wrong_typed_field() {
    let check = tool("grafana-dash-check");
    let dir = temp_dir();
    let files = render_dashboards(dir.path());
    let text = std::fs::read_to_string(&files[0])
        .unwrap_or_else(|error| panic!("read {}: {error}", files[0].display()));
    let mut dashboard: Value =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON: {error}"));
    // A panel id must be a number, the refresh interval a string.
    dashboard["panels"][0]["id"] = Value::String("1".into());
    dashboard["refresh"] = Value::from(30);
    let broken = dir.path().join("broken.json");
    let json = serde_json::to_string_pretty(&dashboard).unwrap_or_else(|error| panic!("{error}"));
    std::fs::write(&broken, json)
        .unwrap_or_else(|error| panic!("write {}: {error}", broken.display()));

    let output = run(tool_command(&check).arg(&broken));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !output.status.success(),
        "grafana-dash-check accepted a broken dashboard:\n{printed}"
    );
    for field in ["$.refresh", "$.panels[0].id"] {
        assert!(
            printed.contains(field),
            "the error names {field}:\n{printed}"
        );
    }
}

fn every_dashboard_query_passes_promtool() {
    let promtool = tool("promtool");
    let dir = temp_dir();
    let mut rules = Vec::new();
    for file in render_dashboards(dir.path()) {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("read {}: {error}", file.display()));
        let dashboard: Value =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON: {error}"));
        for panel in dashboard["panels"].as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                // The cost dashboard's queries are CloudWatch's, not PromQL.
                if target["datasource"]["type"] == "cloudwatch" {
                    continue;
                }
                let expr = target["expr"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a target without expr: {target}"));
                // Grafana fills in $__rate_interval; any valid duration stands for it here.
                let expr = expr.replace("$__rate_interval", "5m");
                rules.push(serde_json::json!({ "record": format!("dashboard:query_{}", rules.len()), "expr": expr }));
            }
        }
    }
    // JSON is YAML: promtool reads it as a rules file.
    let file = dir.path().join("dashboard-queries.rules.yaml");
    let groups = serde_json::json!({ "groups": [{ "name": "dashboard-queries", "rules": rules }] });
    std::fs::write(&file, groups.to_string())
        .unwrap_or_else(|error| panic!("write {}: {error}", file.display()));
    let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&file));
    assert_success(
        &output,
        &format!("promtool check rules on {} dashboard queries", rules.len()),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{} rules found", rules.len())),
        "promtool read every query:\n{stdout}"
    );
}
