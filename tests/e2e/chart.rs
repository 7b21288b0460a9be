//! The runtime's Helm chart (`runtime/chart`), installed the way the deploy installs it: each
//! environment's freshly generated values, plus its generated PrometheusRule and dashboards passed
//! as `--set-file` would pass them. Real Helm (helm-check) lints and renders it; the Kubernetes
//! 1.28 schemas, the prometheus-operator models and the External Secrets model check what it
//! renders; and the rendered manifests, read back as data, agree with the spec and the runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use crate::support::{
    assert_success, example_specs, render_spec, run, tool, tool_command, workspace,
};
use generator::model::{Environment, Model};
use generator::render::Artifact;
use serde_json::{Value, json};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            the_chart_lints_and_renders_every_environments_generated_values,
            Need::Tool("helm-check")
        ),
        test!(
            every_rendered_core_manifest_passes_the_kubernetes_1_28_schemas,
            Need::Tool("helm-check"),
            Need::Tool("kubernetes-validate")
        ),
        test!(
            the_service_monitor_and_prometheus_rule_pass_the_operator_models,
            Need::Tool("helm-check"),
            Need::Tool("promop-check")
        ),
        test!(
            the_external_secret_matches_the_external_secrets_v1_crd,
            Need::Tool("helm-check"),
            Need::Tool("external-secrets-check")
        ),
        test!(
            the_rendered_manifests_agree_with_the_spec_and_the_runtime,
            Need::Tool("helm-check")
        ),
        test!(
            the_rendered_manifests_match_their_snapshots,
            Need::Tool("helm-check")
        ),
        test!(
            the_charts_own_defaults_render_a_standalone_install,
            Need::Tool("helm-check"),
            Need::Tool("kubernetes-validate")
        ),
        test!(
            a_bad_values_file_is_rejected_naming_the_field,
            Need::Tool("helm-check")
        ),
        test!(
            without_the_external_secret_the_chart_needs_a_confirmed_existing_secret,
            Need::Tool("helm-check")
        ),
        test!(
            a_deploy_that_forgets_the_rules_or_a_dashboard_fails_saying_what_to_pass,
            Need::Tool("helm-check")
        ),
        test!(
            rules_generated_for_another_namespace_are_refused,
            Need::Tool("helm-check")
        ),
        test!(the_external_secret_field_check_rejects_unknown_and_missing_fields),
        test!(the_runtime_image_matches_what_the_chart_expects_of_it),
        test!(
            checkov_finds_no_kubernetes_misconfiguration_beyond_the_accepted_ones,
            Need::Tool("helm-check"),
            Need::Tool("checkov")
        ),
    ]
}

const SPEC: &str = "specs/expense.toml";
const CHART: &str = "runtime/chart";

/// Every environment variable the runtime reads: `runtime/src/main.rs` (clap `env = ...`) and
/// `runtime/src/config.rs` (`vars.get` / `vars.flag`), plus `RUST_LOG` (`runtime/src/telemetry.rs`).
const RUNTIME_VARIABLES: &[&str] = &[
    "PLATFORM_SPEC",
    "ENVIRONMENT",
    "LISTEN_ADDR",
    "DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_USER",
    "DB_PWD",
    "DB_DATABASE",
    "DB_CONNECT_ATTEMPTS",
    "SQLITE_PATH",
    "REDIS_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_TLS",
    "REDIS_AUTH_TOKEN",
    "REDIS_CLUSTER",
    "REDIS_KEY_PREFIX",
    "TRUST_X_FORWARDED_FOR",
    "RUST_LOG",
];

/// API groups whose kinds are CRDs, checked by their own validators, not kubernetes-validate.
const CRD_GROUPS: &[&str] = &["monitoring.coreos.com/", "external-secrets.io/"];

/// The seeds' platform, which the deploy-time checks below use.
fn expense() -> Example {
    let (model, artifacts) = render_spec(&workspace().join(SPEC));
    Example {
        name: "expense".to_string(),
        model,
        artifacts,
    }
}

