//! The database password's automatic rotation in `.github/workflows/terraform.yml`, parsed back:
//! which environments are scheduled and when, what the jobs may do and where they run, and their
//! scripts run by bash against fakes of `date`, `git` repositories, `terraform` and `kubectl`:
//! the day a rotation is due, the tag checked out, the plan that may write the password, the
//! ExternalSecrets refreshed and the workloads restarted. The names refreshed and restarted are
//! those the rendered Helm values and PgBouncer manifests give.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::render_terraform::{fake, permissions, run_step, step, uses, workflow};
use crate::support::{example, load};
use generator::model::Model;
use generator::render::rotation::PASSWORD_RESOURCES;
use generator::render::{Request, render_all};
use serde_json::{Value, json};

/// A fixture spec, written beside the test and loaded.
fn fixture(name: &str) -> Model {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = crate::specs::named(name).write_in(dir.path());
    Model::load(&path).unwrap_or_else(|error| panic!("{name} loads: {error}"))
}

fn money_tracking() -> Model {
    load("specs/money-tracking.toml")
}

fn job_ids(workflow: &Value) -> BTreeSet<String> {
    workflow["jobs"]
        .as_object()
        .expect("jobs")
        .keys()
        .cloned()
        .collect()
}

/// The first line of `GITHUB_OUTPUT` naming `key`, as `key=value`.
fn output(file: &Path, key: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")).map(str::to_string))
}

