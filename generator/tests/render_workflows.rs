//! The rendered GitHub workflows, parsed back as YAML and checked against the spec's values.

use std::collections::BTreeMap;

use crate::support::{EXAMPLE, example, example_text, runtime_service, workspace};
use generator::model::{Action, ActionRef, DeployTrigger, Model, Strategy};
use generator::render::{RenderError, Request, render_all, workflows};
use serde_json::Value;

/// The commit of actions/checkout's v5.0.0 tag.
const CHECKOUT_V5_0_0: &str = "08c6903cd8c0fde910a37f88322edcfb5dd907a8";

fn render_text(model: &Model) -> Result<BTreeMap<String, String>, RenderError> {
    let request = Request {
        model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: None,
    };
    Ok(workflows::render(&request)?
        .into_iter()
        .filter(|a| a.path.starts_with(".github/workflows/"))
        .map(|a| (a.path, a.contents))
        .collect())
}

/// Every workflow, by file name, parsed back.
pub(crate) fn render(model: &Model) -> BTreeMap<String, Value> {
    render_text(model)
        .expect("the workflows render")
        .into_iter()
        .map(|(path, text)| {
            let parsed: Value = serde_norway::from_str(&text)
                .unwrap_or_else(|e| panic!("{path} is not YAML: {e}\n{text}"));
            (
                path.trim_start_matches(".github/workflows/").to_string(),
                parsed,
            )
        })
        .collect()
}

fn jobs(workflow: &Value) -> impl Iterator<Item = (&String, &Value)> {
    workflow["jobs"].as_object().expect("jobs is a map").iter()
}

pub(crate) fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_array().expect("steps is a list")
}

fn all_steps(workflow: &Value) -> impl Iterator<Item = &Value> {
    jobs(workflow).flat_map(|(_, job)| steps(job))
}

pub(crate) fn step_using<'a>(job: &'a Value, action: &str) -> Option<&'a Value> {
    steps(job).iter().find(|step| {
        step["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("{action}@")))
    })
}

pub(crate) fn step_named<'a>(job: &'a Value, name: &str) -> &'a Value {
    steps(job)
        .iter()
        .find(|step| step["name"] == name)
        .unwrap_or_else(|| panic!("no step {name:?}"))
}

pub(crate) fn script(step: &Value) -> &str {
    step["run"].as_str().unwrap_or("")
}

/// The steps of a job that install or upgrade a release: one of a rolling deploy, three of a
/// blue-green one (what the colours share, the idle colour, the switch).
pub(crate) fn helm_upgrades(job: &Value) -> Vec<&Value> {
    let upgrades: Vec<&Value> = steps(job)
        .iter()
        .filter(|step| script(step).contains("helm upgrade --install"))
        .collect();
    assert!(!upgrades.is_empty(), "no helm upgrade in {job}");
    upgrades
}

#[test]
fn ci_and_one_deploy_workflow_per_environment_are_rendered() {
    let model = example();
    let workflows = render(&model);
    let mut expected = vec![
        "ci.yml".to_string(),
        "cost.yml".to_string(),
        "terraform.yml".to_string(),
    ];
    expected.extend(
        model
            .environments
            .keys()
            .map(|env| format!("deploy-expense-backend-{env}.yml")),
    );
    expected.sort();
    assert_eq!(workflows.keys().cloned().collect::<Vec<_>>(), expected);
}

#[test]
fn each_environment_deploys_on_a_push_to_its_branch_or_of_a_matching_tag() {
    let model = example();
    let workflows = render(&model);
    for (name, environment) in &model.environments {
        let on = &workflows[&format!("deploy-expense-backend-{name}.yml")]["on"];
        assert_eq!(
            on.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            Some(vec![&"push".to_string()]),
            "{name}"
        );
        let (branches, tags) = match &environment.deploy.trigger {
            DeployTrigger::Branch(branch) => (vec![Value::from(branch.as_str())], Vec::new()),
            DeployTrigger::Tag(tag) => (Vec::new(), vec![Value::from(tag.as_str())]),
        };
        let listed = |key: &str| on["push"][key].as_array().cloned().unwrap_or_default();
        assert_eq!(listed("branches"), branches, "{name}");
        assert_eq!(listed("tags"), tags, "{name}");
    }
    // The example spec's delivery, as the seed describes it.
    assert_eq!(
        workflows["deploy-expense-backend-dev.yml"]["on"]["push"]["branches"],
        serde_json::json!(["main"])
    );
    assert_eq!(
        workflows["deploy-expense-backend-staging.yml"]["on"]["push"]["tags"],
        serde_json::json!(["v*-staging"])
    );
    assert_eq!(
        workflows["deploy-expense-backend-prod.yml"]["on"]["push"]["tags"],
        serde_json::json!(["v*-prod"])
    );
}

#[test]
fn ci_checks_pull_requests_and_pushes_of_the_deployed_branch() {
    let ci = &render(&example())["ci.yml"];
    assert_eq!(
        ci["on"]["pull_request"]["branches"],
        serde_json::json!(["main"])
    );
    assert_eq!(ci["on"]["push"]["branches"], serde_json::json!(["main"]));
}

