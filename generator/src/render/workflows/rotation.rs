//! The database password's automatic rotation in `terraform.yml`, for each environment whose
//! spec sets `database.password_rotation_days`. The stack writes a new password at the first
//! plan of each rotation period (terraform/modules/rotation-clock); these jobs make sure one runs
//! on a period's first day, and that every apply which writes a password is followed by what the
//! services need to read it: the ExternalSecrets refreshed and the workloads restarted.
//!
//! - `rotation-due-<env>` (no access to anything): daily at the end of the environment's backup
//!   window (the spec's quiet hour, with the instance done backing up), or when run by hand;
//!   decides whether the day starts a period.
//! - `rotate-<env>`, in the environment's GitHub environment with the apply role: checks out what
//!   the environment runs (its branch, or its newest deploy tag), plans the password's two
//!   resources only, applies if the plan writes a password, then refreshes and restarts.
//! - the push-triggered `apply-<env>` of such an environment refreshes and restarts too when its
//!   plan writes a password (the first apply of a period may be that one).

use serde::Serialize;

use super::context::{
    Concurrency, Job, Step, checkout, github_environment, read, reading_job, variable, write,
};
use super::deploy::{configure_aws_credentials, deploy_runner, update_kubeconfig};
use super::terraform::{APPLY, terraform_init_steps};
use crate::model::{DeployTrigger, Environment, Model, TerraformDelivery};
use crate::render::rotation::{PASSWORD_RESOURCES, database_secret_readers};
use crate::render::tfvars;

/// Whether the run is due: on a scheduled run, whether the day it was scheduled for (the run
/// may start late, past midnight) starts a rotation period; periods are counted from 1970-01-01
/// UTC, as the stack counts them. A run by hand is always due.
const DUE: &[&str] = &[
    r#"if [ "$EVENT" = workflow_dispatch ]; then"#,
    r#"  echo "run by hand: plan the rotation now""#,
    r#"  echo "due=true" >> "$GITHUB_OUTPUT""#,
    "  exit 0",
    "fi",
    r#"day=$(( ($(date -u +%s) - SCHEDULED_MINUTE * 60) / 86400 ))"#,
    r#"period=$(( day / ROTATION_DAYS ))"#,
    r#"if [ $(( day % ROTATION_DAYS )) -eq 0 ]; then"#,
    r#"  echo "day $day starts rotation period $period: rotate""#,
    r#"  echo "due=true" >> "$GITHUB_OUTPUT""#,
    "else",
    r#"  echo "day $day is in rotation period $period, which began on day $(( period * ROTATION_DAYS )): nothing to rotate""#,
    r#"  echo "due=false" >> "$GITHUB_OUTPUT""#,
    "fi",
];

/// What the environment runs: the newest tag its deploys match (the checkout fetched them all).
const NEWEST_TAG: &[&str] = &[
    r#"tag="$(git for-each-ref --count=1 --sort=-creatordate --format='%(refname)' "refs/tags/$PATTERN")""#,
    r#"if [ -z "$tag" ]; then"#,
    r#"  echo "::error::no tag matches $PATTERN: $ENVIRONMENT was never deployed""#,
    "  exit 1",
    "fi",
    r#"git -c advice.detachedHead=false checkout --quiet "$tag""#,
    r#"echo "rotating $ENVIRONMENT as deployed from ${tag#refs/tags/}""#,
];

/// `-target`: a scheduled run writes the password and nothing else, never a change merged but not
/// yet released (an apply waiting for approval, drift); Terraform still plans what the two
/// resources depend on, which the check below refuses to apply.
const PLAN_THE_PASSWORD: &[&str] = &[
    r#"read -ra targets <<< "$TARGETS""#,
    r#"terraform -chdir="$ROOT" plan -input=false -lock-timeout=5m \"#,
    r#"  "${targets[@]/#/-target=}" \"#,
    r#"  -var-file="$GITHUB_WORKSPACE/$TFVARS" -out=tfplan"#,
];

