//! The generated deployment guide (`generated/DEPLOYMENT.md`) of every example spec: each
//! environment's commands pass shellcheck as one session, every Terraform output they read is
//! one the stack declares, the state they initialise is the one `terraform/bootstrap` creates
//! (evaluated from its `.tf` files), every file they name exists, and each release is installed
//! exactly as its generated deploy workflow installs it.

use std::collections::BTreeSet;

use serde_norway::Value;

use crate::support::{
    assert_success, attribute, evaluate, example_specs, render_spec, run, shell_blocks,
    terraform_file, workspace,
};
use generator::Model;
use generator::render::{Artifact, deployment};
use testkit::{Need, Test, test, tool, tool_command};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            every_environments_deployment_commands_pass_shellcheck,
            Need::Tool("shellcheck")
        ),
        test!(the_deployment_guide_reads_only_outputs_the_stack_declares),
        test!(the_deployment_guide_initialises_the_state_the_bootstrap_creates),
        test!(every_file_the_deployment_guide_names_exists),
        test!(the_deployment_guide_installs_each_release_as_its_deploy_workflow_does),
    ]
}

/// Each example spec's model, artifacts and guide.
fn guides() -> Vec<(Model, Vec<Artifact>, String)> {
    example_specs()
        .iter()
        .map(|spec| {
            let (model, artifacts) = render_spec(spec);
            let guide = artifacts
                .iter()
                .find(|artifact| artifact.path == deployment::PATH)
                .unwrap_or_else(|| panic!("{} renders no deployment guide", spec.display()))
                .contents
                .clone();
            (model, artifacts, guide)
        })
        .collect()
}

/// The guide's section of each environment, by name.
fn sections(guide: &str) -> Vec<(&str, &str)> {
    guide
        .split("\n## ")
        .skip(1)
        .map(|section| section.split_once('\n').expect("a section has a body"))
        .collect()
}

fn every_environments_deployment_commands_pass_shellcheck() {
    let shellcheck = tool("shellcheck");
    for (model, _, guide) in guides() {
        let sections = sections(&guide);
        assert_eq!(
            sections.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            model.environments.keys().collect::<Vec<_>>(),
            "one section per environment"
        );
        for (environment, body) in sections {
            let blocks = shell_blocks(body);
            assert!(blocks.len() >= 9, "{environment}: {} blocks", blocks.len());
            // One session, as the guide says to run them: later blocks read earlier variables.
            let script = format!(
                "#!/usr/bin/env bash\nset -euo pipefail\n{}\n",
                blocks.join("\n")
            );
            let dir = tempfile::tempdir().expect("tempdir");
            let file = dir.path().join(format!("{environment}-deployment.sh"));
            std::fs::write(&file, &script).expect("write the script");
            let output = run(tool_command(&shellcheck).arg("--shell=bash").arg(&file));
            assert_success(
                &output,
                &format!("shellcheck of {environment}'s deployment:\n{script}"),
            );
        }
    }
}

/// The outputs a text reads: `terraform ... output -raw|-json <name>`, and bootstrap.sh's
/// `$(output <name>)`.
fn outputs_read(text: &str) -> BTreeSet<String> {
    let name = |rest: &str| -> String {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let terraform = text.split(" output ").skip(1).filter_map(|rest| {
        rest.strip_prefix("-raw ")
            .or_else(|| rest.strip_prefix("-json "))
            .map(name)
    });
    let function = text.split("$(output ").skip(1).map(name);
    terraform
        .chain(function)
        .filter(|name| !name.is_empty())
        .collect()
}

fn the_deployment_guide_reads_only_outputs_the_stack_declares() {
    let outputs = terraform_file("terraform/stack/outputs.tf");
    let declared: BTreeSet<String> = outputs
        .blocks()
        .filter(|block| block.identifier() == "output")
        .filter_map(|block| {
            block
                .labels()
                .first()
                .map(|label| label.as_str().to_string())
        })
        .collect();
    for (model, artifacts, guide) in guides() {
        let mut read = outputs_read(&guide);
        assert!(
            read.contains("ecr_repository_urls"),
            "the guide reads the registry from the outputs: {read:?}"
        );
        // And the bootstrap scripts it runs.
        for artifact in artifacts
            .iter()
            .filter(|a| a.path.ends_with("bootstrap.sh"))
        {
            read.extend(outputs_read(&artifact.contents));
        }
        let missing: Vec<&String> = read.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "{}: outputs read but not declared in terraform/stack/outputs.tf: {missing:?}",
            model.project.name
        );
    }
}