#[test]
fn only_a_rotating_environment_is_scheduled_and_can_be_rotated_by_hand() {
    let rotating = workflow(&fixture("rotation_in_prod"));
    // The starter's backup window is 03:00-04:00 UTC.
    assert_eq!(rotating["on"]["schedule"], json!([{"cron": "0 4 * * *"}]));
    let input = &rotating["on"]["workflow_dispatch"]["inputs"]["environment"];
    assert_eq!(input["type"], "choice");
    assert_eq!(input["options"], json!(["prod"]));
    let jobs = job_ids(&rotating);
    assert!(jobs.contains("rotation-due-prod") && jobs.contains("rotate-prod"));
    assert!(
        !jobs
            .iter()
            .any(|id| id.ends_with("-dev") && id.starts_with("rotat"))
    );

    // A spec that rotates nowhere: no schedule, no run by hand, no rotation job, and its applies
    // stay on the hosted runner without a step about the password.
    let example = workflow(&example());
    assert!(example["on"]["schedule"].is_null(), "{}", example["on"]);
    assert!(example["on"]["workflow_dispatch"].is_null());
    assert!(!job_ids(&example).iter().any(|id| id.starts_with("rotat")));
    let apply = &example["jobs"]["apply-prod"];
    assert_eq!(apply["runs-on"], "ubuntu-24.04");
    assert!(
        !apply["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .any(|step| step["id"] == "password")
    );
}

#[test]
fn the_rotation_applies_with_the_apply_role_in_the_environment_from_what_it_deployed() {
    let model = fixture("rotation_in_prod");
    let workflow = workflow(&model);
    let rotate = &workflow["jobs"]["rotate-prod"];
    let apply = &workflow["jobs"]["apply-prod"];
    assert_eq!(rotate["needs"], json!(["rotation-due-prod"]));
    assert_eq!(
        rotate["if"],
        "needs.rotation-due-prod.outputs.due == 'true'"
    );
    // The push-triggered apply's GitHub environment (its approval), its role, its queue.
    assert_eq!(rotate["environment"], apply["environment"]);
    assert_eq!(
        permissions(rotate),
        json!({"contents": "read", "id-token": "write"})
    );
    assert_eq!(rotate["concurrency"], apply["concurrency"]);
    let role = |job: &Value| {
        uses(job, "aws-actions/configure-aws-credentials").expect("OIDC")["with"]["role-to-assume"]
            .clone()
    };
    assert_eq!(role(rotate), role(apply));
    // It reaches the cluster (private in prod) from prod's own runner, as the deploys do.
    assert_eq!(
        rotate["runs-on"],
        json!(["self-hosted", "linux", "myapp-prod"])
    );
    assert_eq!(rotate["runs-on"], apply["runs-on"]);

    // Prod deploys on a tag: the newest tag matching it is what it runs.
    let checkout = uses(rotate, "actions/checkout").expect("a checkout");
    assert_eq!(checkout["with"]["fetch-depth"], 0);
    assert_eq!(checkout["with"]["persist-credentials"], false);
    assert_eq!(
        step(rotate, "Check out the newest deploy tag")["env"]["PATTERN"],
        "v*"
    );
    // A branch environment runs its branch.
    let dev = &workflow_of_money_tracking()["jobs"]["rotate-dev"];
    let checkout = uses(dev, "actions/checkout").expect("a checkout");
    assert_eq!(checkout["with"]["ref"], "main");

    // The plan targets the password's two resources; the apply follows the check and runs only
    // when the plan writes a password; the deploy role then refreshes and restarts.
    let names: Vec<&str> = rotate["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["name"].as_str())
        .collect();
    let at = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no step {name}: {names:?}"))
    };
    assert!(
        at("terraform plan (the database password only)")
            < at("Does the plan write the database password?")
    );
    assert!(
        at("Does the plan write the database password?") < at("terraform apply (the new password)")
    );
    assert!(
        at("terraform apply (the new password)") < at("Restart what reads the database secret")
    );
    assert_eq!(
        step(rotate, "terraform plan (the database password only)")["env"]["TARGETS"],
        PASSWORD_RESOURCES.join(" ")
    );
    assert_eq!(
        step(rotate, "terraform apply (the new password)")["if"],
        "steps.password.outputs.rotates == 'true'"
    );
    let deploy_role = step(rotate, "Configure AWS credentials (OIDC, the deploy role)");
    assert_eq!(
        deploy_role["with"]["role-to-assume"],
        format!(
            "arn:aws:iam::${{{{ secrets.AWS_ACCOUNT_ID }}}}:role/{}",
            model.delivery.aws_role_name
        )
    );
    for name in [
        "Configure AWS credentials (OIDC, the deploy role)",
        "Update kubeconfig",
        "Refresh the database credentials' ExternalSecrets",
        "Restart what reads the database secret",
    ] {
        assert_eq!(
            step(rotate, name)["if"],
            "!cancelled() && steps.password.outputs.rotates == 'true'",
            "{name}"
        );
    }
}

/// A push-triggered apply may be the first of a period: where the password rotates, it says
/// whether its plan writes one and then refreshes and restarts, from where the cluster is reached.
#[test]
fn a_rotating_environments_apply_restarts_what_reads_a_password_it_wrote() {
    let workflow = workflow(&fixture("rotation_in_prod"));
    let apply = &workflow["jobs"]["apply-prod"];
    let check = step(apply, "Does the plan write the database password?");
    assert_eq!(check["id"], "password");
    // An apply may change anything: only the rotation refuses other changes.
    assert!(check["env"]["TARGETS"].is_null());
    assert_eq!(
        step(apply, "Restart what reads the database secret")["if"],
        "!cancelled() && steps.password.outputs.rotates == 'true'"
    );
    // dev rotates by hand: its apply is as before.
    let dev = &workflow["jobs"]["apply-dev"];
    assert_eq!(dev["runs-on"], "ubuntu-24.04");
    assert!(
        !dev["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .any(|step| step["name"] == "Restart what reads the database secret")
    );
}

fn workflow_of_money_tracking() -> Value {
    workflow(&money_tracking())
}

/// Runs the due job's script at `now` (seconds since 1970) for `event`.
fn due(job: &Value, event: &str, now: u64) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    fake(
        dir.path(),
        "date",
        r#"[ "$1 $2" = "-u +%s" ] || exit 9; echo "$FAKE_NOW""#,
    );
    let file = dir.path().join("output");
    let values = BTreeMap::from([("EVENT", event)]);
    let now = now.to_string();
    let run = run_step(
        step(job, "Does the day start a rotation period?"),
        dir.path(),
        &values,
        &[
            ("GITHUB_OUTPUT", file.to_str().expect("UTF-8")),
            ("FAKE_NOW", now.as_str()),
        ],
    );
    assert!(run.status.success(), "{run:?}");
    let said = output(&file, "due").expect("the due output");
    (
        said == "true",
        String::from_utf8_lossy(&run.stdout).into_owned(),
    )
}

#[test]
fn a_rotation_is_due_on_the_first_day_of_each_period_even_when_the_run_starts_late() {
    let workflow = workflow_of_money_tracking();
    let job = &workflow["jobs"]["rotation-due-prod"];
    assert_eq!(permissions(job), json!({}));
    assert_eq!(
        job["if"],
        "(github.event_name == 'schedule' && github.event.schedule == '0 4 * * *') || (github.event_name == 'workflow_dispatch' && inputs.environment == 'prod')"
    );
    let day = 86_400;
    // 90-day periods from 1970-01-01: day 20790 (2026-12-03) starts period 231.
    let at_four = 20_790 * day + 4 * 3600;
    let (rotates, said) = due(job, "schedule", at_four + 120);
    assert!(rotates, "{said}");
    assert!(
        said.contains("day 20790 starts rotation period 231"),
        "{said}"
    );
    // The day before and the day after are in the middle of a period.
    assert!(!due(job, "schedule", at_four - day).0);
    let (rotates, said) = due(job, "schedule", at_four + day);
    assert!(!rotates, "{said}");
    assert!(said.contains("began on day 20790"), "{said}");
    // A run of the 04:00 schedule that starts 21 hours late is still that day's.
    assert!(due(job, "schedule", at_four + 21 * 3600).0);
    // By hand, any day: the plan decides whether a password is written.
    assert!(due(job, "workflow_dispatch", at_four + 17 * day).0);
}

/// A repository whose tags were created in this order, each on a commit of its own.
fn repository_with_tags(dir: &Path, tags: &[&str]) {
    let git = |args: &[&str], date: &str| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "--quiet"], "2026-01-01T00:00:00Z");
    for (day, tag) in tags.iter().enumerate() {
        let date = format!("2026-01-{:02}T00:00:00Z", day + 2);
        std::fs::write(dir.join("release"), tag).expect("write");
        git(&["add", "release"], &date);
        git(&["commit", "--quiet", "-m", tag], &date);
        git(&["tag", "-a", "-m", tag, tag], &date);
    }
    // The branch moved on past every tag.
    std::fs::write(dir.join("release"), "unreleased").expect("write");
    git(
        &["commit", "--quiet", "-am", "unreleased"],
        "2026-02-01T00:00:00Z",
    );
}

