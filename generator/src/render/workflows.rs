//! `.github/workflows/*.yml`: this repository's own CI (`ci.yml`) and one deploy workflow per
//! environment (`deploy-<env>.yml`), rendered from the spec's `[delivery]` and environments.
//!
//! Every decision (which jobs, which steps, their environment variables, the pinned `uses:`
//! references, the triggers) is made here; the templates only lay the context out as YAML.
//! Two rules keep the workflows safe whatever the spec says:
//! - a `run:` script holds only text written in this file (`&'static str` lines); spec values and
//!   `${{ }}` expressions reach a script through `env:` and are read as `"$VAR"`, so nothing a
//!   spec or an event says can be interpolated into shell code;
//! - every spec value is printed through the template's YAML (JSON) escaping, and a spec value
//!   holding `${{` is refused, because GitHub would evaluate it as an expression.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_workflow;
use crate::model::{Action, ActionRef, DeployTrigger, Handler, Method};
use crate::model::{Environment, Model};

const CI_TEMPLATE: &str = "workflows/ci.yml.j2";
const DEPLOY_TEMPLATE: &str = "workflows/deploy.yml.j2";

/// The runner image: a fixed Ubuntu release rather than `ubuntu-latest`, so a runner upgrade is a
/// reviewed change of this file.
const RUNNER: &str = "ubuntu-24.04";
/// The Rust toolchain CI builds with (the workspace's `rust-version` is the minimum, not this).
const RUST_TOOLCHAIN: &str = "1.95.0";
const CARGO_LLVM_COV_VERSION: &str = "0.9.1";
/// Terraform as proven by `tests/tools` (`terraform/` requires >= 1.9).
const TERRAFORM_VERSION: &str = "1.15.5";
/// Helm as proven by `tests/tools` (the helm-check SDK is Helm v4.2.3).
const HELM_VERSION: &str = "v4.2.3";
const HELM_CHART: &str = "runtime/chart";
const DOCKERFILE: &str = "runtime/Dockerfile";

/// The databases the integration tests talk to, as `.ci/run` sets them.
const TEST_SERVICE_URLS: &[(&str, &str)] = &[
    ("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    (
        "TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    ),
    ("TEST_REDIS_URL", "redis://127.0.0.1:6379"),
];

// ---------------------------------------------------------------------------------------------
// The context the templates lay out.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Workflow {
    name: String,
    triggers: Triggers,
    concurrency: Concurrency,
    env: Vec<Variable>,
    jobs: Vec<Job>,
}

#[derive(Debug, Serialize)]
struct Triggers {
    pull_request_branches: Vec<String>,
    push_branches: Vec<String>,
    push_tags: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Concurrency {
    group: String,
    cancel_in_progress: bool,
}

/// A `name: value` entry of an `env:` or `with:` map; names are ours, values are escaped.
#[derive(Debug, Serialize)]
struct Variable {
    name: &'static str,
    value: Value,
}

#[derive(Debug, Serialize)]
struct Job {
    id: &'static str,
    name: String,
    /// One label, or the list of labels a self-hosted runner must carry.
    runs_on: Value,
    timeout_minutes: u32,
    /// Scope and level, for example `("contents", "read")`; empty prints `permissions: {}`.
    permissions: Vec<Permission>,
    environment: Option<JobEnvironment>,
    services: Vec<ServiceContainer>,
    env: Vec<Variable>,
    steps: Vec<Step>,
}

#[derive(Debug, Serialize)]
struct Permission {
    scope: &'static str,
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct JobEnvironment {
    name: String,
    url: String,
    /// Reviewers configured on the GitHub environment must approve the job (a comment says so).
    approval_required: bool,
    /// The cluster's API has no public endpoint, so a hosted runner cannot reach it (a comment
    /// says so).
    private_cluster: bool,
}

#[derive(Debug, Serialize)]
struct ServiceContainer {
    id: &'static str,
    image: &'static str,
    env: Vec<Variable>,
    ports: Vec<&'static str>,
    options: &'static str,
}

#[derive(Debug, Serialize)]
struct Step {
    name: String,
    id: Option<&'static str>,
    condition: Option<&'static str>,
    uses: Option<Uses>,
    with: Vec<Variable>,
    env: Vec<Variable>,
    /// The script, one line each; only text written in this file can be a line.
    run: Vec<&'static str>,
    continue_on_error: bool,
}

/// A `uses:` reference, and the version tag a SHA pin stands for.
#[derive(Debug, Clone, Serialize)]
struct Uses {
    reference: String,
    /// Printed unescaped as a trailing `# <version>` comment, so it is checked to be a plain tag
    /// (see `action_reference`).
    pinned_version: Option<String>,
}

impl Step {
    fn run(name: &str, script: &'static [&'static str]) -> Step {
        Step {
            name: name.to_string(),
            id: None,
            condition: None,
            uses: None,
            with: Vec::new(),
            env: Vec::new(),
            run: script.to_vec(),
            continue_on_error: false,
        }
    }

