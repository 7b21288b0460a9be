//! How the platform is delivered: the workflows' actions and roles, resolved.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, ActionRef, Architecture, PromDuration};

/// How the platform is delivered.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub aws_role_name: String,
    pub min_coverage_percent: u8,
    /// Every action the workflows use, with its pinned reference.
    pub actions: BTreeMap<Action, ActionRef>,
    /// Provenance, SBOM, code scanning, signing and verification of the images.
    pub supply_chain: bool,
    /// What `.github/dependabot.yml` updates, if it is rendered.
    pub dependency_updates: Option<DependencyUpdates>,
    /// `cargo deny check` runs in the pull-request checks.
    pub cargo_deny: bool,
    /// Pull requests that change the spec or the prices get their change of cost as a comment.
    pub cost_comment: bool,
    /// The Terraform workflow and its roles, when rendered.
    pub terraform: Option<TerraformDelivery>,
}

/// How a deploy replaces the running version of a service in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// The Deployment's rolling update.
    Rolling,
    /// The new version as the idle colour beside the live one, smoke-tested, then the Service
    /// switched to it; the previous colour is kept (and switched back to on a failure) for
    /// `keep_previous`, then removed.
    BlueGreen { keep_previous: PromDuration },
}

/// The two colours of a blue-green service, the first the one a first deploy starts with.
pub const BLUE_GREEN_COLOURS: [&str; 2] = ["blue", "green"];

impl Strategy {
    /// How long a blue-green deploy keeps the previous colour; `None` for a rolling one.
    pub fn keep_previous(&self) -> Option<&PromDuration> {
        match self {
            Strategy::Rolling => None,
            Strategy::BlueGreen { keep_previous } => Some(keep_previous),
        }
    }
}

/// What Dependabot updates, each ecosystem once, and how often.
#[derive(Debug, Clone)]
pub struct DependencyUpdates {
    pub interval: crate::spec::UpdateInterval,
    pub ecosystems: std::collections::BTreeSet<crate::spec::Ecosystem>,
}

impl Delivery {
    /// The pinned reference of an action the workflows use (validation made sure each is there).
    pub fn action(&self, action: Action) -> &ActionRef {
        self.actions
            .get(&action)
            .unwrap_or_else(|| unreachable!("validation requires every action: {action:?}"))
    }
}

/// The Terraform workflow's roles, by name (the spec's or the defaults).
#[derive(Debug, Clone)]
pub struct TerraformDelivery {
    /// Read-only, assumed by pull-request plans.
    pub plan_role_name: String,
    /// Administrator, assumed by the applies from the environments' GitHub environments.
    pub apply_role_name: String,
}

impl TerraformDelivery {
    /// The OIDC subjects the plan role trusts: the repository's pull requests and its deploying
    /// branches (`branches`), nothing else.
    pub fn plan_subjects(&self, repository: &str, branches: &[String]) -> Vec<String> {
        let mut subjects = vec![format!("repo:{repository}:pull_request")];
        subjects.extend(
            branches
                .iter()
                .map(|branch| format!("repo:{repository}:ref:refs/heads/{branch}")),
        );
        subjects
    }

    /// The OIDC subject the apply role of `environment` trusts: a job running in that GitHub
    /// environment of the repository, which is where its approval rules apply.
    pub fn apply_subjects(&self, repository: &str, environment: &str) -> Vec<String> {
        vec![format!("repo:{repository}:environment:{environment}")]
    }
}

impl super::Model {
    /// The branches the deploys follow (`main` when every environment deploys on a tag): what CI
    /// checks, and where the Terraform plan role may also be assumed from.
    pub fn deploying_branches(&self) -> Vec<String> {
        let mut branches = std::collections::BTreeSet::new();
        for environment in self.environments.values() {
            if let super::DeployTrigger::Branch(branch) = &environment.deploy.trigger {
                branches.insert(branch.clone());
            }
        }
        if branches.is_empty() {
            branches.insert("main".to_string());
        }
        branches.into_iter().collect()
    }
}

/// What deploys the environment, and where the deploy job runs.
#[derive(Debug, Clone)]
pub struct Deploy {
    pub trigger: DeployTrigger,
    pub approval_required: bool,
    /// The self-hosted runner's labels; empty for a GitHub-hosted runner.
    pub runner: Vec<crate::spec::RunnerLabel>,
    pub strategy: Strategy,
}

impl Deploy {
    /// The CPU architecture of the deploy job's runner, where the job's labels fix it: the
    /// hosted runner (`ubuntu-24.04`) is x86_64, and a self-hosted runner carries GitHub's
    /// label of its architecture (`X64`, `ARM64`) if the spec asks for one; `None` when any
    /// runner with the labels may take the job.
    pub fn runner_architecture(&self) -> Option<Architecture> {
        if self.runner.is_empty() {
            return Some(Architecture::X86_64);
        }
        self.runner
            .iter()
            .find_map(|label| match label.0.to_ascii_lowercase().as_str() {
                "x64" => Some(Architecture::X86_64),
                "arm64" => Some(Architecture::Arm64),
                _ => None,
            })
    }

    /// Of the `platforms` an image is built for, those the runner may have to emulate (QEMU):
    /// every one but the runner's own architecture, all of them where that is not fixed.
    pub fn emulated(&self, platforms: &BTreeSet<Architecture>) -> BTreeSet<Architecture> {
        let native = self.runner_architecture();
        platforms
            .iter()
            .copied()
            .filter(|architecture| Some(*architecture) != native)
            .collect()
    }
}

/// What starts a deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployTrigger {
    /// Every push to this branch.
    Branch(String),
    /// Every pushed tag matching this glob.
    Tag(String),
}