#[test]
fn every_deploy_runs_in_its_github_environment_and_only_prod_waits_for_approval() {
    let model = example();
    let texts = render_text(&model).expect("renders");
    let workflows = render(&model);
    for (name, environment) in &model.environments {
        let file = format!("deploy-expense-backend-{name}.yml");
        let job = &workflows[&file]["jobs"]["deploy"];
        assert_eq!(job["environment"]["name"], name.as_str());
        assert_eq!(
            job["environment"]["url"],
            format!("https://{}", environment.ingress.host)
        );
        let waits = texts[&format!(".github/workflows/{file}")].contains("# Waits for approval");
        assert_eq!(waits, environment.deploy.approval_required, "{name}");
        let private = texts[&format!(".github/workflows/{file}")]
            .contains("# The EKS API of this environment is private");
        assert_eq!(private, !environment.eks.endpoint_public_access, "{name}");
    }
    assert!(model.environments["prod"].deploy.approval_required);
}

#[test]
fn aws_access_is_oidc_role_assumption_of_the_spec_role_in_the_spec_region() {
    let model = example();
    let delivery = &model.delivery;
    for (name, workflow) in render(&model) {
        for (job_name, job) in jobs(&workflow) {
            let Some(step) = step_using(job, "aws-actions/configure-aws-credentials") else {
                continue;
            };
            // The deploys assume the deploy role; Terraform's plans and applies their own.
            let terraform = delivery
                .terraform
                .as_ref()
                .expect("the example has the workflow");
            let role_name = match job_name.split_once('-') {
                Some(("plan", _)) if name == "terraform.yml" => &terraform.plan_role_name,
                Some(("apply", _)) if name == "terraform.yml" => &terraform.apply_role_name,
                _ => &delivery.aws_role_name,
            };
            let role = format!("arn:aws:iam::${{{{ secrets.AWS_ACCOUNT_ID }}}}:role/{role_name}");
            assert_eq!(step["with"]["role-to-assume"], role, "{name} {job_name}");
            assert_eq!(
                step["with"]["aws-region"],
                model.project.aws_region.as_str()
            );
            let inputs: Vec<&String> = step["with"].as_object().expect("with").keys().collect();
            assert!(
                inputs
                    .iter()
                    .all(|input| !input.contains("access-key") && !input.contains("session-token"))
            );
        }
    }
    for text in render_text(&model).expect("renders").values() {
        assert!(!text.contains("AWS_ACCESS_KEY_ID") && !text.contains("AWS_SECRET_ACCESS_KEY"));
        assert!(!text.contains("aws-access-key-id"));
    }
}

