//! What a rotation of an environment's database password reaches beyond RDS and the secret
//! Terraform writes: the ExternalSecrets that copy that secret into the namespace (each
//! release's that reads it, and PgBouncer's where the environment runs one) and the workloads
//! whose pods read the copies, which keep the old password until they restart. The Terraform
//! workflow refreshes and restarts them after a rotation; the runbook names them.

use super::{helm_values, pgbouncer};
use crate::model::{Environment, Model, POOLER_NAME, Secret};

/// What a rotation writes in the environment's Terraform stack: the instance's password and the
/// database secret's value (terraform/modules/rds), both keyed on the password's generation.
pub const PASSWORD_RESOURCES: [&str; 2] = [
    "module.rds.aws_db_instance.this",
    "module.rds.aws_secretsmanager_secret_version.credentials",
];

/// The label that names a workload on its Deployments and pods (the chart's and PgBouncer's).
pub const WORKLOAD_LABEL: &str = "app.kubernetes.io/name";

/// The readers of the database secret in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSecretReaders {
    /// The ExternalSecrets whose data reads the database secret, by name.
    pub external_secrets: Vec<String>,
    /// The workloads whose pods read them, by their `app.kubernetes.io/name`: a service's
    /// Deployments (both colours of a blue-green one) and PgBouncer's.
    pub workloads: Vec<String>,
}

impl DatabaseSecretReaders {
    /// The label selector of every Deployment of the workloads.
    pub fn selector(&self) -> String {
        format!("{WORKLOAD_LABEL} in ({})", self.workloads.join(","))
    }
}

/// The readers of `environment`'s database secret, as the Helm values and PgBouncer's manifests
/// the generator renders name them.
pub fn database_secret_readers(model: &Model, environment: &Environment) -> DatabaseSecretReaders {
    let database = model.secret_name(environment, Secret::Database);
    let mut readers = DatabaseSecretReaders {
        external_secrets: Vec::new(),
        workloads: Vec::new(),
    };
    for service in &model.services {
        let values = helm_values::values(model, environment, service);
        let external = &values.secrets.external_secret;
        if external.enabled && external.data.iter().any(|read| read.remote_key == database) {
            readers.external_secrets.push(values.secrets.name);
            readers.workloads.push(values.name_override);
        }
    }
    if environment.database.pooler.is_some() {
        readers
            .external_secrets
            .push(pgbouncer::UPSTREAM_SECRET.to_string());
        readers.workloads.push(POOLER_NAME.to_string());
    }
    readers
}
