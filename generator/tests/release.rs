//! What a release's values file carries besides the model's values, so that the file alone
//! installs it: the spec the runtime serves, and the environment's rules and dashboards.

use std::collections::BTreeMap;

use generator::Model;
use generator::render::{Artifact, Request, helm_values, render_all};
use sha2::Digest as _;

use crate::support::workspace;

/// Every example spec: the seeds', and the guide's platform of five services.
const SPECS: [&str; 3] = [
    "specs/expense.toml",
    "specs/ledger.toml",
    "specs/money-tracking.toml",
];

/// A spec of the repository: its exact text, the model, and everything it renders.
fn rendered(spec: &str) -> (String, Model, Vec<Artifact>) {
    let text = std::fs::read_to_string(workspace().join(spec)).expect("the spec is readable");
    let model = Model::load_str(spec, &text).unwrap_or_else(|error| panic!("{spec}: {error}"));
    let artifacts = render_all(&Request {
        model: &model,
        spec_path: spec,
        spec_text: &text,
        only_environment: None,
    })
    .unwrap_or_else(|error| panic!("{spec} renders: {error}"));
    (text, model, artifacts)
}

fn contents<'a>(artifacts: &'a [Artifact], path: &str) -> &'a str {
    &artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is not rendered"))
        .contents
}

fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn a_runtime_release_carries_the_exact_spec_file_and_its_checksum_and_an_own_image_one_none() {
    let mut runtime_releases = 0;
    let mut own_image_releases = 0;
    for spec in SPECS {
        let (text, model, artifacts) = rendered(spec);
        for environment in model.environments.values() {
            for service in &model.services {
                let path = helm_values::path(environment, service);
                let values: helm_values::HelmValues =
                    serde_norway::from_str(contents(&artifacts, &path))
                        .unwrap_or_else(|error| panic!("{path}: {error}"));
                if service.api().is_some() {
                    let served = values.spec.unwrap_or_else(|| panic!("{path}: no spec"));
                    // Byte for byte: comments, blank lines and the final newline included.
                    assert!(served.file == text, "{path}: the spec differs from {spec}");
                    assert_eq!(served.sha256, sha256_hex(&text), "{path}");
                    runtime_releases += 1;
                } else {
                    assert_eq!(values.spec, None, "{path}: an own-image service");
                    own_image_releases += 1;
                }
            }
        }
    }
    assert!(runtime_releases >= 3 && own_image_releases >= 3);
}

#[test]
fn the_carrier_release_holds_the_environments_rendered_rules_and_dashboards_and_no_other_does() {
    for spec in SPECS {
        let (_, model, artifacts) = rendered(spec);
        let carrier = &model.observability_service().name;
        for environment in model.environments.values() {
            let env = &environment.name;
            for service in &model.services {
                let path = helm_values::path(environment, service);
                let values: helm_values::HelmValues =
                    serde_norway::from_str(contents(&artifacts, &path))
                        .unwrap_or_else(|error| panic!("{path}: {error}"));
                if &service.name != carrier {
                    assert!(!values.prometheus_rule.enabled, "{path}");
                    assert_eq!(values.prometheus_rule.file, "", "{path}");
                    assert!(!values.grafana_dashboards.enabled, "{path}");
                    assert!(values.grafana_dashboards.files.is_empty(), "{path}");
                    continue;
                }
                assert!(values.prometheus_rule.enabled, "{path}");
                assert_eq!(
                    values.prometheus_rule.file,
                    contents(
                        &artifacts,
                        &format!("generated/{env}/prometheus-rules.yaml")
                    ),
                    "{path}"
                );
                // Still the rules once parsed: the chart reads them with fromYaml.
                let rules: serde_json::Value =
                    serde_norway::from_str(&values.prometheus_rule.file).expect("YAML");
                assert_eq!(rules["kind"], "PrometheusRule", "{path}");
                let prefix = format!("generated/{env}/dashboards/");
                let rendered: BTreeMap<String, String> = artifacts
                    .iter()
                    .filter_map(|a| {
                        let uid = a.path.strip_prefix(&prefix)?.strip_suffix(".json")?;
                        Some((uid.to_string(), a.contents.clone()))
                    })
                    .collect();
                // The spec's dashboards and the cost dashboard.
                assert_eq!(rendered.len(), model.dashboards.len() + 1, "{prefix}");
                assert!(values.grafana_dashboards.enabled, "{path}");
                assert_eq!(values.grafana_dashboards.files, rendered, "{path}");
                for (uid, json) in &values.grafana_dashboards.files {
                    let dashboard: serde_json::Value = serde_json::from_str(json).expect("JSON");
                    assert_eq!(dashboard["uid"], uid.as_str(), "{path}");
                }
            }
        }
    }
}

