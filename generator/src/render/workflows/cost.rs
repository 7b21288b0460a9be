//! `cost.yml`: a pull request's change of cost. When a pull request changes the spec or the
//! price tables, the base is estimated by its own platformgen (its own prices) and the head (the
//! pull request merged into its base) by the head's; `platformgen cost --compare` writes the
//! difference per environment, and one comment, updated in place, shows it.

use super::ci::INSTALL_RUST;
use super::comment::{self, Comment};
use super::context::{Concurrency, Job, Step, Triggers, Workflow, checkout, reading_job, variable};
use super::context::{RUST_TOOLCHAIN, Variable};
use crate::cost::PRICES_DIR;
use crate::model::Model;

pub(super) const PATH: &str = ".github/workflows/cost.yml";

/// The hidden first line that finds the comment again.
pub(super) const MARKER: &str = "<!-- platformgen: cost -->";

/// The comment file, in the workspace, and the artifact that carries it to the comment job.
const COMMENT_FILE: &str = "cost-comment.md";
const ARTIFACT: &str = "cost-comment";
/// The base's estimate, as `platformgen cost --format json` writes it.
const BASE_ESTIMATE: &str = "base-estimate.json";
/// Where each side is checked out.
const BASE: &str = "base";
const HEAD: &str = "head";

/// A base without the spec, or whose platformgen cannot estimate it (no `cost` yet, a type its
/// tables lack), has no estimate: the comment then shows the head's alone.
const ESTIMATE_BASE: &[&str] = &[
    r#"if [ -f "base/$PLATFORM_SPEC" ] && cargo run --quiet --manifest-path base/Cargo.toml -p generator --bin platformgen -- \"#,
    r#"  cost --spec "base/$PLATFORM_SPEC" --format json > "$BASE_ESTIMATE"; then"#,
    r#"  echo "The base is estimated.""#,
    "else",
    r#"  rm -f "$BASE_ESTIMATE""#,
    r#"  echo "::warning::The base cannot be estimated: the comment shows the head's estimate alone.""#,
    "fi",
];
/// Nothing but the marker, platformgen's Markdown and the two commits reaches the comment.
const WRITE_COMMENT: &[&str] = &[
    "{",
    r#"  printf '%s\n' "$MARKER""#,
    r#"  if [ -f "$BASE_ESTIMATE" ]; then"#,
    r#"    cargo run --quiet --manifest-path head/Cargo.toml -p generator --bin platformgen -- \"#,
    r#"      cost --spec "head/$PLATFORM_SPEC" --compare "$BASE_ESTIMATE""#,
    "  else",
    r#"    cargo run --quiet --manifest-path head/Cargo.toml -p generator --bin platformgen -- \"#,
    r#"      cost --spec "head/$PLATFORM_SPEC" --format markdown"#,
    r#"    printf '\nThe base (%s) has no estimate: its spec or its platformgen cannot make one.\n' "$BASE_SHA""#,
    "  fi",
    r#"  printf '\nBase %s; head %s (the pull request merged into its base).\n' "$BASE_SHA" "$HEAD_SHA""#,
    r#"} > "$COMMENT_FILE""#,
];
/// A failed estimate leaves no stale figures in the comment; the reason is in the run log only.
const WRITE_FAILURE: &[&str] = &[
    "{",
    r#"  printf '%s\n' "$MARKER""#,
    r#"  printf '### The estimated cost of %s could not be computed\n\nSee %s\n' "$HEAD_SHA" "$RUN_URL""#,
    r#"} > "$COMMENT_FILE""#,
];

/// What a pull request must touch to be estimated.
fn sources(spec_path: &str) -> Vec<String> {
    vec![
        spec_path.to_string(),
        format!("{PRICES_DIR}/**"),
        PATH.to_string(),
    ]
}

fn estimate_job(model: &Model, spec_path: &str) -> Job {
    let with_spec = |step: Step| {
        step.env("PLATFORM_SPEC", spec_path)
            .env("BASE_ESTIMATE", BASE_ESTIMATE)
    };
    let commits = |step: Step| {
        step.env("BASE_SHA", "${{ github.event.pull_request.base.sha }}")
            .env("HEAD_SHA", "${{ github.sha }}")
            .env("MARKER", MARKER)
            .env("COMMENT_FILE", COMMENT_FILE)
    };
    let steps = vec![
        // The pull request merged into its base, as GitHub prepares it.
        Step {
            name: "Check out the head".to_string(),
            ..checkout(model).with("path", HEAD)
        },
        Step {
            name: "Check out the base".to_string(),
            ..checkout(model)
                .with("ref", "${{ github.event.pull_request.base.sha }}")
                .with("path", BASE)
        },
        Step::run("Install Rust", INSTALL_RUST),
        with_spec(Step::run(
            "Estimate the base (its own platformgen and prices)",
            ESTIMATE_BASE,
        )),
        commits(with_spec(Step::run(
            "Estimate the head and write the comment",
            WRITE_COMMENT,
        ))),
        commits(Step::run("Write the failure comment", WRITE_FAILURE))
            .when("failure()")
            .env(
                "RUN_URL",
                "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}",
            ),
        comment::keep(model, ARTIFACT, COMMENT_FILE),
    ];
    Job {
        env: vec![
            // One target directory: the base's build leaves the head's dependencies compiled.
            variable("CARGO_TARGET_DIR", "target"),
        ],
        ..reading_job("estimate", "Estimate the base and the head", 30, steps)
    }
}

pub(super) fn cost_workflow(model: &Model, spec_path: &str) -> Workflow {
    let post = comment::post_job(
        model,
        &Comment {
            id: "comment".to_string(),
            name: "Comment the change of cost".to_string(),
            what: "cost",
            writer: "estimate".to_string(),
            artifact: ARTIFACT.to_string(),
            file: COMMENT_FILE,
            marker: MARKER.to_string(),
            // A fork's pull request gets a read-only token: its estimate is in the run only.
            only_if: Some("github.event.pull_request.head.repo.full_name == github.repository"),
        },
    );
    Workflow {
        name: "Cost".to_string(),
        triggers: Triggers {
            pull_request_branches: Vec::new(),
            push_branches: Vec::new(),
            push_tags: Vec::new(),
            push_paths: sources(spec_path),
        },
        // A newer push makes the older estimate pointless.
        concurrency: Some(Concurrency {
            group: "cost-${{ github.event.pull_request.number }}".to_string(),
            cancel_in_progress: true,
        }),
        env: cost_env(),
        jobs: vec![estimate_job(model, spec_path), post],
    }
}

fn cost_env() -> Vec<Variable> {
    vec![
        variable("CARGO_TERM_COLOR", "never"),
        variable("RUST_TOOLCHAIN", RUST_TOOLCHAIN),
    ]
}