/// An example spec and everything it renders.
struct Example {
    /// The spec's file stem (`expense`, `ledger`).
    name: String,
    model: Model,
    artifacts: Vec<Artifact>,
}

/// Every example spec in `specs/`: the chart is not written for one of them.
fn examples() -> Vec<Example> {
    example_specs()
        .iter()
        .map(|spec| {
            let (model, artifacts) = render_spec(spec);
            let name = spec
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            Example {
                name,
                model,
                artifacts,
            }
        })
        .collect()
}

fn artifact<'a>(artifacts: &'a [Artifact], path: &str) -> &'a Artifact {
    artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is not rendered"))
}

/// One environment as the deploy installs it.
struct Install {
    /// `<spec>/<environment>`, for messages and snapshot names.
    label: String,
    environment: String,
    /// `generated/<env>/helm-values.yaml`, freshly rendered, written to a temp dir.
    values: PathBuf,
    /// What the deploy's `--set-file` options set: the PrometheusRule and every dashboard.
    set_files: PathBuf,
}

/// Writes each environment's fresh values and its `--set-file` equivalent into `dir`.
fn installs(example: &Example, dir: &Path) -> Vec<Install> {
    let artifacts = &example.artifacts;
    let mut installs = Vec::new();
    for environment in example.model.environments.keys() {
        let label = format!("{}/{environment}", example.name);
        let values = dir.join(format!("{}-{environment}-values.yaml", example.name));
        let path = format!("generated/{environment}/helm-values.yaml");
        std::fs::write(&values, &artifact(artifacts, &path).contents).expect("write values");
        let prefix = format!("generated/{environment}/dashboards/");
        let dashboards: BTreeMap<&str, &str> = artifacts
            .iter()
            .filter_map(|a| {
                let uid = a.path.strip_prefix(&prefix)?.strip_suffix(".json")?;
                Some((uid, a.contents.as_str()))
            })
            .collect();
        let rules = &artifact(
            artifacts,
            &format!("generated/{environment}/prometheus-rules.yaml"),
        )
        .contents;
        // `--set-file key=path` sets the key to the file's text: the same as this values file.
        let set_files = json!({
            "prometheusRule": { "file": rules },
            "grafanaDashboards": { "files": dashboards },
        });
        let set_files_path = dir.join(format!("{}-{environment}-set-files.yaml", example.name));
        std::fs::write(
            &set_files_path,
            serde_norway::to_string(&set_files).expect("YAML"),
        )
        .expect("write set-files");
        installs.push(Install {
            label,
            environment: environment.clone(),
            values,
            set_files: set_files_path,
        });
    }
    installs
}

fn helm_check(helm: &Path, model: &Model, values: &[&Path]) -> Output {
    let mut command = tool_command(helm);
    command
        .current_dir(workspace())
        .arg("--name")
        .arg(&model.service.name)
        .arg("--namespace")
        .arg(&model.delivery.namespace)
        .arg(CHART)
        .args(values);
    run(&mut command)
}

/// The manifests helm-check rendered, as printed and parsed into data (empty documents left
/// out). helm-check separates documents with `---` lines; inside a document such a line could
/// only appear indented (in a block scalar), so splitting on it is exact.
fn documents(output: &Output) -> Vec<(String, Value)> {
    let text = String::from_utf8_lossy(&output.stdout);
    let mut documents = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            documents.push(String::new());
        } else if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .into_iter()
        .map(|document| {
            let value = serde_norway::from_str::<Value>(&document).unwrap_or_else(|error| {
                panic!("rendered YAML does not parse: {error}\n{document}")
            });
            (document, value)
        })
        .filter(|(_, value)| !value.is_null())
        .collect()
}

/// One environment rendered by Helm: the documents as printed, and the same parsed.
struct Rendered {
    /// Index into the examples this was rendered from.
    example: usize,
    install: Install,
    texts: Vec<String>,
    manifests: Vec<Value>,
}