/// Whether the saved plan writes a new password: the instance exists and its generation changes
/// (a first apply creates the instance: nothing reads a password yet).
const READ_THE_PLAN: &[&str] = &[
    r#"plan="$(mktemp)""#,
    r#"terraform -chdir="$ROOT" show -json tfplan > "$plan""#,
    r#"rotates="$(jq --arg instance "$INSTANCE" '[.resource_changes[]? | select(.address == $instance and .change.before != null) | select(.change.before.password_wo_version != .change.after.password_wo_version)] | length > 0' "$plan")""#,
];
/// A rotation's plan changes the password's resources and nothing else (refused before the
/// step says the password is written, so nothing after it runs).
const ONLY_THE_PASSWORD: &[&str] = &[
    r#"others="$(jq -r --arg targets "$TARGETS" '($targets | split(" ")) as $allowed | [.resource_changes[]? | select(.mode == "managed" and .change.actions != ["no-op"] and .change.actions != ["read"]) | .address | select(. as $address | $allowed | index($address) == null)] | join(" ")' "$plan")""#,
    r#"if [ -n "$others" ]; then"#,
    r#"  echo "::error::the plan changes more than the database password ($others): apply $ENVIRONMENT from its deploy trigger first, then run the rotation again""#,
    "  exit 1",
    "fi",
];
const SAY_WHETHER_IT_WRITES: &[&str] = &[
    r#"echo "rotates=$rotates" >> "$GITHUB_OUTPUT""#,
    r#"if [ "$rotates" = true ]; then"#,
    r#"  echo "the apply writes a new database password: the ExternalSecrets are refreshed and the workloads restarted after it""#,
    "fi",
];

/// Every ExternalSecret holding the database's credentials fetches them again, and the run waits
/// until each has (a refresh stamped no earlier than the second before the annotation holds the
/// password the apply wrote). One not there yet has no workload reading an old password.
const REFRESH: &[&str] = &[
    r#"read -ra names <<< "$EXTERNAL_SECRETS""#,
    r#"since="$(date -u +%Y-%m-%dT%H:%M:%SZ)""#,
    "refreshing=()",
    r#"for name in "${names[@]}"; do"#,
    r#"  if [ -z "$(kubectl get externalsecret "$name" --namespace "$NAMESPACE" --ignore-not-found --output name)" ]; then"#,
    r#"    echo "no ExternalSecret $name in $NAMESPACE yet: nothing to refresh""#,
    "    continue",
    "  fi",
    r#"  kubectl annotate externalsecret "$name" --namespace "$NAMESPACE" --overwrite "force-sync=$(date +%s)""#,
    r#"  refreshing+=("$name")"#,
    "done",
    r#"for name in "${refreshing[@]}"; do"#,
    "  deadline=$(( SECONDS + 300 ))",
    "  until",
    r#"    synced="$(kubectl get externalsecret "$name" --namespace "$NAMESPACE" --output 'jsonpath={.status.refreshTime} {.status.conditions[?(@.type=="Ready")].status}')""#,
    r#"    [[ ! "${synced% *}" < "$since" && "${synced##* }" = True ]]"#,
    "  do",
    "    if (( SECONDS > deadline )); then",
    r#"      echo "::error::ExternalSecret $name did not sync within 5 minutes (kubectl describe externalsecret $name --namespace $NAMESPACE)""#,
    "      exit 1",
    "    fi",
    "    sleep 5",
    "  done",
    r#"  echo "$name holds the new password (refreshed ${synced% *})""#,
    "done",
];

