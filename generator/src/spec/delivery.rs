//! How the platform is built and delivered: the GitHub Actions, the deploy role, the image
//! supply chain and the dependency checks.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the platform is delivered: the actions the workflows use and the deploy role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Name of the IAM role the workflows assume through GitHub OIDC.
    #[schemars(regex(pattern = r"^[A-Za-z0-9+=,.@_-]{1,64}$"))]
    pub aws_role_name: String,
    /// Kubernetes namespace the services are deployed to in each environment: `{project}` and
    /// `{environment}` are replaced (the guide's `{project}-{environment}` makes
    /// `money-tracking-prod`). The rules, dashboards, alert routing, deploy workflows and the
    /// roles Terraform creates all name the result.
    #[schemars(regex(pattern = r"^([a-z0-9-]|\{project\}|\{environment\})+$"))]
    pub namespace: String,
    /// Minimum line coverage the PR check enforces, in percent.
    #[schemars(range(min = 0, max = 100))]
    pub min_coverage_percent: u8,
    /// The GitHub Actions used by the workflows, by `owner/name`: a version tag, and optionally
    /// the full commit SHA that tag points to, which is then what the workflows pin.
    pub actions: BTreeMap<String, ActionVersion>,
    /// The image supply chain of the deploy workflows (default on): the image built once with
    /// SLSA provenance, scanned by Trivy with the results uploaded to GitHub code scanning,
    /// signed keylessly by cosign with the workflow's OIDC identity and a CycloneDX SBOM
    /// attested, and the signature verified before any `helm` command. Off: build, scan, push.
    #[serde(default = "enabled")]
    pub supply_chain: bool,
    /// `.github/dependabot.yml`: the package ecosystems Dependabot keeps up to date, and how
    /// often. Absent: no Dependabot configuration is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency_updates: Option<DependencyUpdates>,
    /// Run `cargo deny check` (advisories, licenses, bans, sources of the Rust dependencies) in
    /// the pull-request checks; the repository needs a `deny.toml` at its root.
    #[serde(default)]
    pub cargo_deny: bool,
    /// `.github/workflows/cost.yml` (default on): on a pull request that changes the spec or
    /// the price tables (`generator/prices/`), the estimate of the base (by the base's own
    /// platformgen) and of the head, and their difference per environment, posted as one
    /// comment, updated in place.
    #[serde(default = "enabled")]
    pub cost_comment: bool,
    /// `.github/workflows/terraform.yml` and the two IAM roles it assumes (default on): pull
    /// requests that touch `terraform/**` or the generated tfvars are checked (fmt, validate,
    /// checkov) and planned per environment with a read-only role, the plan posted as one
    /// comment per environment; each environment's deploy trigger applies it with the apply role.
    #[serde(default)]
    pub terraform: TerraformDelivery,
}

fn enabled() -> bool {
    true
}

/// The Terraform workflow and the names of the roles it assumes through GitHub OIDC.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerraformDelivery {
    /// Render the workflow and create its roles; `false` removes both.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// The read-only role pull-request plans assume. Default `<project>-terraform-plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9+=,.@_-]{1,64}$"))]
    pub plan_role_name: Option<String>,
    /// The administrator role applies assume, only from the environments' GitHub environments.
    /// Default `<project>-terraform-apply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9+=,.@_-]{1,64}$"))]
    pub apply_role_name: Option<String>,
}

impl Default for TerraformDelivery {
    fn default() -> Self {
        TerraformDelivery {
            enabled: true,
            plan_role_name: None,
            apply_role_name: None,
        }
    }
}

/// What Dependabot updates, and how often.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DependencyUpdates {
    /// How often Dependabot looks for updates.
    pub interval: UpdateInterval,
    /// The package ecosystems to update: `github-actions` (the workflows' pinned actions),
    /// `cargo` (the workspace's Cargo.lock), `docker` (each service's Dockerfile base images).
    #[schemars(length(min = 1))]
    pub ecosystems: Vec<Ecosystem>,
}

/// How often Dependabot looks for updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateInterval {
    Daily,
    Weekly,
    Monthly,
}

/// A package ecosystem Dependabot updates, as `.github/dependabot.yml` names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    GithubActions,
    Cargo,
    Docker,
}

/// The version of one GitHub Action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ActionVersion {
    /// Version tag, for example `v5`.
    #[schemars(regex(pattern = r"^v[0-9]+(\.[0-9]+){0,2}$"))]
    pub version: String,
    /// Full 40-character commit SHA of that tag; when set, workflows pin it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-f]{40}$"))]
    pub sha: Option<String>,
}

impl Ecosystem {
    /// The name `.github/dependabot.yml` and the spec use.
    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::GithubActions => "github-actions",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Docker => "docker",
        }
    }
}

impl UpdateInterval {
    /// The name `.github/dependabot.yml` and the spec use.
    pub fn name(self) -> &'static str {
        match self {
            UpdateInterval::Daily => "daily",
            UpdateInterval::Weekly => "weekly",
            UpdateInterval::Monthly => "monthly",
        }
    }
}

/// What deploys this environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// Deploy on every push to this branch (set this or `tag`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._/-]+$"))]
    pub branch: Option<String>,
    /// Deploy on every pushed tag matching this glob, for example `v*-prod` (set this or `branch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._*/-]+$"))]
    pub tag: Option<String>,
    /// Hold the deploy until a reviewer approves it (a GitHub environment with reviewers).
    pub approval_required: bool,
    /// Labels of the runner the deploy job runs on; empty means a GitHub-hosted runner. A
    /// private EKS endpoint needs a self-hosted runner inside the VPC, such as
    /// `["self-hosted", "linux", "expense-prod"]`.
    #[serde(default)]
    pub runner: Vec<RunnerLabel>,
    /// How a new version replaces the running one: `rolling` (default: the Deployment replaces
    /// its pods a few at a time) or `blue-green` (the new version starts beside the old as the
    /// other colour, is smoke-tested, then the Service switches to it; the old colour is kept
    /// `keep_previous` and the deploy switches back if the new one fails meanwhile).
    #[serde(default)]
    pub strategy: DeployStrategy,
    /// Blue-green only: how long the deploy watches the new colour after the switch, keeping
    /// the old colour to switch back to, before it removes the old colour (default `10m`, the
    /// devops guide's "monitor for 10 minutes"; from `1m` to `45m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_previous: Option<String>,
}

/// How a deploy replaces the running version of each service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeployStrategy {
    /// The Deployment's rolling update (`rollout.max_surge`, `rollout.max_unavailable`).
    #[default]
    Rolling,
    /// Two colours side by side, the Service selecting the live one.
    BlueGreen,
}

/// A GitHub Actions runner label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct RunnerLabel(#[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,64}$"))] pub String);
