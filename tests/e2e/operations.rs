//! The generated runbooks (`generated/<env>/OPERATIONS.md`) of every example spec: each shell
//! block passes shellcheck, every resource a command finds by name carries that name in
//! Terraform (evaluated from the `.tf` files, not copied), and the recovery targets are the
//! environment's.

use std::path::Path;

use crate::support::{
    assert_success, attribute, evaluate, example_specs, render_spec, run, shell_blocks,
    terraform_file, workspace,
};
use generator::Model;
use generator::model::Environment;
use generator::render::Artifact;
use testkit::{Need, Test, test, tool, tool_command};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            every_runbooks_shell_blocks_pass_shellcheck,
            Need::Tool("shellcheck")
        ),
        test!(the_runbook_finds_resources_by_the_names_terraform_gives_them),
        test!(the_runbook_states_its_environments_recovery_targets),
    ]
}

/// Each environment of each example spec with its rendered runbook.
fn runbooks() -> Vec<(Model, String, String)> {
    let mut out = Vec::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for name in model.environments.keys() {
            let path = format!("generated/{name}/OPERATIONS.md");
            let runbook = artifacts
                .iter()
                .find(|artifact: &&Artifact| artifact.path == path)
                .unwrap_or_else(|| panic!("{} renders no {path}", spec.display()))
                .contents
                .clone();
            out.push((model.clone(), name.clone(), runbook));
        }
    }
    out
}

fn every_runbooks_shell_blocks_pass_shellcheck() {
    let shellcheck = tool("shellcheck");
    for (_, environment, runbook) in runbooks() {
        let blocks = shell_blocks(&runbook);
        assert!(
            blocks.len() >= 5,
            "{environment}: {} shell blocks",
            blocks.len()
        );
        // One script, as an operator runs them: one shell session, block after block.
        let script = format!(
            "#!/usr/bin/env bash\nset -euo pipefail\n{}\n",
            blocks.join("\n")
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(format!("{environment}-runbook.sh"));
        std::fs::write(&file, &script).expect("write the script");
        let output = run(tool_command(&shellcheck).arg("--shell=bash").arg(&file));
        assert_success(
            &output,
            &format!("shellcheck of {environment}'s runbook:\n{script}"),
        );
    }
}

/// The names Terraform gives this environment's database resources.
struct DatabaseNames {
    instance: String,
    subnet_group: String,
    security_group_prefix: String,
    parameter_group_prefix: String,
}

fn database_names(model: &Model, environment: &Environment) -> DatabaseNames {
    let stack = terraform_file("terraform/stack/main.tf");
    let rds = terraform_file("terraform/modules/rds/main.tf");
    let groups = terraform_file("terraform/modules/security-groups/main.tf");
    let engine = match environment.database.engine {
        generator::model::Engine::Mysql => "mysql",
        generator::model::Engine::Postgres => "postgres",
    };
    let root_vars = [
        ("project_name", model.project.name.as_str()),
        ("environment", environment.name.as_str()),
    ];
    let name = evaluate(attribute(&stack, "locals", &[], "name"), &root_vars, &[]);
    let local = [("name", name.as_str())];
    let identifier = evaluate(
        attribute(&stack, "module", &["rds"], "identifier"),
        &[],
        &local,
    );
    let groups_name = evaluate(
        attribute(&stack, "module", &["security_groups"], "name"),
        &[],
        &local,
    );
    let rds_vars = [("identifier", identifier.as_str()), ("engine", engine)];
    DatabaseNames {
        subnet_group: evaluate(
            attribute(&rds, "resource", &["aws_db_subnet_group", "this"], "name"),
            &rds_vars,
            &[],
        ),
        parameter_group_prefix: evaluate(
            attribute(
                &rds,
                "resource",
                &["aws_db_parameter_group", "this"],
                "name_prefix",
            ),
            &rds_vars,
            &[],
        ),
        security_group_prefix: evaluate(
            attribute(
                &groups,
                "resource",
                &["aws_security_group", "database"],
                "name_prefix",
            ),
            &[("name", groups_name.as_str())],
            &[],
        ),
        instance: identifier,
    }
}

fn the_runbook_finds_resources_by_the_names_terraform_gives_them() {
    let rds = terraform_file("terraform/modules/rds/main.tf");
    attribute(&rds, "resource", &["aws_db_instance", "this"], "identifier");
    for (model, name, runbook) in runbooks() {
        let environment = &model.environments[&name];
        let names = database_names(&model, environment);
        for expected in [
            format!("SOURCE={}\n", names.instance),
            format!("SUBNET_GROUP={}\n", names.subnet_group),
            format!("Name=group-name,Values={}*\"", names.security_group_prefix),
            format!(
                "starts_with(DBParameterGroupName, '{}')",
                names.parameter_group_prefix
            ),
            format!(
                "import module.rds.aws_db_instance.this {}\n",
                names.instance
            ),
            format!(
                "--secret-id {} ",
                model.secret_name(environment, generator::model::Secret::Database)
            ),
            format!("-chdir=terraform/environments/{name} "),
        ] {
            assert!(
                runbook.contains(&expected),
                "{name}'s runbook does not contain `{expected}`:\n{runbook}"
            );
        }
        assert!(
            Path::new(&workspace().join("terraform/environments").join(&name)).is_dir(),
            "the runbook's Terraform root of {name} exists"
        );
    }
}

fn the_runbook_states_its_environments_recovery_targets() {
    let mut with_targets = 0;
    for (model, name, runbook) in runbooks() {
        let environment = &model.environments[&name];
        match &environment.recovery {
            Some(recovery) => {
                with_targets += 1;
                let mut rows = vec![
                    format!("lost or corrupted | {} |", recovery.rto),
                    format!("may lose | {} |", recovery.rpo),
                ];
                if let Some(failover) = &recovery.failover {
                    rows.push(format!("no write lost | {failover} |"));
                }
                for row in rows {
                    assert!(runbook.contains(&row), "{name}: no `{row}`:\n{runbook}");
                }
                assert_eq!(
                    runbook.contains("### From the copy in "),
                    environment.database.backup_copy_region.is_some(),
                    "{name}: the restore from the backup copies is there exactly when they are"
                );
            }
            None => assert!(
                runbook.contains("states no recovery targets"),
                "{name}: {runbook}"
            ),
        }
    }
    assert!(
        with_targets > 0,
        "no example environment states recovery targets"
    );
}
