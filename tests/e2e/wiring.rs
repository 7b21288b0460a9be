//! The artifacts fit together: every secret the rendered releases read (the ExternalSecret's
//! remote keys and properties) is one the tfvars tell Terraform to create, the stack hands those
//! names to the modules that create the secrets, and `terraform test` (the real AWS provider, a
//! mocked API) proves each module creates the secret under that name holding those properties.
//! Breaking either side (a property the chart reads that Terraform does not write, a name the
//! tfvars do not carry, the stack wiring another name) fails a test here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::support::{
    assert_success, example_specs, render_spec, run, terraform_modules_copy, tool, tool_command,
    workspace,
};
use generator::render::helm_values::HelmValues;
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(every_secret_a_release_reads_is_named_in_the_tfvars),
        test!(the_stack_hands_the_tfvars_secret_names_to_the_modules_that_create_them),
        test!(
            terraform_creates_every_secret_a_release_reads_with_the_properties_it_reads,
            Need::Tool("terraform-aws")
        ),
        test!(
            a_property_terraform_does_not_write_fails_the_terraform_check,
            Need::Tool("terraform-aws")
        ),
        test!(a_remote_key_the_tfvars_do_not_name_is_reported),
        test!(the_roles_trust_the_namespace_the_releases_go_to),
    ]
}

/// One environment of one example spec, as its rendered artifacts say.
struct Case {
    /// `<spec>_<env>`, a Terraform-safe label.
    label: String,
    /// The rendered tfvars, parsed.
    tfvars: hcl::Body,
    /// (remote key, property) of every ExternalSecret item of every release; no property reads
    /// the value whole.
    reads: BTreeSet<(String, Option<String>)>,
}

impl Case {
    /// The value expression of a tfvars variable, printed as HCL.
    fn expression(&self, name: &str) -> String {
        self.tfvars
            .attributes()
            .find(|attribute| attribute.key() == name)
            .map(|attribute| attribute.expr().to_string())
            .unwrap_or_else(|| panic!("{}: the tfvars set no `{name}`", self.label))
    }

    /// The tfvars' `secret_names`: which secret (database, redis) has which name.
    fn secret_names(&self) -> BTreeMap<String, String> {
        let value: hcl::Value = self
            .tfvars
            .attributes()
            .find(|attribute| attribute.key() == "secret_names")
            .map(|attribute| hcl::Value::from(attribute.expr().clone()))
            .unwrap_or_else(|| panic!("{}: the tfvars set no secret_names", self.label));
        value
            .as_object()
            .unwrap_or_else(|| panic!("{}: secret_names is an object", self.label))
            .iter()
            .map(|(secret, name)| {
                let name = name.as_str().expect("a secret name is a string");
                (secret.clone(), name.to_string())
            })
            .collect()
    }

    /// The names of the spec's own secrets (the tfvars' `platform_secrets`), which Terraform
    /// creates empty for their issuers to fill.
    fn platform_secret_names(&self) -> BTreeSet<String> {
        let value: hcl::Value = self
            .tfvars
            .attributes()
            .find(|attribute| attribute.key() == "platform_secrets")
            .map(|attribute| hcl::Value::from(attribute.expr().clone()))
            .unwrap_or_else(|| panic!("{}: the tfvars set no platform_secrets", self.label));
        value
            .as_object()
            .unwrap_or_else(|| panic!("{}: platform_secrets is an object", self.label))
            .values()
            .map(|secret| {
                secret
                    .as_object()
                    .and_then(|secret| secret.get("name"))
                    .and_then(hcl::Value::as_str)
                    .expect("a platform secret has a name")
                    .to_string()
            })
            .collect()
    }

    /// The properties read from the secret named `name`.
    fn properties_of(&self, name: &str) -> Vec<&str> {
        self.reads
            .iter()
            .filter(|(key, _)| key == name)
            .filter_map(|(_, property)| property.as_deref())
            .collect()
    }
}

