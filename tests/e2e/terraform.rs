//! The Terraform roots consume exactly what the generator renders: no variable set that is not
//! declared, none required that is not set, and real Terraform accepts every environment's
//! generated tfvars (types and validation blocks), with checkov finding nothing.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{
    assert_success, example_specs, render_spec, run, terraform_modules_copy, tool, tool_command,
    workspace, write_artifacts,
};
use generator::Model;
use generator::render::{Request, render_all, tfvars};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(every_rendered_variable_is_declared_and_every_required_variable_is_rendered),
        test!(each_environment_reads_the_generated_tfvars),
        test!(
            real_terraform_accepts_every_generated_tfvars_and_checkov_finds_nothing,
            Need::Tool("terraform"),
            Need::Tool("checkov")
        ),
        test!(
            real_terraform_rejects_tfvars_that_break_a_validation,
            Need::Tool("terraform")
        ),
        test!(
            every_modules_terraform_tests_pass_against_a_mocked_aws_api,
            Need::Tool("terraform-aws")
        ),
    ]
}

fn example() -> Model {
    Model::load(&workspace().join("specs/expense.toml")).expect("example spec is valid")
}

/// (declared variables, required variables) of a root module's variables.tf.
fn declared_variables(root: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(root.join("variables.tf")).expect("variables.tf");
    let body: hcl::Body = hcl::from_str(&text).expect("variables.tf is HCL");
    let mut declared = BTreeSet::new();
    let mut required = BTreeSet::new();
    for block in body
        .blocks()
        .filter(|block| block.identifier() == "variable")
    {
        let name = block
            .labels()
            .first()
            .map(|label| label.as_str().to_string())
            .expect("variable has a name");
        if !block
            .body()
            .attributes()
            .any(|attribute| attribute.key() == "default")
        {
            required.insert(name.clone());
        }
        declared.insert(name);
    }
    (declared, required)
}

fn every_rendered_variable_is_declared_and_every_required_variable_is_rendered() {
    for spec in example_specs() {
        let (model, _) = render_spec(&spec);
        for environment in model.environments.values() {
            let rendered: BTreeSet<String> = tfvars::variables(&model, environment)
                .into_iter()
                .flat_map(|(_, group)| group)
                .map(|(name, _)| name.to_string())
                .collect();
            let root = workspace()
                .join("terraform/environments")
                .join(&environment.name);
            let (declared, required) = declared_variables(&root);
            let undeclared: Vec<_> = rendered.difference(&declared).collect();
            let unset: Vec<_> = required.difference(&rendered).collect();
            assert!(
                undeclared.is_empty(),
                "{}: the tfvars set undeclared variables {undeclared:?}",
                environment.name
            );
            assert!(
                unset.is_empty(),
                "{}: the root requires variables the tfvars do not set {unset:?}",
                environment.name
            );
        }
    }
}

fn each_environment_reads_the_generated_tfvars() {
    for environment in example().environments.keys() {
        let link = workspace()
            .join("terraform/environments")
            .join(environment)
            .join("terraform.tfvars");
        let target = std::fs::read_link(&link)
            .unwrap_or_else(|e| panic!("{} is a symlink: {e}", link.display()));
        assert_eq!(
            target,
            Path::new("../../../generated")
                .join(environment)
                .join("terraform.tfvars")
        );
    }
}

/// Renders a spec into a temporary directory and runs terraform/check.sh on its tfvars.
fn check_rendered(spec: &Path, extra: &[&str]) -> std::process::Output {
    let terraform = tool("terraform");
    let (model, artifacts) = render_spec(spec);
    let out = tempfile::tempdir().expect("tempdir");
    write_artifacts(out.path(), &artifacts);
    let mut command = tool_command(Path::new("bash"));
    command
        .arg(workspace().join("terraform/check.sh"))
        .args(extra);
    for environment in model.environments.keys() {
        command.arg(format!(
            "{environment}={}",
            out.path()
                .join("generated")
                .join(environment)
                .join("terraform.tfvars")
                .display()
        ));
    }
    command
        .env("TERRAFORM", terraform)
        .env("CHECKOV", tool("checkov"));
    run(&mut command)
}

fn real_terraform_accepts_every_generated_tfvars_and_checkov_finds_nothing() {
    for spec in example_specs() {
        let output = check_rendered(&spec, &["--require-checkov"]);
        assert_success(
            &output,
            &format!("terraform/check.sh for {}", spec.display()),
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let (model, _) = render_spec(&spec);
        for environment in model.environments.keys() {
            assert!(
                stdout.contains(&format!("PASS  {environment}: ")),
                "{stdout}"
            );
        }
    }
}

fn real_terraform_rejects_tfvars_that_break_a_validation() {
    let terraform = tool("terraform");
    let model = example();
    let request = Request {
        model: &model,
        spec_path: "specs/expense.toml",
        spec_text: &std::fs::read_to_string(workspace().join("specs/expense.toml"))
            .expect("the spec is readable"),
        only_environment: Some("dev"),
    };
    let rendered = render_all(&request).expect("renders");
    let tfvars = rendered
        .iter()
        .find(|a| a.path == "generated/dev/terraform.tfvars")
        .expect("dev tfvars");
    // dev's on-demand node group: 1 of 1..1 nodes, made 9.
    let broken = tfvars.contents.replace(
        r#"capacity_type = "ON_DEMAND", desired_size = 1,"#,
        r#"capacity_type = "ON_DEMAND", desired_size = 9,"#,
    );
    assert_ne!(broken, tfvars.contents);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dev.tfvars");
    std::fs::write(&path, broken).expect("write");
    let mut command = tool_command(Path::new("bash"));
    command
        .arg(workspace().join("terraform/check.sh"))
        .arg("--no-checkov")
        .arg(format!("dev={}", path.display()));
    command.env("TERRAFORM", terraform);
    let output = run(&mut command);
    assert!(!output.status.success(), "desired > max must be rejected");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("eks_node_groups"), "{all}");
    assert!(all.contains("desired_size <= max_size"), "{all}");
}

/// The modules that carry `tests/*.tftest.hcl`.
fn modules_with_terraform_tests() -> Vec<String> {
    let modules = workspace().join("terraform/modules");
    let mut names: Vec<String> = std::fs::read_dir(&modules)
        .expect("terraform/modules")
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_dir(entry.path().join("tests")).is_ok_and(|mut files| {
                files.any(|file| {
                    file.is_ok_and(|file| {
                        file.file_name().to_string_lossy().ends_with(".tftest.hcl")
                    })
                })
            })
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `terraform test` of each module that has tests, with the real AWS provider and a mocked API
/// (`mock_provider`), in a copy of `terraform/modules` so nothing is written into the tree.
fn every_modules_terraform_tests_pass_against_a_mocked_aws_api() {
    let terraform = tool("terraform-aws");
    let modules = modules_with_terraform_tests();
    assert!(
        modules.contains(&"rds".to_string()),
        "the rds module's tests were not found: {modules:?}"
    );
    let copy = terraform_modules_copy();
    for module in modules {
        let dir = copy.path().join("modules").join(&module);
        for arguments in [
            &["init", "-backend=false", "-no-color"][..],
            &["test", "-no-color"],
        ] {
            let output = run(tool_command(&terraform).current_dir(&dir).args(arguments));
            assert_success(
                &output,
                &format!("terraform {} in modules/{module}", arguments[0]),
            );
        }
    }
}