#[test]
fn the_rotation_checks_out_the_newest_tag_the_environment_deploys() {
    let workflow = workflow_of_money_tracking();
    let newest = step(
        &workflow["jobs"]["rotate-prod"],
        "Check out the newest deploy tag",
    );
    assert_eq!(newest["env"]["PATTERN"], "v*-prod");
    let dir = tempfile::tempdir().expect("tempdir");
    // Created last, but not a prod tag; v1.10.0-prod is newer than v1.9.0-prod by date, not name.
    repository_with_tags(
        dir.path(),
        &["v1.9.0-prod", "v1.10.0-prod", "v1.11.0-staging"],
    );
    let run = run_step(newest, dir.path(), &BTreeMap::new(), &[]);
    assert!(run.status.success(), "{run:?}");
    let released = std::fs::read_to_string(dir.path().join("release")).expect("read");
    assert_eq!(released, "v1.10.0-prod");
    assert!(String::from_utf8_lossy(&run.stdout).contains("as deployed from v1.10.0-prod"));

    // No tag: the environment never deployed, nothing to rotate from.
    let dir = tempfile::tempdir().expect("tempdir");
    repository_with_tags(dir.path(), &["v1.0.0-staging"]);
    let run = run_step(newest, dir.path(), &BTreeMap::new(), &[]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stdout).contains("no tag matches v*-prod"));
}