/// Every Deployment whose pods read those Secrets starts again (environment variables and
/// PgBouncer's auth file are read at start). All restarts first, then the waits: between a
/// PgBouncer that knows the new password and services that send the old one (or the reverse),
/// new connections fail, so the two sides change as close together as they can.
const RESTART: &[&str] = &[
    r#"found="$(kubectl get deployment --namespace "$NAMESPACE" --selector "$SELECTOR" --output name)""#,
    r#"if [ -z "$found" ]; then"#,
    r#"  echo "no Deployment in $NAMESPACE reads the database secret yet""#,
    "  exit 0",
    "fi",
    r#"mapfile -t workloads <<< "$found""#,
    r#"for workload in "${workloads[@]}"; do"#,
    r#"  kubectl rollout restart "$workload" --namespace "$NAMESPACE""#,
    "done",
    r#"for workload in "${workloads[@]}"; do"#,
    r#"  kubectl rollout status "$workload" --namespace "$NAMESPACE" --timeout 10m"#,
    "done",
];

/// The id of the step that says whether a plan writes the password.
const CHECK_ID: &str = "password";
/// After the apply, whatever its outcome (a failed apply may have written the password; a
/// restart with the old one changes nothing), unless the run was cancelled.
const AFTER_A_WRITE: &str = "!cancelled() && steps.password.outputs.rotates == 'true'";
const WRITES: &str = "steps.password.outputs.rotates == 'true'";

