//! `deploy-<service>-<env>.yml`: one service's deploy to one environment, and the runner labels
//! actionlint must know.

use serde_json::Value;

use serde::Serialize;

use super::blue_green::BlueGreen;
use super::image::Image;
use super::supply_chain;

use super::context::{
    Concurrency, HELM_CHART, HELM_CHART_SOURCES, HELM_VERSION, Job, RUNNER, Step, Triggers,
    Workflow, checkout, github_environment, read, write,
};
use crate::model::{Action, DeployTrigger, Environment, Model, Service, Strategy};
use crate::render::artifact::Artifact;
use crate::render::helm_values;

// ---------------------------------------------------------------------------------------------
// deploy-<service>-<env>.yml
// ---------------------------------------------------------------------------------------------

const UPDATE_KUBECONFIG: &[&str] =
    &[r#"aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$REGION""#];
/// kubectl's and helm's access to the environment's cluster, as the role assumed last.
pub(super) fn update_kubeconfig(model: &Model, environment: &Environment) -> Step {
    Step::run("Update kubeconfig", UPDATE_KUBECONFIG)
        .env("CLUSTER_NAME", model.resource_name(environment))
        .env("REGION", model.project.aws_region.clone())
}

/// The values file is the whole release: it carries the spec the runtime serves and, for the
/// release that deploys them, the environment's rules and dashboards. Only the image is the
/// deploy's own.
const HELM_UPGRADE: &[&str] = &[
    r#"helm upgrade --install "$RELEASE" "$CHART" \"#,
    r#"  --namespace "$NAMESPACE" --create-namespace \"#,
    r#"  -f "$VALUES_FILE" \"#,
    r#"  --set-string image.registry="$IMAGE_REGISTRY" \"#,
    r#"  --set-string image.tag="$IMAGE_TAG" \"#,
    "  --wait --timeout 10m",
];
/// The line of a `helm upgrade` that names the values file, after which the service account's
/// role is set where the values cannot name it.
const VALUES_LINE: &str = r#"  -f "$VALUES_FILE" \"#;
const ROLE_ANNOTATION: &str =
    r#"  --set-string "serviceAccount.annotations.eks\.amazonaws\.com/role-arn=$ROLE_ARN" \"#;

/// A `helm upgrade` of the release that holds the service account, annotated with the service's
/// role (IRSA): the values carry its ARN where the spec names the account; elsewhere its ARN is
/// built here from the GitHub environment's `AWS_ACCOUNT_ID`, the account the deploy role is
/// assumed in.
pub(super) fn with_service_role(
    step: Step,
    model: &Model,
    environment: &Environment,
    service: &Service,
) -> Step {
    if model.service_role_arn(environment, &service.name).is_some() {
        return step;
    }
    let role = model.service_role_name(environment, &service.name);
    step.line_after(VALUES_LINE, ROLE_ANNOTATION)
        .env("ROLE_ARN", model.role_arn_in(ACCOUNT_FROM_SECRET, &role))
}

/// The account of the environment, as the workflows read it.
pub(super) const ACCOUNT_FROM_SECRET: &str = "${{ secrets.AWS_ACCOUNT_ID }}";

const SMOKE_HEALTH: &[&str] = &[
    r#"curl --fail --silent --show-error --max-time 10 --retry 30 --retry-delay 10 --retry-all-errors "$BASE_URL$HEALTH_PATH""#,
];
const SMOKE_API: &[&str] =
    &[r#"curl --fail --silent --show-error --max-time 10 --output /dev/null "$BASE_URL$API_PATH""#];
/// After a failed rollout or smoke test, go back to the previous release if there is one.
const ROLLBACK: &[&str] = &[
    r#"revisions="$(helm history "$RELEASE" --namespace "$NAMESPACE" --max 2 --output json | jq length)" || revisions=0"#,
    r#"if [ "$revisions" -gt 1 ]; then"#,
    r#"  helm rollback "$RELEASE" --namespace "$NAMESPACE" --wait --timeout 10m"#,
    "else",
    r#"  echo "no earlier release of $RELEASE to roll back to""#,
    "fi",
];
const NOTIFY: &[&str] = &[
    r#"if [ -z "$SLACK_WEBHOOK_URL" ]; then"#,
    r#"  echo "SLACK_WEBHOOK_URL is not set; no notification sent""#,
    "  exit 0",
    "fi",
    r#"text="Deploy of $REPOSITORY@$COMMIT to $ENVIRONMENT: $STATUS ($RUN_URL)""#,
    r#"jq --null-input --arg text "$text" '{text: $text}' \"#,
    r#"  | curl --fail --silent --show-error --header 'Content-Type: application/json' --data @- "$SLACK_WEBHOOK_URL""#,
];

/// Where the deploy of `service` to `environment` is written.
pub(super) fn path(environment: &Environment, service: &Service) -> String {
    format!(
        ".github/workflows/deploy-{}-{}.yml",
        service.name, environment.name
    )
}

/// A deploy workflow, and how it replaces the running version (its header comment says so).
#[derive(Debug, Serialize)]
pub(super) struct DeployWorkflow {
    #[serde(flatten)]
    pub(super) workflow: Workflow,
    /// Blue-green: how long the previous colour is kept (`keep_previous`); `None`: rolling.
    pub(super) keep_previous: Option<String>,
}

/// The step that assumes the deploy role through GitHub OIDC: the job's first session, and a
/// fresh one where a blue-green deploy's watch may outlive it.
pub(super) fn configure_aws_credentials(
    model: &Model,
    environment: &Environment,
    name: &str,
) -> Step {
    Step::uses(name, model.delivery.action(Action::ConfigureAwsCredentials))
        .with(
            "role-to-assume",
            format!(
                "arn:aws:iam::{ACCOUNT_FROM_SECRET}:role/{}",
                model.delivery.aws_role_name
            ),
        )
        .with(
            "role-session-name",
            format!("deploy-{}-${{{{ github.run_id }}}}", environment.name),
        )
        .with("aws-region", model.project.aws_region.clone())
}

pub(super) fn deploy_workflow(
    model: &Model,
    environment: &Environment,
    service: &Service,
) -> DeployWorkflow {
    let spec = model;
    let name = environment.name.clone();
    let (push_branches, push_tags) = match &environment.deploy.trigger {
        DeployTrigger::Branch(branch) => (vec![branch.clone()], Vec::new()),
        DeployTrigger::Tag(tag) => (Vec::new(), vec![tag.clone()]),
    };
    let host = &environment.ingress.host;
    let repository = environment.settings_of(service).image_repository.clone();
    let release = service.name.clone();
    let namespace = environment.namespace.clone();
    let base_url = format!("https://{host}");
    let image = format!("${{{{ steps.ecr.outputs.registry }}}}/{repository}:${{{{ github.sha }}}}");
    let values = helm_values::path(environment, service);

    // A push to a deploying branch deploys the service when its image, its values (which carry
    // the spec, rules and dashboards the release deploys), the chart or this workflow changed.
    let mut push_paths = service.build.sources.clone();
    push_paths.extend([
        HELM_CHART_SOURCES.to_string(),
        values.clone(),
        path(environment, service),
    ]);
    if push_branches.is_empty() {
        push_paths.clear();
    }

    // The values name the repository; the registry is the account's, known only here. With the
    // supply chain on, the tag carries the verified digest, which is what Kubernetes pulls.
    let supply_chain = spec.delivery.supply_chain;
    let image_tag = if supply_chain {
        supply_chain::VERIFIED_IMAGE_TAG
    } else {
        "${{ github.sha }}"
    };
    let built = Image::new(model, environment, service);
    let image_steps = if supply_chain {
        supply_chain::image_steps(&built, &path(environment, service))
    } else {
        let mut steps = built.builder_steps();
        steps.push(built.build_step(false));
        steps.extend(built.scans(&image));
        steps
    };

    let mut steps = vec![
        checkout(model),
        // OIDC only: the role trusts this repository's workflows; no access key exists anywhere.
        configure_aws_credentials(model, environment, "Configure AWS credentials (OIDC)"),
        Step::uses(
            "Log in to Amazon ECR",
            model.delivery.action(Action::AmazonEcrLogin),
        )
        .id("ecr"),
    ];
    steps.extend(image_steps);
    steps.extend([
        Step::uses("Set up Helm", model.delivery.action(Action::SetupHelm))
            .with("version", HELM_VERSION),
        update_kubeconfig(model, environment),
    ]);
    // Through the ingress, where the ingress routes the probe's path to the service; elsewhere
    // helm --wait has seen every new pod pass its readiness probe.
    let smoke = service.smoke_paths(environment);
    let mut ingress_smoke_tests = Vec::new();
    if let Some(path) = smoke.health {
        ingress_smoke_tests.push(
            Step::run("Smoke test: health", SMOKE_HEALTH)
                .env("BASE_URL", base_url.clone())
                .env("HEALTH_PATH", path),
        );
    }
    if let Some(path) = smoke.api {
        ingress_smoke_tests.push(
            Step::run("Smoke test: API", SMOKE_API)
                .env("BASE_URL", base_url.clone())
                .env("API_PATH", path),
        );
    }
    let mut timeout_minutes = 60;
    match &environment.deploy.strategy {
        Strategy::Rolling => {
            let helm = Step::run("helm upgrade --install", HELM_UPGRADE)
                .id("helm")
                .env("RELEASE", release.clone())
                .env("CHART", HELM_CHART)
                .env("NAMESPACE", namespace.clone())
                .env("VALUES_FILE", values)
                .env("IMAGE_REGISTRY", "${{ steps.ecr.outputs.registry }}")
                .env("IMAGE_TAG", image_tag);
            steps.push(with_service_role(helm, model, environment, service));
            steps.extend(ingress_smoke_tests);
            steps.push(
                Step::run("Roll back a failed release", ROLLBACK)
                    .when("failure() && steps.helm.outcome != 'skipped'")
                    .env("RELEASE", release)
                    .env("NAMESPACE", namespace),
            );
        }
        Strategy::BlueGreen { keep_previous } => {
            let blue_green = BlueGreen {
                model,
                environment,
                service,
                keep_previous,
                values,
                image_tag,
                ingress_smoke_tests,
                api_path: service.list_path().map(str::to_string),
                base_url: base_url.clone(),
            };
            timeout_minutes = blue_green.timeout_minutes();
            steps.extend(blue_green.steps());
        }
    }
    steps.push(
        Step::run("Notify Slack", NOTIFY)
            .when("always()")
            .allowed_to_fail()
            .env("SLACK_WEBHOOK_URL", "${{ secrets.SLACK_WEBHOOK_URL }}")
            .env("STATUS", "${{ job.status }}")
            .env("ENVIRONMENT", name.clone())
            .env("REPOSITORY", "${{ github.repository }}")
            .env("COMMIT", "${{ github.sha }}")
            .env("RUN_URL", "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"),
    );

    let job = Job {
        id: "deploy".to_string(),
        name: format!("Deploy {} to {name}", service.name),
        needs: Vec::new(),
        condition: None,
        runs_on: deploy_runner(&environment.deploy.runner),
        timeout_minutes,
        permissions: vec![read("contents"), write("id-token")],
        environment: Some(github_environment(environment, Some("helm"))),
        concurrency: None,
        services: Vec::new(),
        env: Vec::new(),
        outputs: if supply_chain {
            supply_chain::deploy_outputs()
        } else {
            Vec::new()
        },
        steps,
    };
    let mut jobs = vec![job];
    if supply_chain {
        jobs.push(supply_chain::code_scanning_job(&built));
    }
    let workflow = Workflow {
        name: format!("Deploy {} to {name}", service.name),
        triggers: Triggers {
            pull_request_branches: Vec::new(),
            push_branches,
            push_tags,
            push_paths,
        },
        // One deploy of a service to an environment at a time, never cancelled half-way through.
        concurrency: Some(Concurrency {
            group: format!("deploy-{}-{name}", service.name),
            cancel_in_progress: false,
        }),
        env: Vec::new(),
        jobs,
    };
    DeployWorkflow {
        workflow,
        keep_previous: environment
            .deploy
            .strategy
            .keep_previous()
            .map(ToString::to_string),
    }
}

/// The `runs-on` of a job that reaches the environment's cluster (a deploy, a rotation of the
/// database password): the hosted runner, or the spec's self-hosted labels.
pub(super) fn deploy_runner(labels: &[crate::spec::RunnerLabel]) -> Value {
    if labels.is_empty() {
        Value::from(RUNNER)
    } else {
        Value::from(
            labels
                .iter()
                .map(|label| label.0.clone())
                .collect::<Vec<_>>(),
        )
    }
}

/// Labels actionlint knows without being told (GitHub-hosted images and the standard
/// self-hosted labels); every other label a deploy uses goes into `.github/actionlint.yaml`.
const KNOWN_LABELS: [&str; 6] = ["self-hosted", "linux", "macos", "windows", "x64", "arm64"];

pub(super) fn actionlint_config(model: &crate::model::Model, header: &str) -> Artifact {
    let labels: std::collections::BTreeSet<String> = model
        .environments
        .values()
        .flat_map(|environment| environment.deploy.runner.iter())
        .map(|label| label.0.clone())
        .filter(|label| !KNOWN_LABELS.contains(&label.to_ascii_lowercase().as_str()))
        .collect();
    let mut contents = format!(
        "{header}# The labels of the self-hosted runners the deploy workflows use.\nself-hosted-runner:\n  labels:"
    );
    if labels.is_empty() {
        contents.push_str(" []\n");
    } else {
        contents.push('\n');
        for label in labels {
            contents.push_str(&format!("    - {}\n", Value::from(label)));
        }
    }
    Artifact {
        path: ".github/actionlint.yaml".to_string(),
        contents,
    }
}
