//! What a release's values file carries, rendered by Helm from that file alone: the spec the
//! runtime serves (a ConfigMap mounted read-only, `PLATFORM_SPEC`, a checksum that rolls the
//! pods), and for the release that deploys them the environment's rules and dashboards.

use sha2::Digest as _;

use super::{
    CHART, container, dashboard_uids, documents, expense, helm_check, installs, of_kind, one,
};
use crate::support::{assert_success, render_spec, tool, workspace};
use serde_json::{Value, json};

/// helm-check of one service's release in one environment, from its generated values file only.
fn render_release(spec: &str, environment: &str, service: &str) -> Vec<Value> {
    let helm = tool("helm-check");
    let (model, artifacts) = render_spec(&workspace().join(spec));
    let example = super::Example {
        name: "release".to_string(),
        model,
        artifacts,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let install = installs(&example, dir.path())
        .into_iter()
        .find(|i| i.environment == environment && i.service == service)
        .unwrap_or_else(|| panic!("{spec}: no {service} in {environment}"));
    let namespace = &example.model.environments[environment].namespace;
    let output = helm_check(&helm, namespace, service, &[&install.values]);
    assert_success(
        &output,
        &format!("helm-check {CHART} ({spec} {environment} {service})"),
    );
    documents(&output)
        .into_iter()
        .map(|(_, value)| value)
        .collect()
}

pub(super) fn a_money_tracking_runtime_release_mounts_and_serves_its_own_spec() {
    let spec = "specs/money-tracking.toml";
    let text = std::fs::read_to_string(workspace().join(spec)).expect("the spec is readable");
    let manifests = render_release(spec, "dev", "transaction-service");
    // The spec, byte for byte, in a ConfigMap of its own.
    let spec_map = of_kind(&manifests, "ConfigMap")
        .into_iter()
        .find(|m| m["metadata"]["name"] == "transaction-service-spec")
        .expect("the spec's ConfigMap");
    assert_eq!(spec_map["data"], json!({ "spec.toml": text }));
    // Mounted read-only, and the runtime pointed at it; its service and environment as before.
    let deployment = one(&manifests, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = container(deployment);
    let volume = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "spec")
        .expect("the spec volume");
    assert_eq!(
        volume["configMap"],
        json!({ "name": "transaction-service-spec", "items": [{ "key": "spec.toml", "path": "spec.toml" }] })
    );
    let mount = container["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .find(|m| m["name"] == "spec")
        .expect("the spec mount");
    assert_eq!(mount["readOnly"], true);
    let mount_path = mount["mountPath"].as_str().expect("mountPath");
    let platform_spec = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == "PLATFORM_SPEC")
        .expect("PLATFORM_SPEC");
    assert_eq!(platform_spec["value"], format!("{mount_path}/spec.toml"));
    let config = of_kind(&manifests, "ConfigMap")
        .into_iter()
        .find(|m| m["metadata"]["name"] == "transaction-service-config")
        .expect("the config ConfigMap");
    assert_eq!(config["data"]["SERVICE"], "transaction-service");
    assert_eq!(config["data"]["ENVIRONMENT"], "dev");
    // A change of spec rolls the pods.
    let checksum: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["annotations"]["checksum/spec"],
        checksum.as_str()
    );
    // A service on its own image gets none of it.
    let manifests = render_release(spec, "dev", "auth-service");
    let deployment = one(&manifests, "Deployment");
    assert!(
        !serde_json::to_string(&manifests)
            .expect("JSON")
            .contains("spec.toml")
    );
    assert!(
        deployment["spec"]["template"]["metadata"]["annotations"]
            .get("checksum/spec")
            .is_none()
    );
}

pub(super) fn the_values_file_alone_deploys_the_rules_and_dashboards() {
    let expense = expense();
    let model = &expense.model;
    let carrier = &model.observability_service().name;
    let manifests = render_release("specs/expense.toml", "prod", carrier);
    let rule = one(&manifests, "PrometheusRule");
    let generated: Value = serde_norway::from_str(
        &super::artifact(&expense.artifacts, "generated/prod/prometheus-rules.yaml").contents,
    )
    .expect("generated rules");
    assert_eq!(rule["spec"], generated["spec"]);
    let dashboards: Vec<&Value> = of_kind(&manifests, "ConfigMap")
        .into_iter()
        .filter(|m| m["metadata"]["labels"]["grafana_dashboard"] == "1")
        .collect();
    let uids = dashboard_uids(model);
    assert_eq!(dashboards.len(), uids.len());
    for uid in uids {
        let file = format!("{uid}.json");
        let generated = &super::artifact(
            &expense.artifacts,
            &format!("generated/prod/dashboards/{file}"),
        )
        .contents;
        let deployed = dashboards
            .iter()
            .find_map(|m| m["data"][&file].as_str())
            .unwrap_or_else(|| panic!("no ConfigMap holds {file}"));
        assert_eq!(deployed, generated.trim_end());
    }
}
