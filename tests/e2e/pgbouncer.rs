//! PgBouncer of every environment of every example spec that runs one
//! (`generated/<env>/pgbouncer/pgbouncer.yaml`): its manifests pass `kubernetes-validate --strict`
//! against Kubernetes 1.28 and its ExternalSecret the operator's CRD models; and it fits the
//! releases: it reads the database secret Terraform writes, under the keys Terraform writes;
//! each service that reaches the database is one of its database entries, lets it in, and is
//! pointed at its Service (host, port, its own entry) by its values; the runtime's release
//! reaches its pods and not the database's port.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::chart::documents_of;
use crate::support::{assert_success, example_specs, render_spec, run, tool, tool_command};
use generator::model::{POOLER_NAME, POOLER_PORT, Pooler, Secret};
use generator::render::helm_values::{self, HelmValues};
use generator::render::pgbouncer;
use testkit::{Need, Test, test};

pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            every_pgbouncer_passes_the_kubernetes_1_28_schemas_and_the_external_secrets_models,
            Need::Tool("kubernetes-validate"),
            Need::Tool("external-secrets-check")
        ),
        test!(every_service_behind_pgbouncer_is_one_of_its_entries_and_connects_to_its_service),
    ]
}

/// One environment's PgBouncer: a label naming the spec and the environment, the model, the
/// environment's name, and the documents (as written, and parsed).
struct Rendered {
    label: String,
    model: generator::Model,
    environment: String,
    documents: Vec<(String, Value)>,
}

/// The PgBouncer of every environment of every example spec that runs one.
fn rendered() -> Vec<Rendered> {
    let mut all = Vec::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.values() {
            let path = pgbouncer::path(environment);
            let file = artifacts.iter().find(|artifact| artifact.path == path);
            assert_eq!(
                file.is_some(),
                environment.database.pooler.is_some(),
                "{path}: rendered exactly where the environment runs a pooler"
            );
            if let Some(file) = file {
                let label = format!("{}/{}", spec.display(), environment.name);
                all.push(Rendered {
                    label,
                    model: model.clone(),
                    environment: environment.name.clone(),
                    documents: documents_of(&file.contents),
                });
            }
        }
    }
    assert!(
        !all.is_empty(),
        "no example spec runs PgBouncer (money-tracking should)"
    );
    all
}

fn of_kind<'a>(documents: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    documents
        .iter()
        .map(|(_, value)| value)
        .filter(|value| value["kind"] == kind)
        .collect()
}

fn every_pgbouncer_passes_the_kubernetes_1_28_schemas_and_the_external_secrets_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut external_secrets = Vec::new();
    for (
        index,
        Rendered {
            label, documents, ..
        },
    ) in rendered().into_iter().enumerate()
    {
        let kinds: BTreeSet<&str> = documents
            .iter()
            .filter_map(|(_, value)| value["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            BTreeSet::from([
                "ConfigMap",
                "Deployment",
                "ExternalSecret",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Service"
            ]),
            "{label}"
        );
        // kubernetes-validate knows no custom resources (it would only warn): the ExternalSecret
        // goes to the operator's models instead.
        let (custom, core): (Vec<_>, Vec<_>) = documents
            .into_iter()
            .partition(|(_, value)| value["kind"] == "ExternalSecret");
        let manifest = dir.path().join(format!("pgbouncer-{index}.yaml"));
        let texts: Vec<String> = core.into_iter().map(|(text, _)| text).collect();
        std::fs::write(&manifest, texts.join("---\n")).expect("write the manifests");
        let checked = run(tool_command(&tool("kubernetes-validate"))
            .args(["--strict", "--kubernetes-version", "1.28"])
            .arg(&manifest));
        assert_success(&checked, &format!("kubernetes-validate of {label}"));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        assert!(
            !said.contains("Couldn't find schema"),
            "{label}: a kind kubernetes-validate does not know:\n{said}"
        );
        external_secrets.extend(custom.into_iter().map(|(_, value)| value));
    }
    let input = dir.path().join("external-secrets.json");
    std::fs::write(
        &input,
        serde_json::to_string(&external_secrets).expect("JSON"),
    )
    .expect("write");
    let output = run(tool_command(&tool("external-secrets-check")).arg(&input));
    assert_success(
        &output,
        "external-secrets-check of PgBouncer's ExternalSecrets",
    );
}