#[test]
fn no_deploy_workflow_passes_a_file_beside_the_values_file() {
    for spec in SPECS {
        let (_, model, artifacts) = rendered(spec);
        let deploys: Vec<&Artifact> = artifacts
            .iter()
            .filter(|a| a.path.starts_with(".github/workflows/deploy-"))
            .collect();
        assert_eq!(
            deploys.len(),
            model.environments.len() * model.services.len(),
            "{spec}"
        );
        for deploy in deploys {
            let (environment, service) = model
                .environments
                .values()
                .flat_map(|e| model.services.iter().map(move |s| (e, s)))
                .find(|(e, s)| {
                    deploy.path == format!(".github/workflows/deploy-{}-{}.yml", s.name, e.name)
                })
                .expect("a deploy of one service to one environment");
            // The values cannot name the role where the spec names no account: the deploy does.
            let role_from_deploy = model.service_role_arn(environment, &service.name).is_none();
            let workflow: serde_json::Value =
                serde_norway::from_str(&deploy.contents).expect("YAML");
            assert!(!deploy.contents.contains("--set-file"), "{}", deploy.path);
            for helm in crate::render_workflows::helm_upgrades(&workflow["jobs"]["deploy"]) {
                let script = helm["run"].as_str().expect("run");
                // One values file, and the image: `--set-string image.registry/tag`; and for a
                // blue-green release its colour, or the colour its Service selects.
                assert_eq!(script.matches(" -f ").count(), 1, "{script}");
                let sets: Vec<&str> = script
                    .split_whitespace()
                    .filter(|word| word.starts_with("--set"))
                    .collect();
                let colour = script.contains(r#"--set-string colour="$COLOUR""#);
                let shared = script.contains(r#"--set-string service.activeColour="$"#);
                // The release that holds the service account: every release but a colour's.
                let role = role_from_deploy && !colour;
                assert_eq!(
                    script.contains(
                        r#"--set-string "serviceAccount.annotations.eks\.amazonaws\.com/role-arn=$ROLE_ARN""#
                    ),
                    role,
                    "{script}"
                );
                assert_eq!(
                    sets,
                    vec!["--set-string"; 2 + usize::from(colour || shared) + usize::from(role)],
                    "{script}"
                );
                assert!(
                    script.contains(r#"--set-string image.registry="$IMAGE_REGISTRY""#)
                        && script.contains(r#"--set-string image.tag="$IMAGE_TAG""#),
                    "{script}"
                );
            }
        }
    }
}

/// Every alert of every environment's rules links to a runbook: the spec's own link, or the
/// section of the environment's OPERATIONS.md that bears its name.
#[test]
fn every_alert_links_to_its_section_of_the_environments_runbook() {
    for spec in SPECS {
        let (_, model, artifacts) = rendered(spec);
        let text = |path: &str| -> &str {
            &artifacts
                .iter()
                .find(|artifact| artifact.path == path)
                .unwrap_or_else(|| panic!("{spec}: no {path}"))
                .contents
        };
        for environment in model.environments.keys() {
            let runbook = text(&format!("generated/{environment}/OPERATIONS.md"));
            let rules: serde_json::Value = serde_norway::from_str(text(&format!(
                "generated/{environment}/prometheus-rules.yaml"
            )))
            .expect("YAML");
            let mut linked = 0;
            for rule in rules["spec"]["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .flat_map(|group| group["rules"].as_array().expect("rules"))
                .filter(|rule| rule["alert"].is_string())
            {
                let name = rule["alert"].as_str().expect("name");
                let url = rule["annotations"]["runbook_url"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{spec} {environment}: {name} has no runbook"));
                let written = model.alerts.iter().find(|alert| alert.name == name);
                if let Some(own) = written.and_then(|alert| alert.runbook_url.as_ref()) {
                    assert_eq!(
                        url, own,
                        "{spec} {environment}: {name} keeps the spec's link"
                    );
                    continue;
                }
                // The deploying branch's copy.
                let branch = &model.deploying_branches()[0];
                let page = format!(
                    "https://github.com/{}/blob/{branch}/generated/{environment}/OPERATIONS.md#",
                    model.project.github_repository
                );
                let anchor = url
                    .strip_prefix(&page)
                    .unwrap_or_else(|| panic!("{spec} {environment}: {name} links to {url}"));
                let heading = runbook
                    .lines()
                    .filter_map(|line| line.strip_prefix("### "))
                    .find(|heading| heading.to_lowercase() == anchor)
                    .unwrap_or_else(|| panic!("{spec} {environment}: no section `{anchor}`"));
                assert_eq!(heading, name);
                linked += 1;
            }
            assert!(linked >= 2, "{spec} {environment}: {linked} alerts");
        }
    }
}