#[test]
fn every_deploy_assumes_the_role_logs_in_to_ecr_pushes_scans_deploys_smoke_tests_and_notifies() {
    let model = example();
    let workflows = render(&model);
    for (name, environment) in &model.environments {
        let job = &workflows[&format!("deploy-expense-backend-{name}.yml")]["jobs"]["deploy"];
        let order: Vec<&str> = steps(job)
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        let mut expected = vec![
            "Check out",
            "Configure AWS credentials (OIDC)",
            "Log in to Amazon ECR",
            "Set up Docker Buildx",
            "Build and push the image (provenance, SBOM)",
            "Trivy scan for code scanning (SARIF)",
            "Keep the scan for code scanning",
            "Trivy scan",
            "Install cosign",
            "Find the image's signature",
            "CycloneDX SBOM",
            "Sign the image and attest its SBOM (cosign, keyless)",
            "Verify the image's signature and SBOM attestation",
            "Set up Helm",
            "Update kubeconfig",
        ];
        let tail = match &model.environments[name].deploy.strategy {
            Strategy::Rolling => [
                "helm upgrade --install",
                "Smoke test: health",
                "Smoke test: API",
                "Roll back a failed release",
            ]
            .map(str::to_string)
            .to_vec(),
            Strategy::BlueGreen { keep_previous } => {
                crate::blue_green::steps_after_kubeconfig(keep_previous.as_str(), true)
            }
        };
        expected.extend(tail.iter().map(String::as_str));
        expected.push("Notify Slack");
        assert_eq!(order, expected, "{name}");
        let push = step_named(job, "Build and push the image (provenance, SBOM)");
        assert_eq!(
            push["env"]["REPOSITORY"],
            environment
                .settings_of(runtime_service(&model))
                .image_repository
                .as_str()
        );
        assert_eq!(push["env"]["IMAGE_TAG"], "${{ github.sha }}");
        assert!(script(push).contains("--provenance=mode=max --sbom=true"));
        assert!(script(push).contains(r#"--push "$CONTEXT""#));
        // Every later step names the image by the digest the build printed.
        let scan = step_named(job, "Trivy scan");
        assert_eq!(
            scan["with"]["image-ref"],
            format!(
                "${{{{ steps.ecr.outputs.registry }}}}/{}@${{{{ steps.image.outputs.digest }}}}",
                environment
                    .settings_of(runtime_service(&model))
                    .image_repository
            )
        );
        assert_eq!(scan["with"]["exit-code"], "1");
        assert_eq!(scan["with"]["severity"], "CRITICAL,HIGH");
        let kubeconfig = step_named(job, "Update kubeconfig");
        assert_eq!(
            kubeconfig["env"]["CLUSTER_NAME"],
            format!("{}-{name}", model.project.name)
        );
        assert!(script(kubeconfig).contains("aws eks update-kubeconfig"));
        let health = step_named(job, "Smoke test: health");
        assert_eq!(
            health["env"]["HEALTH_PATH"],
            environment
                .settings_of(runtime_service(&model))
                .health_path
                .as_str()
        );
        assert!(script(health).contains("--retry"));
        assert_eq!(
            step_named(job, "Smoke test: API")["env"]["API_PATH"],
            "/transaction"
        );
        let notify = step_named(job, "Notify Slack");
        assert_eq!(notify["if"], "always()");
        assert_eq!(
            notify["env"]["SLACK_WEBHOOK_URL"],
            "${{ secrets.SLACK_WEBHOOK_URL }}"
        );
    }
}

#[test]
fn helm_deploys_the_environments_generated_values_with_wait() {
    let model = example();
    let workflows = render(&model);
    let request = Request {
        model: &model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: None,
    };
    let rendered: Vec<String> = render_all(&request)
        .expect("renders")
        .into_iter()
        .map(|a| a.path)
        .collect();
    for name in model.environments.keys() {
        let job = &workflows[&format!("deploy-expense-backend-{name}.yml")]["jobs"]["deploy"];
        for (index, helm) in helm_upgrades(job).into_iter().enumerate() {
            let values = format!(
                "generated/{name}/helm-values/{}.yaml",
                runtime_service(&model).name
            );
            assert_eq!(helm["env"]["VALUES_FILE"], values.as_str());
            assert!(
                rendered.contains(&values),
                "the deploy uses {values}, which the generator must render"
            );
            assert_eq!(
                helm["env"]["RELEASE"],
                runtime_service(&model).name.as_str()
            );
            assert_eq!(
                helm["env"]["NAMESPACE"],
                model.environments[name].namespace.as_str()
            );
            assert_eq!(helm["env"]["CHART"], "runtime/chart");
            // The values file carries the rules and dashboards: nothing else is passed as a file.
            assert!(helm["env"].get("RULES_FILE").is_none(), "{helm}");
            assert!(helm["env"].get("DASHBOARDS_DIR").is_none(), "{helm}");
            // The tag with the verified digest: Kubernetes pulls exactly the image cosign verified.
            assert_eq!(
                helm["env"]["IMAGE_TAG"],
                "${{ github.sha }}@${{ steps.image.outputs.digest }}"
            );
            assert_eq!(
                helm["env"]["IMAGE_REGISTRY"],
                "${{ steps.ecr.outputs.registry }}"
            );
            let command = script(helm);
            for part in [
                r#"helm upgrade --install "$RELEASE"#,
                r#""$CHART""#,
                r#"--namespace "$NAMESPACE""#,
                r#"-f "$VALUES_FILE""#,
                r#"--set-string image.registry="$IMAGE_REGISTRY""#,
                r#"--set-string image.tag="$IMAGE_TAG""#,
                "--wait --timeout 10m",
            ] {
                assert!(command.contains(part), "{part:?} missing from {command}");
            }
            // The first release the deploy installs creates the namespace.
            if index == 0 {
                assert!(command.contains(r#"--namespace "$NAMESPACE" --create-namespace"#));
            }
        }
    }
}

#[test]
fn every_uses_is_an_action_of_the_spec_table_at_its_version() {
    let mut used = std::collections::BTreeSet::new();
    // money-tracking's analytics image is emulated (arm64 on an x86 runner).
    for model in [example(), crate::support::load("specs/money-tracking.toml")] {
        let table = &model.delivery.actions;
        for (name, workflow) in render(&model) {
            for step in all_steps(&workflow) {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let (name_of, _) = uses
                    .split_once('@')
                    .unwrap_or_else(|| panic!("{name}: {uses}"));
                let action = Action::named(name_of)
                    .unwrap_or_else(|| panic!("{name}: {name_of} is not an Action"));
                assert_eq!(uses, table[&action].reference, "{name}: {uses}");
                used.insert(action);
            }
        }
    }
    assert_eq!(
        used,
        Action::ALL.into_iter().collect(),
        "Action::ALL lists exactly the actions the workflows use"
    );
}

#[test]
fn a_pinned_action_renders_its_sha_with_the_tag_in_a_comment() {
    let mut model = example();
    model.delivery.actions.insert(
        Action::Checkout,
        ActionRef::new(Action::Checkout, "v5.0.0", Some(CHECKOUT_V5_0_0)),
    );
    let texts = render_text(&model).expect("renders");
    for (path, text) in &texts {
        assert!(
            text.contains(&format!(
                "uses: \"actions/checkout@{CHECKOUT_V5_0_0}\" # v5.0.0\n"
            )),
            "{path}"
        );
        assert!(!text.contains("actions/checkout@v5"), "{path}");
    }
    for (name, workflow) in render(&model) {
        for step in all_steps(&workflow) {
            if let Some(uses) = step["uses"]
                .as_str()
                .filter(|u| u.starts_with("actions/checkout@"))
            {
                assert_eq!(
                    uses,
                    format!("actions/checkout@{CHECKOUT_V5_0_0}"),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn every_job_states_its_permissions_and_timeout_and_workflows_grant_nothing_by_default() {
    let model = example();
    for (name, workflow) in render(&model) {
        assert_eq!(workflow["permissions"], serde_json::json!({}), "{name}");
        let blue_green = model.environments.values().any(|environment| {
            environment.deploy.strategy != Strategy::Rolling
                && name.ends_with(&format!("-{}.yml", environment.name))
        });
        for (job_name, job) in jobs(&workflow) {
            assert!(
                job["permissions"].is_object(),
                "{name} {job_name} has no permissions"
            );
            let timeout = job["timeout-minutes"].as_u64().unwrap_or(0);
            // A first Terraform apply creates a cluster and a database; a blue-green deploy
            // watches the new colour (its own test pins how long), within the 6 hours a job
            // may run on a GitHub-hosted runner.
            let limit = if job_name.starts_with("apply-") {
                120
            } else if blue_green && job_name == "deploy" {
                360
            } else {
                60
            };
            assert!(
                (1..=limit).contains(&timeout),
                "{name} {job_name} timeout {timeout}"
            );
        }
    }
}

#[test]
fn only_jobs_that_assume_an_aws_role_may_request_an_oidc_token() {
    let mut assuming = 0;
    for (name, workflow) in render(&example()) {
        for (job_name, job) in jobs(&workflow) {
            let assumes = step_using(job, "aws-actions/configure-aws-credentials").is_some();
            let token = job["permissions"]["id-token"] == "write";
            assert_eq!(token, assumes, "{name} {job_name}");
            assuming += usize::from(assumes);
            for (scope, level) in job["permissions"].as_object().expect("map") {
                // Only the job that uploads the scan writes security events, and it holds no
                // AWS access.
                let uploads_the_scan =
                    scope == "security-events" && job_name == "code-scanning" && !assumes;
                // Only the jobs that post a Terraform plan or the change of cost write to the
                // pull request, with no AWS access.
                let comments_the_plan =
                    scope == "pull-requests" && job_name.starts_with("comment") && !assumes;
                assert!(
                    level == "read" || scope == "id-token" || uploads_the_scan || comments_the_plan,
                    "{name} {job_name} may write {scope}"
                );
            }
        }
    }
    // Each deploy assumes the deploy role once; each environment's plan and apply their roles.
    assert_eq!(assuming, 3 + 2 * 3);
}

#[test]
fn no_run_script_interpolates_an_expression() {
    for (name, workflow) in render(&example()) {
        for step in all_steps(&workflow) {
            assert!(!script(step).contains("${{"), "{name}: {}", step["name"]);
        }
    }
}

#[test]
fn ci_runs_every_check_of_the_pipeline() {
    let model = example();
    let ci = &render(&model)["ci.yml"];
    let ids: Vec<&str> = jobs(ci).map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "clippy",
            "coverage",
            "dependencies",
            "fmt",
            "generated",
            "image",
            "terraform",
            "test",
            "validators"
        ]
    );
    let runs = |job: &str| {
        steps(&ci["jobs"][job])
            .iter()
            .map(script)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(runs("fmt").contains("cargo fmt --all -- --check"));
    assert!(runs("clippy").contains("cargo clippy --workspace --all-targets -- -D warnings"));
    assert!(runs("test").contains("bash tests/tools/install.sh"));
    assert!(runs("test").contains("cargo test --workspace"));
    // It checks the spec the workflows were generated from, not the tool's default.
    assert!(runs("generated").contains(
        r#"cargo run -p generator --bin platformgen -- generate --check --spec "$PLATFORM_SPEC""#
    ));
    let check = step_named(&ci["jobs"]["generated"], "platformgen generate --check");
    assert_eq!(check["env"]["PLATFORM_SPEC"], EXAMPLE);
    assert!(runs("terraform").contains("terraform fmt -check -recursive terraform/"));
    assert!(runs("terraform").contains("bash terraform/check.sh"));
    assert!(runs("validators").contains("bash tests/tools/install.sh"));
    assert!(runs("validators").contains("cargo test -p platform-e2e"));
    assert!(runs("image").contains(r#"docker build --file "$DOCKERFILE""#));
    assert!(step_using(&ci["jobs"]["image"], "aquasecurity/trivy-action").is_some());
    assert!(!runs("image").contains("docker push"));

    let coverage = step_named(
        &ci["jobs"]["coverage"],
        "Line coverage at least delivery.min_coverage_percent",
    );
    assert_eq!(
        coverage["env"]["MIN_COVERAGE_PERCENT"],
        model.delivery.min_coverage_percent
    );
    assert!(script(coverage).contains(r#"--fail-under-lines "$MIN_COVERAGE_PERCENT""#));

    for job in ["test", "validators"] {
        let job = &ci["jobs"][job];
        assert_eq!(job["env"]["REQUIRE_EXTERNAL"], "1");
        assert_eq!(
            job["env"]["TEST_MYSQL_URL"],
            "mysql://root@127.0.0.1:3306/test"
        );
        assert_eq!(
            job["env"]["TEST_POSTGRES_URL"],
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(job["env"]["TEST_REDIS_URL"], "redis://127.0.0.1:6379");
        let services: Vec<&String> = job["services"]
            .as_object()
            .expect("services")
            .keys()
            .collect();
        assert_eq!(services, ["mariadb", "postgres", "redis"]);
    }
}

#[test]
fn ci_runs_cancel_superseded_runs_and_deploys_queue_per_environment() {
    let workflows = render(&example());
    let ci = &workflows["ci.yml"]["concurrency"];
    assert_eq!(ci["group"], "${{ github.workflow }}-${{ github.ref }}");
    assert_eq!(ci["cancel-in-progress"], true);
    for env in ["dev", "staging", "prod"] {
        let deploy = &workflows[&format!("deploy-expense-backend-{env}.yml")]["concurrency"];
        assert_eq!(deploy["group"], format!("deploy-expense-backend-{env}"));
        assert_eq!(deploy["cancel-in-progress"], false);
    }
}

#[test]
fn every_workflow_starts_with_the_generated_header_and_renders_identically_twice() {
    let model = example();
    let first = render_text(&model).expect("renders");
    assert_eq!(first, render_text(&model).expect("renders again"));
    for (path, text) in &first {
        assert!(
            text.starts_with("# Generated by platformgen from specs/expense.toml; do not edit.\n"),
            "{path}"
        );
    }
}

#[test]
fn rendering_one_environment_renders_ci_and_only_that_deploy() {
    let model = example();
    let request = Request {
        model: &model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: Some("staging"),
    };
    let paths: Vec<String> = workflows::render(&request)
        .expect("renders")
        .into_iter()
        .map(|a| a.path)
        .collect();
    assert_eq!(
        paths,
        [
            ".github/actionlint.yaml",
            ".github/workflows/ci.yml",
            ".github/dependabot.yml",
            ".github/workflows/terraform.yml",
            ".github/workflows/cost.yml",
            ".github/workflows/deploy-expense-backend-staging.yml"
        ]
    );
}

#[test]
fn hostile_spec_strings_stay_inside_their_yaml_values() {
    let hostile = "x\"y\\z\n  injected: true # '{{ a }}' {% b %} ${ c } \u{1F600}\t: -";
    let mut model = example();
    let renamed = std::mem::replace(&mut model.services[0].name, hostile.to_string());
    for environment in model.environments.values_mut() {
        environment.namespace = hostile.to_string();
        let settings = environment.services.remove(&renamed).expect("settings");
        environment.services.insert(hostile.to_string(), settings);
    }
    let workflows = render(&model);
    for env in ["dev", "staging", "prod"] {
        let job = &workflows[&format!("deploy-{hostile}-{env}.yml")]["jobs"]["deploy"];
        for step in steps(job)
            .iter()
            .filter(|step| step["env"]["RELEASE"].is_string())
        {
            assert_eq!(step["env"]["NAMESPACE"], hostile);
            assert_eq!(step["env"]["RELEASE"], hostile);
            assert!(step["env"].get("injected").is_none() && step.get("injected").is_none());
        }
    }
}

#[test]
fn a_spec_value_holding_an_expression_is_refused_by_validation_where_it_is_written() {
    let text = std::fs::read_to_string(workspace().join(EXAMPLE)).expect("spec");
    let text = text.replacen(
        "summary = \"",
        "summary = \"${{ github.event.issue.title }} ",
        1,
    );
    let Err(generator::LoadError::Invalid { diagnostics, .. }) = Model::load_str(EXAMPLE, &text)
    else {
        panic!("an expression in a spec value is refused");
    };
    let [diagnostic] = diagnostics.as_slice() else {
        panic!("one diagnostic: {diagnostics:?}");
    };
    assert_eq!(
        diagnostic.path.as_ref().map(ToString::to_string).as_deref(),
        Some("alerts[0].summary")
    );
    assert!(
        diagnostic.message.contains("GitHub Actions expression"),
        "{}",
        diagnostic.message
    );
    assert!(diagnostic.span.is_some(), "located in the file");
}

#[test]
fn a_private_cluster_deploys_from_the_self_hosted_runner_the_spec_names() {
    let model = example();
    let workflows = render(&model);
    let prod = &workflows["deploy-expense-backend-prod.yml"]["jobs"]["deploy"];
    assert_eq!(
        prod["runs-on"],
        serde_json::json!(["self-hosted", "linux", "X64", "expense-prod"])
    );
    // dev's endpoint is public only to the office range: it deploys from its own runner too.
    assert_eq!(
        workflows["deploy-expense-backend-dev.yml"]["jobs"]["deploy"]["runs-on"],
        serde_json::json!(["self-hosted", "linux", "X64", "expense-dev"])
    );
    let request = Request {
        model: &model,
        spec_path: EXAMPLE,
        spec_text: &example_text(),
        only_environment: None,
    };
    let config = workflows::render(&request)
        .expect("renders")
        .into_iter()
        .find(|a| a.path == ".github/actionlint.yaml")
        .expect("the actionlint config is rendered");
    let parsed: Value = serde_norway::from_str(&config.contents).expect("YAML");
    assert_eq!(
        parsed["self-hosted-runner"]["labels"],
        serde_json::json!(["expense-dev", "expense-prod", "expense-staging"])
    );
}

#[test]
fn a_push_deploys_a_service_only_when_its_sources_values_chart_or_workflow_change() {
    let model = example();
    let workflows = render(&model);
    let service = runtime_service(&model);
    for (name, environment) in &model.environments {
        let file = format!("deploy-{}-{name}.yml", service.name);
        let paths = &workflows[&file]["on"]["push"]["paths"];
        match &environment.deploy.trigger {
            // GitHub ignores path filters for tags: every tag deploys.
            DeployTrigger::Tag(_) => assert!(paths.is_null(), "{name}: {paths}"),
            DeployTrigger::Branch(_) => {
                let paths: Vec<&str> = paths
                    .as_array()
                    .expect("paths")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                for wanted in [
                    "runtime/**",
                    "generator/**",
                    "specs/**",
                    "runtime/chart/**",
                    &format!("generated/{name}/helm-values/{}.yaml", service.name),
                    &format!(".github/workflows/{file}"),
                ] {
                    assert!(paths.contains(&wanted), "{name}: {wanted} not in {paths:?}");
                }
            }
        }
    }
}

/// Every deploy workflow of every example spec, by file name, with its model.
fn every_example_deploy() -> Vec<(Model, String, Value)> {
    let mut deploys = Vec::new();
    for spec in [
        "specs/expense.toml",
        "specs/ledger.toml",
        "specs/money-tracking.toml",
    ] {
        let model = crate::support::load(spec);
        for (name, workflow) in render(&model) {
            if name.starts_with("deploy-") {
                deploys.push((model.clone(), name, workflow));
            }
        }
    }
    assert!(deploys.len() >= 5, "3 deploys of expense and 2 of ledger");
    deploys
}

/// Where in a job a step touches helm or the cluster: sets helm up, or runs helm or kubectl.
fn first_helm_step(job: &Value) -> usize {
    steps(job)
        .iter()
        .position(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("azure/setup-helm@"))
                || script(step).contains("helm ")
                || script(step).contains("kubectl ")
        })
        .expect("a helm step")
}

#[test]
fn a_deploy_verifies_the_image_signature_and_its_identity_before_any_helm_command() {
    for (model, name, workflow) in every_example_deploy() {
        let job = &workflow["jobs"]["deploy"];
        let verify = steps(job)
            .iter()
            .position(|step| script(step).contains("cosign verify "))
            .unwrap_or_else(|| panic!("{name}: no cosign verify"));
        assert!(verify < first_helm_step(job), "{name}");
        let step = &steps(job)[verify];
        let command = script(step);
        for part in [
            r#"cosign verify --certificate-identity-regexp "$SIGNER" --certificate-oidc-issuer "$OIDC_ISSUER" "$image""#,
            r#"cosign verify-attestation --type cyclonedx --certificate-identity-regexp "$SIGNER""#,
            r#"image="$REGISTRY/$REPOSITORY@$DIGEST""#,
        ] {
            assert!(
                command.contains(part),
                "{name}: {part:?} missing from {command}"
            );
        }
        assert_eq!(
            step["env"]["OIDC_ISSUER"],
            "https://token.actions.githubusercontent.com"
        );
        assert_eq!(step["env"]["DIGEST"], "${{ steps.image.outputs.digest }}");

        // The identity is this very workflow of this repository, from its deploying ref.
        let signer = regex::Regex::new(step["env"]["SIGNER"].as_str().expect("SIGNER"))
            .expect("SIGNER is a regular expression");
        let repository = &model.project.github_repository;
        let environment = name
            .trim_start_matches("deploy-")
            .trim_end_matches(".yml")
            .rsplit('-')
            .next()
            .expect("an environment");
        let reference = match &model.environments[environment].deploy.trigger {
            DeployTrigger::Branch(branch) => format!("refs/heads/{branch}"),
            DeployTrigger::Tag(tag) => format!("refs/tags/{}", tag.replace('*', "1.4.2")),
        };
        let identity = |repo: &str, workflow: &str, at: &str| {
            format!("https://github.com/{repo}/.github/workflows/{workflow}@{at}")
        };
        assert!(
            signer.is_match(&identity(repository, &name, &reference)),
            "{name}: {signer}"
        );
        for (other, why) in [
            (
                identity("attacker/fork", &name, &reference),
                "another repository",
            ),
            (
                identity(repository, "ci.yml", &reference),
                "another workflow",
            ),
            (
                identity(repository, &name, "refs/pull/7/merge"),
                "a pull request",
            ),
            (
                identity(repository, &name, "refs/heads/feature"),
                "another branch",
            ),
            (
                identity(repository, &name.replace(".yml", "xyml"), &reference),
                "a dot taken as any character",
            ),
        ] {
            assert!(
                !signer.is_match(&other),
                "{name}: {why} is accepted: {other}"
            );
        }
    }
}

#[test]
fn an_image_is_signed_only_after_it_passed_the_scan_gate_and_deploys_by_its_digest() {
    for (_, name, workflow) in every_example_deploy() {
        let job = &workflow["jobs"]["deploy"];
        let names: Vec<&str> = steps(job)
            .iter()
            .filter_map(|step| step["name"].as_str())
            .collect();
        let at = |step: &str| {
            names
                .iter()
                .position(|name| *name == step)
                .unwrap_or_else(|| panic!("no step {step:?}"))
        };
        let sign = at("Sign the image and attest its SBOM (cosign, keyless)");
        assert!(at("Trivy scan") < sign, "{name}");
        assert!(at("CycloneDX SBOM") < sign, "{name}");
        let signing = step_named(job, "Sign the image and attest its SBOM (cosign, keyless)");
        assert!(script(signing).contains(r#"cosign sign --yes "$image""#));
        assert!(
            script(signing)
                .contains(r#"cosign attest --yes --type cyclonedx --predicate "$sbom" "$image""#)
        );
        let sbom = step_named(job, "CycloneDX SBOM");
        assert_eq!(sbom["with"]["format"], "cyclonedx");
        assert_eq!(sbom["with"]["output"], signing["env"]["SBOMS"]);
        // Keyless signing needs the job's OIDC token, which the role assumption has anyway.
        assert_eq!(job["permissions"]["id-token"], "write");
    }
}

#[test]
fn only_the_code_scanning_job_writes_security_events_and_it_uploads_the_kept_scan() {
    for (_, name, workflow) in every_example_deploy() {
        let deploy = &workflow["jobs"]["deploy"];
        let upload = &workflow["jobs"]["code-scanning"];
        assert_eq!(
            upload["permissions"],
            serde_json::json!({"actions": "read", "contents": "read", "security-events": "write"}),
            "{name}"
        );
        assert_eq!(upload["needs"], serde_json::json!(["deploy"]));
        // Also when the scan's gate failed the deploy.
        assert_eq!(upload["if"], "always() && needs.deploy.outputs.sarif != ''");
        assert!(step_using(upload, "aws-actions/configure-aws-credentials").is_none());
        let sarif = step_named(deploy, "Trivy scan for code scanning (SARIF)");
        assert_eq!(sarif["with"]["format"], "sarif");
        let kept = step_named(deploy, "Keep the scan for code scanning");
        assert_eq!(kept["with"]["path"], sarif["with"]["output"]);
        assert_eq!(
            deploy["outputs"]["sarif"],
            format!(
                "${{{{ steps.{}.outputs.artifact-id }}}}",
                kept["id"].as_str().expect("id")
            )
        );
        let download = step_using(upload, "actions/download-artifact").expect("download");
        assert_eq!(download["with"]["name"], kept["with"]["name"]);
        let sent = step_using(upload, "github/codeql-action/upload-sarif").expect("upload-sarif");
        assert_eq!(sent["with"]["sarif_file"], sarif["with"]["output"]);
    }
}

#[test]
fn turning_the_supply_chain_off_removes_its_steps_and_the_code_scanning_job() {
    let mut model = example();
    model.delivery.supply_chain = false;
    // The Terraform and cost workflows pass their comments as artifacts too.
    for action in Action::SUPPLY_CHAIN {
        if !Action::COMMENT_ARTIFACTS.contains(&action) {
            model.delivery.actions.remove(&action);
        }
    }
    for (name, workflow) in render(&model) {
        assert!(workflow["jobs"].get("code-scanning").is_none(), "{name}");
        for step in all_steps(&workflow) {
            assert!(!script(step).contains("cosign"), "{name}");
            assert!(!script(step).contains("--provenance"), "{name}");
        }
        if name.starts_with("deploy-") {
            let job = &workflow["jobs"]["deploy"];
            assert!(job.get("outputs").is_none(), "{name}");
            for helm in helm_upgrades(job) {
                assert_eq!(helm["env"]["IMAGE_TAG"], "${{ github.sha }}");
            }
            let build = script(step_named(job, "Build and push the image"));
            assert!(build.contains(r#"docker buildx build --platform "$PLATFORMS""#));
            assert!(build.contains("--push"));
        }
    }
}

#[test]
fn dependabot_updates_the_spec_ecosystems_at_its_interval_and_only_when_asked() {
    let text = |model: &Model| {
        let request = Request {
            model,
            spec_path: EXAMPLE,
            spec_text: &example_text(),
            only_environment: None,
        };
        workflows::render(&request)
            .expect("renders")
            .into_iter()
            .find(|artifact| artifact.path == ".github/dependabot.yml")
            .map(|artifact| artifact.contents)
    };
    let model = example();
    let dependabot: Value = serde_norway::from_str(&text(&model).expect("dependabot.yml"))
        .expect("dependabot.yml is YAML");
    assert_eq!(dependabot["version"], 2);
    let updates: Vec<(&str, &str, &str)> = dependabot["updates"]
        .as_array()
        .expect("updates")
        .iter()
        .map(|update| {
            (
                update["package-ecosystem"].as_str().expect("ecosystem"),
                update["directory"].as_str().expect("directory"),
                update["schedule"]["interval"].as_str().expect("interval"),
            )
        })
        .collect();
    // The guide asks for daily dependency scanning.
    assert_eq!(
        updates,
        [("github-actions", "/", "daily"), ("cargo", "/", "daily")]
    );

    // ledger also updates its image's base, where its Dockerfile is.
    let ledger = crate::support::load("specs/ledger.toml");
    let dependabot: Value =
        serde_norway::from_str(&text(&ledger).expect("dependabot.yml")).expect("YAML");
    let docker = &dependabot["updates"][2];
    assert_eq!(docker["package-ecosystem"], "docker");
    assert_eq!(docker["schedule"]["interval"], "weekly");
    let dockerfile = &ledger.services[0].build.dockerfile;
    let directory = std::path::Path::new(dockerfile)
        .parent()
        .expect("a directory")
        .display()
        .to_string();
    assert_eq!(docker["directory"], format!("/{directory}"));

    let mut without = example();
    without.delivery.dependency_updates = None;
    assert_eq!(text(&without), None);
}

#[test]
fn ci_runs_cargo_deny_only_when_the_spec_asks_for_it() {
    let mut model = example();
    let ci = &render(&model)["ci.yml"];
    let job = &ci["jobs"]["dependencies"];
    assert_eq!(job["permissions"], serde_json::json!({"contents": "read"}));
    let install = step_named(job, "Install cargo-deny");
    assert!(script(install).contains(r#"--version "$CARGO_DENY_VERSION" --locked"#));
    assert!(script(step_named(job, "cargo deny check")).contains("cargo deny --locked check"));
    assert!(
        crate::support::workspace().join("deny.toml").exists(),
        "cargo deny reads deny.toml"
    );

    model.delivery.cargo_deny = false;
    assert!(
        render(&model)["ci.yml"]["jobs"]
            .get("dependencies")
            .is_none()
    );
}

/// The cost workflow of a pull request that changes the spec or the prices: the base estimated
/// by its own checkout, the head by its own, `--compare` between them; the comment job alone
/// writes to the pull request, runs nothing of its code and is skipped for forks.
#[test]
fn the_cost_workflow_compares_the_base_and_the_head_and_only_its_comment_job_writes() {
    let workflows = render(&example());
    let cost = &workflows["cost.yml"];
    assert_eq!(
        cost["on"]["pull_request"]["paths"],
        serde_json::json!([EXAMPLE, "generator/prices/**", ".github/workflows/cost.yml"])
    );
    assert!(cost["on"].get("push").is_none(), "pull requests only");
    assert_eq!(cost["permissions"], serde_json::json!({}));

    let estimate = &cost["jobs"]["estimate"];
    assert_eq!(
        estimate["permissions"],
        serde_json::json!({"contents": "read"})
    );
    let base = step_named(estimate, "Check out the base");
    assert_eq!(
        base["with"]["ref"],
        "${{ github.event.pull_request.base.sha }}"
    );
    assert_eq!(base["with"]["path"], "base");
    assert_eq!(base["with"]["persist-credentials"], false);
    let head = step_named(estimate, "Check out the head");
    assert_eq!(head["with"]["path"], "head");
    assert!(
        head["with"].get("ref").is_none(),
        "the merge GitHub prepares"
    );
    let base_estimate = step_named(
        estimate,
        "Estimate the base (its own platformgen and prices)",
    );
    assert!(
        script(base_estimate)
            .contains(r#"--manifest-path base/Cargo.toml -p generator --bin platformgen -- \"#)
    );
    assert!(
        script(base_estimate)
            .contains(r#"cost --spec "base/$PLATFORM_SPEC" --format json > "$BASE_ESTIMATE""#)
    );
    let write = step_named(estimate, "Estimate the head and write the comment");
    assert_eq!(write["env"]["PLATFORM_SPEC"], EXAMPLE);
    assert!(
        script(write).contains(r#"cost --spec "head/$PLATFORM_SPEC" --compare "$BASE_ESTIMATE""#)
    );
    assert_eq!(
        write["env"]["BASE_ESTIMATE"],
        base_estimate["env"]["BASE_ESTIMATE"]
    );
    let failure = step_named(estimate, "Write the failure comment");
    assert_eq!(failure["if"], "failure()");
    let keep = step_using(estimate, "actions/upload-artifact").expect("kept");
    assert_eq!(keep["with"]["path"], write["env"]["COMMENT_FILE"]);

    let comment = &cost["jobs"]["comment"];
    assert_eq!(
        comment["permissions"],
        serde_json::json!({"pull-requests": "write"})
    );
    assert_eq!(comment["needs"], serde_json::json!(["estimate"]));
    assert!(
        comment["if"]
            .as_str()
            .expect("if")
            .ends_with("&& github.event.pull_request.head.repo.full_name == github.repository"),
        "{}",
        comment["if"]
    );
    assert!(
        step_using(comment, "actions/checkout").is_none(),
        "nothing of the pull request's code"
    );
    let download = step_using(comment, "actions/download-artifact").expect("download");
    assert_eq!(download["with"]["name"], keep["with"]["name"]);
    let post = step_named(comment, "Post or update the cost comment");
    assert_eq!(post["env"]["MARKER"], write["env"]["MARKER"]);
    // Every value from an event reaches a script through env, never inside `run:`.
    for step in all_steps(cost) {
        assert!(!script(step).contains("${{"), "{}", script(step));
    }
}

#[test]
fn turning_the_cost_comment_off_removes_the_cost_workflow_and_its_steps() {
    let mut model = example();
    model.delivery.cost_comment = false;
    let workflows = render(&model);
    assert!(
        !workflows.contains_key("cost.yml"),
        "{:?}",
        workflows.keys()
    );
    for (name, workflow) in &workflows {
        for step in all_steps(workflow) {
            assert!(!script(step).contains("--compare"), "{name}");
        }
    }
    // The Terraform workflow still passes its plans as artifacts.
    assert!(workflows.contains_key("terraform.yml"));
}
