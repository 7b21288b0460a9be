//! The cluster add-ons every environment's cluster runs before the releases: which chart each
//! is, at which version, in which namespace, and the service account that assumes the IAM role
//! Terraform creates for it (`terraform/modules/cluster-addons`, and the External Secrets
//! Operator's `module.external_secrets_role`). One table, read by the tfvars (the roles' names
//! and service accounts), the add-ons' values and `bootstrap.sh`.

use super::secrets::{EXTERNAL_SECRETS_NAMESPACE, EXTERNAL_SECRETS_SERVICE_ACCOUNT};
use super::{Environment, Model};
use crate::spec::ClusterAddons;

/// One cluster add-on, in the order `bootstrap.sh` installs them: the load balancer controller
/// first (its webhooks then admit the Services the others create), Prometheus' CRDs before
/// anything that might define a ServiceMonitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Addon {
    LoadBalancerController,
    KubePrometheusStack,
    ExternalSecrets,
    MetricsServer,
    ClusterAutoscaler,
    FluentBit,
}

/// Where a chart is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartRepository {
    /// The local name `helm repo add` gives it.
    pub name: &'static str,
    pub url: &'static str,
}

const EKS_CHARTS: ChartRepository = ChartRepository {
    name: "eks",
    url: "https://aws.github.io/eks-charts",
};

/// The Helm release of kube-prometheus-stack: the operator selects ServiceMonitors,
/// PrometheusRules and AlertmanagerConfigs labelled `release: prometheus`, the label the chart
/// (runtime/chart) and the generated rules carry.
pub const PROMETHEUS_RELEASE: &str = "prometheus";

/// The cluster autoscaler's image for each Kubernetes minor version (it must match the
/// cluster's): the latest patch release of each. Each is a manifest list of linux/amd64, arm64
/// and s390x (kubernetes/autoscaler's cluster-autoscaler/Makefile at each tag: `ALL_ARCH`,
/// `push-manifest`), so its pod runs on any node of the cluster.
const CLUSTER_AUTOSCALER_IMAGES: [(&str, &str); 8] = [
    ("1.28", "v1.28.7"),
    ("1.29", "v1.29.5"),
    ("1.30", "v1.30.7"),
    ("1.31", "v1.31.5"),
    ("1.32", "v1.32.7"),
    ("1.33", "v1.33.6"),
    ("1.34", "v1.34.5"),
    ("1.35", "v1.35.2"),
];

impl Addon {
    pub const ALL: [Addon; 6] = [
        Addon::LoadBalancerController,
        Addon::KubePrometheusStack,
        Addon::ExternalSecrets,
        Addon::MetricsServer,
        Addon::ClusterAutoscaler,
        Addon::FluentBit,
    ];

