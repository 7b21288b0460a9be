//! `terraform.yml`: Terraform of every environment, from the spec's `[delivery.terraform]`.
//! Pull requests that touch `terraform/**` or the generated tfvars are checked (fmt, validate,
//! checkov) and planned per environment with the read-only plan role; each plan is posted as one
//! comment per environment, updated in place. A push of an environment's deploy trigger (its
//! branch or tag) applies that environment with the apply role, in its GitHub environment.
//! Where an environment's database password rotates automatically, `rotation` adds its
//! scheduled rotation, and its apply restarts what reads a password the apply wrote.

use serde::Serialize;

use super::comment;
use super::context::{
    CHECKOV_VERSION, Concurrency, Job, RUNNER, Step, TERRAFORM_VERSION, Triggers, Variable,
    Workflow, checkout, github_environment, read, reading_job, variable, write,
};
use super::deploy::deploy_runner;
use super::rotation::{self, RotationTriggers};
use crate::model::{Action, DeployTrigger, Environment, Model, TerraformDelivery};
use crate::render::tfvars;

pub(crate) const PATH: &str = ".github/workflows/terraform.yml";

/// What a pull request or a push must touch to run the workflow (GitHub ignores path filters for
/// tags, so a deploy tag always applies).
fn sources() -> Vec<String> {
    vec![
        "terraform/**".to_string(),
        "generated/*/terraform.tfvars".to_string(),
        PATH.to_string(),
    ]
}

/// GitHub refuses a comment longer than 65,536 characters; the plan gets the bytes left after
/// the heading and the fences (a byte is at most a character).
const COMMENT_PLAN_BYTES: &str = "60000";

