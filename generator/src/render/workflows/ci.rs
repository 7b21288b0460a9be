//! `ci.yml`: the pull-request checks of this repository.

use super::context::{
    CARGO_DENY_VERSION, CARGO_LLVM_COV_VERSION, Concurrency, Job, RUST_TOOLCHAIN, ServiceContainer,
    Step, TERRAFORM_VERSION, TEST_SERVICE_URLS, Triggers, Variable, Workflow, checkout,
    reading_job, variable,
};
use crate::model::{Action, Model};

// ---------------------------------------------------------------------------------------------
// ci.yml
// ---------------------------------------------------------------------------------------------

pub(super) const INSTALL_RUST: &[&str] = &[
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
const INSTALL_CARGO_DENY: &[&str] =
    &[r#"cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked"#];
/// Advisories (RustSec), licenses, banned and duplicate crates, and where crates come from, as
/// `deny.toml` says.
const CARGO_DENY: &[&str] = &["cargo deny --locked check"];
const TERRAFORM_FMT: &[&str] = &["terraform fmt -check -recursive terraform/"];
const TERRAFORM_CHECK: &[&str] = &["bash terraform/check.sh --require-checkov"];
const DOCKER_BUILD: &[&str] = &[r#"docker build --file "$DOCKERFILE" --tag "$IMAGE" "$CONTEXT""#];

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

pub(super) fn ci_workflow(model: &Model, spec_path: &str) -> Workflow {
    let spec = model;
    let rust = || Step::run("Install Rust", INSTALL_RUST);
    let validators = || Step::run("Install the validators (tests/tools)", INSTALL_VALIDATORS);
    // Every service's image, built and scanned (never pushed) on every change.
    let mut image_steps = vec![checkout(model)];
    for service in &spec.services {
        // A local tag only: the image is never pushed.
        let image = format!("{}:ci-${{{{ github.sha }}}}", service.name);
        let build = &service.build;
        image_steps.push(
            Step::run(&format!("docker build {}", service.name), DOCKER_BUILD)
                .env("DOCKERFILE", build.dockerfile.clone())
                .env("CONTEXT", build.context.clone())
                .env("IMAGE", image.clone()),
        );
        image_steps.push(trivy_scan(model, image));
    }

    let mut jobs = vec![
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
            image_steps,
        ),
    ];
    if model.delivery.cargo_deny {
        jobs.push(reading_job(
            "dependencies",
            "Dependencies (cargo deny)",
            30,
            vec![
                checkout(model),
                rust(),
                Step::run("Install cargo-deny", INSTALL_CARGO_DENY)
                    .env("CARGO_DENY_VERSION", CARGO_DENY_VERSION),
                Step::run("cargo deny check", CARGO_DENY),
            ],
        ));
    }

    // Every branch a deploy follows.
    let branches = model.deploying_branches();
    Workflow {
        name: "CI".to_string(),
        triggers: Triggers {
            pull_request_branches: branches.clone(),
            push_branches: branches,
            push_tags: Vec::new(),
            push_paths: Vec::new(),
        },
        concurrency: Some(Concurrency {
            group: "${{ github.workflow }}-${{ github.ref }}".to_string(),
            cancel_in_progress: true,
        }),
        env: vec![
            variable("CARGO_TERM_COLOR", "always"),
            variable("CARGO_INCREMENTAL", "0"),
            variable("RUST_TOOLCHAIN", RUST_TOOLCHAIN),
        ],
        jobs,
    }
}

/// Trivy fails the job on fixable HIGH or CRITICAL vulnerabilities of the image.
pub(super) fn trivy_scan(model: &Model, image: String) -> Step {
    Step::uses("Trivy scan", model.delivery.action(Action::Trivy))
        .with("image-ref", image)
        .with("format", "table")
        .with("exit-code", "1")
        .with("ignore-unfixed", true)
        .with("severity", "CRITICAL,HIGH")
}
