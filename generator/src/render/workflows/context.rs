//! The context the workflow templates lay out: workflows, jobs, steps, each `Serialize`, plus
//! the steps and settings both the CI and the deploy workflows use.

use serde::Serialize;
use serde_json::Value;

use crate::model::{Action, ActionRef, Environment, Model};

/// The runner image: a fixed Ubuntu release rather than `ubuntu-latest`, so a runner upgrade is a
/// reviewed change of this file.
pub(super) const RUNNER: &str = "ubuntu-24.04";
/// The Rust toolchain CI builds with (the workspace's `rust-version` is the minimum, not this).
pub(super) const RUST_TOOLCHAIN: &str = "1.95.0";
pub(super) const CARGO_LLVM_COV_VERSION: &str = "0.9.1";
/// cargo-deny as `deny.toml` was checked with.
pub(super) const CARGO_DENY_VERSION: &str = "0.20.2";
/// Terraform as proven by `tests/tools` (`terraform/` requires >= 1.9).
pub(super) const TERRAFORM_VERSION: &str = "1.15.5";
/// checkov as proven by `tests/tools` (terraform/check.sh's scan).
pub(super) const CHECKOV_VERSION: &str = "3.3.30";
/// Helm as proven by `tests/tools` (the helm-check SDK is Helm v4.2.3).
pub(super) const HELM_VERSION: &str = "v4.2.3";
pub(crate) const HELM_CHART: &str = "runtime/chart";
/// Every file of the chart, as a path filter.
pub(super) const HELM_CHART_SOURCES: &str = "runtime/chart/**";