#[test]
fn the_rotations_plan_targets_the_password_and_nothing_else() {
    let workflow = workflow_of_money_tracking();
    let plan = step(
        &workflow["jobs"]["rotate-prod"],
        "terraform plan (the database password only)",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    fake(dir.path(), "terraform", r#"printf '%s\n' "$@" > "$ARGS""#);
    let args = dir.path().join("args");
    let run = run_step(
        plan,
        dir.path(),
        &BTreeMap::new(),
        &[
            ("ARGS", args.to_str().expect("UTF-8")),
            ("GITHUB_WORKSPACE", "/work"),
        ],
    );
    assert!(run.status.success(), "{run:?}");
    let args = std::fs::read_to_string(args).expect("the arguments");
    let targets: Vec<&str> = args
        .lines()
        .filter_map(|arg| arg.strip_prefix("-target="))
        .collect();
    assert_eq!(targets, PASSWORD_RESOURCES);
    assert!(args.lines().any(|arg| arg == "-out=tfplan"), "{args}");
    assert!(
        args.lines()
            .any(|arg| arg == "-var-file=/work/generated/prod/terraform.tfvars"),
        "{args}"
    );
}

/// A saved plan as `terraform show -json` prints it: the instance's generation before and after,
/// and the other changes.
fn plan_json(before: Option<u64>, after: u64, others: &[&str]) -> String {
    let mut changes = vec![json!({
        "address": PASSWORD_RESOURCES[0],
        "mode": "managed",
        "change": {
            "actions": [if before.is_some() { "update" } else { "create" }],
            "before": before.map(|generation| json!({"password_wo_version": generation})),
            "after": {"password_wo_version": after},
        },
    })];
    changes.push(json!({
        "address": "module.rds.aws_db_subnet_group.this",
        "mode": "managed",
        "change": {"actions": ["no-op"], "before": {}, "after": {}},
    }));
    for address in others {
        changes.push(json!({
            "address": address,
            "mode": "managed",
            "change": {"actions": ["update"], "before": {}, "after": {}},
        }));
    }
    json!({ "resource_changes": changes }).to_string()
}

/// Runs a job's password check against a plan; its outcome and the `rotates` it wrote.
fn check(job: &Value, plan: &str) -> (bool, Option<String>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("plan.json"), plan).expect("write");
    fake(
        dir.path(),
        "terraform",
        &format!(
            "[ \"$2 $3 $4\" = 'show -json tfplan' ] || exit 9\ncat '{}'\n",
            dir.path().join("plan.json").display()
        ),
    );
    let file = dir.path().join("output");
    let run = run_step(
        step(job, "Does the plan write the database password?"),
        dir.path(),
        &BTreeMap::new(),
        &[("GITHUB_OUTPUT", file.to_str().expect("UTF-8"))],
    );
    (
        run.status.success(),
        output(&file, "rotates"),
        String::from_utf8_lossy(&run.stdout).into_owned(),
    )
}

#[test]
fn a_plan_writes_the_password_when_the_instances_generation_changes() {
    let workflow = workflow_of_money_tracking();
    for job in ["rotate-prod", "apply-prod"] {
        let job = &workflow["jobs"][job];
        let rotation = plan_json(Some(1_000_230), 1_000_231, &[]);
        assert_eq!(check(job, &rotation).1.as_deref(), Some("true"));
        let same = plan_json(Some(1_000_231), 1_000_231, &[]);
        assert_eq!(check(job, &same).1.as_deref(), Some("false"));
    }
    // A first apply creates the instance: nothing reads a password yet.
    let apply = &workflow["jobs"]["apply-prod"];
    let first = plan_json(None, 1_000_231, &["module.vpc.aws_vpc.this"]);
    assert_eq!(check(apply, &first).1.as_deref(), Some("false"));
    // A push's apply writes the password beside whatever else it changes.
    let with_others = plan_json(
        Some(1_000_230),
        1_000_231,
        &["module.eks.aws_eks_cluster.this"],
    );
    let (ok, rotates, _) = check(apply, &with_others);
    assert!(ok);
    assert_eq!(rotates.as_deref(), Some("true"));

    // The rotation refuses a plan that changes anything else, before it says a password is
    // written: nothing after the check runs, no restart either.
    let rotate = &workflow["jobs"]["rotate-prod"];
    let (ok, rotates, said) = check(rotate, &with_others);
    assert!(!ok);
    assert_eq!(rotates, None);
    assert!(
        said.contains("changes more than the database password (module.eks.aws_eks_cluster.this)"),
        "{said}"
    );
}

/// A fake `kubectl` that logs each call, knows the ExternalSecrets in `$PRESENT`, reports each
/// one refreshed on the second look (stale on the first) and lists two Deployments.
const KUBECTL: &str = r#"echo "$*" >> "$LOG"
case "$1 $2" in
  "get externalsecret")
    if [[ " $* " == *" --ignore-not-found "* ]]; then
      if [[ " $PRESENT " == *" $3 "* ]]; then echo "externalsecret.external-secrets.io/$3"; fi
      exit 0
    fi
    looked="$STATE/$3"
    if [ -e "$looked" ]; then echo "2999-01-01T00:00:00Z True"; else touch "$looked"; echo "2000-01-01T00:00:00Z True"; fi
    ;;
  "get deployment")
    printf 'deployment.apps/user-service-blue\ndeployment.apps/pgbouncer\n'
    ;;
