//! How the platform is built and delivered: the GitHub Actions and the deploy role.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns::NAME_PATTERN;

/// How the platform is delivered: the actions the workflows use and the deploy role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Name of the IAM role the workflows assume through GitHub OIDC.
    #[schemars(regex(pattern = r"^[A-Za-z0-9+=,.@_-]{1,64}$"))]
    pub aws_role_name: String,
    /// Kubernetes namespace the service is deployed to.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub namespace: String,
    /// Minimum line coverage the PR check enforces, in percent.
    #[schemars(range(min = 0, max = 100))]
    pub min_coverage_percent: u8,
    /// The GitHub Actions used by the workflows, by `owner/name`: a version tag, and optionally
    /// the full commit SHA that tag points to, which is then what the workflows pin.
    pub actions: BTreeMap<String, ActionVersion>,
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
