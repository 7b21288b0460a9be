//! Blue-green deploys (`deploy.strategy = "blue-green"`): the steps of the deploy job, what each
//! reads and when each runs, the job's time, where the strategy comes from (`explain`), and that
//! turning it off gives back the rolling deploy exactly.

use std::collections::BTreeMap;

use crate::support::{EXAMPLE, example, example_text, load};
use generator::model::{Model, Strategy};
use generator::render::{Request, workflows};
use serde_json::Value;

/// The steps of a blue-green deploy after `Update kubeconfig`, before `Notify Slack`, for a
/// service the ingress routes (`ingress`: its smoke tests through the ingress) kept `keep`.
pub(crate) fn steps_after_kubeconfig(keep: &str, ingress: bool) -> Vec<String> {
    let mut steps = vec![
        "Find the live colour",
        "Update what the colours share (the Service keeps the live colour)",
        "Deploy the idle colour",
        "Smoke test the idle colour",
        "Switch the Service to the new colour",
        "Smoke test: the Service",
    ];
    if ingress {
        steps.extend(["Smoke test: health", "Smoke test: API"]);
    }
    steps.extend(["Refresh AWS credentials for the watch"]);
    let mut steps: Vec<String> = steps.into_iter().map(str::to_string).collect();
    steps.extend([
        format!("Watch the new colour for {keep}"),
        "Refresh AWS credentials".to_string(),
        "Switch back to the previous colour".to_string(),
        "Remove the failed colour".to_string(),
        format!("Remove the previous colour (kept {keep})"),
    ]);
    steps
}

/// Every deploy workflow of `model`, by file name, parsed.
fn deploys(model: &Model, spec: &str) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(crate::support::workspace().join(spec)).expect("spec");
    let request = Request {
        model,
        spec_path: spec,
        spec_text: &text,
        only_environment: None,
    };
    workflows::render(&request)
        .expect("the workflows render")
        .into_iter()
        .filter(|artifact| artifact.path.starts_with(".github/workflows/deploy-"))
        .map(|artifact| {
            let parsed = serde_norway::from_str(&artifact.contents).expect("YAML");
            (artifact.path, parsed)
        })
        .collect()
}

fn deploy_job<'a>(workflows: &'a BTreeMap<String, Value>, service: &str, env: &str) -> &'a Value {
    &workflows[&format!(".github/workflows/deploy-{service}-{env}.yml")]["jobs"]["deploy"]
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_array().expect("steps")
}

fn step<'a>(job: &'a Value, name: &str) -> &'a Value {
    steps(job)
        .iter()
        .find(|step| step["name"] == name)
        .unwrap_or_else(|| panic!("no step {name:?}"))
}

fn position(job: &Value, name: &str) -> usize {
    steps(job)
        .iter()
        .position(|step| step["name"] == name)
        .unwrap_or_else(|| panic!("no step {name:?}"))
}

fn script(step: &Value) -> &str {
    step["run"].as_str().unwrap_or("")
}

