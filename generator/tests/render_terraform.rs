//! `.github/workflows/terraform.yml`, parsed back: what each job may do, and its scripts run by
//! bash against fakes of `terraform` and `gh` (the comment a plan becomes, the comment found
//! again, the environment a pushed ref applies).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::{EXAMPLE, example, example_text, load, workspace};
use generator::model::Model;
use generator::render::{Request, render_all, workflows};
use serde_json::{Value, json};

pub(crate) const PATH: &str = ".github/workflows/terraform.yml";

/// Secret-looking values a plan job's later steps hold in their environment: the credentials
/// configure-aws-credentials exports, the token, and a Terraform variable.
const PLANTED: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "ASIAPLANTEDPLANTED01"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "planted/secret/Key+0123456789abcdefABCDEF",
    ),
    (
        "AWS_SESSION_TOKEN",
        "planted-session-token-IQoJb3JpZ2luX2VjE",
    ),
    ("GH_TOKEN", "ghs_plantedPlantedPlantedPlanted0123"),
    ("TF_VAR_database_password", "planted-database-password"),
];

pub(crate) fn rendered(model: &Model) -> Option<(String, Value)> {
    let request = Request {
        model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: None,
    };
    workflows::render(&request)
        .expect("the workflows render")
        .into_iter()
        .find(|artifact| artifact.path == PATH)
        .map(|artifact| {
            let parsed = serde_norway::from_str(&artifact.contents)
                .unwrap_or_else(|e| panic!("{PATH} is not YAML: {e}"));
            (artifact.contents, parsed)
        })
}

pub(crate) fn workflow(model: &Model) -> Value {
    rendered(model).expect("the workflow is rendered").1
}

pub(crate) fn step<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|step| step["name"] == name)
        .unwrap_or_else(|| panic!("no step {name:?}"))
}

pub(crate) fn uses<'a>(job: &'a Value, action: &str) -> Option<&'a Value> {
    job["steps"].as_array().expect("steps").iter().find(|step| {
        step["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("{action}@")))
    })
}

pub(crate) fn permissions(job: &Value) -> Value {
    job["permissions"].clone()
}

/// Runs a step's script as GitHub does (`bash -eo pipefail`) in `dir`, with `bin` first on the
/// PATH, the step's own `env:` (expressions replaced by `values`) and `extra`.
pub(crate) fn run_step(
    step: &Value,
    dir: &Path,
    values: &BTreeMap<&str, &str>,
    extra: &[(&str, &str)],
) -> std::process::Output {
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().expect("a script"))
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    for (name, value) in step["env"].as_object().into_iter().flatten() {
        let value = value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        let value = values.get(name.as_str()).map_or(value, ToString::to_string);
        assert!(!value.contains("${{"), "{name} needs a test value");
        command.env(name, value);
    }
    command.envs(extra.iter().copied());
    command.output().expect("bash runs")
}