fn every_service_behind_pgbouncer_is_one_of_its_entries_and_connects_to_its_service() {
    for Rendered {
        label,
        model,
        environment,
        documents,
    } in rendered()
    {
        let environment = model.environment(&environment).expect("environment");
        // The upstream: the database secret Terraform writes, by the keys it writes.
        let [external] = of_kind(&documents, "ExternalSecret")[..] else {
            panic!("{label}: one ExternalSecret");
        };
        let remote = model.secret_name(environment, Secret::Database);
        assert_eq!(
            external["spec"]["dataFrom"],
            serde_json::json!([{ "extract": { "key": remote } }]),
            "{label}"
        );
        let templates = &external["spec"]["target"]["template"]["data"];
        let mut used = BTreeSet::new();
        for file in ["databases.ini", "userlist.txt"] {
            let text = templates[file].as_str().expect("template");
            for reference in text.split("{{ .").skip(1) {
                used.insert(reference.split(' ').next().expect("key").to_string());
            }
        }
        for key in &used {
            assert!(
                Secret::Database.keys().contains(&key.as_str()),
                "{label}: `{key}` is not a key Terraform writes"
            );
        }
        assert_eq!(
            used,
            ["dbname", "host", "password", "port", "username"]
                .map(String::from)
                .into(),
            "{label}"
        );
        let [service] = of_kind(&documents, "Service")[..] else {
            panic!("{label}: one Service");
        };
        assert_eq!(service["metadata"]["name"], POOLER_NAME, "{label}");
        assert_eq!(service["spec"]["ports"][0]["port"], POOLER_PORT, "{label}");
        let host = format!(
            "{}.{}.svc.cluster.local",
            service["metadata"]["name"].as_str().expect("name"),
            service["metadata"]["namespace"]
                .as_str()
                .expect("namespace")
        );
        assert_eq!(host, Pooler::host(&environment.namespace), "{label}");
        let databases = external["spec"]["target"]["template"]["data"]["databases.ini"]
            .as_str()
            .expect("databases.ini");
        let entries: BTreeSet<&str> = databases
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(name, _)| name))
            .collect();
        let [policy] = of_kind(&documents, "NetworkPolicy")[..] else {
            panic!("{label}: one NetworkPolicy");
        };
        let admitted: BTreeSet<&str> =
            policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
                .as_array()
                .expect("values")
                .iter()
                .filter_map(Value::as_str)
                .collect();
        let mut behind = BTreeSet::new();
        for release in &model.services {
            let values: HelmValues = helm_values::values(&model, environment, release);
            let config = &values.config;
            let reaches = environment.settings_of(release).egress.database;
            let pointed = config.get("DB_HOST") == Some(&host);
            if release.api().is_some() {
                // The runtime's release: configured by the platform.
                assert_eq!(pointed, reaches, "{label}/{}: DB_HOST", release.name);
            }
            if !pointed {
                continue;
            }
            behind.insert(release.name.as_str());
            assert!(
                values
                    .network_policy
                    .egress_services
                    .iter()
                    .any(|to| to.name == POOLER_NAME && to.port == POOLER_PORT),
                "{label}/{}: its pods may reach PgBouncer's",
                release.name
            );
            assert!(
                !values
                    .network_policy
                    .egress_ports
                    .contains(&environment.database.engine.port()),
                "{label}/{}: not the database's port",
                release.name
            );
            let port = config.get("DB_PORT").map(String::as_str);
            assert_eq!(port, Some("6432"), "{label}/{}", release.name);
            let database = config
                .get("DB_DATABASE")
                .or_else(|| config.get("DB_NAME"))
                .map(String::as_str);
            assert_eq!(
                database,
                Some(release.name.as_str()),
                "{label}/{}: its own entry",
                release.name
            );
        }
        assert_eq!(
            behind, entries,
            "{label}: every entry is a release's, and back"
        );
        assert_eq!(
            behind, admitted,
            "{label}: PgBouncer lets in its clients only"
        );
    }
}