    /// Its Helm release name, its file names' stem and its key in `[cluster_addons]`.
    pub fn release(self) -> &'static str {
        match self {
            Addon::LoadBalancerController => "aws-load-balancer-controller",
            Addon::KubePrometheusStack => PROMETHEUS_RELEASE,
            Addon::ExternalSecrets => "external-secrets",
            Addon::MetricsServer => "metrics-server",
            Addon::ClusterAutoscaler => "cluster-autoscaler",
            Addon::FluentBit => "aws-for-fluent-bit",
        }
    }

    /// The chart's name in its repository.
    pub fn chart(self) -> &'static str {
        match self {
            Addon::KubePrometheusStack => "kube-prometheus-stack",
            other => other.release(),
        }
    }

    pub fn repository(self) -> ChartRepository {
        match self {
            Addon::LoadBalancerController | Addon::FluentBit => EKS_CHARTS,
            Addon::KubePrometheusStack => ChartRepository {
                name: "prometheus-community",
                url: "https://prometheus-community.github.io/helm-charts",
            },
            Addon::ExternalSecrets => ChartRepository {
                name: "external-secrets",
                url: "https://charts.external-secrets.io",
            },
            Addon::MetricsServer => ChartRepository {
                name: "metrics-server",
                url: "https://kubernetes-sigs.github.io/metrics-server",
            },
            Addon::ClusterAutoscaler => ChartRepository {
                name: "autoscaler",
                url: "https://kubernetes.github.io/autoscaler",
            },
        }
    }

    /// The chart version the generator pins, the one its values are checked against
    /// (tests/addon-charts/).
    pub fn pinned_version(self) -> &'static str {
        match self {
            Addon::LoadBalancerController => "3.5.0",
            Addon::KubePrometheusStack => "88.5.3",
            Addon::ExternalSecrets => "2.9.0",
            Addon::MetricsServer => "3.13.1",
            Addon::ClusterAutoscaler => "9.59.0",
            Addon::FluentBit => "0.2.0",
        }
    }

    pub fn namespace(self) -> &'static str {
        match self {
            Addon::LoadBalancerController | Addon::MetricsServer | Addon::ClusterAutoscaler => {
                "kube-system"
            }
            Addon::KubePrometheusStack => "monitoring",
            Addon::ExternalSecrets => EXTERNAL_SECRETS_NAMESPACE,
            Addon::FluentBit => "amazon-cloudwatch",
        }
    }

    /// The service account that assumes the add-on's IAM role (IRSA), for those that call AWS.
    pub fn service_account(self) -> Option<&'static str> {
        match self {
            Addon::LoadBalancerController => Some("aws-load-balancer-controller"),
            Addon::ExternalSecrets => Some(EXTERNAL_SECRETS_SERVICE_ACCOUNT),
            Addon::ClusterAutoscaler => Some("cluster-autoscaler"),
            Addon::FluentBit => Some("aws-for-fluent-bit"),
            Addon::KubePrometheusStack | Addon::MetricsServer => None,
        }
    }

    /// The version of `self` an environment's spec asks for, if it names one.
    fn chosen(self, versions: &ClusterAddons) -> Option<&String> {
        match self {
            Addon::LoadBalancerController => versions.aws_load_balancer_controller.as_ref(),
            Addon::KubePrometheusStack => versions.kube_prometheus_stack.as_ref(),
            Addon::ExternalSecrets => versions.external_secrets.as_ref(),
            Addon::MetricsServer => versions.metrics_server.as_ref(),
            Addon::ClusterAutoscaler => versions.cluster_autoscaler.as_ref(),
            Addon::FluentBit => versions.aws_for_fluent_bit.as_ref(),
        }
    }
}

/// Every add-on with the chart version an environment installs: the spec's, else the pin.
pub fn addon_versions(versions: &ClusterAddons) -> Vec<(Addon, String)> {
    Addon::ALL
        .into_iter()
        .map(|addon| {
            let version = addon
                .chosen(versions)
                .cloned()
                .unwrap_or_else(|| addon.pinned_version().to_string());
            (addon, version)
        })
        .collect()
}

/// The cluster autoscaler's image tag for a cluster of Kubernetes `version` (`1.28`): the
/// table's, else the minor version's first release.
pub fn cluster_autoscaler_image_tag(version: &str) -> String {
    CLUSTER_AUTOSCALER_IMAGES
        .iter()
        .find(|(minor, _)| *minor == version)
        .map_or_else(|| format!("v{version}.0"), |(_, tag)| (*tag).to_string())
}

impl Model {
    /// The IAM role Terraform gives an add-on's service account in an environment, if the
    /// add-on calls AWS: `<project>-<environment>-<release>`, cut to IAM's 64 characters
    /// (the tfvars' `cluster_addon_roles` carry it to Terraform).
    pub fn addon_role_name(&self, environment: &Environment, addon: Addon) -> Option<String> {
        addon.service_account()?;
        Some(self.service_role_name(environment, addon.release()))
    }

    /// That role's ARN, where the spec names the environment's account.
    pub fn addon_role_arn(&self, environment: &Environment, addon: Addon) -> Option<String> {
        self.role_arn(environment, &self.addon_role_name(environment, addon)?)
    }

    /// The CloudWatch log group every container's log goes to (Fluent Bit writes it, Terraform
    /// creates it with the environment's retention): `/aws/eks/<cluster>/containers`.
    pub fn container_log_group(&self, environment: &Environment) -> String {
        format!("/aws/eks/{}/containers", self.resource_name(environment))
    }
}