impl Rendered {
    /// Writes the documents (as Helm printed them, not re-serialized) that `keep` selects.
    fn write(&self, path: &Path, keep: impl Fn(&Value) -> bool) -> usize {
        let kept: Vec<&str> = self
            .texts
            .iter()
            .zip(&self.manifests)
            .filter(|(_, value)| keep(value))
            .map(|(text, _)| text.as_str())
            .collect();
        std::fs::write(path, kept.join("---\n")).expect("write manifests");
        kept.len()
    }
}

/// Every environment of every example spec rendered with real Helm, once per test run (the
/// tests share it), asserting that lint, the values schema and the render pass.
fn render_every_environment() -> &'static (Vec<Example>, Vec<Rendered>) {
    static RENDERED: OnceLock<(Vec<Example>, Vec<Rendered>)> = OnceLock::new();
    RENDERED.get_or_init(render_with_helm)
}

fn render_with_helm() -> (Vec<Example>, Vec<Rendered>) {
    let helm = tool("helm-check");
    let examples = examples();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rendered = Vec::new();
    for (index, example) in examples.iter().enumerate() {
        for install in installs(example, dir.path()) {
            let output = helm_check(
                &helm,
                &example.model,
                &[&install.values, &install.set_files],
            );
            assert_success(&output, &format!("helm-check {CHART} ({})", install.label));
            let (texts, manifests) = documents(&output).into_iter().unzip();
            rendered.push(Rendered {
                example: index,
                install,
                texts,
                manifests,
            });
        }
    }
    (examples, rendered)
}

fn of_kind<'a>(manifests: &'a [Value], kind: &str) -> Vec<&'a Value> {
    manifests.iter().filter(|m| m["kind"] == kind).collect()
}

fn one<'a>(manifests: &'a [Value], kind: &str) -> &'a Value {
    match of_kind(manifests, kind).as_slice() {
        [manifest] => manifest,
        other => panic!("expected one {kind}, found {}", other.len()),
    }
}

fn is_crd(manifest: &Value) -> bool {
    let api_version = manifest["apiVersion"].as_str().unwrap_or_default();
    CRD_GROUPS
        .iter()
        .any(|group| api_version.starts_with(group))
}

fn environment<'a>(model: &'a Model, name: &str) -> &'a Environment {
    &model.environments[name]
}

fn the_chart_lints_and_renders_every_environments_generated_values() {
    let (examples, rendered) = render_every_environment();
    let environments: usize = examples.iter().map(|e| e.model.environments.len()).sum();
    assert_eq!(
        rendered.len(),
        environments,
        "every environment of every example spec"
    );
    for Rendered {
        example,
        install,
        manifests,
        ..
    } in rendered
    {
        let Example { model, .. } = &examples[*example];
        let label = &install.label;
        let kinds: BTreeSet<&str> = manifests
            .iter()
            .filter_map(|m| m["kind"].as_str())
            .collect();
        let mut expected = BTreeSet::from([
            "ConfigMap",
            "Deployment",
            "ExternalSecret",
            "Ingress",
            "NetworkPolicy",
            "PrometheusRule",
            "Service",
            "ServiceAccount",
            "ServiceMonitor",
        ]);
        let autoscaling = &environment(model, &install.environment).app.autoscaling;
        if autoscaling.max_replicas > autoscaling.min_replicas {
            expected.insert("HorizontalPodAutoscaler");
        }
        if autoscaling.min_replicas > 1 {
            expected.insert("PodDisruptionBudget");
        }
        assert_eq!(kinds, expected, "{label}");
    }
}

fn every_rendered_core_manifest_passes_the_kubernetes_1_28_schemas() {
    let (_, rendered) = render_every_environment();
    let validate = tool("kubernetes-validate");
    let dir = tempfile::tempdir().expect("tempdir");
    for environment in rendered {
        let install = &environment.install;
        let path = dir
            .path()
            .join(format!("{}-core.yaml", install.environment));
        let core = environment.write(&path, |m| !is_crd(m));
        let output = run(tool_command(&validate)
            .args(["-k", "1.28.0", "--strict"])
            .arg(&path));
        let what = format!("kubernetes-validate ({})", install.environment);
        assert_success(&output, &what);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // Unknown kinds only WARN and exit 0: a kind without a schema was not validated at all.
        assert!(
            !printed.contains("Couldn't find schema"),
            "{what}: a non-CRD kind has no 1.28 schema:\n{printed}"
        );
        assert_eq!(
            printed.matches("passed for resource").count(),
            core,
            "{what}: every core manifest is validated:\n{printed}"
        );
    }
}

