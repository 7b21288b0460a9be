//! The cluster add-ons `generated/<env>/addons/bootstrap.sh` installs: the Helm chart version of
//! each, where an environment moves off the version the generator was tested with.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Helm chart version (`MAJOR.MINOR.PATCH`, as the chart repositories publish them).
const CHART_VERSION_PATTERN: &str = r"^[0-9]+\.[0-9]+\.[0-9]+$";

/// Chart versions of the cluster add-ons, each by its Helm release name. An add-on without one
/// is installed at the version the generator pins (generator/SPEC.md, "Cluster add-ons"), the
/// version its values are checked against; set one in `[defaults.cluster_addons]` or an
/// environment's to move ahead (dev first, then the others).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterAddons {
    /// `eks/aws-load-balancer-controller`: the ALB behind every Ingress, and pod readiness gates.
    #[serde(
        default,
        rename = "aws-load-balancer-controller",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = CHART_VERSION_PATTERN))]
    pub aws_load_balancer_controller: Option<String>,
    /// `external-secrets/external-secrets`: syncs the releases' secrets from Secrets Manager.
    #[serde(
        default,
        rename = "external-secrets",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = CHART_VERSION_PATTERN))]
    pub external_secrets: Option<String>,
    /// `prometheus-community/kube-prometheus-stack`: Prometheus, Alertmanager, Grafana and the
    /// CRDs the releases' ServiceMonitors and PrometheusRules are.
    #[serde(
        default,
        rename = "kube-prometheus-stack",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = CHART_VERSION_PATTERN))]
    pub kube_prometheus_stack: Option<String>,
    /// `metrics-server/metrics-server`: the resource metrics the autoscalers (HPA) read.
    #[serde(
        default,
        rename = "metrics-server",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = CHART_VERSION_PATTERN))]
    pub metrics_server: Option<String>,
    /// `autoscaler/cluster-autoscaler`: resizes the node groups (its image follows the
    /// cluster's Kubernetes minor version, whatever the chart's).
    #[serde(
        default,
        rename = "cluster-autoscaler",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = CHART_VERSION_PATTERN))]
    pub cluster_autoscaler: Option<String>,
    /// `eks/aws-for-fluent-bit`: ships every container's log to the environment's CloudWatch
    /// log group.
    #[serde(
        default,
        rename = "aws-for-fluent-bit",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = CHART_VERSION_PATTERN))]
    pub aws_for_fluent_bit: Option<String>,
}