esac
"#;

#[test]
fn after_a_write_the_external_secrets_refresh_and_every_reader_restarts_together() {
    let workflow = workflow_of_money_tracking();
    let job = &workflow["jobs"]["rotate-prod"];
    let dir = tempfile::tempdir().expect("tempdir");
    fake(dir.path(), "kubectl", KUBECTL);
    fake(dir.path(), "sleep", "exit 0");
    let log = dir.path().join("log");
    let state = dir.path().join("state");
    std::fs::create_dir(&state).expect("state");
    let env = [
        ("LOG", log.to_str().expect("UTF-8")),
        ("STATE", state.to_str().expect("UTF-8")),
        ("PRESENT", "user-service-secrets pgbouncer-upstream"),
    ];
    let refresh = step(job, "Refresh the database credentials' ExternalSecrets");
    let run = run_step(refresh, dir.path(), &BTreeMap::new(), &env);
    assert!(run.status.success(), "{run:?}");
    let said = String::from_utf8_lossy(&run.stdout);
    let calls = std::fs::read_to_string(&log).expect("the log");
    // Those there are annotated and waited for until a refresh after the annotation; one not
    // deployed yet is passed over.
    let annotated: Vec<&str> = calls
        .lines()
        .filter(|call| call.starts_with("annotate"))
        .collect();
    assert_eq!(annotated.len(), 2, "{calls}");
    assert!(
        annotated
            .iter()
            .all(|call| call.contains("--overwrite force-sync="))
    );
    assert!(said.contains("no ExternalSecret auth-service-secrets in money-tracking-prod yet"));
    assert!(
        said.contains("pgbouncer-upstream holds the new password (refreshed 2999-01-01T00:00:00Z)")
    );

    std::fs::remove_file(&log).expect("reset the log");
    let restart = step(job, "Restart what reads the database secret");
    let run = run_step(restart, dir.path(), &BTreeMap::new(), &env);
    assert!(run.status.success(), "{run:?}");
    let calls = std::fs::read_to_string(&log).expect("the log");
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(
        calls,
        [
            "get deployment --namespace money-tracking-prod --selector app.kubernetes.io/name in (analytics-service,auth-service,bank-service,transaction-service,user-service,pgbouncer) --output name",
            "rollout restart deployment.apps/user-service-blue --namespace money-tracking-prod",
            "rollout restart deployment.apps/pgbouncer --namespace money-tracking-prod",
            "rollout status deployment.apps/user-service-blue --namespace money-tracking-prod --timeout 10m",
            "rollout status deployment.apps/pgbouncer --namespace money-tracking-prod --timeout 10m",
        ]
    );
}

#[test]
fn an_external_secret_that_never_syncs_fails_the_rotation() {
    let workflow = workflow_of_money_tracking();
    let refresh = step(
        &workflow["jobs"]["rotate-prod"],
        "Refresh the database credentials' ExternalSecrets",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    // Refreshed long ago, never again; SECONDS jumps past the deadline at the first sleep.
    fake(
        dir.path(),
        "kubectl",
        r#"case "$*" in *--ignore-not-found*) echo "externalsecret/$3" ;; get*) echo "2000-01-01T00:00:00Z False" ;; esac"#,
    );
    let run = run_step(
        &json!({"run": format!("sleep() {{ SECONDS=$((SECONDS + 400)); }}\n{}", refresh["run"].as_str().expect("a script")), "env": refresh["env"]}),
        dir.path(),
        &BTreeMap::new(),
        &[],
    );
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stdout)
            .contains("ExternalSecret analytics-service-secrets did not sync within 5 minutes")
    );
}