pub(crate) fn fake(dir: &Path, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/usr/bin/env bash\n{script}")).expect("write the fake");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn pull_requests_touching_terraform_are_checked_and_planned_per_environment_with_the_plan_role() {
    let model = example();
    let workflow = workflow(&model);
    let paths = json!([
        "terraform/**",
        "generated/*/terraform.tfvars",
        ".github/workflows/terraform.yml"
    ]);
    assert_eq!(workflow["on"]["pull_request"]["paths"], paths);
    assert_eq!(workflow["permissions"], json!({}));

    let check = &workflow["jobs"]["check"];
    assert_eq!(permissions(check), json!({"contents": "read"}));
    assert_eq!(
        step(check, "terraform fmt")["run"],
        "terraform fmt -check -recursive terraform/\n"
    );
    let validate = step(check, "terraform validate (every environment)");
    assert!(
        validate["run"]
            .as_str()
            .expect("present")
            .contains("init -backend=false")
    );
    assert_eq!(validate["env"]["ENVIRONMENTS"], "dev prod staging");
    let checkov = step(check, "Install checkov");
    assert!(
        checkov["run"]
            .as_str()
            .expect("present")
            .contains(r#""checkov==$CHECKOV_VERSION""#)
    );
    assert_eq!(checkov["env"]["CHECKOV_VERSION"], "3.3.30");

    let roles = model.delivery.terraform.as_ref().expect("on by default");
    assert_eq!(roles.plan_role_name, "expense-terraform-plan");
    for name in model.environments.keys() {
        let plan = &workflow["jobs"][format!("plan-{name}")];
        assert_eq!(plan["needs"], json!(["check"]));
        assert_eq!(
            permissions(plan),
            json!({"contents": "read", "id-token": "write"})
        );
        // A fork's pull request gets no OIDC token.
        assert!(
            plan["if"]
                .as_str()
                .expect("present")
                .contains("github.event.pull_request.head.repo.full_name == github.repository")
        );
        assert!(
            plan.get("environment").is_none(),
            "{name}: no approval for a plan"
        );
        assert_eq!(
            plan["concurrency"]["group"],
            format!("terraform-plan-{name}-${{{{ github.event.pull_request.number }}}}")
        );
        let credentials = uses(plan, "aws-actions/configure-aws-credentials").expect("OIDC");
        assert_eq!(
            credentials["with"]["role-to-assume"],
            format!(
                "arn:aws:iam::${{{{ secrets.AWS_ACCOUNT_ID }}}}:role/{}",
                roles.plan_role_name
            )
        );
        let terraform_plan = step(plan, "terraform plan");
        assert!(
            terraform_plan["run"]
                .as_str()
                .expect("present")
                .contains(r#"-var-file="$GITHUB_WORKSPACE/$TFVARS" -out=tfplan"#)
        );
        assert_eq!(
            terraform_plan["env"]["TFVARS"],
            format!("generated/{name}/terraform.tfvars")
        );
        // init takes the real backend, apply never runs in a plan job.
        let init = step(plan, "terraform init (the environment's state)");
        assert!(
            !init["run"]
                .as_str()
                .expect("a string")
                .contains("-backend=false")
        );
        assert!(
            plan["steps"]
                .as_array()
                .expect("present")
                .iter()
                .all(|step| { !step["run"].as_str().unwrap_or("").contains(" apply ") })
        );
    }
}

#[test]
fn only_the_comment_jobs_write_to_the_pull_request_and_they_hold_no_aws_access_nor_code() {
    let model = example();
    let workflow = workflow(&model);
    for (id, job) in workflow["jobs"].as_object().expect("jobs") {
        let writes_pull_requests = job["permissions"]["pull-requests"] == "write";
        assert_eq!(writes_pull_requests, id.starts_with("comment-"), "{id}");
        if writes_pull_requests {
            assert_eq!(permissions(job), json!({"pull-requests": "write"}), "{id}");
            assert!(uses(job, "aws-actions/configure-aws-credentials").is_none());
            assert!(
                uses(job, "actions/checkout").is_none(),
                "{id} runs no PR code"
            );
        }
    }
}

/// The comment a plan becomes holds the marker, the plan as `terraform show -no-color` printed
/// it, truncated to what a comment holds, and nothing of the job's environment: the planted
/// credentials, token and variable are neither in the comment nor in the log.
#[test]
fn the_plan_comment_never_prints_a_secret_and_fits_a_comment() {
    let workflow = workflow(&example());
    let job = &workflow["jobs"]["plan-prod"];
    let write = step(job, "Write the plan comment");
    // Only these reach the script: the plan is read from the saved plan file.
    let names: Vec<&String> = write["env"].as_object().expect("env").keys().collect();
    assert_eq!(
        names,
        [
            "COMMENT_FILE",
            "COMMIT",
            "ENVIRONMENT",
            "MARKER",
            "PLAN_BYTES",
            "ROOT"
        ]
    );
    let text = serde_json::to_string(write).expect("json");
    assert!(
        !text.contains("secrets.") && !text.contains("env."),
        "{text}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    // A plan as Terraform shows it: sensitive values redacted, and far longer than a comment.
    let mut plan = String::from(
        "Terraform will perform the following actions:\n\n  # module.rds.aws_db_instance.this will be updated in-place\n  ~ resource \"aws_db_instance\" \"this\" {\n      ~ password = (sensitive value)\n    }\n",
    );
    while plan.len() < 200_000 {
        plan.push_str("      ~ tags = { \"Owner\" = \"devops\" -> \"platform\" } # ünïcödé\n");
    }
    std::fs::write(dir.path().join("plan.txt"), &plan).expect("write the plan");
    fake(
        dir.path(),
        "terraform",
        &format!(
            "[ \"$2\" = show ] && [ \"$3\" = -no-color ] && [ \"$4\" = tfplan ] || exit 9\ncat '{}'\n",
            dir.path().join("plan.txt").display()
        ),
    );
    let values = BTreeMap::from([("COMMIT", "0123abcd")]);
    let output = run_step(write, dir.path(), &values, PLANTED);
    assert!(output.status.success(), "{output:?}");
    let comment = std::fs::read_to_string(dir.path().join("terraform-plan-comment.md"))
        .expect("the comment is written, as UTF-8");
    assert!(comment.starts_with("<!-- platformgen: terraform plan of prod -->\n"));
    assert!(comment.contains("~ password = (sensitive value)"));
    assert!(comment.contains("The plan is longer than a comment holds"));
    assert!(comment.chars().count() <= 65_536, "{}", comment.len());
    let log = [output.stdout, output.stderr].concat();
    for (name, secret) in PLANTED {
        assert!(!comment.contains(secret), "{name} is in the comment");
        assert!(
            !String::from_utf8_lossy(&log).contains(secret),
            "{name} is in the log"
        );
    }
}

/// The bot's earlier comment with the environment's marker is updated (another user's comment
/// with the marker is not taken over); without one, a comment is created; the token and the
/// API's answers stay out of the log.
#[test]
fn the_plan_comment_updates_the_bots_earlier_comment_of_its_environment_or_creates_one() {
    let workflow = workflow(&example());
    let job = &workflow["jobs"]["comment-staging"];
    let post = step(job, "Post or update the plan comment");
    assert_eq!(post["env"]["GH_TOKEN"], "${{ github.token }}");
    let marker = "<!-- platformgen: terraform plan of staging -->";
    for (existing, expected) in [
        (
            json!([[{"id": 7, "user": {"login": "mallory"}, "body": format!("{marker}\nmine")}],
                   [{"id": 9, "user": {"login": "github-actions[bot]"}, "body": format!("{marker}\nold")},
                    {"id": 11, "user": {"login": "github-actions[bot]"}, "body": "<!-- platformgen: terraform plan of prod -->"}]]),
            "--method PATCH repos/org/repo/issues/comments/9",
        ),
        (
            json!([[{"id": 11, "user": {"login": "github-actions[bot]"}, "body": "<!-- platformgen: terraform plan of prod -->"}]]),
            "--method POST repos/org/repo/issues/42/comments",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        // `gh api --paginate` prints one JSON array per page.
        let pages: Vec<String> = existing
            .as_array()
            .expect("present")
            .iter()
            .map(Value::to_string)
            .collect();
        std::fs::write(dir.path().join("pages.json"), pages.join("\n")).expect("pages");
        std::fs::write(
            dir.path().join("terraform-plan-comment.md"),
            format!("{marker}\nplan"),
        )
        .expect("comment");
        fake(
            dir.path(),
            "gh",
            &format!(
                "if [ \"$2\" = --paginate ]; then cat '{pages}'; exit 0; fi\necho \"$*\" >> '{calls}'\necho '{{\"id\": 1, \"body\": \"echoed\"}}'\n",
                pages = dir.path().join("pages.json").display(),
                calls = dir.path().join("calls").display(),
            ),
        );
        let values = BTreeMap::from([
            ("GH_TOKEN", "ghs_plantedPlantedPlantedPlanted0123"),
            ("REPOSITORY", "org/repo"),
            ("PULL_REQUEST", "42"),
        ]);
        let output = run_step(post, dir.path(), &values, PLANTED);
        assert!(output.status.success(), "{output:?}");
        let calls = std::fs::read_to_string(dir.path().join("calls")).expect("calls");
        assert_eq!(
            calls,
            format!("api {expected} -F body=@terraform-plan-comment.md\n")
        );
        let log = String::from_utf8_lossy(&[output.stdout, output.stderr].concat()).to_string();
        assert!(log.is_empty(), "{log}");
    }
}

fn route(workflow: &Value, ref_type: &str, ref_name: &str) -> String {
    let job = &workflow["jobs"]["route"];
    let dir = tempfile::tempdir().expect("tempdir");
    let output_file = dir.path().join("output");
    let values = BTreeMap::from([("REF_TYPE", ref_type), ("REF_NAME", ref_name)]);
    let output = run_step(
        step(job, "Match the ref against the deploy triggers"),
        dir.path(),
        &values,
        &[("GITHUB_OUTPUT", output_file.to_str().expect("a UTF-8 path"))],
    );
    assert!(output.status.success(), "{output:?}");
    let written = std::fs::read_to_string(output_file).expect("the output");
    written
        .strip_prefix("environment=")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{written:?}"))
        .to_string()
}

#[test]
fn prod_applies_only_on_its_tag_behind_the_environments_approval_with_the_apply_role() {
    let model = example();
    let (text, workflow) = rendered(&model).expect("rendered");
    let roles = model.delivery.terraform.as_ref().expect("on");
    assert_eq!(
        workflow["on"]["push"]["tags"],
        json!(["v*-prod", "v*-staging"])
    );
    assert_eq!(workflow["on"]["push"]["branches"], json!(["main"]));

    // The pushed ref picks the environment whose deploy trigger it matches, and only that one.
    for (ref_type, ref_name, environment) in [
        ("tag", "v1.4.0-prod", "prod"),
        ("tag", "v1.4.0-staging", "staging"),
        ("branch", "main", "dev"),
        ("tag", "v1.4.0", ""),
        ("branch", "v1.4.0-prod", ""),
        ("tag", "main", ""),
        ("branch", "feature/x", ""),
    ] {
        assert_eq!(
            route(&workflow, ref_type, ref_name),
            environment,
            "{ref_type} {ref_name}"
        );
    }
    assert_eq!(permissions(&workflow["jobs"]["route"]), json!({}));

    for (name, environment) in &model.environments {
        let apply = &workflow["jobs"][format!("apply-{name}")];
        assert_eq!(apply["needs"], json!(["route"]));
        assert_eq!(
            apply["if"],
            format!("needs.route.outputs.environment == '{name}'")
        );
        assert_eq!(apply["environment"]["name"], name.as_str());
        assert_eq!(
            permissions(apply),
            json!({"contents": "read", "id-token": "write"})
        );
        assert_eq!(apply["concurrency"]["group"], format!("terraform-{name}"));
        assert_eq!(apply["concurrency"]["cancel-in-progress"], false);
        let credentials = uses(apply, "aws-actions/configure-aws-credentials").expect("OIDC");
        assert_eq!(
            credentials["with"]["role-to-assume"],
            format!(
                "arn:aws:iam::${{{{ secrets.AWS_ACCOUNT_ID }}}}:role/{}",
                roles.apply_role_name
            )
        );
        // The plan applied is the one this job made.
        let scripts: Vec<&str> = apply["steps"]
            .as_array()
            .expect("present")
            .iter()
            .filter_map(|step| step["run"].as_str())
            .collect();
        let planned = scripts.iter().position(|s| s.contains("-out=tfplan"));
        let applied = scripts
            .iter()
            .position(|s| s.contains("apply -input=false -lock-timeout=5m tfplan"));
        assert!(
            planned.is_some() && planned < applied,
            "{name}: {scripts:?}"
        );

        // The approval comment sits on the job, as the spec says.
        let section = text
            .split(&format!("\n  apply-{name}:\n"))
            .nth(1)
            .expect("the job")
            .split("\n\n")
            .next()
            .expect("present");
        assert_eq!(
            section.contains("# Waits for approval"),
            environment.deploy.approval_required,
            "{name}"
        );
    }
    assert!(model.environments["prod"].deploy.approval_required);
}

#[test]
fn turning_the_workflow_off_removes_it_and_the_roles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let off = crate::specs::named("terraform_off").write_in(dir.path());
    let model = Model::load(&off).expect("the fixture loads");
    assert!(model.delivery.terraform.is_none());
    assert!(rendered(&model).is_none(), "no {PATH}");
    let request = Request {
        model: &model,
        spec_path: "terraform_off.toml",
        spec_text: &std::fs::read_to_string(&off).expect("the fixture is readable"),
        only_environment: None,
    };
    let artifacts = render_all(&request).expect("renders");
    let tfvars: Vec<&String> = artifacts
        .iter()
        .filter(|artifact| artifact.path.ends_with("terraform.tfvars"))
        .map(|artifact| &artifact.contents)
        .collect();
    assert!(!tfvars.is_empty());
    for contents in tfvars {
        let off = contents.lines().any(|line| {
            line.split_once('=').is_some_and(|(name, value)| {
                name.trim() == "terraform_roles" && value.trim() == "null"
            })
        });
        assert!(off, "{contents}");
    }
    // On, the starter renders the workflow: only the switch removed it.
    let starter = dir.path().join("starter.toml");
    std::fs::write(&starter, generator::cli::STARTER_SPEC).expect("starter");
    assert!(rendered(&Model::load(&starter).expect("loads")).is_some());
}

#[test]
fn the_roles_trust_subjects_are_rendered_into_every_environments_tfvars() {
    for spec in [EXAMPLE, "specs/money-tracking.toml"] {
        let model = load(spec);
        let repository = &model.project.github_repository;
        let roles = model.delivery.terraform.as_ref().expect("on");
        let project = &model.project.name;
        assert_eq!(roles.plan_role_name, format!("{project}-terraform-plan"));
        assert_eq!(roles.apply_role_name, format!("{project}-terraform-apply"));
        for name in model.environments.keys() {
            let path = if spec == EXAMPLE {
                workspace().join(format!("generated/{name}/terraform.tfvars"))
            } else {
                workspace().join(format!(
                    "examples/money-tracking/generated/{name}/terraform.tfvars"
                ))
            };
            let tfvars: Value = hcl::from_str(&std::fs::read_to_string(&path).expect("tfvars"))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                tfvars["terraform_roles"],
                json!({
                    "plan": {
                        "name": roles.plan_role_name,
                        "subjects": [
                            format!("repo:{repository}:pull_request"),
                            format!("repo:{repository}:ref:refs/heads/main"),
                        ],
                    },
                    "apply": {
                        "name": roles.apply_role_name,
                        "subjects": [format!("repo:{repository}:environment:{name}")],
                    },
                }),
                "{spec} {name}"
            );
        }
    }
}