/// The databases the integration tests talk to, as `.ci/run` sets them.
pub(super) const TEST_SERVICE_URLS: &[(&str, &str)] = &[
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
pub(super) struct Workflow {
    pub(super) name: String,
    pub(super) triggers: Triggers,
    pub(super) concurrency: Option<Concurrency>,
    pub(super) env: Vec<Variable>,
    pub(super) jobs: Vec<Job>,
}

#[derive(Debug, Serialize)]
pub(super) struct Triggers {
    pub(super) pull_request_branches: Vec<String>,
    pub(super) push_branches: Vec<String>,
    pub(super) push_tags: Vec<String>,
    /// Pushes to the branches start the workflow only when they change one of these (GitHub
    /// ignores path filters for tags).
    pub(super) push_paths: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Concurrency {
    pub(super) group: String,
    pub(super) cancel_in_progress: bool,
}

/// A `name: value` entry of an `env:` or `with:` map; names are ours, values are escaped.
#[derive(Debug, Serialize)]
pub(super) struct Variable {
    pub(super) name: &'static str,
    pub(super) value: Value,
}

#[derive(Debug, Serialize)]
pub(super) struct Job {
    /// Written in this crate, or an environment's name (validated as a plain name) after a prefix.
    pub(super) id: String,
    pub(super) name: String,
    /// The jobs this one waits for.
    pub(super) needs: Vec<String>,
    /// The job's `if:`, written in this crate (environment names, plain names, may be in it).
    pub(super) condition: Option<String>,
    /// One label, or the list of labels a self-hosted runner must carry.
    pub(super) runs_on: Value,
    pub(super) timeout_minutes: u32,
    /// Scope and level, for example `("contents", "read")`; empty prints `permissions: {}`.
    pub(super) permissions: Vec<Permission>,
    pub(super) environment: Option<JobEnvironment>,
    /// The job's own concurrency group, where runs of the workflow must not overlap per job.
    pub(super) concurrency: Option<Concurrency>,
    pub(super) services: Vec<ServiceContainer>,
    pub(super) env: Vec<Variable>,
    /// Values later jobs read as `needs.<id>.outputs.<name>`.
    pub(super) outputs: Vec<Variable>,
    pub(super) steps: Vec<Step>,
}

#[derive(Debug, Serialize)]
pub(super) struct Permission {
    pub(super) scope: &'static str,
    pub(super) level: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct JobEnvironment {
    pub(super) name: String,
    pub(super) url: String,
    /// Reviewers configured on the GitHub environment must approve the job (a comment says so).
    pub(super) approval_required: bool,
    /// The tool (helm, kubectl) the job talks to the cluster's API with, where it does: where it
    /// may run from then matters (comments say so).
    pub(super) reaches_cluster: Option<&'static str>,
    /// The cluster's API has no public endpoint, so a hosted runner cannot reach it (a comment
    /// says so).
    pub(super) private_cluster: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct ServiceContainer {
    pub(super) id: &'static str,
    pub(super) image: &'static str,
    pub(super) env: Vec<Variable>,
    pub(super) ports: Vec<&'static str>,
    pub(super) options: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct Step {
    pub(super) name: String,
    pub(super) id: Option<&'static str>,
    pub(super) condition: Option<&'static str>,
    pub(super) uses: Option<Uses>,
    pub(super) with: Vec<Variable>,
    pub(super) env: Vec<Variable>,
    /// The script, one line each; only text written in this file can be a line.
    pub(super) run: Vec<&'static str>,
    pub(super) continue_on_error: bool,
}

/// A `uses:` reference, and the version tag a SHA pin stands for.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Uses {
    pub(super) reference: String,
    /// Printed unescaped as a trailing `# <version>` comment, so it is checked to be a plain tag
    /// (see `action_reference`).
    pub(super) pinned_version: Option<String>,
}

impl Step {
    pub(super) fn run(name: &str, script: &'static [&'static str]) -> Step {
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

    /// A script of several parts, one after the other (each written in this crate).
    pub(super) fn script(name: &str, parts: &[&'static [&'static str]]) -> Step {
        Step {
            run: parts.concat(),
            ..Step::run(name, &[])
        }
    }

    pub(super) fn named(mut self, name: String) -> Step {
        self.name = name;
        self
    }

    pub(super) fn uses(name: &str, action: &ActionRef) -> Step {
        Step {
            uses: Some(Uses {
                reference: action.reference.clone(),
                pinned_version: action.pinned_version.clone(),
            }),
            ..Step::run(name, &[])
        }
    }

    pub(super) fn id(mut self, id: &'static str) -> Step {
        self.id = Some(id);
        self
    }

    pub(super) fn when(mut self, condition: &'static str) -> Step {
        self.condition = Some(condition);
        self
    }

    pub(super) fn with(mut self, name: &'static str, value: impl Into<Value>) -> Step {
        self.with.push(Variable {
            name,
            value: value.into(),
        });
        self
    }

    pub(super) fn env(mut self, name: &'static str, value: impl Into<Value>) -> Step {
        self.env.push(Variable {
            name,
            value: value.into(),
        });
        self
    }

    /// Adds `line` to the script right after the line `after` (a line of the same script).
    pub(super) fn line_after(mut self, after: &str, line: &'static str) -> Step {
        let at = self.run.iter().position(|candidate| *candidate == after);
        debug_assert!(at.is_some(), "no line `{after}` in {}", self.name);
        self.run
            .insert(at.map_or(self.run.len(), |at| at + 1), line);
        self
    }

    pub(super) fn allowed_to_fail(mut self) -> Step {
        self.continue_on_error = true;
        self
    }
}

/// A job on the hosted runner that reads the repository and nothing else: the base the
/// workflows' jobs extend (`..reading_job(...)`) with what they need more.
pub(super) fn reading_job(
    id: impl Into<String>,
    name: impl Into<String>,
    timeout_minutes: u32,
    steps: Vec<Step>,
) -> Job {
    Job {
        id: id.into(),
        name: name.into(),
        needs: Vec::new(),
        condition: None,
        runs_on: Value::from(RUNNER),
        timeout_minutes,
        permissions: vec![read("contents")],
        environment: None,
        concurrency: None,
        services: Vec::new(),
        env: Vec::new(),
        outputs: Vec::new(),
        steps,
    }
}

pub(super) fn read(scope: &'static str) -> Permission {
    Permission {
        scope,
        level: "read",
    }
}

pub(super) fn write(scope: &'static str) -> Permission {
    Permission {
        scope,
        level: "write",
    }
}

pub(super) fn variable(name: &'static str, value: impl Into<Value>) -> Variable {
    Variable {
        name,
        value: value.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Spec values and actions.
// ---------------------------------------------------------------------------------------------

/// The GitHub environment `<env>` a job runs in (its secrets, its reviewers), and the tool it
/// reaches the cluster with, if it does.
pub(super) fn github_environment(
    environment: &Environment,
    reaches_cluster: Option<&'static str>,
) -> JobEnvironment {
    JobEnvironment {
        name: environment.name.clone(),
        url: format!("https://{}", environment.ingress.host),
        approval_required: environment.deploy.approval_required,
        reaches_cluster,
        private_cluster: !environment.eks.endpoint_public_access,
    }
}

pub(super) fn checkout(model: &Model) -> Step {
    // The token is not needed after the checkout; do not leave it in .git/config.
    Step::uses("Check out", model.delivery.action(Action::Checkout))
        .with("persist-credentials", false)
}