fn the_deployment_guide_initialises_the_state_the_bootstrap_creates() {
    let bootstrap = terraform_file("terraform/bootstrap/main.tf");
    let kms = terraform_file("terraform/modules/kms/main.tf");
    for (model, _, guide) in guides() {
        let project = [("project_name", model.project.name.as_str())];
        // The account is only known at run time: the guide's shell variable stands for it.
        let account = [("account_id", "$account")];
        let bucket = evaluate(
            attribute(&bootstrap, "locals", &[], "state_bucket"),
            &project,
            &account,
        );
        let table = evaluate(
            attribute(&bootstrap, "locals", &[], "lock_table"),
            &project,
            &[],
        );
        let key_name = evaluate(
            attribute(&bootstrap, "module", &["kms"], "name"),
            &project,
            &[],
        );
        let alias = evaluate(
            attribute(&kms, "resource", &["aws_kms_alias", "this"], "name"),
            &[("name", key_name.as_str())],
            &[],
        );
        for (environment, body) in sections(&guide) {
            for expected in [
                format!("-backend-config=\"bucket={bucket}\""),
                format!("-backend-config=dynamodb_table={table} "),
                format!("-backend-config=kms_key_id={alias}\n"),
                format!(
                    "terraform -chdir=terraform/bootstrap apply -var project_name={} -var aws_region={}\n",
                    model.project.name, model.project.aws_region
                ),
            ] {
                assert!(
                    body.contains(&expected),
                    "{environment} of {} does not contain `{expected}`:\n{body}",
                    model.project.name
                );
            }
        }
    }
}

/// The repository paths a command line names: words under a top-level folder of the layout.
fn paths_named(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || "\"'=".contains(c))
        .map(|word| word.trim_start_matches("$PWD/"))
        .filter(|word| {
            ["generated/", "terraform/", "runtime/"]
                .iter()
                .any(|root| word.starts_with(root))
        })
        .map(|word| {
            word.trim_end_matches(['\\', ')', '`', ',', '.', ':'])
                .to_string()
        })
        .collect()
}

fn every_file_the_deployment_guide_names_exists() {
    for (model, artifacts, guide) in guides() {
        let rendered: BTreeSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
        let named = paths_named(&guide);
        assert!(
            named.iter().any(|path| path.starts_with("generated/"))
                && named.iter().any(|path| path.starts_with("terraform/")),
            "{named:?}"
        );
        for path in &named {
            // Generated files are the spec's own; the rest is this repository's layout, which
            // a platform repository copies (terraform/, runtime/chart/).
            let exists = if path.starts_with("generated/") {
                rendered.contains(path.as_str())
            } else {
                workspace().join(path).exists()
            };
            assert!(
                exists,
                "{}'s deployment guide names {path}, which is not there",
                model.project.name
            );
        }
    }
}

/// The `helm upgrade --install` steps of a deploy workflow: each step's script and `env`.
fn helm_upgrades(workflow: &str) -> Vec<(String, Value)> {
    let workflow: Value = serde_norway::from_str(workflow).expect("a workflow is YAML");
    workflow["jobs"]["deploy"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter_map(|step| {
            let run = step["run"].as_str()?;
            run.contains("helm upgrade --install")
                .then(|| (run.to_string(), step["env"].clone()))
        })
        .collect()
}

/// The commands of the guide's releases step of an environment: one `helm upgrade` each.
fn guide_upgrades(section: &str) -> Vec<String> {
    let block = section
        .split("### ")
        .find(|step| step.contains(". Releases\n"))
        .expect("a releases step");
    shell_blocks(block)[0]
        .split("helm upgrade --install ")
        .skip(1)
        .map(|command| format!("helm upgrade --install {command}"))
        .collect()
}

fn the_deployment_guide_installs_each_release_as_its_deploy_workflow_does() {
    const ROLE: &str = "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=";
    let mut blue_green = 0;
    for (model, artifacts, guide) in guides() {
        for (environment, body) in sections(&guide) {
            let upgrades = guide_upgrades(body);
            for service in &model.services {
                let path = format!(
                    ".github/workflows/deploy-{}-{environment}.yml",
                    service.name
                );
                let workflow = artifacts
                    .iter()
                    .find(|artifact| artifact.path == path)
                    .unwrap_or_else(|| panic!("no {path}"));
                let mut releases = BTreeSet::new();
                for (run, env) in helm_upgrades(&workflow.contents) {
                    let field = |name: &str| {
                        env[name]
                            .as_str()
                            .unwrap_or_else(|| panic!("{path}: no {name}"))
                            .to_string()
                    };
                    // A colour's release: the guide's first deploy installs the first colour.
                    let colour = run.contains("--install \"$RELEASE-$COLOUR\"");
                    let release = if colour {
                        blue_green += 1;
                        format!("{}-blue", field("RELEASE"))
                    } else {
                        field("RELEASE")
                    };
                    if !releases.insert(release.clone()) {
                        continue; // the switch upgrades the shared release again
                    }
                    let head = format!(
                        "helm upgrade --install {release} {} -n {} \\\n  -f {} \\\n",
                        field("CHART"),
                        field("NAMESPACE"),
                        field("VALUES_FILE")
                    );
                    let command = upgrades
                        .iter()
                        .find(|command| command.starts_with(&head))
                        .unwrap_or_else(|| {
                            panic!("{environment}: no `{head}` as {path} installs it:\n{body}")
                        });
                    assert_eq!(
                        command.contains(ROLE),
                        run.contains("role-arn=$ROLE_ARN"),
                        "{environment}: {release} annotates its service account with its role \
                         in the guide as in {path}:\n{command}\n{run}"
                    );
                    assert_eq!(
                        command.contains("--set-string colour=blue"),
                        colour,
                        "{environment}: {release}'s colour:\n{command}"
                    );
                }
                assert!(!releases.is_empty(), "{path} installs no release");
            }
        }
    }
    assert!(blue_green > 0, "no example environment deploys blue-green");
}