#[test]
fn a_blue_green_deploy_smoke_tests_the_idle_colour_before_the_switch_and_the_live_path_after() {
    let model = example();
    let workflows = deploys(&model, EXAMPLE);
    let job = deploy_job(&workflows, "expense-backend", "prod");
    let colour = step(job, "Find the live colour");
    assert_eq!(colour["id"], "colour");
    assert!(script(colour).contains(
        r#"kubectl get service "$RELEASE" --namespace "$NAMESPACE" --ignore-not-found --output 'jsonpath={.spec.selector.colour}'"#
    ));
    let idle = step(job, "Deploy the idle colour");
    assert_eq!(idle["env"]["COLOUR"], "${{ steps.colour.outputs.idle }}");
    assert!(script(idle).contains(r#"helm upgrade --install "$RELEASE-$COLOUR" "$CHART""#));
    assert!(script(idle).contains(r#"--set-string colour="$COLOUR""#));
    let smoke_idle = step(job, "Smoke test the idle colour");
    assert_eq!(
        smoke_idle["env"]["TARGET"],
        "deployment/expense-backend-${{ steps.colour.outputs.idle }}"
    );
    assert_eq!(smoke_idle["env"]["PORT"], 8080);
    assert_eq!(smoke_idle["env"]["HEALTH_PATH"], "/health");
    assert_eq!(smoke_idle["env"]["API_PATH"], "/transaction");
    assert!(
        script(smoke_idle)
            .contains(r#"kubectl port-forward --namespace "$NAMESPACE" "$TARGET" ":$PORT""#)
    );
    let switch = step(job, "Switch the Service to the new colour");
    assert_eq!(switch["id"], "switch");
    assert!(script(switch).contains(r#"--set-string service.activeColour="$COLOUR""#));
    // The revision to switch back to is the shared release's before the deploy touches it.
    assert!(script(colour).contains(r#"helm history "$RELEASE" --namespace "$NAMESPACE" --max 1"#));
    assert!(
        position(job, "Find the live colour")
            < position(
                job,
                "Update what the colours share (the Service keeps the live colour)"
            )
    );
    assert_eq!(
        step(job, "Smoke test: the Service")["env"]["TARGET"],
        "service/expense-backend"
    );
    // Idle colour, smoke test, switch, live smoke tests, watch: in this order.
    let order = [
        "Update what the colours share (the Service keeps the live colour)",
        "Deploy the idle colour",
        "Smoke test the idle colour",
        "Switch the Service to the new colour",
        "Smoke test: the Service",
        "Smoke test: health",
        "Watch the new colour for 30m",
        "Remove the previous colour (kept 30m)",
    ]
    .map(|name| position(job, name));
    assert!(order.is_sorted(), "{order:?}");
}

#[test]
fn a_blue_green_deploy_switches_back_and_removes_colours_only_when_it_should() {
    let model = example();
    let workflows = deploys(&model, EXAMPLE);
    let job = deploy_job(&workflows, "expense-backend", "prod");
    let back = step(job, "Switch back to the previous colour");
    assert_eq!(back["if"], "failure() && steps.shared.outcome != 'skipped'");
    assert_eq!(back["env"]["FROM"], "${{ steps.colour.outputs.from }}");
    assert!(script(back).contains(r#"helm rollback "$RELEASE" "$FROM""#));
    let failed = step(job, "Remove the failed colour");
    assert_eq!(failed["if"], "failure() && steps.idle.outcome != 'skipped'");
    assert_eq!(failed["env"]["COLOUR"], "${{ steps.colour.outputs.idle }}");
    let previous = step(job, "Remove the previous colour (kept 30m)");
    assert_eq!(
        previous["if"],
        "success() && steps.colour.outputs.live != ''"
    );
    assert_eq!(
        previous["env"]["COLOUR"],
        "${{ steps.colour.outputs.live }}"
    );
    // The switch back comes first, so the failed colour is idle again when it is removed; and
    // neither removal touches the colour the Service selects.
    assert!(
        position(job, "Switch back to the previous colour")
            < position(job, "Remove the failed colour")
    );
    for removal in [failed, previous] {
        let command = script(removal);
        let guard = command
            .find(r#"if [ "$live" = "$COLOUR" ]; then"#)
            .expect("guard");
        assert!(
            guard < command.find("helm uninstall").expect("uninstall"),
            "{command}"
        );
    }
    // Fresh credentials for the watch and for what follows it, whatever its outcome.
    let watch = position(job, "Watch the new colour for 30m");
    assert_eq!(
        position(job, "Refresh AWS credentials for the watch") + 1,
        watch
    );
    let refresh = step(job, "Refresh AWS credentials");
    assert_eq!(
        refresh["if"],
        "!cancelled() && steps.idle.outcome != 'skipped'"
    );
    assert_eq!(position(job, "Refresh AWS credentials"), watch + 1);
}

#[test]
fn the_watch_lasts_keep_previous_and_the_job_has_the_time_for_it() {
    let model = example();
    let Strategy::BlueGreen { keep_previous } = &model.environments["prod"].deploy.strategy else {
        panic!("the example's prod deploys blue-green");
    };
    assert_eq!(keep_previous.as_str(), "30m");
    let workflows = deploys(&model, EXAMPLE);
    let job = deploy_job(&workflows, "expense-backend", "prod");
    let watch = step(job, "Watch the new colour for 30m");
    assert_eq!(watch["id"], "watch");
    assert_eq!(watch["env"]["WATCH_SECONDS"], 1800);
    assert_eq!(watch["env"]["COLOUR"], "${{ steps.colour.outputs.idle }}");
    // Through the ingress, which routes the health path here.
    assert_eq!(
        watch["env"]["HEALTH_URL"],
        "https://api.expense.example.com/health"
    );
    assert!(script(watch).contains(r#"deadline=$((SECONDS + WATCH_SECONDS))"#));
    // The rolling deploy's hour, two more helm waits of 10 minutes, and the watch.
    assert_eq!(job["timeout-minutes"], 80 + 30);

    // The guide's platform keeps the default 10 minutes; a service the ingress does not route
    // is watched through the cluster alone, and has no smoke test through the ingress.
    let guide = load("specs/money-tracking.toml");
    let workflows = deploys(&guide, "specs/money-tracking.toml");
    let job = deploy_job(&workflows, "analytics-service", "prod");
    let watch = step(job, "Watch the new colour for 10m");
    assert_eq!(watch["env"]["WATCH_SECONDS"], 600);
    assert_eq!(watch["env"]["HEALTH_URL"], "");
    assert_eq!(job["timeout-minutes"], 80 + 10);
    let names: Vec<&str> = steps(job)
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let from = names
        .iter()
        .position(|name| *name == "Update kubeconfig")
        .expect("kubeconfig");
    assert_eq!(
        names[from + 1..names.len() - 1],
        steps_after_kubeconfig("10m", false)
    );
}

#[test]
fn turning_blue_green_off_gives_back_the_rolling_deploy_exactly() {
    let blue_green = example();
    let text = example_text()
        .replacen("strategy = \"blue-green\"\n", "", 1)
        .replacen("keep_previous = \"30m\"\n", "", 1);
    let rolling = Model::load_str(EXAMPLE, &text).expect("the spec without blue-green loads");
    assert_eq!(
        rolling.environments["prod"].deploy.strategy,
        Strategy::Rolling
    );
    let before = deploys(&blue_green, EXAMPLE);
    let after = deploys(&rolling, EXAMPLE);
    // Staging always deployed with a rolling update: prod's job is now staging's, but for
    // what differs between the two environments.
    let prod = deploy_job(&after, "expense-backend", "prod");
    let staging = deploy_job(&after, "expense-backend", "staging");
    let names = |job: &Value| -> Vec<String> {
        steps(job)
            .iter()
            .filter_map(|step| step["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(prod), names(staging));
    assert_eq!(prod["timeout-minutes"], 60);
    for step in steps(prod) {
        let text = serde_json::to_string(step).expect("JSON");
        for word in ["kubectl", "colour", "Colour"] {
            assert!(!text.contains(word), "{word} in {text}");
        }
    }
    let file = ".github/workflows/deploy-expense-backend-prod.yml";
    assert!(
        names(&before[file]["jobs"]["deploy"])
            .iter()
            .any(|name| name == "Deploy the idle colour")
    );
    // The other environments' deploys do not move.
    for (path, workflow) in &after {
        if path != file {
            assert_eq!(workflow, &before[path], "{path}");
        }
    }
}

#[test]
fn explain_says_where_the_strategy_and_the_keep_time_were_written() {
    let model = example();
    let prod = &model.environments["prod"].resolved;
    for key in ["deploy.strategy", "deploy.keep_previous"] {
        let path = generator::source::Path::parse_dotted(key).expect("a path");
        assert_eq!(
            prod.source_of(&path).to_string(),
            format!("environments.prod.{key}")
        );
    }
    // Rolling where nothing says otherwise, and `explain` says so (the built-in default).
    let staging = &model.environments["staging"];
    assert_eq!(staging.deploy.strategy, Strategy::Rolling);
    let strategy = generator::source::Path::parse_dotted("deploy.strategy").expect("a path");
    assert_eq!(
        strategy.lookup(&staging.resolved.value),
        Some(&Value::from("rolling"))
    );
    assert_eq!(
        staging.resolved.leaves_under(&strategy).count(),
        0,
        "written nowhere"
    );
}