fn the_service_monitor_and_prometheus_rule_pass_the_operator_models() {
    let (_, rendered) = render_every_environment();
    let checker = tool("promop-check");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for environment in rendered {
        let name = &environment.install.environment;
        let path = dir.path().join(format!("{name}-operator.yaml"));
        let written = environment.write(&path, |m| {
            m["kind"] == "ServiceMonitor" || m["kind"] == "PrometheusRule"
        });
        assert_eq!(written, 2, "{name}");
        paths.push(path);
    }
    // One call for all environments: the models take seconds to import.
    let output = run(tool_command(&checker).args(&paths));
    assert_success(&output, "promop-check");
}

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

fn the_external_secret_matches_the_external_secrets_v1_crd() {
    let (examples, rendered) = render_every_environment();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = Vec::new();
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
        let document = one(manifests, "ExternalSecret");
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
        for variable in container(deployment)["env"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let reference = &variable["valueFrom"]["secretKeyRef"];
            assert_eq!(reference["name"], spec["target"]["name"], "{label}");
            read.insert(reference["key"].as_str().expect("key"));
        }
        let prefix = format!("{}/{env}/", model.project.name);
        let mut written = BTreeSet::new();
        for item in spec["data"].as_array().expect("data") {
            let key = item["secretKey"].as_str().expect("secretKey");
            assert!(RUNTIME_VARIABLES.contains(&key), "{label}: {key}");
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
    std::fs::write(&input, serde_json::to_string(&all).expect("JSON")).expect("write");
    let output = run(tool_command(&tool("external-secrets-check")).arg(&input));
    assert_success(
        &output,
        "external-secrets-check (the operator's CRD models)",
    );
}

fn container(deployment: &Value) -> &Value {
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

fn the_rendered_manifests_agree_with_the_spec_and_the_runtime() {
    let (examples, rendered) = render_every_environment();
    for Rendered {
        example,
        install,
        manifests,
        ..
    } in rendered
    {
        let Example {
            model, artifacts, ..
        } = &examples[*example];
        let label = &install.label;
        let env = &install.environment;
        let service = &model.service;
        let app = &environment(model, env).app;
        let deployment = one(manifests, "Deployment");
        let pod = &deployment["spec"]["template"]["spec"];
        let container = container(deployment);

        // Port and probes: what the runtime listens on and serves.
        assert_eq!(
            container["ports"][0]["containerPort"], service.port,
            "{label}"
        );
        assert_eq!(container["ports"][0]["name"], "http");
        assert_eq!(
            container["livenessProbe"]["httpGet"]["path"],
            service.health_path.as_str()
        );
        assert_eq!(
            container["readinessProbe"]["httpGet"]["path"],
            service.readiness_path.as_str()
        );
        assert_eq!(container["livenessProbe"]["httpGet"]["port"], "http");
        assert_eq!(
            container["startupProbe"]["httpGet"]["path"],
            service.health_path.as_str()
        );
        let svc = one(manifests, "Service");
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], "http");
        assert_eq!(svc["spec"]["ports"][0]["port"], service.port);

        // Every variable the pod gets is one the runtime reads, and they reach it.
        let config_map = manifests
            .iter()
            .find(|m| {
                m["kind"] == "ConfigMap"
                    && m["metadata"]["name"] == format!("{}-config", service.name)
            })
            .expect("the runtime's ConfigMap");
        assert_eq!(
            container["envFrom"],
            json!([{ "configMapRef": { "name": config_map["metadata"]["name"] } }])
        );
        let config = config_map["data"].as_object().expect("ConfigMap data");
        let secret_env: Vec<&str> = container["env"]
            .as_array()
            .expect("env")
            .iter()
            .map(|v| v["name"].as_str().expect("name"))
            .collect();
        for name in config
            .keys()
            .map(String::as_str)
            .chain(secret_env.iter().copied())
        {
            assert!(
                RUNTIME_VARIABLES.contains(&name),
                "{label}: the Deployment sets {name}, which the runtime does not read"
            );
        }
        assert_eq!(config["ENVIRONMENT"], env.as_str());
        assert_eq!(config["LISTEN_ADDR"], format!("0.0.0.0:{}", service.port));
        for needed in ["DB_HOST", "DB_USER", "DB_PWD", "REDIS_HOST"] {
            assert!(
                secret_env.contains(&needed),
                "{label}: {needed} reaches the pod"
            );
        }

        // Sizing: the spec's figures.
        let resources = &container["resources"];
        assert_eq!(
            resources["requests"]["cpu"],
            app.resources.cpu_request.as_str()
        );
        assert_eq!(
            resources["requests"]["memory"],
            app.resources.memory_request.as_str()
        );
        assert_eq!(resources["limits"]["cpu"], app.resources.cpu_limit.as_str());
        assert_eq!(
            resources["limits"]["memory"],
            app.resources.memory_limit.as_str()
        );
        let hpa = one(manifests, "HorizontalPodAutoscaler");
        assert_eq!(
            hpa["spec"]["minReplicas"], app.autoscaling.min_replicas,
            "{label}"
        );
        assert_eq!(
            hpa["spec"]["maxReplicas"], app.autoscaling.max_replicas,
            "{label}"
        );
        assert_eq!(
            hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            app.autoscaling.cpu_target_percent
        );
        assert_eq!(
            hpa["spec"]["scaleTargetRef"]["name"],
            deployment["metadata"]["name"]
        );
        // With the HPA on, the Deployment leaves replicas to it (an upgrade would reset them).
        assert!(deployment["spec"].get("replicas").is_none(), "{label}");
        let pdbs = of_kind(manifests, "PodDisruptionBudget");
        assert_eq!(
            pdbs.len(),
            usize::from(app.autoscaling.min_replicas > 1),
            "{label}"
        );
        for pdb in pdbs {
            assert!(
                pdb["spec"]["minAvailable"].as_u64()
                    < Some(u64::from(app.autoscaling.min_replicas))
            );
        }

        // Rollout and hardening.
        let strategy = &deployment["spec"]["strategy"]["rollingUpdate"];
        assert_eq!(
            (
                strategy["maxSurge"].clone(),
                strategy["maxUnavailable"].clone()
            ),
            (json!(1), json!(0))
        );
        assert!(
            pod["terminationGracePeriodSeconds"].as_u64()
                > Some(u64::from(service.shutdown_grace_seconds))
        );
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let hardening = &container["securityContext"];
        assert_eq!(hardening["readOnlyRootFilesystem"], true);
        assert_eq!(hardening["allowPrivilegeEscalation"], false);
        assert_eq!(hardening["capabilities"]["drop"], json!(["ALL"]));
        assert_eq!(
            container["volumeMounts"],
            json!([{ "name": "tmp", "mountPath": "/tmp" }])
        );
        assert!(pod["volumes"][0]["emptyDir"].is_object());
        let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
        assert!(
            annotations["checksum/config"]
                .as_str()
                .is_some_and(|s| s.len() == 64)
        );
        assert_eq!(annotations["prometheus.io/port"], service.port.to_string());
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        assert_eq!(
            pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
                [0]["podAffinityTerm"],
            json!({ "topologyKey": "kubernetes.io/hostname", "labelSelector": { "matchLabels": selector } })
        );
        assert_eq!(
            pod["topologySpreadConstraints"][0]["topologyKey"],
            "topology.kubernetes.io/zone"
        );
        assert_eq!(
            pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"],
            *selector
        );

        // Ingress: the environment's host and the seed's ALB annotations, to the Service.
        let ingress = one(manifests, "Ingress");
        let settings = environment(model, env);
        assert_eq!(ingress["spec"]["ingressClassName"], "alb");
        assert_eq!(
            ingress["spec"]["rules"][0]["host"],
            settings.ingress.host.as_str()
        );
        let ingress_annotations = &ingress["metadata"]["annotations"];
        assert_eq!(
            ingress_annotations["alb.ingress.kubernetes.io/certificate-arn"],
            settings.ingress.certificate_arn.as_str()
        );
        assert_eq!(
            ingress_annotations["alb.ingress.kubernetes.io/healthcheck-path"],
            service.readiness_path.as_str()
        );
        assert_eq!(
            ingress_annotations["alb.ingress.kubernetes.io/target-type"],
            "ip"
        );
        let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
        assert_eq!(backend["name"], svc["metadata"]["name"]);

        // Monitoring: Prometheus scrapes the runtime's metrics as job="<service name>", the job
        // the generated rules and dashboards select; the rules and dashboards arrive unchanged.
        let monitor = one(manifests, "ServiceMonitor");
        assert_eq!(monitor["spec"]["endpoints"][0]["port"], "http");
        assert_eq!(
            monitor["spec"]["endpoints"][0]["path"],
            service.metrics_path.as_str()
        );
        assert_eq!(
            monitor["spec"]["selector"]["matchLabels"],
            svc["spec"]["selector"]
        );
        let job_label = monitor["spec"]["jobLabel"].as_str().expect("jobLabel");
        assert_eq!(svc["metadata"]["labels"][job_label], service.name.as_str());
        assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
        let rule = one(manifests, "PrometheusRule");
        let generated: Value = serde_norway::from_str(
            &artifact(artifacts, &format!("generated/{env}/prometheus-rules.yaml")).contents,
        )
        .expect("generated rules");
        assert_eq!(
            rule["spec"], generated["spec"],
            "{label}: the chart deploys the generated rules"
        );
        assert_eq!(rule["metadata"]["labels"]["release"], "prometheus");
        let rules_text = serde_json::to_string(&rule["spec"]).expect("JSON");
        assert!(rules_text.contains(&format!("job=\\\"{}\\\"", service.name)));
        let dashboards: Vec<&Value> = of_kind(manifests, "ConfigMap")
            .into_iter()
            .filter(|m| m["metadata"]["labels"]["grafana_dashboard"] == "1")
            .collect();
        assert_eq!(dashboards.len(), model.dashboards.len(), "{label}");
        for dashboard in &model.dashboards {
            let file = format!("{}.json", dashboard.uid);
            let generated =
                &artifact(artifacts, &format!("generated/{env}/dashboards/{file}")).contents;
            let deployed = dashboards
                .iter()
                .find_map(|m| m["data"][&file].as_str())
                .unwrap_or_else(|| panic!("{label}: no ConfigMap holds {file}"));
            assert_eq!(
                deployed,
                generated.trim_end(),
                "{label}: {file} arrives unchanged"
            );
        }
    }
}

