//! The platform's secrets: declared once, by name, with the keys each holds; read by services
//! as environment variables (through the External Secrets Operator) or through the AWS API
//! with their own role.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns::NAME_PATTERN;

/// How the platform's secrets are named in AWS Secrets Manager and synced into the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretStore {
    /// The start of every secret's name: `{project}` and `{environment}` are replaced, and the
    /// secret's own name follows after a `/` (the default makes `expense/prod/database`; the
    /// guide's `{environment}/{project}` makes `prod/money-tracking/jwt-secret`). It must hold
    /// `{environment}`, so no two environments share a secret.
    #[serde(default = "SecretStore::default_prefix")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_+=.@{}-]+(/[A-Za-z0-9_+=.@{}-]+)*$"))]
    pub prefix: String,
    /// How often the External Secrets Operator reads each service's secrets again, as a Go
    /// duration (`1h`, `15m`, `1h30m`): a rotated value reaches the pods' Secret within it.
    #[serde(default = "SecretStore::default_refresh_interval")]
    #[schemars(regex(pattern = r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$"))]
    pub refresh_interval: String,
}

impl SecretStore {
    fn default_prefix() -> String {
        "{project}/{environment}".to_string()
    }

    fn default_refresh_interval() -> String {
        "1h".to_string()
    }
}

impl Default for SecretStore {
    fn default() -> Self {
        Self {
            prefix: Self::default_prefix(),
            refresh_interval: Self::default_refresh_interval(),
        }
    }
}

/// A secret of the platform, created (empty, encrypted with the environment's secrets key) by
/// Terraform in every environment; its value is put by whoever holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformSecret {
    /// What the secret is and who issues it (the Secrets Manager description).
    #[schemars(length(min = 1, max = 2048))]
    pub description: String,
    /// The keys of its JSON value (a service reads one as `"<secret>.<key>"`); none means the
    /// value is one string, read whole as `"<secret>"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^[A-Za-z0-9_-]{1,64}$")))]
    pub keys: Vec<String>,
}

/// What a service's own AWS role (IRSA) may do, by the names the spec gives: never an ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// The environment's buckets, by purpose, and what the service may do with their objects.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub buckets: BTreeMap<String, BucketAccess>,
    /// Secrets of `[secrets]` the service reads itself, through the AWS API (a value it reads
    /// as an environment variable needs no access: the External Secrets Operator reads it).
    #[serde(default)]
    #[schemars(inner(regex(pattern = NAME_PATTERN)))]
    pub secrets: Vec<String>,
}

/// What a service may do with a bucket's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BucketAccess {
    /// Get and list.
    Read,
    /// Get, list, put and delete.
    ReadWrite,
}

impl BucketAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            BucketAccess::Read => "read",
            BucketAccess::ReadWrite => "read-write",
        }
    }
}
