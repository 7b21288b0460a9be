//! The runtime's Helm chart (`runtime/chart`), rendered for every environment the way the deploy
//! installs it: each environment's freshly generated values file and nothing else (it carries the
//! spec the runtime serves, and the environment's rules and dashboards for the release that
//! deploys them). Real Helm (helm-check) lints and renders it
//! once for all the chart's tests (the helpers they share are here); the Kubernetes 1.28 schemas,
//! the prometheus-operator models and checkov check what it renders, and snapshots show it. The
//! other checks have a module each: the rendered manifests agreeing with the spec and the runtime
//! (`agreement`), the releases of a blue-green deploy (`colours`), the ExternalSecret
//! (`external_secret`), the installs a deploy can get wrong (`deploy`), what a release's values
//! file carries (`release`) and the image the chart runs (`image`). Every test is registered
//! here, so each is
//! still named `chart::<test>`.

mod agreement;
mod colours;
mod deploy;
mod external_secret;
mod image;
mod release;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use crate::support::{
    assert_success, example_specs, render_spec, run, tool, tool_command, workspace,
};
use agreement::the_rendered_manifests_agree_with_the_spec_and_the_runtime;
use colours::{
    a_colour_release_misnamed_or_also_switching_the_service_is_refused,
    both_colours_and_what_they_share_pass_the_kubernetes_1_28_schemas,
    the_colours_and_what_they_share_fit_together_as_a_rolling_release_does,
};
use deploy::{
    a_bad_values_file_is_rejected_naming_the_field,
    a_values_file_without_the_rules_or_a_dashboard_fails_saying_what_to_do,
    rules_generated_for_another_namespace_are_refused,
    the_charts_own_defaults_render_a_standalone_install,
    without_the_external_secret_the_chart_needs_a_confirmed_existing_secret,
};
use external_secret::{
    the_external_secret_field_check_rejects_unknown_and_missing_fields,
    the_external_secret_matches_the_external_secrets_v1_crd,
};
use generator::model::{Environment, Model};
use generator::render::Artifact;
use image::the_runtime_image_matches_what_the_chart_expects_of_it;
use release::{
    a_money_tracking_runtime_release_mounts_and_serves_its_own_spec,
    the_values_file_alone_deploys_the_rules_and_dashboards,
};
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
            a_values_file_without_the_rules_or_a_dashboard_fails_saying_what_to_do,
            Need::Tool("helm-check")
        ),
        test!(
            the_values_file_alone_deploys_the_rules_and_dashboards,
            Need::Tool("helm-check")
        ),
        test!(
            a_money_tracking_runtime_release_mounts_and_serves_its_own_spec,
            Need::Tool("helm-check")
        ),
        test!(
            rules_generated_for_another_namespace_are_refused,
            Need::Tool("helm-check")
        ),
        test!(the_external_secret_field_check_rejects_unknown_and_missing_fields),
        test!(the_runtime_image_matches_what_the_chart_expects_of_it),
        test!(
            both_colours_and_what_they_share_pass_the_kubernetes_1_28_schemas,
            Need::Tool("helm-check"),
            Need::Tool("kubernetes-validate")
        ),
        test!(
            the_colours_and_what_they_share_fit_together_as_a_rolling_release_does,
            Need::Tool("helm-check")
        ),
        test!(
            a_colour_release_misnamed_or_also_switching_the_service_is_refused,
            Need::Tool("helm-check")
        ),
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
/// `runtime/src/config/` (`vars.get` / `vars.flag`), plus `RUST_LOG` (`runtime/src/telemetry.rs`).
const RUNTIME_VARIABLES: &[&str] = &[
    "PLATFORM_SPEC",
    "SERVICE",
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

/// Whether the runtime reads the variable `name`: one of its own, or the OpenTelemetry SDK's
/// tracing variables the platform sets (runtime/src/config/vars.rs reads each).
fn runtime_reads(name: &str) -> bool {
    RUNTIME_VARIABLES.contains(&name) || generator::model::TRACING_VARIABLES.contains(&name)
}

/// API groups whose kinds are CRDs, checked by their own validators, not kubernetes-validate.
const CRD_GROUPS: &[&str] = &["monitoring.coreos.com/", "external-secrets.io/"];

/// The seeds' platform, which the deploy-time checks (`deploy`) and the image check use.
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

/// One service in one environment, as the deploy installs it.
struct Install {
    /// `<spec>/<environment>/<service>`, for messages.
    label: String,
    environment: String,
    service: String,
    /// `generated/<env>/helm-values/<service>.yaml`, freshly rendered, written to a temp dir.
    values: PathBuf,
}

impl Install {
    /// `<spec>-<environment>-<service>`: a file name of this install's own.
    fn key(&self) -> String {
        self.label.replace('/', "-")
    }
}

/// Writes each service's fresh values in each environment into `dir`.
fn installs(example: &Example, dir: &Path) -> Vec<Install> {
    let artifacts = &example.artifacts;
    let model = &example.model;
    let mut installs = Vec::new();
    for environment in model.environments.keys() {
        for service in &model.services {
            let label = format!("{}/{environment}/{}", example.name, service.name);
            let key = label.replace('/', "-");
            let values = dir.join(format!("{key}-values.yaml"));
            let path = format!("generated/{environment}/helm-values/{}.yaml", service.name);
            std::fs::write(&values, &artifact(artifacts, &path).contents).expect("write values");
            installs.push(Install {
                label,
                environment: environment.clone(),
                service: service.name.clone(),
                values,
            });
        }
    }
    installs
}

/// helm-check of the release `release` (a service's name, as the deploy names it) into
/// `namespace`.
fn helm_check(helm: &Path, namespace: &str, release: &str, values: &[&Path]) -> Output {
    let mut command = tool_command(helm);
    command
        .current_dir(workspace())
        .arg("--name")
        .arg(release)
        .arg("--namespace")
        .arg(namespace)
        .arg(CHART)
        .args(values);
    run(&mut command)
}

/// The manifests helm-check rendered, as printed and parsed into data (empty documents left
/// out). helm-check separates documents with `---` lines; inside a document such a line could
/// only appear indented (in a block scalar), so splitting on it is exact.
pub(crate) fn documents(output: &Output) -> Vec<(String, Value)> {
    documents_of(&String::from_utf8_lossy(&output.stdout))
}

/// The documents of a multi-document YAML text, each as written and parsed (empty ones left out).
pub(crate) fn documents_of(text: &str) -> Vec<(String, Value)> {
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
            let namespace = &example.model.environments[&install.environment].namespace;
            let output = helm_check(&helm, namespace, &install.service, &[&install.values]);
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

/// The uids of the dashboards the carrier release deploys: the spec's and the cost dashboard.
fn dashboard_uids(model: &Model) -> Vec<&str> {
    model
        .dashboards
        .iter()
        .map(|dashboard| dashboard.uid.as_str())
        .chain([generator::model::COST_DASHBOARD_UID])
        .collect()
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

fn container(deployment: &Value) -> &Value {
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

fn the_chart_lints_and_renders_every_environments_generated_values() {
    let (examples, rendered) = render_every_environment();
    let releases: usize = examples
        .iter()
        .map(|e| e.model.environments.len() * e.model.services.len())
        .sum();
    assert_eq!(
        rendered.len(),
        releases,
        "every service in every environment of every example spec"
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
        let service = model.service(&install.service).expect("service");
        let kinds: BTreeSet<&str> = manifests
            .iter()
            .filter_map(|m| m["kind"].as_str())
            .collect();
        let mut expected = BTreeSet::from([
            "ConfigMap",
            "Deployment",
            "NetworkPolicy",
            "Service",
            "ServiceAccount",
            "ServiceMonitor",
        ]);
        // The runtime reads the database's and Redis' secrets; any service, the spec's it names.
        let reads = environment(model, &install.environment).secret_variables_of(service);
        if service.api().is_some() || !reads.is_empty() {
            expected.insert("ExternalSecret");
        }
        let settings = environment(model, &install.environment).settings_of(service);
        if !settings.ingress_paths.is_empty() {
            expected.insert("Ingress");
        }
        if model.observability_service().name == service.name {
            expected.insert("PrometheusRule");
        }
        let autoscaling = &settings.autoscaling;
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
        let path = dir.path().join(format!("{}-core.yaml", install.key()));
        let core = environment.write(&path, |m| !is_crd(m));
        let output = run(tool_command(&validate)
            .args(["-k", "1.28.0", "--strict"])
            .arg(&path));
        let what = format!("kubernetes-validate ({})", install.label);
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
    let (examples, rendered) = render_every_environment();
    let checker = tool("promop-check");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for environment in rendered {
        let name = environment.install.key();
        let path = dir.path().join(format!("{name}-operator.yaml"));
        let written = environment.write(&path, |m| {
            m["kind"] == "ServiceMonitor" || m["kind"] == "PrometheusRule"
        });
        // The release that carries the environment's rules installs the PrometheusRule too.
        let model = &examples[environment.example].model;
        let carrier = model.observability_service().name == environment.install.service;
        assert_eq!(written, 1 + usize::from(carrier), "{name}");
        paths.push(path);
    }
    // One call for all environments: the models take seconds to import.
    let output = run(tool_command(&checker).args(&paths));
    assert_success(&output, "promop-check");
}

/// The rendered manifests with the generated rules and dashboards (snapshotted by the generator's
/// own tests, and compared in `agreement`), and the spec the runtime serves and its checksum
/// (compared in `release`), replaced by where they come from, so the snapshot shows the chart
/// and an edit of the spec does not change it.
fn for_snapshot(spec: &str, environment: &str, manifests: &[Value]) -> String {
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
            if let Some(served) = manifest.pointer_mut("/data/spec.toml") {
                *served = json!(format!("<{spec}>"));
            }
            if let Some(checksum) =
                manifest.pointer_mut("/spec/template/metadata/annotations/checksum~1spec")
            {
                *checksum = json!(format!("<sha256 of {spec}>"));
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
        // The snapshots stay in `tests/e2e/snapshots`, where they were before this module had a
        // directory of its own (insta looks beside the source file).
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!(
                format!(
                    "chart_{}_{}_{}",
                    examples[*example].name, install.environment, install.service
                ),
                for_snapshot(
                    &format!("specs/{}.toml", examples[*example].name),
                    &install.environment,
                    manifests
                )
            );
        });
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
            .join(format!("{}.yaml", environment.install.key()));
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
