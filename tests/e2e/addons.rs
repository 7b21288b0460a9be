//! The cluster add-ons of every environment of every example spec (`generated/<env>/addons/`):
//! each values file rendered through its chart, vendored at the version the generator pins
//! (`tests/addon-charts/`), by real Helm (strict lint, the chart's values schema where it has
//! one, render) and checked by `kubernetes-validate --strict` against Kubernetes 1.28 (the
//! Prometheus operator's custom resources by `promop-check`); the
//! rendered service account is the one Terraform's role trusts and carries the role's ARN
//! where the spec names the account; and `bootstrap.sh` installs each chart at its pinned
//! version, in order, and passes shellcheck.

use std::path::Path;

use serde_json::Value;

use crate::chart::documents;
use crate::support::{
    assert_success, example_specs, render_spec, run, tool, tool_command, workspace,
};
use generator::model::{Addon, Environment, Model, cluster_autoscaler_image_tag};
use generator::render::Artifact;
use generator::render::addons::{bootstrap_path, values_path};
use generator::render::helm_values::IRSA_ANNOTATION;
use generator::render::operations::PROMETHEUS_SERVICE;
use testkit::{Need, Test, test};

/// Where the vendored charts are.
const CHARTS: &str = "tests/addon-charts";

pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            every_add_ons_values_render_through_its_pinned_chart_and_pass_the_kubernetes_1_28_schemas,
            Need::Tool("helm-check"),
            Need::Tool("kubernetes-validate"),
            Need::Tool("promop-check")
        ),
        test!(
            the_bootstrap_installs_every_add_on_at_its_pinned_version_in_order,
            Need::Tool("shellcheck")
        ),
    ]
}

fn artifact<'a>(artifacts: &'a [Artifact], path: &str) -> &'a str {
    &artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
        .contents
}

/// The vendored chart's own version (its Chart.yaml).
fn vendored_version(chart: &Path) -> String {
    let text = std::fs::read_to_string(chart.join("Chart.yaml")).expect("Chart.yaml");
    let meta: Value = serde_norway::from_str(&text).expect("Chart.yaml parses");
    meta["version"].as_str().expect("a version").to_string()
}

/// What the rendered add-on must say of the environment, beyond passing the schemas.
fn assert_carries_the_environment(
    model: &Model,
    environment: &Environment,
    addon: Addon,
    manifests: &[Value],
    text: &str,
    label: &str,
) {
    let cluster = model.resource_name(environment);
    if let Some(name) = addon.service_account() {
        let accounts: Vec<&Value> = manifests
            .iter()
            .filter(|m| m["kind"] == "ServiceAccount" && m["metadata"]["name"] == name)
            .collect();
        assert_eq!(accounts.len(), 1, "{label}: the service account {name}");
        assert_eq!(
            accounts[0]["metadata"]["annotations"][IRSA_ANNOTATION].as_str(),
            model.addon_role_arn(environment, addon).as_deref(),
            "{label}: {name}'s role (none in the values where the spec names no account: bootstrap.sh sets it)"
        );
    }
    let needles: Vec<String> = match addon {
        Addon::LoadBalancerController => vec![format!("--cluster-name={cluster}")],
        Addon::ClusterAutoscaler => vec![
            format!("k8s.io/cluster-autoscaler/{cluster}"),
            format!(
                "cluster-autoscaler:{}",
                cluster_autoscaler_image_tag(&environment.eks.version)
            ),
        ],
        Addon::FluentBit => {
            let group = model.container_log_group(environment);
            assert!(
                text.lines()
                    .any(|line| line.split_whitespace().eq(["log_group_name", &group])),
                "{label}: Fluent Bit writes to {group}"
            );
            Vec::new()
        }
        Addon::KubePrometheusStack => vec!["grafana_dashboard".to_string()],
        Addon::ExternalSecrets | Addon::MetricsServer => Vec::new(),
    };
    for needle in needles {
        assert!(
            text.contains(&needle),
            "{label}: the render lacks `{needle}`"
        );
    }
}

/// kubernetes-validate knows no custom resources: the Prometheus operator's (the Prometheus, the
/// Alertmanager, the monitors and rules kube-prometheus-stack renders) are checked against the
/// operator's models by `promop-check`, written to `file`.
fn check_operator_resources(manifests: &[Value], file: &Path, label: &str) {
    let mut resources: Vec<Value> = manifests
        .iter()
        .filter(|m| m["apiVersion"].as_str() == Some("monitoring.coreos.com/v1"))
        .cloned()
        .collect();
    let kinds: Vec<&str> = resources
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    for kind in [
        "Prometheus",
        "Alertmanager",
        "ServiceMonitor",
        "PrometheusRule",
    ] {
        assert!(
            kinds.contains(&kind),
            "{label}: renders no {kind}: {kinds:?}"
        );
    }
    // The chart's operator knows `Alertmanager.spec.hostNetwork`, the models (operator 0.80.1)
    // do not yet: it must be the default, and is checked as absent.
    for alertmanager in resources.iter_mut().filter(|m| m["kind"] == "Alertmanager") {
        let spec = alertmanager["spec"].as_object_mut().expect("a spec");
        if let Some(host_network) = spec.remove("hostNetwork") {
            assert_eq!(host_network, Value::Bool(false), "{label}: hostNetwork");
        }
    }
    let text: Vec<String> = resources
        .iter()
        .map(|resource| serde_json::to_string(resource).expect("JSON"))
        .collect();
    std::fs::write(file, text.join("\n---\n")).expect("write the resources");
    let output = run(tool_command(&tool("promop-check")).arg(file));
    assert_success(&output, &format!("promop-check of {label}"));
}

