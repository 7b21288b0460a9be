//! The secrets: the two the platform makes for the runtime in every environment, where the
//! External Secrets Operator that syncs them runs, and a service's read of one.

/// The secrets Terraform creates in every environment for the runtime's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Secret {
    /// The database: engine, host, port, dbname, username, password.
    Database,
    /// Redis: host, port, tls, and auth_token where AUTH is on.
    Redis,
}

impl Secret {
    pub const ALL: [Secret; 2] = [Secret::Database, Secret::Redis];

    /// The last segment of its name, and its key in the tfvars' `secret_names`.
    pub fn as_str(self) -> &'static str {
        match self {
            Secret::Database => "database",
            Secret::Redis => "redis",
        }
    }

    /// The secret named `name`, if the platform makes one so named.
    pub fn named(name: &str) -> Option<Secret> {
        Secret::ALL
            .into_iter()
            .find(|secret| secret.as_str() == name)
    }

    /// The keys of its JSON value that every environment writes (Redis' `auth_token` only
    /// where AUTH is on: see [`Secret::AUTH_TOKEN`]).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Secret::Database => &["engine", "host", "port", "dbname", "username", "password"],
            Secret::Redis => &["host", "port", "tls", "auth_token"],
        }
    }

    /// The key of the Redis secret written only where the cache requires AUTH.
    pub const AUTH_TOKEN: &'static str = "auth_token";
}

/// Where the External Secrets Operator runs (its Helm chart's defaults): Terraform lets this
/// service account read the environment's secrets, for the ClusterSecretStore.
pub const EXTERNAL_SECRETS_NAMESPACE: &str = "external-secrets";
/// The `ClusterSecretStore` every release's ExternalSecret reads
/// (`generated/<env>/external-secrets/cluster-secret-store.yaml`).
pub const SECRET_STORE: &str = "aws-secrets-manager";
pub const EXTERNAL_SECRETS_SERVICE_ACCOUNT: &str = "external-secrets";

/// An environment variable a service reads from one of the platform's secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVariable {
    pub variable: String,
    /// The secret's name in `[secrets]`.
    pub secret: String,
    /// The key of its JSON value; `None` reads the value whole.
    pub key: Option<String>,
}