/// The rendered manifests with the generated rules and dashboards (snapshotted by the generator's
/// own tests, and compared above) replaced by where they come from, so the snapshot shows the chart.
fn for_snapshot(environment: &str, manifests: &[Value]) -> String {
    let documents: Vec<String> = manifests
        .iter()
        .cloned()
        .map(|mut manifest| {
            if manifest["kind"] == "PrometheusRule" {
                manifest["spec"] = json!(format!(
                    "<spec of generated/{environment}/prometheus-rules.yaml>"
                ));
            }
            let is_dashboard = manifest["kind"] == "ConfigMap"
                && manifest["metadata"]["labels"]["grafana_dashboard"] == "1";
            // `manifest["data"]` on a `&mut Value` would insert a null: look it up immutably first.
            if is_dashboard
                && let Some(data) = manifest.get_mut("data").and_then(Value::as_object_mut)
            {
                for (file, text) in data.iter_mut() {
                    *text = json!(format!("<generated/{environment}/dashboards/{file}>"));
                }
            }
            serde_norway::to_string(&manifest).expect("YAML")
        })
        .collect();
    documents.join("---\n")
}

fn the_rendered_manifests_match_their_snapshots() {
    let (examples, rendered) = render_every_environment();
    for Rendered {
        example,
        install,
        manifests,
        ..
    } in rendered
    {
        insta::assert_snapshot!(
            format!("chart_{}_{}", examples[*example].name, install.environment),
            for_snapshot(&install.environment, manifests)
        );
    }
}

