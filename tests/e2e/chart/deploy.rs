//! Installs other than the generated ones: the chart's own defaults render a standalone install,
//! and values a deploy gets wrong are refused, saying what to fix.

use std::collections::BTreeSet;
use std::path::Path;

use super::{CHART, Example, container, documents, expense, helm_check, installs, one};
use crate::support::{assert_success, run, tool, tool_command, workspace};
use serde_json::Value;

pub(super) fn the_charts_own_defaults_render_a_standalone_install() {
    let helm = tool("helm-check");
    let expense = expense();
    let model = &expense.model;
    let namespace = &model.environments["prod"].namespace;
    let output = helm_check(&helm, namespace, &model.services[0].name, &[]);
    assert_success(&output, "helm-check with the chart's values.yaml");
    let (texts, manifests): (Vec<String>, Vec<Value>) = documents(&output).into_iter().unzip();
    let kinds: BTreeSet<&str> = manifests
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["ConfigMap", "Deployment", "Service", "ServiceAccount"])
    );
    let deployment = one(&manifests, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert!(
        container(deployment).get("env").is_none(),
        "no Secret is needed"
    );
    let validate = tool("kubernetes-validate");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("defaults.yaml");
    std::fs::write(&path, texts.join("---\n")).expect("write");
    let output = run(tool_command(&validate)
        .args(["-k", "1.28.0", "--strict"])
        .arg(&path));
    assert_success(&output, "kubernetes-validate (chart defaults)");
}

/// helm-check on prod's values with `overrides` on top; returns (succeeded, everything printed).
fn render_prod_with(helm: &Path, example: &Example, overrides: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let installs = installs(example, dir.path());
    let prod = installs
        .iter()
        .find(|i| i.environment == "prod" && i.service == example.model.services[0].name)
        .expect("prod");
    let overrides_path = dir.path().join("overrides.yaml");
    std::fs::write(&overrides_path, overrides).expect("write");
    let output = helm_check(
        helm,
        &example.model.environments["prod"].namespace,
        &prod.service,
        &[&prod.values, &overrides_path],
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

pub(super) fn a_bad_values_file_is_rejected_naming_the_field() {
    let helm = tool("helm-check");
    let expense = expense();
    let cases = [
        (
            "replicaCount: \"three\"\n",
            "at '/replicaCount': got string, want integer",
        ),
        (
            "replicaCount: -2\n",
            "at '/replicaCount': minimum: got -2, want 1",
        ),
        (
            "autoscaling:\n  minReplicas: -1\n",
            "at '/autoscaling/minReplicas'",
        ),
        (
            "ingress:\n  hots: api.example.com\n",
            "additional properties 'hots' not allowed",
        ),
        (
            "replicas: 3\n",
            "additional properties 'replicas' not allowed",
        ),
        (
            "image:\n  pullPolicy: Sometimes\n",
            "at '/image/pullPolicy'",
        ),
        (
            "podDisruptionBudget:\n  minAvailable: 3\n",
            "podDisruptionBudget.minAvailable (3) must be below the replicas (3)",
        ),
        (
            "resources:\n  limits:\n    memory: lots\n",
            "at '/resources/limits/memory'",
        ),
        (
            "spec:\n  file: \"[project]\\n\"\n",
            "spec.sha256 is not the SHA-256 of spec.file",
        ),
        ("spec:\n  sha256: ABC\n", "at '/spec/sha256'"),
    ];
    for (overrides, message) in cases {
        let (succeeded, printed) = render_prod_with(&helm, &expense, overrides);
        assert!(!succeeded, "accepted:\n{overrides}");
        assert!(
            printed.contains(message),
            "{overrides}: expected `{message}` in:\n{printed}"
        );
    }
}

pub(super) fn without_the_external_secret_the_chart_needs_a_confirmed_existing_secret() {
    let helm = tool("helm-check");
    let expense = expense();
    let off = "secrets:\n  externalSecret:\n    enabled: false\n";
    let (succeeded, printed) = render_prod_with(&helm, &expense, off);
    assert!(!succeeded, "rendered without any Secret:\n{printed}");
    assert!(
        printed.contains("the ExternalSecret is disabled")
            && printed.contains("expense-backend-secrets")
            && printed.contains("secrets.existing=true"),
        "{printed}"
    );
    let existing = format!("{off}  existing: true\n");
    let (succeeded, printed) = render_prod_with(&helm, &expense, &existing);
    assert!(succeeded, "{printed}");
    assert!(!printed.contains("kind: ExternalSecret"));
    assert!(printed.contains("secretKeyRef"));
}

pub(super) fn a_values_file_without_the_rules_or_a_dashboard_fails_saying_what_to_do() {
    let helm = tool("helm-check");
    let expense = expense();
    let model = &expense.model;
    let (succeeded, printed) = render_prod_with(&helm, &expense, "prometheusRule:\n  file: \"\"\n");
    assert!(!succeeded);
    assert!(
        printed.contains("prometheusRule.file: empty")
            && printed.contains("install with the generated values file"),
        "{printed}"
    );
    let uid = &model.dashboards[0].uid;
    let (succeeded, printed) = render_prod_with(
        &helm,
        &expense,
        &format!("grafanaDashboards:\n  files:\n    {uid}: \"\"\n"),
    );
    assert!(!succeeded);
    assert!(
        printed.contains(&format!("grafanaDashboards.files.{uid}: empty")),
        "{printed}"
    );
    let (succeeded, printed) = render_prod_with(
        &helm,
        &expense,
        "prometheusRule:\n  file: \"kind: ConfigMap\"\n",
    );
    assert!(!succeeded);
    assert!(printed.contains("not the PrometheusRule"), "{printed}");
}

pub(super) fn rules_generated_for_another_namespace_are_refused() {
    let helm = tool("helm-check");
    let expense = expense();
    let dir = tempfile::tempdir().expect("tempdir");
    let installs = installs(&expense, dir.path());
    let prod = installs
        .iter()
        .find(|i| i.environment == "prod" && i.service == expense.model.services[0].name)
        .expect("prod");
    let mut command = tool_command(&helm);
    command
        .current_dir(workspace())
        .arg("--name")
        .arg(&prod.service)
        .args(["--namespace", "elsewhere", CHART])
        .arg(&prod.values);
    let output = run(&mut command);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("generated for namespace"), "{stderr}");
}