fn every_add_ons_values_render_through_its_pinned_chart_and_pass_the_kubernetes_1_28_schemas() {
    let helm = tool("helm-check");
    let validate = tool("kubernetes-validate");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rendered = 0;
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.values() {
            for (addon, version) in &environment.cluster_addons {
                let label = format!(
                    "{}/{}/{}",
                    spec.file_stem().expect("stem").to_string_lossy(),
                    environment.name,
                    addon.release()
                );
                let chart = workspace().join(CHARTS).join(addon.chart());
                assert_eq!(
                    (version.as_str(), vendored_version(&chart)),
                    (addon.pinned_version(), addon.pinned_version().to_string()),
                    "{label}: the installed, pinned and vendored versions are one"
                );
                let values = dir.path().join(format!("{}.yaml", addon.release()));
                std::fs::write(
                    &values,
                    artifact(&artifacts, &values_path(environment, *addon)),
                )
                .expect("write the values");
                let output = run(tool_command(&helm)
                    .arg("--name")
                    .arg(addon.release())
                    .arg("--namespace")
                    .arg(addon.namespace())
                    .arg("--kube-version")
                    .arg(format!("v{}.0", environment.eks.version))
                    .arg(&chart)
                    .arg(&values));
                assert_success(&output, &format!("helm-check of {label}"));
                let (texts, manifests): (Vec<String>, Vec<Value>) =
                    documents(&output).into_iter().unzip();
                let manifest = dir
                    .path()
                    .join(format!("{}.rendered.yaml", addon.release()));
                std::fs::write(&manifest, texts.join("---\n")).expect("write the manifests");
                let checked = run(tool_command(&validate)
                    .args(["--strict", "--kubernetes-version", "1.28"])
                    .arg(&manifest));
                assert_success(&checked, &format!("kubernetes-validate of {label}"));
                // kubernetes-validate knows no custom resources: the operator's own (the
                // Prometheus, the Alertmanager, the monitors and rules the stack renders) are
                // checked against its models.
                if *addon == Addon::KubePrometheusStack {
                    // The Service the runbooks port-forward to (OPERATIONS.md).
                    assert!(
                        manifests.iter().any(|m| m["kind"] == "Service"
                            && m["metadata"]["name"] == PROMETHEUS_SERVICE),
                        "{label}: no Service {PROMETHEUS_SERVICE}"
                    );
                    check_operator_resources(&manifests, &manifest, &label);
                }
                assert_carries_the_environment(
                    &model,
                    environment,
                    *addon,
                    &manifests,
                    &texts.join("\n"),
                    &label,
                );
                rendered += 1;
            }
        }
    }
    assert!(
        rendered >= Addon::ALL.len() * 2,
        "too few add-ons rendered: {rendered}"
    );
}

fn the_bootstrap_installs_every_add_on_at_its_pinned_version_in_order() {
    let shellcheck = tool("shellcheck");
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.values() {
            let path = bootstrap_path(environment);
            let script = artifact(&artifacts, &path);
            let file = tempfile::NamedTempFile::new().expect("temp file");
            std::fs::write(file.path(), script).expect("write the script");
            assert_success(
                &run(tool_command(&shellcheck).arg(file.path())),
                &format!("shellcheck {path}"),
            );
            assert!(script.starts_with("#!/usr/bin/env bash\n"), "{path}");
            assert!(script.contains("\nset -euo pipefail\n"), "{path}");
            // Each add-on once, in the model's order, at its version, with its values.
            let installs: Vec<&str> = script
                .lines()
                .filter(|line| line.starts_with("helm upgrade --install "))
                .collect();
            let expected: Vec<String> = environment
                .cluster_addons
                .iter()
                .map(|(addon, version)| {
                    format!(
                        "helm upgrade --install {} {}/{} --version {version} \\",
                        addon.release(),
                        addon.repository().name,
                        addon.chart()
                    )
                })
                .collect();
            assert_eq!(installs, expected, "{path}");
            for (addon, _) in &environment.cluster_addons {
                for needle in [
                    format!("-n {} --create-namespace", addon.namespace()),
                    format!("-f \"$here/{}-values.yaml\"", addon.release()),
                    format!(
                        "helm repo add {} {}",
                        addon.repository().name,
                        addon.repository().url
                    ),
                ] {
                    assert!(script.contains(&needle), "{path}: no `{needle}`");
                }
            }
            // Then the store the releases read, and their namespace, labelled for readiness gates.
            let store = script
                .find("kubectl apply -f \"$here/../external-secrets/cluster-secret-store.yaml\"")
                .unwrap_or_else(|| panic!("{path} applies the ClusterSecretStore"));
            let label = script
                .find(&format!(
                    "kubectl label namespace {} elbv2.k8s.aws/pod-readiness-gate-inject=enabled",
                    environment.namespace
                ))
                .unwrap_or_else(|| panic!("{path} labels the namespace"));
            let last_install = script.rfind("helm upgrade --install").expect("installs");
            assert!(last_install < store && store < label, "{path}: order");
        }
    }
}