fn the_charts_own_defaults_render_a_standalone_install() {
    let helm = tool("helm-check");
    let expense = expense();
    let model = &expense.model;
    let output = helm_check(&helm, model, &[]);
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
fn render_prod_with(
    helm: &Path,
    example: &Example,
    overrides: &str,
    with_set_files: bool,
) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let installs = installs(example, dir.path());
    let prod = installs
        .iter()
        .find(|i| i.environment == "prod")
        .expect("prod");
    let overrides_path = dir.path().join("overrides.yaml");
    std::fs::write(&overrides_path, overrides).expect("write");
    let mut files: Vec<&Path> = vec![&prod.values];
    if with_set_files {
        files.push(&prod.set_files);
    }
    files.push(&overrides_path);
    let output = helm_check(helm, &example.model, &files);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

fn a_bad_values_file_is_rejected_naming_the_field() {
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
    ];
    for (overrides, message) in cases {
        let (succeeded, printed) = render_prod_with(&helm, &expense, overrides, true);
        assert!(!succeeded, "accepted:\n{overrides}");
        assert!(
            printed.contains(message),
            "{overrides}: expected `{message}` in:\n{printed}"
        );
    }
}

fn without_the_external_secret_the_chart_needs_a_confirmed_existing_secret() {
    let helm = tool("helm-check");
    let expense = expense();
    let off = "secrets:\n  externalSecret:\n    enabled: false\n";
    let (succeeded, printed) = render_prod_with(&helm, &expense, off, true);
    assert!(!succeeded, "rendered without any Secret:\n{printed}");
    assert!(
        printed.contains("the ExternalSecret is disabled")
            && printed.contains("expense-backend-secrets")
            && printed.contains("secrets.existing=true"),
        "{printed}"
    );
    let existing = format!("{off}  existing: true\n");
    let (succeeded, printed) = render_prod_with(&helm, &expense, &existing, true);
    assert!(succeeded, "{printed}");
    assert!(!printed.contains("kind: ExternalSecret"));
    assert!(printed.contains("secretKeyRef"));
}