/// What the rotation refreshes and restarts is what the rendered artifacts say reads the
/// database secret: every release whose values read it (its ExternalSecret, and its Deployments
/// by the name the chart labels them with) and PgBouncer's ExternalSecret and Deployment.
#[test]
fn the_rotation_refreshes_and_restarts_every_reader_the_artifacts_name() {
    let model = money_tracking();
    let spec_text =
        std::fs::read_to_string(crate::support::workspace().join("specs/money-tracking.toml"))
            .expect("the spec");
    let artifacts = render_all(&Request {
        model: &model,
        spec_path: "specs/money-tracking.toml",
        spec_text: &spec_text,
        only_environment: None,
    })
    .expect("renders");
    let workflow = workflow(&model);
    let documents = |path: &str| -> Vec<Value> {
        serde_norway::Deserializer::from_str(&contents(&artifacts, path))
            .map(|document| serde::Deserialize::deserialize(document).expect("YAML"))
            .collect()
    };
    for name in model.environments.keys() {
        let tfvars: Value = hcl::from_str(&contents(
            &artifacts,
            &format!("generated/{name}/terraform.tfvars"),
        ))
        .expect("tfvars");
        let database = tfvars["secret_names"]["database"].clone();
        let (mut secrets, mut workloads) = (Vec::new(), Vec::new());
        for artifact in artifacts.iter().filter(|artifact| {
            artifact
                .path
                .starts_with(&format!("generated/{name}/helm-values/"))
        }) {
            let values: Value = serde_norway::from_str(&artifact.contents).expect("values");
            let external = &values["secrets"]["externalSecret"];
            let reads = external["data"]
                .as_array()
                .expect("data")
                .iter()
                .any(|read| read["remoteKey"] == database);
            if external["enabled"] == true && reads {
                secrets.push(
                    values["secrets"]["name"]
                        .as_str()
                        .expect("a name")
                        .to_string(),
                );
                workloads.push(values["nameOverride"].as_str().expect("a name").to_string());
            }
        }
        for document in documents(&format!("generated/{name}/pgbouncer/pgbouncer.yaml")) {
            let name_label = document["metadata"]["labels"]["app.kubernetes.io/name"].clone();
            match document["kind"].as_str() {
                Some("ExternalSecret")
                    if document["spec"]["dataFrom"][0]["extract"]["key"] == database =>
                {
                    secrets.push(
                        document["metadata"]["name"]
                            .as_str()
                            .expect("a name")
                            .to_string(),
                    );
                }
                Some("Deployment") => {
                    workloads.push(name_label.as_str().expect("a name").to_string());
                }
                _ => {}
            }
        }
        assert!(workloads.contains(&"pgbouncer".to_string()), "{name}");
        let rotate = &workflow["jobs"][format!("rotate-{name}")];
        let refresh = step(rotate, "Refresh the database credentials' ExternalSecrets");
        assert_eq!(
            refresh["env"]["EXTERNAL_SECRETS"],
            secrets.join(" "),
            "{name}"
        );
        assert_eq!(refresh["env"]["NAMESPACE"], tfvars["namespace"], "{name}");
        let restart = step(rotate, "Restart what reads the database secret");
        assert_eq!(
            restart["env"]["SELECTOR"],
            format!("app.kubernetes.io/name in ({})", workloads.join(",")),
            "{name}"
        );
    }
}