/// `schedule:` and `workflow_dispatch:` of the Terraform workflow, where an environment rotates.
#[derive(Debug, Serialize)]
pub(super) struct RotationTriggers {
    /// One cron per time of day, with the environments it rotates.
    pub(super) schedules: Vec<Schedule>,
    /// The environments a run by hand may pick.
    pub(super) environments: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Schedule {
    pub(super) cron: String,
    pub(super) environments: String,
}

/// The days between rotations of an environment's password, where it rotates automatically.
pub(super) fn rotation_days(environment: &Environment) -> Option<u16> {
    environment.database.password_rotation_days
}

/// Daily at the end of the backup window (UTC), as minutes after midnight and as a cron.
fn schedule(environment: &Environment) -> (u32, String) {
    let (hour, minute) = environment.database.backup_window.end();
    (hour * 60 + minute, format!("{minute} {hour} * * *"))
}

pub(super) fn triggers(environments: &[&Environment]) -> Option<RotationTriggers> {
    let rotating: Vec<&&Environment> = environments
        .iter()
        .filter(|environment| rotation_days(environment).is_some())
        .collect();
    if rotating.is_empty() {
        return None;
    }
    let mut by_cron = std::collections::BTreeMap::<String, Vec<String>>::new();
    for environment in &rotating {
        by_cron
            .entry(schedule(environment).1)
            .or_default()
            .push(environment.name.clone());
    }
    Some(RotationTriggers {
        schedules: by_cron
            .into_iter()
            .map(|(cron, names)| Schedule {
                cron,
                environments: names.join(", "),
            })
            .collect(),
        environments: rotating.iter().map(|e| e.name.clone()).collect(),
    })
}

/// The step after a plan that says whether it writes the password (its output `rotates`); in
/// a rotation, it also refuses a plan that changes anything else.
pub(super) fn password_check(environment: &Environment, only_the_password: bool) -> Step {
    let mut step = Step::run("Does the plan write the database password?", READ_THE_PLAN);
    if only_the_password {
        step.run.extend_from_slice(ONLY_THE_PASSWORD);
        step = step
            .env("TARGETS", PASSWORD_RESOURCES.join(" "))
            .env("ENVIRONMENT", environment.name.clone());
    }
    step.run.extend_from_slice(SAY_WHETHER_IT_WRITES);
    step.id(CHECK_ID)
        .env("ROOT", tfvars::terraform_root(environment))
        .env("INSTANCE", PASSWORD_RESOURCES[0])
}

/// After an apply that wrote a password: the deploy role (the one that may reach the cluster,
/// in the environment's namespace), the ExternalSecrets refreshed, the workloads restarted.
/// Nothing where nothing reads the database secret.
pub(super) fn refresh_and_restart(model: &Model, environment: &Environment) -> Vec<Step> {
    let readers = database_secret_readers(model, environment);
    if readers.workloads.is_empty() {
        return Vec::new();
    }
    let namespace = environment.namespace.clone();
    vec![
        configure_aws_credentials(
            model,
            environment,
            "Configure AWS credentials (OIDC, the deploy role)",
        )
        .when(AFTER_A_WRITE),
        update_kubeconfig(model, environment).when(AFTER_A_WRITE),
        Step::run("Refresh the database credentials' ExternalSecrets", REFRESH)
            .when(AFTER_A_WRITE)
            .env("NAMESPACE", namespace.clone())
            .env("EXTERNAL_SECRETS", readers.external_secrets.join(" ")),
        Step::run("Restart what reads the database secret", RESTART)
            .when(AFTER_A_WRITE)
            .env("NAMESPACE", namespace)
            .env("SELECTOR", readers.selector()),
    ]
}

/// `rotation-due-<env>` and `rotate-<env>` of an environment that rotates every `days` days.
pub(super) fn jobs(
    model: &Model,
    roles: &TerraformDelivery,
    environment: &Environment,
    days: u16,
) -> Vec<Job> {
    let name = &environment.name;
    let (minute, cron) = schedule(environment);
    let due_id = format!("rotation-due-{name}");
    let due = Job {
        condition: Some(format!(
            "(github.event_name == 'schedule' && github.event.schedule == '{cron}') || (github.event_name == 'workflow_dispatch' && inputs.environment == '{name}')"
        )),
        permissions: Vec::new(),
        outputs: vec![variable("due", "${{ steps.due.outputs.due }}")],
        ..reading_job(
            due_id.clone(),
            format!("Is a rotation of the {name} database password due?"),
            5,
            vec![
                Step::run("Does the day start a rotation period?", DUE)
                    .id("due")
                    .env("EVENT", "${{ github.event_name }}")
                    .env("ROTATION_DAYS", days)
                    .env("SCHEDULED_MINUTE", minute),
            ],
        )
    };

    let mut steps = match &environment.deploy.trigger {
        DeployTrigger::Branch(branch) => vec![checkout(model).with("ref", branch.clone())],
        DeployTrigger::Tag(pattern) => vec![
            checkout(model).with("fetch-depth", 0),
            Step::run("Check out the newest deploy tag", NEWEST_TAG)
                .env("PATTERN", pattern.clone())
                .env("ENVIRONMENT", name.clone()),
        ],
    };
    steps.extend(terraform_init_steps(
        model,
        environment,
        &roles.apply_role_name,
        "rotate",
    ));
    steps.extend([
        Step::run(
            "terraform plan (the database password only)",
            PLAN_THE_PASSWORD,
        )
        .env("ROOT", tfvars::terraform_root(environment))
        .env("TFVARS", tfvars::path(environment))
        .env("TARGETS", PASSWORD_RESOURCES.join(" ")),
        password_check(environment, true),
        Step::run("terraform apply (the new password)", APPLY)
            .when(WRITES)
            .env("ROOT", tfvars::terraform_root(environment)),
    ]);
    steps.extend(refresh_and_restart(model, environment));
    let rotate = Job {
        needs: vec![due_id.clone()],
        condition: Some(format!("needs.{due_id}.outputs.due == 'true'")),
        runs_on: deploy_runner(&environment.deploy.runner),
        permissions: vec![read("contents"), write("id-token")],
        environment: Some(github_environment(environment, Some("kubectl"))),
        // Queued behind the environment's applies, never run beside one.
        concurrency: Some(Concurrency {
            group: format!("terraform-{name}"),
            cancel_in_progress: false,
        }),
        ..reading_job(
            format!("rotate-{name}"),
            format!("Rotate the {name} database password"),
            60,
            steps,
        )
    };
    vec![due, rotate]
}
