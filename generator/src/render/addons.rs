//! `generated/<env>/addons/`: the cluster add-ons' Helm values (`<release>-values.yaml`, one per
//! add-on) and `bootstrap.sh`, the ordered commands that install them at their pinned chart
//! versions, apply the ClusterSecretStore and prepare the releases' namespace. The IRSA roles
//! the values annotate are the ones Terraform creates under the names the tfvars carry
//! (`Model::addon_role_name`, one name for both).

use std::collections::BTreeMap;

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::helm_values::IRSA_ANNOTATION;
use super::template::render_template;
use crate::model::{Addon, Environment, Model, cluster_autoscaler_image_tag};

/// The namespace label that makes the load balancer controller inject pod readiness gates.
pub const READINESS_GATE_LABEL: &str = "elbv2.k8s.aws/pod-readiness-gate-inject";

/// What an add-on's values template lays out.
#[derive(Debug, Serialize)]
struct Values {
    environment: String,
    release: &'static str,
    chart: &'static str,
    version: String,
    cluster_name: String,
    region: String,
    kubernetes_version: String,
    service_account: Option<&'static str>,
    role_name: Option<String>,
    /// None where the spec names no account: `bootstrap.sh` sets it from Terraform's output.
    role_arn: Option<String>,
    log_group: String,
    log_retention_days: u16,
    autoscaler_image_tag: String,
}

#[derive(Debug, Serialize)]
struct Bootstrap {
    environment: String,
    cluster_name: String,
    region: String,
    app_namespace: String,
    readiness_gate_label: &'static str,
    repositories: Vec<Repository>,
    releases: Vec<Release>,
    /// Some add-on's role ARN is read from Terraform's outputs.
    from_terraform_roles: bool,
    /// The outputs read, each into a variable of its name, in the order first needed.
    outputs: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
struct Repository {
    name: &'static str,
    url: &'static str,
}

#[derive(Debug, Serialize)]
struct Release {
    name: &'static str,
    /// `<repository>/<chart>`.
    chart: String,
    version: String,
    namespace: &'static str,
    values_file: String,
    /// Values only Terraform's outputs know, set on the command line.
    from_terraform: Vec<TerraformValue>,
}

#[derive(Debug, Serialize)]
struct TerraformValue {
    /// The value's path, dots in keys escaped as `helm --set` reads them.
    key: String,
    /// The root module's output.
    output: &'static str,
}

/// Where an add-on's values are written.
pub fn values_path(environment: &Environment, addon: Addon) -> String {
    format!(
        "generated/{}/addons/{}-values.yaml",
        environment.name,
        addon.release()
    )
}

/// Where the environment's bootstrap script is written.
pub fn bootstrap_path(environment: &Environment) -> String {
    format!("generated/{}/addons/bootstrap.sh", environment.name)
}

/// The root module's output holding an add-on's role ARN.
pub fn role_output(addon: Addon) -> Option<&'static str> {
    match addon {
        Addon::LoadBalancerController => Some("aws_load_balancer_controller_role_arn"),
        Addon::ExternalSecrets => Some("external_secrets_role_arn"),
        Addon::ClusterAutoscaler => Some("cluster_autoscaler_role_arn"),
        Addon::FluentBit => Some("fluent_bit_role_arn"),
        Addon::KubePrometheusStack | Addon::MetricsServer => None,
    }
}

/// Where a chart's values hold its service account.
pub fn service_account_values(addon: Addon) -> &'static str {
    match addon {
        Addon::ClusterAutoscaler => "rbac.serviceAccount",
        _ => "serviceAccount",
    }
}

fn values(model: &Model, environment: &Environment, addon: Addon, version: &str) -> Values {
    Values {
        environment: environment.name.clone(),
        release: addon.release(),
        chart: addon.chart(),
        version: version.to_string(),
        cluster_name: model.resource_name(environment),
        region: model.project.aws_region.clone(),
        kubernetes_version: environment.eks.version.clone(),
        service_account: addon.service_account(),
        role_name: model.addon_role_name(environment, addon),
        role_arn: model.addon_role_arn(environment, addon),
        log_group: model.container_log_group(environment),
        log_retention_days: environment.app.log_retention_days,
        autoscaler_image_tag: cluster_autoscaler_image_tag(&environment.eks.version),
    }
}

fn bootstrap(model: &Model, environment: &Environment) -> Bootstrap {
    let repositories: BTreeMap<&'static str, &'static str> = environment
        .cluster_addons
        .iter()
        .map(|(addon, _)| (addon.repository().name, addon.repository().url))
        .collect();
    let releases: Vec<Release> = environment
        .cluster_addons
        .iter()
        .map(|&(addon, ref version)| {
            let mut from_terraform = Vec::new();
            if addon == Addon::LoadBalancerController {
                from_terraform.push(TerraformValue {
                    key: "vpcId".to_string(),
                    output: "vpc_id",
                });
            }
            if model.addon_role_arn(environment, addon).is_none()
                && let Some(output) = role_output(addon)
            {
                from_terraform.push(TerraformValue {
                    key: format!(
                        "{}.annotations.{}",
                        service_account_values(addon),
                        IRSA_ANNOTATION.replace('.', "\\.")
                    ),
                    output,
                });
            }
            Release {
                name: addon.release(),
                chart: format!("{}/{}", addon.repository().name, addon.chart()),
                version: version.clone(),
                namespace: addon.namespace(),
                values_file: format!("{}-values.yaml", addon.release()),
                from_terraform,
            }
        })
        .collect();
    Bootstrap {
        environment: environment.name.clone(),
        cluster_name: model.resource_name(environment),
        region: model.project.aws_region.clone(),
        app_namespace: environment.namespace.clone(),
        readiness_gate_label: READINESS_GATE_LABEL,
        repositories: repositories
            .into_iter()
            .map(|(name, url)| Repository { name, url })
            .collect(),
        outputs: releases
            .iter()
            .flat_map(|release| release.from_terraform.iter().map(|value| value.output))
            .collect(),
        from_terraform_roles: releases
            .iter()
            .any(|release| release.from_terraform.iter().any(|v| v.output != "vpc_id")),
        releases,
    }
}

/// Renders each environment's add-on values and bootstrap script.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = Vec::new();
    for environment in request.environments() {
        for (addon, version) in &environment.cluster_addons {
            let body = render_template(
                &format!("addons/{}-values.yaml.j2", addon.release()),
                &values(request.model, environment, *addon, version),
            )?;
            artifacts.push(Artifact {
                path: values_path(environment, *addon),
                contents: format!("{}{body}", request.header("#")),
            });
        }
        let body = render_template(
            "addons/bootstrap.sh.j2",
            &bootstrap(request.model, environment),
        )?;
        // The shebang stays the first line.
        let (shebang, rest) = body.split_once('\n').unwrap_or((&body, ""));
        artifacts.push(Artifact {
            path: bootstrap_path(environment),
            contents: format!("{shebang}\n{}{rest}", request.header("#")),
        });
    }
    Ok(artifacts)
}