const FMT: &[&str] = &["terraform fmt -check -recursive terraform/"];
const VALIDATE: &[&str] = &[
    r#"read -ra environments <<< "$ENVIRONMENTS""#,
    r#"for environment in "${environments[@]}"; do"#,
    r#"  root="terraform/environments/$environment""#,
    r#"  terraform -chdir="$root" init -backend=false -input=false"#,
    r#"  terraform -chdir="$root" validate"#,
    "done",
];
/// In a virtual environment: the runner's system Python refuses `pip install` (PEP 668).
const INSTALL_CHECKOV: &[&str] = &[
    r#"python3 -m venv "$RUNNER_TEMP/checkov""#,
    r#""$RUNNER_TEMP/checkov/bin/pip" install --quiet "checkov==$CHECKOV_VERSION""#,
];
/// As terraform/check.sh runs it: any failed check fails; skips are inline, with a reason.
const CHECKOV: &[&str] = &[
    r#""$RUNNER_TEMP/checkov/bin/checkov" -d terraform --framework terraform --compact --quiet --skip-download"#,
];
/// The partial backend of `backend.tf`, completed with terraform/bootstrap's names: they hold
/// the account's ID, which the assumed role's own identity gives.
const INIT: &[&str] = &[
    r#"account="$(aws sts get-caller-identity --query Account --output text)""#,
    r#"terraform -chdir="$ROOT" init -input=false \"#,
    r#"  -backend-config="bucket=$PROJECT-terraform-state-$account" \"#,
    r#"  -backend-config="region=$REGION" \"#,
    r#"  -backend-config="dynamodb_table=$PROJECT-terraform-locks" \"#,
    r#"  -backend-config="kms_key_id=alias/$PROJECT-terraform-state""#,
];
/// `-chdir` resolves `-var-file` from the root, so the path is the workspace's.
const PLAN: &[&str] = &[
    r#"terraform -chdir="$ROOT" plan -input=false -lock-timeout=5m \"#,
    r#"  -var-file="$GITHUB_WORKSPACE/$TFVARS" -out=tfplan"#,
];
pub(super) const APPLY: &[&str] =
    &[r#"terraform -chdir="$ROOT" apply -input=false -lock-timeout=5m tfplan"#];
/// The comment is the saved plan as `terraform show -no-color` prints it (sensitive values
/// redacted by Terraform), truncated to what a comment holds. Nothing else reaches it: no
/// variable but the names below is read, and nothing is echoed to the log.
const WRITE_COMMENT: &[&str] = &[
    r#"plan="$(mktemp)""#,
    r#"terraform -chdir="$ROOT" show -no-color tfplan > "$plan""#,
    "{",
    r#"  printf '%s\n' "$MARKER""#,
    r#"  printf '### Terraform plan of %s at %s\n\n' "$ENVIRONMENT" "$COMMIT""#,
    r#"  printf '~~~\n'"#,
    r#"  head -c "$PLAN_BYTES" "$plan" | iconv -f UTF-8 -t UTF-8 -c"#,
    r#"  printf '\n~~~\n'"#,
    r#"  if [ "$(wc -c < "$plan")" -gt "$PLAN_BYTES" ]; then"#,
    r#"    printf '\nThe plan is longer than a comment holds: the first %s bytes are shown, the run log has all of it.\n' "$PLAN_BYTES""#,
    "  fi",
    r#"} > "$COMMENT_FILE""#,
];
/// A failed plan leaves no stale plan in the comment; the reason is in the run log only.
const WRITE_FAILURE: &[&str] = &[
    "{",
    r#"  printf '%s\n' "$MARKER""#,
    r#"  printf '### Terraform plan of %s at %s failed\n\nSee %s\n' "$ENVIRONMENT" "$COMMIT" "$RUN_URL""#,
    r#"} > "$COMMENT_FILE""#,
];
/// The environment whose deploy trigger the pushed ref matches (bash globs, as the deploy
/// workflows' `on.push` match it), or none. `TRIGGERS` holds `<environment> <branch|tag> <glob>`
/// lines.
const ROUTE: &[&str] = &[
    r#"selected="""#,
    "while read -r environment kind pattern; do",
    "  # shellcheck disable=SC2053 # the pattern is a glob",
    r#"  if [ -z "$selected" ] && [ "$kind" = "$REF_TYPE" ] && [[ "$REF_NAME" == $pattern ]]; then"#,
    r#"    selected="$environment""#,
    "  fi",
    r#"done <<< "$TRIGGERS""#,
    r#"echo "environment=$selected" >> "$GITHUB_OUTPUT""#,
];

/// The comment file, in the workspace, and the artifact that carries it to the comment job.
const COMMENT_FILE: &str = "terraform-plan-comment.md";

const PULL_REQUEST: &str = "github.event_name == 'pull_request'";

/// The hidden first line that finds an environment's comment again.
pub(super) fn marker(environment: &str) -> String {
    format!("<!-- platformgen: terraform plan of {environment} -->")
}

fn setup_terraform(model: &Model) -> Step {
    Step::uses(
        "Set up Terraform",
        model.delivery.action(Action::SetupTerraform),
    )
    .with("terraform_version", TERRAFORM_VERSION)
    .with("terraform_wrapper", false)
}

/// Checkout, Terraform, the role assumed, `terraform init` with the environment's state, and the
/// plan.
fn terraform_steps(model: &Model, environment: &Environment, role: &str, kind: &str) -> Vec<Step> {
    let mut steps = vec![checkout(model)];
    steps.extend(terraform_init_steps(model, environment, role, kind));
    steps.push(
        Step::run("terraform plan", PLAN)
            .env("ROOT", tfvars::terraform_root(environment))
            .env("TFVARS", tfvars::path(environment)),
    );
    steps
}

/// After the checkout: Terraform, the role assumed, and `terraform init` with the environment's
/// state.
pub(super) fn terraform_init_steps(
    model: &Model,
    environment: &Environment,
    role: &str,
    kind: &str,
) -> Vec<Step> {
    let name = &environment.name;
    // The spec's account where it names one; else the secret (the environment's, where the job
    // runs in one, else the repository's).
    let account = environment
        .account_id
        .clone()
        .unwrap_or_else(|| "${{ secrets.AWS_ACCOUNT_ID }}".to_string());
    let mut credentials = Step::uses(
        "Configure AWS credentials (OIDC)",
        model.delivery.action(Action::ConfigureAwsCredentials),
    )
    .with(
        "role-to-assume",
        format!("arn:aws:iam::{account}:role/{role}"),
    )
    .with(
        "role-session-name",
        format!("terraform-{kind}-{name}-${{{{ github.run_id }}}}"),
    )
    .with("aws-region", model.project.aws_region.clone());
    if kind == "apply" {
        credentials = credentials.with("role-duration-seconds", 7200);
    }
    vec![
        setup_terraform(model),
        credentials,
        Step::run("terraform init (the environment's state)", INIT)
            .env("ROOT", tfvars::terraform_root(environment))
            .env("PROJECT", model.project.name.clone())
            .env("REGION", model.project.aws_region.clone()),
    ]
}

fn check_job(model: &Model) -> Job {
    let environments: Vec<&str> = model.environments.keys().map(String::as_str).collect();
    Job {
        condition: Some(PULL_REQUEST.to_string()),
        ..reading_job(
            "check".to_string(),
            "fmt, validate, checkov".to_string(),
            20,
            vec![
                checkout(model),
                setup_terraform(model),
                Step::run("terraform fmt", FMT),
                Step::run("terraform validate (every environment)", VALIDATE)
                    .env("ENVIRONMENTS", environments.join(" ")),
                Step::run("Install checkov", INSTALL_CHECKOV)
                    .env("CHECKOV_VERSION", CHECKOV_VERSION),
                Step::run("checkov", CHECKOV),
            ],
        )
    }
}

fn plan_job(model: &Model, roles: &TerraformDelivery, environment: &Environment) -> Job {
    let name = &environment.name;
    let comment = |step: Step| {
        step.env("MARKER", marker(name))
            .env("ENVIRONMENT", name.clone())
            .env("COMMIT", "${{ github.event.pull_request.head.sha }}")
            .env("COMMENT_FILE", COMMENT_FILE)
    };
    let mut steps = terraform_steps(model, environment, &roles.plan_role_name, "plan");
    steps.extend([
        comment(Step::run("Write the plan comment", WRITE_COMMENT))
            .env("ROOT", tfvars::terraform_root(environment))
            .env("PLAN_BYTES", COMMENT_PLAN_BYTES),
        comment(Step::run("Write the failure comment", WRITE_FAILURE))
            .when("failure()")
            .env(
                "RUN_URL",
                "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}",
            ),
        comment::keep(model, &format!("terraform-plan-{name}"), COMMENT_FILE),
    ]);
    Job {
        needs: vec!["check".to_string()],
        // Fork pull requests get no OIDC token: their plans would only fail.
        condition: Some(format!(
            "{PULL_REQUEST} && github.event.pull_request.head.repo.full_name == github.repository"
        )),
        permissions: vec![read("contents"), write("id-token")],
        concurrency: Some(Concurrency {
            group: format!("terraform-plan-{name}-${{{{ github.event.pull_request.number }}}}"),
            cancel_in_progress: true,
        }),
        ..reading_job(format!("plan-{name}"), format!("Plan {name}"), 30, steps)
    }
}

/// The only job that writes to the pull request; it holds no AWS access and runs nothing of the
/// pull request's code.
fn comment_job(model: &Model, environment: &Environment) -> Job {
    let name = &environment.name;
    comment::post_job(
        model,
        &comment::Comment {
            id: format!("comment-{name}"),
            name: format!("Comment the plan of {name}"),
            what: "plan",
            writer: format!("plan-{name}"),
            artifact: format!("terraform-plan-{name}"),
            file: COMMENT_FILE,
            marker: marker(name),
            only_if: None,
        },
    )
}

/// `<environment> <branch|tag> <glob>`, one line per environment, for `ROUTE`.
fn triggers(model: &Model) -> String {
    model
        .environments
        .values()
        .map(|environment| match &environment.deploy.trigger {
            DeployTrigger::Branch(branch) => format!("{} branch {branch}", environment.name),
            DeployTrigger::Tag(tag) => format!("{} tag {tag}", environment.name),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn route_job(model: &Model) -> Job {
    Job {
        condition: Some("github.event_name == 'push'".to_string()),
        permissions: Vec::new(),
        outputs: vec![variable(
            "environment",
            "${{ steps.route.outputs.environment }}",
        )],
        ..reading_job(
            "route".to_string(),
            "Which environment this push applies".to_string(),
            5,
            vec![
                Step::run("Match the ref against the deploy triggers", ROUTE)
                    .id("route")
                    .env("TRIGGERS", triggers(model))
                    .env("REF_TYPE", "${{ github.ref_type }}")
                    .env("REF_NAME", "${{ github.ref_name }}"),
            ],
        )
    }
}

/// Where the environment's password rotates automatically, the first apply of a period may be
/// this one: when its plan writes a password, the job refreshes the ExternalSecrets and restarts
/// the workloads after it, so it runs where the cluster is reachable (the deploy runner).
fn apply_job(model: &Model, roles: &TerraformDelivery, environment: &Environment) -> Job {
    let name = &environment.name;
    let rotates = rotation::rotation_days(environment).is_some();
    let mut steps = terraform_steps(model, environment, &roles.apply_role_name, "apply");
    if rotates {
        steps.push(rotation::password_check(environment, false));
    }
    steps.push(
        Step::run("terraform apply (the plan above)", APPLY)
            .env("ROOT", tfvars::terraform_root(environment)),
    );
    let (runs_on, reaches_cluster) = if rotates {
        steps.extend(rotation::refresh_and_restart(model, environment));
        (deploy_runner(&environment.deploy.runner), Some("kubectl"))
    } else {
        (RUNNER.into(), None)
    };
    Job {
        needs: vec!["route".to_string()],
        condition: Some(format!("needs.route.outputs.environment == '{name}'")),
        runs_on,
        permissions: vec![read("contents"), write("id-token")],
        environment: Some(github_environment(environment, reaches_cluster)),
        // One apply of an environment at a time, never cancelled half-way.
        concurrency: Some(Concurrency {
            group: format!("terraform-{name}"),
            cancel_in_progress: false,
        }),
        // A first apply creates a cluster and a database.
        ..reading_job(format!("apply-{name}"), format!("Apply {name}"), 120, steps)
    }
}

/// The Terraform workflow, and the triggers of its rotations of the database password.
#[derive(Debug, Serialize)]
pub(super) struct TerraformWorkflow {
    #[serde(flatten)]
    pub(super) workflow: Workflow,
    pub(super) rotation: Option<RotationTriggers>,
}

pub(super) fn terraform_workflow(model: &Model, roles: &TerraformDelivery) -> TerraformWorkflow {
    // Every environment, whichever one `generate` was asked for: the file is one.
    let environments: Vec<&Environment> = model.environments.values().collect();
    let mut jobs = vec![check_job(model)];
    for environment in &environments {
        jobs.push(plan_job(model, roles, environment));
        jobs.push(comment_job(model, environment));
    }
    jobs.push(route_job(model));
    for environment in &environments {
        jobs.push(apply_job(model, roles, environment));
    }
    for environment in &environments {
        if let Some(days) = rotation::rotation_days(environment) {
            jobs.extend(rotation::jobs(model, roles, environment, days));
        }
    }
    let (mut push_branches, mut push_tags) = (Vec::new(), Vec::new());
    for environment in &environments {
        match &environment.deploy.trigger {
            DeployTrigger::Branch(branch) => push_branches.push(branch.clone()),
            DeployTrigger::Tag(tag) => push_tags.push(tag.clone()),
        }
    }
    let workflow = Workflow {
        name: "Terraform".to_string(),
        triggers: Triggers {
            pull_request_branches: Vec::new(),
            push_branches,
            push_tags,
            push_paths: sources(),
        },
        // Per job instead: plans per pull request and environment, applies per environment.
        concurrency: None,
        env: terraform_env(),
        jobs,
    };
    TerraformWorkflow {
        workflow,
        rotation: rotation::triggers(&environments),
    }
}

fn terraform_env() -> Vec<Variable> {
    vec![variable("TF_IN_AUTOMATION", "1"), variable("TF_INPUT", "0")]
}
