//! The ExternalSecret the chart renders: checked against the `external-secrets.io/v1` CRD's
//! fields and the operator's own models, and writing exactly the Secret the pods read.

use std::collections::BTreeSet;

use super::{
    Example, Rendered, container, environment, one, render_every_environment, runtime_reads,
};
use crate::support::{assert_success, run, tool, tool_command};
use generator::render::secret_store;
use serde_json::{Value, json};

/// Every field path of an `external-secrets.io/v1` ExternalSecret the chart may write (`[]` is
/// any list item), from the operator's CRD. The npm models do not reject unknown keys; this does.
const EXTERNAL_SECRET_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "metadata.name",
    "metadata.namespace",
    "metadata.labels",
    "metadata.labels.*",
    "spec",
    "spec.refreshInterval",
    "spec.secretStoreRef",
    "spec.secretStoreRef.name",
    "spec.secretStoreRef.kind",
    "spec.target",
    "spec.target.name",
    "spec.target.creationPolicy",
    "spec.data",
    "spec.data[]",
    "spec.data[].secretKey",
    "spec.data[].remoteRef",
    "spec.data[].remoteRef.key",
    "spec.data[].remoteRef.property",
];

/// Fields the CRD requires (`spec.data[].secretKey` and `remoteRef.key` in every item).
const EXTERNAL_SECRET_REQUIRED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata.name",
    "spec.secretStoreRef.name",
    "spec.target.name",
    "spec.data[].secretKey",
    "spec.data[].remoteRef",
    "spec.data[].remoteRef.key",
];

/// Every field path in `value`, as `a.b[].c`; map keys under `metadata.labels` become `*`.
fn field_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = if prefix == "metadata.labels" {
                    "*"
                } else {
                    key.as_str()
                };
                let path = if prefix.is_empty() {
                    key.to_string()
                } else {
                    format!("{prefix}.{key}")
                };
                out.push(path.clone());
                field_paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            for item in items {
                out.push(path.clone());
                field_paths(item, &path, out);
            }
        }
        _ => {}
    }
}

/// What is wrong with an ExternalSecret by the field lists above.
fn external_secret_errors(document: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    field_paths(document, "", &mut paths);
    let mut errors: Vec<String> = paths
        .iter()
        .filter(|path| !EXTERNAL_SECRET_FIELDS.contains(&path.as_str()))
        .map(|path| format!("unknown field {path}"))
        .collect();
    let items = document["spec"]["data"].as_array().map_or(0, Vec::len);
    for required in EXTERNAL_SECRET_REQUIRED {
        let expected = if required.contains("[]") { items } else { 1 };
        let found = paths.iter().filter(|path| path == required).count();
        if found < expected || expected == 0 {
            errors.push(format!("missing {required}"));
        }
    }
    errors
}

pub(super) fn the_external_secret_matches_the_external_secrets_v1_crd() {
    let (examples, rendered) = render_every_environment();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = Vec::new();
    let mut stores = Vec::new();
    for Rendered {
        example,
        install,
        manifests,
        ..
    } in rendered
    {
        let Example { model, .. } = &examples[*example];
        let label = &install.label;
        let env = &install.environment;
        let service = model.service(&install.service).expect("service");
        let reads = environment(model, env).secret_variables_of(service);
        if service.api().is_none() && reads.is_empty() {
            // A service on its own image that reads no secret of the spec: no ExternalSecret.
            assert!(
                manifests.iter().all(|m| m["kind"] != "ExternalSecret"),
                "{label}"
            );
            continue;
        }
        let document = one(manifests, "ExternalSecret");
        // It reads the store platformgen renders for its environment, in the project's region.
        let Example { artifacts, .. } = &examples[*example];
        let store_path = secret_store::path(environment(model, env));
        let store: Value = serde_norway::from_str(
            &artifacts
                .iter()
                .find(|a| a.path == store_path)
                .unwrap_or_else(|| panic!("{label}: {store_path} is rendered"))
                .contents,
        )
        .expect("the store is YAML");
        assert_eq!(store["kind"], "ClusterSecretStore", "{label}");
        assert_eq!(
            document["spec"]["secretStoreRef"],
            json!({ "name": store["metadata"]["name"], "kind": "ClusterSecretStore" }),
            "{label}: the ExternalSecret names the rendered store"
        );
        assert_eq!(
            store["spec"]["provider"]["aws"],
            json!({ "service": "SecretsManager", "region": model.project.aws_region }),
            "{label}"
        );
        stores.push(store);
        assert_eq!(
            external_secret_errors(document),
            Vec::<String>::new(),
            "{label}"
        );
        let spec = &document["spec"];
        assert_eq!(document["apiVersion"], "external-secrets.io/v1");
        assert!(
            ["SecretStore", "ClusterSecretStore"]
                .contains(&spec["secretStoreRef"]["kind"].as_str().unwrap_or_default())
        );
        assert!(
            spec["refreshInterval"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        assert_eq!(spec["target"]["creationPolicy"], "Owner");
        // The Secret it creates is the one the Deployment reads, one key per variable.
        let deployment = one(manifests, "Deployment");
        let mut read = BTreeSet::new();
        // Every variable read from a Secret (PLATFORM_SPEC is a plain value).
        for variable in container(deployment)["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|variable| variable.get("valueFrom").is_some())
        {
            let reference = &variable["valueFrom"]["secretKeyRef"];
            assert_eq!(reference["name"], spec["target"]["name"], "{label}");
            read.insert(reference["key"].as_str().expect("key"));
        }
        let prefix = model.platform_secret_name(environment(model, env), "");
        let mut written = BTreeSet::new();
        for item in spec["data"].as_array().expect("data") {
            let key = item["secretKey"].as_str().expect("secretKey");
            // A variable the runtime reads, or one the spec gives the service.
            assert!(
                runtime_reads(key) || reads.iter().any(|s| s.variable == key),
                "{label}: {key}"
            );
            written.insert(key);
            let remote = item["remoteRef"]["key"].as_str().expect("remoteRef.key");
            assert!(remote.starts_with(&prefix), "{label}: {remote}");
        }
        assert_eq!(
            read, written,
            "{label}: the pods read exactly the keys the ExternalSecret writes"
        );
        all.push(document);
    }
    // The operator's own CRD models (ajv validators compiled from the v1 CRDs) check it too.
    let input = dir.path().join("external-secrets.json");
    all.extend(&stores);
    std::fs::write(&input, serde_json::to_string(&all).expect("JSON")).expect("write");
    let output = run(tool_command(&tool("external-secrets-check")).arg(&input));
    assert_success(
        &output,
        "external-secrets-check (the operator's CRD models)",
    );
}

pub(super) fn the_external_secret_field_check_rejects_unknown_and_missing_fields() {
    let good = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": { "name": "s", "labels": { "a": "b" } },
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": { "name": "store", "kind": "ClusterSecretStore" },
            "target": { "name": "s", "creationPolicy": "Owner" },
            "data": [{ "secretKey": "DB_PWD", "remoteRef": { "key": "k", "property": "p" } }],
        },
    });
    assert_eq!(external_secret_errors(&good), Vec::<String>::new());
    let mut bad = good.clone();
    bad["spec"]["data"][0]["remoteRef"] = json!({ "kye": "k" });
    bad["spec"]["target"] = json!({ "creationPolicy": "Owner" });
    assert_eq!(
        external_secret_errors(&bad),
        vec![
            "unknown field spec.data[].remoteRef.kye".to_string(),
            "missing spec.target.name".to_string(),
            "missing spec.data[].remoteRef.key".to_string(),
        ]
    );
}