    fn uses(name: &str, action: &ActionRef) -> Step {
        Step {
            uses: Some(Uses {
                reference: action.reference.clone(),
                pinned_version: action.pinned_version.clone(),
            }),
            ..Step::run(name, &[])
        }
    }

    fn id(mut self, id: &'static str) -> Step {
        self.id = Some(id);
        self
    }

    fn when(mut self, condition: &'static str) -> Step {
        self.condition = Some(condition);
        self
    }

    fn with(mut self, name: &'static str, value: impl Into<Value>) -> Step {
        self.with.push(Variable {
            name,
            value: value.into(),
        });
        self
    }

    fn env(mut self, name: &'static str, value: impl Into<Value>) -> Step {
        self.env.push(Variable {
            name,
            value: value.into(),
        });
        self
    }

    fn allowed_to_fail(mut self) -> Step {
        self.continue_on_error = true;
        self
    }
}

fn read(scope: &'static str) -> Permission {
    Permission {
        scope,
        level: "read",
    }
}

fn write(scope: &'static str) -> Permission {
    Permission {
        scope,
        level: "write",
    }
}

fn variable(name: &'static str, value: impl Into<Value>) -> Variable {
    Variable {
        name,
        value: value.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Spec values and actions.
// ---------------------------------------------------------------------------------------------

fn checkout(model: &Model) -> Step {
    // The token is not needed after the checkout; do not leave it in .git/config.
    Step::uses("Check out", model.delivery.action(Action::Checkout))
        .with("persist-credentials", false)
}

// ---------------------------------------------------------------------------------------------
// ci.yml
// ---------------------------------------------------------------------------------------------

const INSTALL_RUST: &[&str] = &[
    r#"rustup toolchain install "$RUST_TOOLCHAIN" --profile minimal"#,
    r#"rustup default "$RUST_TOOLCHAIN""#,
];
const INSTALL_VALIDATORS: &[&str] = &["bash tests/tools/install.sh"];
const FMT: &[&str] = &["rustup component add rustfmt", "cargo fmt --all -- --check"];
const CLIPPY: &[&str] = &[
    "rustup component add clippy",
    "cargo clippy --workspace --all-targets -- -D warnings",
];
const TEST: &[&str] = &[
    "# shellcheck source=/dev/null",
    "source tests/tools/bin/tools-env.sh",
    "cargo test --workspace --exclude platform-e2e",
];
const E2E: &[&str] = &[
    "# shellcheck source=/dev/null",
    "source tests/tools/bin/tools-env.sh",
    "cargo test -p platform-e2e",
];
const INSTALL_LLVM_COV: &[&str] = &[
    "rustup component add llvm-tools-preview",
    r#"cargo install cargo-llvm-cov --version "$CARGO_LLVM_COV_VERSION" --locked"#,
];
const COVERAGE: &[&str] = &[
    r#"cargo llvm-cov --workspace --exclude platform-e2e --summary-only --fail-under-lines "$MIN_COVERAGE_PERCENT""#,
];
const GENERATE_CHECK: &[&str] =
    &[r#"cargo run -p generator --bin platformgen -- generate --check --spec "$PLATFORM_SPEC""#];
const TERRAFORM_FMT: &[&str] = &["terraform fmt -check -recursive terraform/"];
const TERRAFORM_CHECK: &[&str] = &["bash terraform/check.sh --require-checkov"];
const DOCKER_BUILD: &[&str] = &[r#"docker build --file "$DOCKERFILE" --tag "$IMAGE" ."#];

/// The MariaDB, PostgreSQL and Redis the integration tests need, where `TEST_SERVICE_URLS` points.
fn test_services() -> Vec<ServiceContainer> {
    vec![
        ServiceContainer {
            id: "mariadb",
            image: "mariadb:11.4",
            env: vec![
                variable("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1"),
                variable("MARIADB_DATABASE", "test"),
            ],
            ports: vec!["3306:3306"],
            options: "--health-cmd \"healthcheck.sh --connect --innodb_initialized\" --health-interval 5s --health-timeout 5s --health-retries 20",
        },
        ServiceContainer {
            id: "postgres",
            image: "postgres:16",
            env: vec![
                variable("POSTGRES_HOST_AUTH_METHOD", "trust"),
                variable("POSTGRES_DB", "test"),
            ],
            ports: vec!["5432:5432"],
            options: "--health-cmd \"pg_isready -U postgres\" --health-interval 5s --health-timeout 5s --health-retries 20",
        },
        ServiceContainer {
            id: "redis",
            image: "redis:7",
            env: Vec::new(),
            ports: vec!["6379:6379"],
            options: "--health-cmd \"redis-cli ping\" --health-interval 5s --health-timeout 5s --health-retries 20",
        },
    ]
}

fn test_service_env(require_external: bool) -> Vec<Variable> {
    let mut env: Vec<Variable> = TEST_SERVICE_URLS
        .iter()
        .map(|(name, url)| variable(name, *url))
        .collect();
    if require_external {
        // A test that cannot reach a tool or a service fails instead of skipping.
        env.push(variable("REQUIRE_EXTERNAL", "1"));
    }
    env
}

/// A job that only reads the repository.
fn reading_job(id: &'static str, name: &str, timeout_minutes: u32, steps: Vec<Step>) -> Job {
    Job {
        id,
        name: name.to_string(),
        runs_on: Value::from(RUNNER),
        timeout_minutes,
        permissions: vec![read("contents")],
        environment: None,
        services: Vec::new(),
        env: Vec::new(),
        steps,
    }
}

/// The branches whose pull requests and pushes CI checks: every branch a deploy follows.
fn checked_branches(model: &Model) -> Result<Vec<String>, RenderError> {
    let mut branches = BTreeSet::new();
    for environment in model.environments.values() {
        if let DeployTrigger::Branch(branch) = &environment.deploy.trigger {
            branches.insert(branch.clone());
        }
    }
    if branches.is_empty() {
        branches.insert("main".to_string());
    }
    Ok(branches.into_iter().collect())
}

fn ci_workflow(model: &Model, spec_path: &str) -> Result<Workflow, RenderError> {
    let spec = model;
    let rust = || Step::run("Install Rust", INSTALL_RUST);
    let validators = || Step::run("Install the validators (tests/tools)", INSTALL_VALIDATORS);
    let image = format!("{}:ci-${{{{ github.sha }}}}", spec.service.image_repository);

    let jobs = vec![
        reading_job(
            "fmt",
            "Format",
            10,
            vec![checkout(model), rust(), Step::run("cargo fmt --check", FMT)],
        ),
        reading_job(
            "clippy",
            "Clippy",
            30,
            vec![checkout(model), rust(), Step::run("cargo clippy", CLIPPY)],
        ),
        Job {
            services: test_services(),
            env: test_service_env(true),
            ..reading_job(
                "test",
                "Tests (MariaDB, PostgreSQL, Redis)",
                45,
                vec![
                    checkout(model),
                    rust(),
                    validators(),
                    Step::run("cargo test", TEST),
                ],
            )
        },
        Job {
            services: test_services(),
            // Coverage measures the crates' own tests; the `test` job is the one that requires
            // every external tool, so a missing one may skip here.
            env: test_service_env(false),
            ..reading_job(
                "coverage",
                "Coverage",
                45,
                vec![
                    checkout(model),
                    rust(),
                    Step::run("Install cargo-llvm-cov", INSTALL_LLVM_COV)
                        .env("CARGO_LLVM_COV_VERSION", CARGO_LLVM_COV_VERSION),
                    Step::run(
                        "Line coverage at least delivery.min_coverage_percent",
                        COVERAGE,
                    )
                    .env("MIN_COVERAGE_PERCENT", spec.delivery.min_coverage_percent),
                ],
            )
        },
        reading_job(
            "generated",
            "Generated artifacts match the spec",
            20,
            vec![
                checkout(model),
                rust(),
                Step::run("platformgen generate --check", GENERATE_CHECK)
                    .env("PLATFORM_SPEC", spec_path),
            ],
        ),
        reading_job(
            "terraform",
            "Terraform",
            20,
            vec![
                checkout(model),
                Step::uses(
                    "Set up Terraform",
                    model.delivery.action(Action::SetupTerraform),
                )
                .with("terraform_version", TERRAFORM_VERSION)
                .with("terraform_wrapper", false),
                Step::run("terraform fmt", TERRAFORM_FMT),
                validators(),
                Step::run(
                    "terraform/check.sh (plan against the generated tfvars, checkov)",
                    TERRAFORM_CHECK,
                ),
            ],
        ),
        Job {
            services: test_services(),
            env: test_service_env(true),
            ..reading_job(
                "validators",
                "Artifacts pass their real validators",
                45,
                vec![
                    checkout(model),
                    rust(),
                    validators(),
                    Step::run("End-to-end tests", E2E),
                ],
            )
        },
        reading_job(
            "image",
            "Container image (build and scan, no push)",
            45,
            vec![
                checkout(model),
                Step::run("docker build", DOCKER_BUILD)
                    .env("DOCKERFILE", DOCKERFILE)
                    .env("IMAGE", image.clone()),
                trivy_scan(model, image),
            ],
        ),
    ];

    let branches = checked_branches(model)?;
    Ok(Workflow {
        name: "CI".to_string(),
        triggers: Triggers {
            pull_request_branches: branches.clone(),
            push_branches: branches,
            push_tags: Vec::new(),
        },
        concurrency: Concurrency {
            group: "${{ github.workflow }}-${{ github.ref }}".to_string(),
            cancel_in_progress: true,
        },
        env: vec![
            variable("CARGO_TERM_COLOR", "always"),
            variable("CARGO_INCREMENTAL", "0"),
            variable("RUST_TOOLCHAIN", RUST_TOOLCHAIN),
        ],
        jobs,
    })
}

/// Trivy fails the job on fixable HIGH or CRITICAL vulnerabilities of the image.
fn trivy_scan(model: &Model, image: String) -> Step {
    Step::uses("Trivy scan", model.delivery.action(Action::Trivy))
        .with("image-ref", image)
        .with("format", "table")
        .with("exit-code", "1")
        .with("ignore-unfixed", true)
        .with("severity", "CRITICAL,HIGH")
}

// ---------------------------------------------------------------------------------------------
// deploy-<env>.yml
// ---------------------------------------------------------------------------------------------

/// ECR tags are immutable (terraform/modules/ecr): the image of a commit is built once and every
/// later deploy of that commit (dev, then staging, then prod) ships the very same image.
const BUILD_AND_PUSH: &[&str] = &[
    r#"image="$REGISTRY/$REPOSITORY:$IMAGE_TAG""#,
    r#"if docker manifest inspect "$image" > /dev/null 2>&1; then"#,
    r#"  echo "$image is already in ECR; deploying that image""#,
    "else",
    r#"  docker build --file "$DOCKERFILE" --tag "$image" ."#,
    r#"  docker push "$image""#,
    "fi",
];
const UPDATE_KUBECONFIG: &[&str] =
    &[r#"aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$REGION""#];
/// The chart takes the environment's generated PrometheusRule and dashboards as files (they live
/// outside the chart); the generator owns the dashboards directory, so it holds exactly the
/// spec's dashboards.
const HELM_UPGRADE: &[&str] = &[
    r#"files=(--set-file "prometheusRule.file=$RULES_FILE")"#,
    r#"for dashboard in "$DASHBOARDS_DIR"/*.json; do"#,
    r#"  files+=(--set-file "grafanaDashboards.files.$(basename "$dashboard" .json)=$dashboard")"#,
    "done",
    r#"helm upgrade --install "$RELEASE" "$CHART" \"#,
    r#"  --namespace "$NAMESPACE" --create-namespace \"#,
    r#"  -f "$VALUES_FILE" \"#,
    r#"  "${files[@]}" \"#,
    r#"  --set-string image.registry="$IMAGE_REGISTRY" \"#,
    r#"  --set-string image.tag="$IMAGE_TAG" \"#,
    "  --wait --timeout 10m",
];
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

/// The path a smoke test GETs to prove the API answers: the route that lists transactions.
fn api_smoke_path(model: &Model) -> Option<&str> {
    model
        .routes
        .iter()
        .find(|route| route.method == Method::Get && route.handler == Handler::ListTransactions)
        .map(|route| route.path.as_str())
}

fn deploy_workflow(model: &Model, environment: &Environment) -> Result<Workflow, RenderError> {
    let spec = model;
    let name = environment.name.clone();
    let (push_branches, push_tags) = match &environment.deploy.trigger {
        DeployTrigger::Branch(branch) => (vec![branch.clone()], Vec::new()),
        DeployTrigger::Tag(tag) => (Vec::new(), vec![tag.clone()]),
    };
    let host = &environment.ingress.host;
    let region = spec.project.aws_region.clone();
    let role = &spec.delivery.aws_role_name;
    let repository = spec.service.image_repository.clone();
    let service = spec.service.name.clone();
    let namespace = spec.delivery.namespace.clone();
    let project = &spec.project.name;
    let health_path = spec.service.health_path.clone();
    let base_url = format!("https://{host}");
    let image = format!("${{{{ steps.ecr.outputs.registry }}}}/{repository}:${{{{ github.sha }}}}");

    let mut steps = vec![
        checkout(model),
        // OIDC only: the role trusts this repository's workflows; no access key exists anywhere.
        Step::uses(
            "Configure AWS credentials (OIDC)",
            model.delivery.action(Action::ConfigureAwsCredentials),
        )
        .with(
            "role-to-assume",
            format!("arn:aws:iam::${{{{ secrets.AWS_ACCOUNT_ID }}}}:role/{role}"),
        )
        .with(
            "role-session-name",
            format!("deploy-{name}-${{{{ github.run_id }}}}"),
        )
        .with("aws-region", region.clone()),
        Step::uses(
            "Log in to Amazon ECR",
            model.delivery.action(Action::AmazonEcrLogin),
        )
        .id("ecr"),
        Step::run("Build and push the image", BUILD_AND_PUSH)
            .env("REGISTRY", "${{ steps.ecr.outputs.registry }}")
            .env("REPOSITORY", repository.clone())
            .env("IMAGE_TAG", "${{ github.sha }}")
            .env("DOCKERFILE", DOCKERFILE),
        trivy_scan(model, image),
        Step::uses("Set up Helm", model.delivery.action(Action::SetupHelm))
            .with("version", HELM_VERSION),
        Step::run("Update kubeconfig", UPDATE_KUBECONFIG)
            .env("CLUSTER_NAME", format!("{project}-{name}"))
            .env("REGION", region),
        Step::run("helm upgrade --install", HELM_UPGRADE)
            .id("helm")
            .env("RELEASE", service.clone())
            .env("CHART", HELM_CHART)
            .env("NAMESPACE", namespace.clone())
            .env("VALUES_FILE", format!("generated/{name}/helm-values.yaml"))
            .env(
                "RULES_FILE",
                format!("generated/{name}/prometheus-rules.yaml"),
            )
            .env("DASHBOARDS_DIR", format!("generated/{name}/dashboards"))
            // The values name the repository; the registry is the account's, known only here.
            .env("IMAGE_REGISTRY", "${{ steps.ecr.outputs.registry }}")
            .env("IMAGE_TAG", "${{ github.sha }}"),
        Step::run("Smoke test: health", SMOKE_HEALTH)
            .env("BASE_URL", base_url.clone())
            .env("HEALTH_PATH", health_path),
    ];
    if let Some(path) = api_smoke_path(model) {
        steps.push(
            Step::run("Smoke test: API", SMOKE_API)
                .env("BASE_URL", base_url.clone())
                .env("API_PATH", path),
        );
    }
    steps.push(
        Step::run("Roll back a failed release", ROLLBACK)
            .when("failure() && steps.helm.outcome != 'skipped'")
            .env("RELEASE", service)
            .env("NAMESPACE", namespace),
    );
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
        id: "deploy",
        name: format!("Deploy to {name}"),
        runs_on: deploy_runner(&environment.deploy.runner),
        timeout_minutes: 60,
        permissions: vec![read("contents"), write("id-token")],
        environment: Some(JobEnvironment {
            name: name.clone(),
            url: base_url,
            approval_required: environment.deploy.approval_required,
            private_cluster: !environment.eks.endpoint_public_access,
        }),
        services: Vec::new(),
        env: Vec::new(),
        steps,
    };
    Ok(Workflow {
        name: format!("Deploy {name}"),
        triggers: Triggers {
            pull_request_branches: Vec::new(),
            push_branches,
            push_tags,
        },
        // One deploy of an environment at a time, and never cancelled half-way through.
        concurrency: Concurrency {
            group: format!("deploy-{name}"),
            cancel_in_progress: false,
        },
        env: Vec::new(),
        jobs: vec![job],
    })
}

/// Renders `ci.yml` and each rendered environment's `deploy-<env>.yml`.
/// The `runs-on` of a deploy job: the hosted runner, or the spec's self-hosted labels.
fn deploy_runner(labels: &[crate::spec::RunnerLabel]) -> Value {
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

fn actionlint_config(model: &crate::model::Model, header: &str) -> Artifact {
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

pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let header = request.header("#");
    let mut artifacts = vec![
        actionlint_config(request.model, &header),
        Artifact {
            path: ".github/workflows/ci.yml".to_string(),
            contents: format!(
                "{header}{}",
                render_workflow(CI_TEMPLATE, &ci_workflow(request.model, request.spec_path)?)?
            ),
        },
    ];
    for environment in request.environments() {
        let workflow = deploy_workflow(request.model, environment)?;
        artifacts.push(Artifact {
            path: format!(".github/workflows/deploy-{}.yml", environment.name),
            contents: format!("{header}{}", render_workflow(DEPLOY_TEMPLATE, &workflow)?),
        });
    }
    Ok(artifacts)
}