/// Every environment of every example spec.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        let stem = spec
            .file_stem()
            .expect("a spec file name")
            .to_string_lossy()
            .replace('-', "_");
        for environment in model.environments.keys() {
            let tfvars = artifacts
                .iter()
                .find(|a| a.path == format!("generated/{environment}/terraform.tfvars"))
                .expect("the environment's tfvars");
            let tfvars: hcl::Body = hcl::from_str(&tfvars.contents).expect("the tfvars are HCL");
            let prefix = format!("generated/{environment}/helm-values/");
            let mut reads = BTreeSet::new();
            for values in artifacts.iter().filter(|a| a.path.starts_with(&prefix)) {
                let values: HelmValues =
                    serde_norway::from_str(&values.contents).expect("the values parse back");
                let external = &values.secrets.external_secret;
                if external.enabled {
                    reads.extend(
                        external
                            .data
                            .iter()
                            .map(|item| (item.remote_key.clone(), item.property.clone())),
                    );
                }
            }
            cases.push(Case {
                label: format!("{stem}_{environment}"),
                tfvars,
                reads,
            });
        }
    }
    cases
}

/// The remote keys a case reads that its tfvars do not name.
fn unnamed_remote_keys(case: &Case) -> Vec<String> {
    let mut names: BTreeSet<String> = case.secret_names().into_values().collect();
    names.extend(case.platform_secret_names());
    case.reads
        .iter()
        .map(|(key, _)| key)
        .filter(|key| !names.contains(*key))
        .map(|key| {
            format!(
                "{}: the release reads `{key}`, which neither the tfvars' secret_names nor \
                 platform_secrets name",
                case.label
            )
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn every_secret_a_release_reads_is_named_in_the_tfvars() {
    let cases = cases();
    assert!(
        cases.iter().any(|case| !case.reads.is_empty()),
        "no release of any example reads a secret: nothing was checked"
    );
    let errors: Vec<String> = cases.iter().flat_map(unnamed_remote_keys).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn a_remote_key_the_tfvars_do_not_name_is_reported() {
    let mut case = cases()
        .into_iter()
        .find(|case| !case.reads.is_empty())
        .expect("a release that reads secrets");
    let (key, property) = case.reads.iter().next().cloned().expect("a read");
    case.reads.insert((format!("{key}-typo"), property));
    let errors = unnamed_remote_keys(&case);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(&format!("{key}-typo")), "{errors:?}");
}

/// (module, its argument taking the name, the tfvars' secret_names key) of each secret.
const SECRET_MODULES: [(&str, &str, &str); 2] = [
    ("rds", "credentials_secret_name", "database"),
    ("elasticache", "connection_secret_name", "redis"),
];

fn the_stack_hands_the_tfvars_secret_names_to_the_modules_that_create_them() {
    let text = std::fs::read_to_string(workspace().join("terraform/stack/main.tf"))
        .expect("terraform/stack/main.tf");
    let body: hcl::Body = hcl::from_str(&text).expect("main.tf is HCL");
    for (module, argument, secret) in SECRET_MODULES {
        let block = body
            .blocks()
            .find(|block| {
                block.identifier() == "module"
                    && block.labels().first().map(hcl::BlockLabel::as_str) == Some(module)
            })
            .unwrap_or_else(|| panic!("the stack calls no module `{module}`"));
        let expression = block
            .body()
            .attributes()
            .find(|attribute| attribute.key() == argument)
            .map(|attribute| attribute.expr().to_string())
            .unwrap_or_else(|| panic!("module `{module}` gets no `{argument}`"));
        assert_eq!(
            expression.replace(' ', ""),
            format!("var.secret_names.{secret}"),
            "module `{module}` must create its secret under the tfvars' secret_names.{secret}"
        );
    }
}

/// Writes a `terraform test` file per case into `modules/<module>/tests/` of a copy of
/// terraform/modules: each plans the module with the case's tfvars and asserts the secret it
/// creates has the name the release reads and holds every property read from it. Returns
/// `terraform test` of each module.
fn terraform_wiring_tests(cases: &[Case]) -> Vec<(String, std::process::Output)> {
    let terraform = tool("terraform-aws");
    let copy = terraform_modules_copy();
    let mut outputs = Vec::new();
    for (module, _, secret) in SECRET_MODULES {
        let dir = copy.path().join("modules").join(module);
        let mut files = Vec::new();
        for case in cases {
            let name = &case.secret_names()[secret];
            let file = format!("tests/wiring_{}.tftest.hcl", case.label);
            std::fs::write(dir.join(&file), wiring_test(module, case, name))
                .expect("write the test file");
            files.push(file);
        }
        let init = run(tool_command(&terraform).current_dir(&dir).args([
            "init",
            "-backend=false",
            "-no-color",
        ]));
        assert_success(&init, &format!("terraform init in modules/{module}"));
        let mut command = tool_command(&terraform);
        command.current_dir(&dir).args(["test", "-no-color"]);
        for file in &files {
            command.arg(format!("-filter={file}"));
        }
        outputs.push((module.to_string(), run(&mut command)));
    }
    outputs
}

/// The test file of one case for one module.
fn wiring_test(module: &str, case: &Case, name: &str) -> String {
    let var = |variable: &str| case.expression(variable);
    let mut text = with_backup_provider(module, MOCKS);
    let (resource, output, variables) = match module {
        "rds" => (
            "aws_secretsmanager_secret.credentials",
            "credentials_secret_properties",
            vec![
                (
                    "identifier",
                    format!("\"{}\"", case.label.replace('_', "-")),
                ),
                ("engine", var("rds_engine")),
                ("engine_version", var("rds_engine_version")),
                ("instance_class", var("rds_instance_class")),
                ("allocated_storage", var("rds_allocated_storage")),
                ("max_allocated_storage", var("rds_max_allocated_storage")),
                ("database_name", var("rds_database_name")),
                ("master_username", var("rds_username")),
                (
                    "master_password",
                    "\"an-ephemeral-test-password-0123\"".into(),
                ),
                ("password_version", var("rds_password_version")),
                ("credentials_secret_name", format!("{name:?}")),
                ("subnet_ids", "[\"subnet-1\", \"subnet-2\"]".into()),
                ("security_group_ids", "[\"sg-1\"]".into()),
                ("multi_az", var("rds_multi_az")),
                ("backup_retention_period", var("rds_backup_retention")),
                ("backup_copy_region", var("rds_backup_copy_region")),
                ("deletion_protection", var("rds_deletion_protection")),
                (
                    "performance_insights_enabled",
                    var("rds_performance_insights"),
                ),
                ("parameters", var("rds_parameters")),
                ("log_retention_days", var("log_retention_days")),
                ("storage_type", var("rds_storage_type")),
                ("iops", var("rds_iops")),
                ("storage_throughput", var("rds_storage_throughput")),
                ("read_replicas", var("rds_read_replicas")),
                ("extensions", var("rds_extensions")),
            ],
        ),
        _ => {
            let auth = var("redis_auth_token_enabled");
            let token = if auth == "true" {
                "\"a-generated-auth-token-0123456789\""
            } else {
                "null"
            };
            (
                "aws_secretsmanager_secret.connection",
                "connection_secret_properties",
                vec![
                    (
                        "replication_group_id",
                        format!("\"{}\"", case.label.replace('_', "-")),
                    ),
                    ("engine_version", var("redis_engine_version")),
                    ("node_type", var("redis_node_type")),
                    ("num_cache_nodes", var("redis_num_nodes")),
                    ("cluster_mode_enabled", var("redis_cluster_mode")),
                    ("num_node_groups", var("redis_num_shards")),
                    ("replicas_per_node_group", var("redis_replicas_per_shard")),
                    (
                        "automatic_failover_enabled",
                        var("redis_automatic_failover"),
                    ),
                    ("multi_az_enabled", var("redis_multi_az")),
                    (
                        "transit_encryption_enabled",
                        var("redis_transit_encryption"),
                    ),
                    (
                        "at_rest_encryption_enabled",
                        var("redis_at_rest_encryption"),
                    ),
                    ("auth_token_enabled", auth.clone()),
                    ("auth_token", token.to_string()),
                    ("connection_secret_name", format!("{name:?}")),
                    ("subnet_ids", "[\"subnet-1\", \"subnet-2\"]".into()),
                    ("security_group_ids", "[\"sg-1\"]".into()),
                    ("log_retention_days", var("log_retention_days")),
                ],
            )
        }
    };
    text.push_str("\nvariables {\n");
    for (variable, value) in variables {
        let _ = writeln!(text, "  {variable} = {value}");
    }
    text.push_str("}\n\nrun \"creates_the_secret_the_release_reads\" {\n  command = plan\n");
    let _ = write!(
        text,
        "\n  assert {{\n    condition     = {resource}.name == {name:?}\n    error_message = \"the secret must be named {name} (the release's remote key)\"\n  }}\n"
    );
    for property in case.properties_of(name) {
        let _ = write!(
            text,
            "\n  assert {{\n    condition     = contains(output.{output}, {property:?})\n    error_message = \"{name} must hold `{property}`, which the release reads\"\n  }}\n"
        );
    }
    text.push_str("}\n");
    text
}

/// The mocked AWS API of both modules: well-formed values where the provider checks them.
const MOCKS: &str = r#"mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}
"#;

/// The rds module also needs its backup-region provider.
fn with_backup_provider(module: &str, text: &str) -> String {
    if module == "rds" {
        let backup = text.replacen(
            "mock_provider \"aws\" {\n",
            "mock_provider \"aws\" {\n  alias = \"backup\"\n\n",
            1,
        );
        format!("{text}\n{backup}")
    } else {
        text.to_string()
    }
}

fn terraform_creates_every_secret_a_release_reads_with_the_properties_it_reads() {
    let cases = cases();
    for (module, output) in terraform_wiring_tests(&cases) {
        assert_success(
            &output,
            &format!("terraform test of the secret wiring in modules/{module}"),
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        for case in &cases {
            assert!(
                stdout.contains(&format!("tests/wiring_{}.tftest.hcl... pass", case.label)),
                "modules/{module}: the wiring test of {} did not pass:\n{stdout}",
                case.label
            );
        }
    }
}

fn a_property_terraform_does_not_write_fails_the_terraform_check() {
    let mut case = cases()
        .into_iter()
        .find(|case| !case.reads.is_empty())
        .expect("a release that reads secrets");
    let names = case.secret_names();
    case.reads
        .insert((names["database"].clone(), Some("pasword".to_string())));
    case.reads
        .insert((names["redis"].clone(), Some("url".to_string())));
    let outputs = terraform_wiring_tests(std::slice::from_ref(&case));
    for (module, output) in outputs {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !output.status.success(),
            "modules/{module} accepted a property it does not write:\n{all}"
        );
        let property = if module == "rds" { "pasword" } else { "url" };
        assert!(
            all.contains(&format!("must hold `{property}`")),
            "modules/{module}:\n{all}"
        );
    }
}

fn the_roles_trust_the_namespace_the_releases_go_to() {
    // The tfvars carry each environment's namespace, which the workflows deploy to and the
    // rules name.
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for (environment, settings) in &model.environments {
            let tfvars = artifacts
                .iter()
                .find(|a| a.path == format!("generated/{environment}/terraform.tfvars"))
                .expect("the environment's tfvars");
            let body: hcl::Body = hcl::from_str(&tfvars.contents).expect("the tfvars are HCL");
            let namespace = body
                .attributes()
                .find(|attribute| attribute.key() == "namespace")
                .map(|attribute| hcl::Value::from(attribute.expr().clone()));
            assert_eq!(
                namespace,
                Some(hcl::Value::from(settings.namespace.clone())),
                "{} {environment}: the tfvars' namespace is the environment's",
                spec.display()
            );
            let deploy = artifacts
                .iter()
                .find(|a| {
                    a.path.ends_with(&format!("-{environment}.yml")) && a.path.contains("/deploy-")
                })
                .expect("a deploy workflow");
            assert!(
                deploy
                    .contents
                    .contains(&format!("NAMESPACE: \"{}\"", settings.namespace)),
                "{}: the deploy workflow does not deploy to namespace {}",
                deploy.path,
                settings.namespace
            );
        }
    }
    // The stack grants and trusts exactly that namespace: the service roles and the CI/CD role.
    let text = std::fs::read_to_string(workspace().join("terraform/stack/main.tf"))
        .expect("terraform/stack/main.tf");
    let body: hcl::Body = hcl::from_str(&text).expect("main.tf is HCL");
    let module = |name: &str| {
        body.blocks()
            .find(|block| {
                block.identifier() == "module"
                    && block.labels().first().map(hcl::BlockLabel::as_str) == Some(name)
            })
            .unwrap_or_else(|| panic!("the stack calls no module `{name}`"))
    };
    let namespace_of_roles = module("service_role")
        .body()
        .attributes()
        .find(|attribute| attribute.key() == "namespace")
        .map(|attribute| attribute.expr().to_string());
    assert_eq!(namespace_of_roles.as_deref(), Some("var.namespace"));
    let access = module("eks")
        .body()
        .attributes()
        .find(|attribute| attribute.key() == "access_entries")
        .map(|attribute| {
            attribute
                .expr()
                .to_string()
                .split_whitespace()
                .collect::<String>()
        })
        .expect("the eks module gets access_entries");
    assert!(access.contains("namespaces=[var.namespace]"), "{access}");
}