fn a_deploy_that_forgets_the_rules_or_a_dashboard_fails_saying_what_to_pass() {
    let helm = tool("helm-check");
    let expense = expense();
    let model = &expense.model;
    let (succeeded, printed) = render_prod_with(&helm, &expense, "{}\n", false);
    assert!(!succeeded);
    assert!(
        printed.contains("--set-file prometheusRule.file=generated/<env>/prometheus-rules.yaml"),
        "{printed}"
    );
    let no_rules = "prometheusRule:\n  enabled: false\n";
    let (succeeded, printed) = render_prod_with(&helm, &expense, no_rules, false);
    assert!(!succeeded);
    let uid = &model.dashboards[0].uid;
    assert!(
        printed.contains(&format!("--set-file grafanaDashboards.files.{uid}=")),
        "{printed}"
    );
    let (succeeded, printed) = render_prod_with(
        &helm,
        &expense,
        "prometheusRule:\n  file: \"kind: ConfigMap\"\n",
        true,
    );
    assert!(!succeeded);
    assert!(printed.contains("not the PrometheusRule"), "{printed}");
}

fn rules_generated_for_another_namespace_are_refused() {
    let helm = tool("helm-check");
    let expense = expense();
    let model = &expense.model;
    let dir = tempfile::tempdir().expect("tempdir");
    let installs = installs(&expense, dir.path());
    let prod = installs
        .iter()
        .find(|i| i.environment == "prod")
        .expect("prod");
    let mut command = tool_command(&helm);
    command
        .current_dir(workspace())
        .arg("--name")
        .arg(&model.service.name)
        .args(["--namespace", "elsewhere", CHART])
        .arg(&prod.values)
        .arg(&prod.set_files);
    let output = run(&mut command);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("generated for namespace"), "{stderr}");
}

