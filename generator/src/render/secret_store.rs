//! `generated/<env>/external-secrets/cluster-secret-store.yaml`: the `ClusterSecretStore` the
//! releases' ExternalSecrets name ([`SECRET_STORE`]), reading AWS Secrets Manager in the
//! project's region with the External Secrets Operator's IRSA role, which Terraform creates for
//! the operator's service account (`module.external_secrets_role`).

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_template;
use crate::model::{
    Addon, EXTERNAL_SECRETS_NAMESPACE, EXTERNAL_SECRETS_SERVICE_ACCOUNT, Environment, Model,
    SECRET_STORE,
};

#[derive(Debug, Serialize)]
struct Context {
    name: &'static str,
    environment: String,
    region: String,
    operator_namespace: &'static str,
    operator_service_account: &'static str,
    /// The operator's role, as Terraform names it (`<project>-<env>-external-secrets`, at most
    /// 64 characters).
    role_name: String,
}

/// Where the store of an environment is written.
pub fn path(environment: &Environment) -> String {
    format!(
        "generated/{}/external-secrets/cluster-secret-store.yaml",
        environment.name
    )
}

fn context(model: &Model, environment: &Environment) -> Context {
    Context {
        name: SECRET_STORE,
        environment: environment.name.clone(),
        region: model.project.aws_region.clone(),
        operator_namespace: EXTERNAL_SECRETS_NAMESPACE,
        operator_service_account: EXTERNAL_SECRETS_SERVICE_ACCOUNT,
        role_name: model
            .addon_role_name(environment, Addon::ExternalSecrets)
            .unwrap_or_default(),
    }
}

/// Renders each environment's store.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    request
        .environments()
        .map(|environment| {
            let body = render_template(
                "cluster-secret-store.yaml.j2",
                &context(request.model, environment),
            )?;
            Ok(Artifact {
                path: path(environment),
                contents: format!("{}{body}", request.header("#")),
            })
        })
        .collect()
}