fn contents(artifacts: &[generator::render::Artifact], path: &str) -> String {
    artifacts
        .iter()
        .find(|artifact| artifact.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
        .clone()
}

/// The runbook says what the workflow does: the time it looks, what it checks out, and the
/// commands that refresh and restart name what the workflow's steps name. An environment that
/// rotates by hand says so, with the same commands.
#[test]
fn the_runbook_says_when_the_workflow_rotates_and_refreshes_what_it_refreshes() {
    for (model, rotating) in [(money_tracking(), true), (example(), false)] {
        let spec_path = if rotating {
            "specs/money-tracking.toml"
        } else {
            crate::support::EXAMPLE
        };
        let spec_text =
            std::fs::read_to_string(crate::support::workspace().join(spec_path)).expect("spec");
        let artifacts = render_all(&Request {
            model: &model,
            spec_path,
            spec_text: &spec_text,
            only_environment: None,
        })
        .expect("renders");
        let rotating_workflow = rotating.then(|| workflow(&model));
        for (name, environment) in &model.environments {
            let runbook = contents(&artifacts, &format!("generated/{name}/OPERATIONS.md"));
            let section = runbook
                .split("## Database password rotation")
                .nth(1)
                .unwrap_or_else(|| panic!("{name}: no rotation section"));
            let readers = generator::render::rotation::database_secret_readers(&model, environment);
            let secrets = readers.external_secrets.join(" ");
            assert!(
                section.contains(&format!("annotate externalsecret {secrets} force-sync=")),
                "{name}: {section}"
            );
            assert!(
                section.contains(&format!(
                    "rollout restart deployment -l '{}'",
                    readers.selector()
                )),
                "{name}: {section}"
            );
            let Some(rotating_workflow) = &rotating_workflow else {
                assert!(
                    section.contains("rotates its database password by hand"),
                    "{name}"
                );
                continue;
            };
            let jobs = &rotating_workflow["jobs"];
            let refresh = step(
                &jobs[format!("rotate-{name}")],
                "Refresh the database credentials' ExternalSecrets",
            );
            assert_eq!(refresh["env"]["EXTERNAL_SECRETS"], secrets, "{name}");
            let cron = rotating_workflow["on"]["schedule"][0]["cron"]
                .as_str()
                .expect("a cron");
            let fields: Vec<&str> = cron.split(' ').collect();
            let at = format!(
                "{:02}:{:02}",
                fields[1].parse::<u32>().expect("an hour"),
                fields[0].parse::<u32>().expect("a minute")
            );
            assert!(
                section.contains(&format!("runs daily at {at} UTC")),
                "{name}: {section}"
            );
            assert!(
                section.contains(&format!(
                    "every {} days",
                    environment.database.password_rotation_days.expect("on")
                )),
                "{name}"
            );
            assert!(
                section.contains(&format!("-f environment={name}")),
                "{name}: how to run it by hand"
            );
        }
    }
}

/// An environment's own period overrides `[defaults]`: `explain` says where each environment's
/// came from, and its tfvars and its rotation's due day follow it.
#[test]
fn an_environment_rotates_on_its_own_period_where_it_writes_one() {
    const SPEC: &str = "specs/money-tracking.toml";
    let spec = std::fs::read_to_string(crate::support::workspace().join(SPEC))
        .expect("the spec")
        .replacen(
            "[environments.dev.database]\n",
            "[environments.dev.database]\npassword_rotation_days = 30\n",
            1,
        );
    let model = Model::load_str(SPEC, &spec).expect("valid");
    let key =
        generator::source::Path::parse_dotted("database.password_rotation_days").expect("a path");
    let source = |name: &str| {
        model.environments[name]
            .resolved
            .source_of(&key)
            .to_string()
    };
    assert_eq!(
        source("dev"),
        "environments.dev.database.password_rotation_days"
    );
    assert_eq!(source("prod"), "defaults.database.password_rotation_days");
    let artifacts = render_all(&Request {
        model: &model,
        spec_path: SPEC,
        spec_text: &spec,
        only_environment: None,
    })
    .expect("renders");
    let workflow = workflow(&model);
    for (name, days) in [("dev", 30), ("prod", 90)] {
        let tfvars: Value = hcl::from_str(&contents(
            &artifacts,
            &format!("generated/{name}/terraform.tfvars"),
        ))
        .expect("tfvars");
        assert_eq!(tfvars["rds_password_rotation_days"], days, "{name}");
        let due = step(
            &workflow["jobs"][format!("rotation-due-{name}")],
            "Does the day start a rotation period?",
        );
        assert_eq!(due["env"]["ROTATION_DAYS"], days, "{name}");
    }
}