fn the_external_secret_field_check_rejects_unknown_and_missing_fields() {
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

/// The image the chart runs: built from the repository root in stages, as the numeric user the
/// chart's securityContext names, exposing the spec's port, with no HEALTHCHECK (the probes are
/// Kubernetes'), and without sending build output or tools to the Docker daemon.
fn the_runtime_image_matches_what_the_chart_expects_of_it() {
    let root = workspace();
    let dockerfile =
        std::fs::read_to_string(root.join("runtime/Dockerfile")).expect("runtime/Dockerfile");
    let instructions: Vec<(String, String)> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (word, rest) = line.split_once(' ')?;
            Some((word.to_ascii_uppercase(), rest.trim().to_string()))
        })
        .collect();
    let all = |word: &str| -> Vec<&str> {
        instructions
            .iter()
            .filter(|(w, _)| w == word)
            .map(|(_, rest)| rest.as_str())
            .collect()
    };
    assert!(all("FROM").len() >= 2, "multi-stage");
    assert!(
        all("HEALTHCHECK").is_empty(),
        "Kubernetes probes check health"
    );
    assert!(dockerfile.contains("cargo build --release --locked -p runtime"));
    assert!(
        dockerfile.contains("cargo chef cook"),
        "a cached dependency layer"
    );

    let values: Value = serde_norway::from_str(
        &std::fs::read_to_string(root.join("generated/prod/helm-values.yaml")).expect("values"),
    )
    .expect("values YAML");
    let runtime_stage = dockerfile.rsplit_once("\nFROM ").expect("a final stage").1;
    let user = runtime_stage
        .lines()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("the final stage sets USER");
    let (uid, gid) = user.trim().split_once(':').expect("USER uid:gid");
    assert_eq!(
        uid,
        values["securityContext"]["runAsUser"].to_string(),
        "USER is the chart's runAsUser"
    );
    assert_eq!(gid, values["securityContext"]["runAsGroup"].to_string());
    assert_ne!(uid, "0");
    let expense = expense();
    let model = &expense.model;
    assert_eq!(all("EXPOSE"), vec![model.service.port.to_string().as_str()]);

    let ignore = std::fs::read_to_string(root.join(".dockerignore")).expect(".dockerignore");
    let ignored: Vec<&str> = ignore.lines().map(str::trim).collect();
    for path in ["target/", ".tools/", ".git/", "fuzz/target/"] {
        assert!(ignored.contains(&path), ".dockerignore leaves out {path}");
    }
}

/// checkov's Kubernetes policies, with three findings accepted on purpose:
/// CKV_K8S_43 (image by digest): the tag is the commit SHA in an ECR repository with immutable
/// tags; CKV_K8S_15 (pull policy Always): so IfNotPresent is exact and spares a registry call;
/// CKV_K8S_35 (secrets as files): the runtime is configured by environment variables only.
fn checkov_finds_no_kubernetes_misconfiguration_beyond_the_accepted_ones() {
    let (_, rendered) = render_every_environment();
    let checkov = tool("checkov");
    // checkov skips hidden directories, and tempdir()'s names start with a dot.
    let dir = tempfile::Builder::new()
        .prefix("chart-checkov-")
        .tempdir()
        .expect("tempdir");
    for environment in rendered {
        let path = dir
            .path()
            .join(format!("{}.yaml", environment.install.environment));
        environment.write(&path, |m| !is_crd(m));
    }
    let output = run(tool_command(&checkov)
        .args([
            "--framework",
            "kubernetes",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .args(["--skip-check", "CKV_K8S_43,CKV_K8S_15,CKV_K8S_35"])
        .arg("-d")
        .arg(dir.path()));
    assert_success(&output, "checkov --framework kubernetes");
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("Failed checks: 0") && !summary.contains("Passed checks: 0,"),
        "checkov checked nothing:\n{summary}"
    );
}
