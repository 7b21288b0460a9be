//! The harness of the stack's plan tests: a copy of the environment root planned by real
//! Terraform for every environment of every example spec, once for all the tests.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{
    assert_success, example_specs, render_spec, run, tool, tool_command, workspace,
};
use generator::Model;
use generator::model::Environment;
use generator::render::Artifact;
use generator::render::helm_values::HelmValues;

/// One environment of one example spec, planned.
pub(crate) struct Planned {
    /// `<spec file stem>/<environment>`, for messages.
    pub(crate) label: String,
    pub(crate) model: Model,
    pub(crate) environment: String,
    /// The environment's Helm values, one per service.
    pub(crate) releases: Vec<HelmValues>,
    /// The environment's cluster add-ons (`generated/<env>/addons/`): values and bootstrap.sh.
    pub(crate) addons: Vec<Artifact>,
    pub(crate) plan: Plan,
}

impl Planned {
    pub(crate) fn environment(&self) -> &Environment {
        &self.model.environments[&self.environment]
    }
}

/// The resources of a plan, by address, with their planned attributes (`change.after`).
pub(crate) struct Plan {
    resources: Vec<(String, String, Value)>,
}

impl Plan {
    fn from_test_output(stdout: &str, label: &str) -> Plan {
        // The plan of plan.tftest.hcl's run (the other test files plan the same root too).
        let plan = stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|message| {
                message["type"] == "test_plan"
                    && message["@testfile"] == "tests/plan.tftest.hcl"
                    && message["@testrun"] == "plan"
            })
            .unwrap_or_else(|| {
                panic!("{label}: `terraform test -json -verbose` printed no plan of tests/plan.tftest.hcl")
            });
        let resources = plan["test_plan"]["resource_changes"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: the plan has no resource_changes"))
            .iter()
            .filter(|change| change["mode"] == "managed")
            .map(|change| {
                (
                    change["address"].as_str().unwrap_or_default().to_string(),
                    change["type"].as_str().unwrap_or_default().to_string(),
                    change["change"]["after"].clone(),
                )
            })
            .collect();
        Plan { resources }
    }

    /// The planned attributes of every resource of a type, with their addresses.
    pub(crate) fn of_type<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.resources
            .iter()
            .filter(move |(_, k, _)| k == kind)
            .map(|(address, _, after)| (address.as_str(), after))
    }

    /// The planned attributes of the resource at an address.
    pub(crate) fn at(&self, address: &str) -> &Value {
        self.resources
            .iter()
            .find(|(a, _, _)| a == address)
            .map(|(_, _, after)| after)
            .unwrap_or_else(|| {
                let kind = address.rsplit('.').nth(1).unwrap_or(address);
                let same: Vec<&str> = self
                    .resources
                    .iter()
                    .filter(|(a, _, _)| a.contains(kind))
                    .map(|(a, _, _)| a.as_str())
                    .collect();
                panic!("the plan has no {address}; of its kind it has {same:?}")
            })
    }
}

/// Every environment of every example spec, planned once for all the tests of this module.
pub(crate) fn planned() -> &'static [Planned] {
    static PLANNED: OnceLock<Vec<Planned>> = OnceLock::new();
    PLANNED.get_or_init(plan_every_environment)
}

fn plan_every_environment() -> Vec<Planned> {
    let terraform = tool("terraform-aws");
    let copy = tempfile::tempdir().expect("tempdir");
    let root = copy.path().join("terraform/environments/plan");
    std::fs::create_dir_all(&root).expect("create the root");
    copy_dir(
        &workspace().join("terraform/modules"),
        &copy.path().join("terraform/modules"),
    );
    let password = copy.path().join("terraform/modules/password");
    std::fs::remove_dir_all(&password).expect("remove modules/password from the copy");
    copy_dir(
        &workspace().join("terraform/stack/tests/doubles/password"),
        &password,
    );
    for entry in std::fs::read_dir(workspace().join("terraform/stack")).expect("terraform/stack") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&path, root.join(path.file_name().expect("file name")))
                .expect("copy a stack file");
        }
    }
    // Every test file of the stack: plan.tftest.hcl's plan is the one the tests here read; the
    // others assert on the root's outputs, and a failed assertion fails the run.
    std::fs::create_dir_all(root.join("tests")).expect("tests/");
    for entry in std::fs::read_dir(workspace().join("terraform/stack/tests")).expect("tests/") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().ends_with(".tftest.hcl") {
            std::fs::copy(
                &path,
                root.join("tests").join(path.file_name().expect("name")),
            )
            .expect("copy a stack test");
        }
    }
    let init = run(tool_command(&terraform).current_dir(&root).args([
        "init",
        "-backend=false",
        "-no-color",
    ]));
    assert_success(&init, "terraform init of the stack");

    let mut planned = Vec::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        let stem = spec
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        for environment in model.environments.keys() {
            let label = format!("{stem}/{environment}");
            let tfvars = artifacts
                .iter()
                .find(|a| a.path.ends_with(&format!("{environment}/terraform.tfvars")))
                .unwrap_or_else(|| panic!("{label}: no tfvars rendered"));
            std::fs::write(root.join("terraform.tfvars"), &tfvars.contents).expect("write tfvars");
            let output = run(tool_command(&terraform).current_dir(&root).args([
                "test",
                "-no-color",
                "-json",
                "-verbose",
            ]));
            assert_success(&output, &format!("terraform test of the stack for {label}"));
            let plan = Plan::from_test_output(&String::from_utf8_lossy(&output.stdout), &label);
            let prefix = format!("generated/{environment}/helm-values/");
            let releases = artifacts
                .iter()
                .filter(|a| a.path.starts_with(&prefix))
                .map(|a| serde_norway::from_str(&a.contents).expect("the values parse back"))
                .collect();
            let addons = artifacts
                .iter()
                .filter(|a| {
                    a.path
                        .starts_with(&format!("generated/{environment}/addons/"))
                })
                .cloned()
                .collect();
            planned.push(Planned {
                label,
                addons,
                model: model.clone(),
                environment: environment.clone(),
                releases,
                plan,
            });
        }
    }
    planned
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    assert_success(
        &run(std::process::Command::new("cp").arg("-R").arg(from).arg(to)),
        &format!("copying {}", from.display()),
    );
}

pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
