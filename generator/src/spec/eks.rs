//! One environment's EKS cluster: its endpoint, its managed node groups (named, or the seed's
//! on-demand/spot pool), and its managed add-ons.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns::NAME_PATTERN;

/// An EC2 instance type such as `t3.xlarge` or `r6g.large`.
pub const INSTANCE_TYPE_PATTERN: &str = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$";
/// A Kubernetes label or taint key: a name, optionally under a DNS prefix (`example.com/tier`).
const LABEL_KEY_PATTERN: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";
/// A Kubernetes label value (EKS takes no empty one on a node group).
const LABEL_VALUE_PATTERN: &str = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
/// An EKS add-on version, such as `v1.10.1-eksbuild.13`.
const ADDON_VERSION_PATTERN: &str = r"^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$";

/// The EKS cluster, its nodes and its add-ons. The nodes are either named
/// `[eks.node_groups.<name>]`, or the seed's shorthand: `instance_types`, the sizes, `spot` and
/// `spot_percentage` under `[eks]`, a pool split into an `on-demand` and a `spot` group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Eks {
    /// Kubernetes version, for example `1.28`.
    #[schemars(regex(pattern = r"^1\.[0-9]{2}$"))]
    pub version: String,
    /// Managed node groups, by name (EKS names each `<project>-<environment>-<name>`). Tables
    /// merge key by key, so an environment overrides any setting of a group `[defaults]` names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub node_groups: BTreeMap<String, NodeGroup>,
    /// The seed's form (instead of `node_groups`): instance types of the pool, the first
    /// preferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(regex(pattern = INSTANCE_TYPE_PATTERN)))]
    pub instance_types: Option<Vec<String>>,
    /// The seed's form: nodes over the whole pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub desired_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub min_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_size: Option<u32>,
    /// The seed's form: run part of the pool on spot capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<bool>,
    /// The seed's form: the share of the pool on spot capacity, in percent (the on-demand share
    /// of each size is rounded up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub spot_percentage: Option<u8>,
    pub endpoint_private_access: bool,
    pub endpoint_public_access: bool,
    /// CIDRs allowed to reach a public endpoint.
    pub public_access_cidrs: Vec<String>,
    /// Versions of the managed add-ons. CoreDNS, kube-proxy and the VPC CNI are always
    /// installed (at EKS's default version for the cluster's where none is given); the EBS CSI
    /// driver where it has a version.
    #[serde(default)]
    pub addons: Addons,
}

/// One managed node group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// Instance types, the first preferred; each of the AMI type's CPU architecture.
    #[schemars(length(min = 1), inner(regex(pattern = INSTANCE_TYPE_PATTERN)))]
    pub instance_types: Vec<String>,
    /// Nodes at creation (the cluster autoscaler moves it between `min_size` and `max_size`).
    #[schemars(range(min = 0, max = 1000))]
    pub desired_size: u32,
    /// 0 lets the autoscaler remove every node while nothing needs one.
    #[schemars(range(min = 0, max = 1000))]
    pub min_size: u32,
    #[schemars(range(min = 1, max = 1000))]
    pub max_size: u32,
    /// `on-demand` (the default) or `spot`.
    #[serde(default)]
    pub capacity_type: CapacityType,
    /// The EKS AMI type; its CPU architecture must be the instance types'.
    #[serde(default)]
    pub ami_type: AmiType,
    /// Kubernetes labels of the group's nodes; a service placed on the group selects its nodes
    /// by them (so placing a service needs at least one).
    #[serde(default)]
    #[schemars(extend(
        "propertyNames" = { "pattern": LABEL_KEY_PATTERN, "maxLength": 63 },
        "additionalProperties" = { "type": "string", "pattern": LABEL_VALUE_PATTERN }
    ))]
    pub labels: BTreeMap<String, String>,
    /// Taints of the group's nodes: only pods that tolerate them run there (a service placed on
    /// the group tolerates them).
    #[serde(default)]
    pub taints: Vec<Taint>,
}

/// A node taint, as Kubernetes writes it: `key=value:effect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    #[schemars(regex(pattern = LABEL_KEY_PATTERN), length(max = 63))]
    pub key: String,
    #[serde(default)]
    #[schemars(regex(pattern = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"))]
    pub value: String,
    pub effect: TaintEffect,
}

/// What a taint does to pods that do not tolerate it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum TaintEffect {
    /// They are not scheduled on the node.
    NoSchedule,
    /// The scheduler avoids the node for them.
    PreferNoSchedule,
    /// They are not scheduled, and those running are evicted.
    NoExecute,
}

impl TaintEffect {
    /// Kubernetes' name, as pods' tolerations and the cluster autoscaler's tags write it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }

    /// The EKS API's name, as the node group takes it.
    pub fn eks_name(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NO_SCHEDULE",
            TaintEffect::PreferNoSchedule => "PREFER_NO_SCHEDULE",
            TaintEffect::NoExecute => "NO_EXECUTE",
        }
    }

    /// Whether it keeps pods that do not tolerate it off the node (a preference does not).
    pub fn repels(self) -> bool {
        self != TaintEffect::PreferNoSchedule
    }
}

/// How a node group's instances are bought.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityType {
    #[default]
    OnDemand,
    /// Cheaper, and reclaimed by AWS at two minutes' notice.
    Spot,
}

impl CapacityType {
    /// The EKS API's name.
    pub fn eks_name(self) -> &'static str {
        match self {
            CapacityType::OnDemand => "ON_DEMAND",
            CapacityType::Spot => "SPOT",
        }
    }

    /// As the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CapacityType::OnDemand => "on-demand",
            CapacityType::Spot => "spot",
        }
    }
}

/// The EKS-optimized AMI types of Amazon Linux (the launch template's root volume is theirs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AmiType {
    #[default]
    #[serde(rename = "AL2023_x86_64_STANDARD")]
    Al2023X86Standard,
    #[serde(rename = "AL2023_ARM_64_STANDARD")]
    Al2023ArmStandard,
    #[serde(rename = "AL2023_x86_64_NVIDIA")]
    Al2023X86Nvidia,
    #[serde(rename = "AL2023_x86_64_NEURON")]
    Al2023X86Neuron,
    #[serde(rename = "AL2_x86_64")]
    Al2X86,
    #[serde(rename = "AL2_x86_64_GPU")]
    Al2X86Gpu,
    #[serde(rename = "AL2_ARM_64")]
    Al2Arm,
}

/// A CPU architecture of EC2 instances and of the AMIs they boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Architecture {
    X86_64,
    /// AWS Graviton.
    Arm64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The architecture as OCI images and Docker name it (`amd64`, `arm64`): an image index's
    /// platforms, `--platform linux/<it>`, the emulators QEMU installs.
    pub fn oci_name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "amd64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The OCI platform of Linux images for it (`linux/amd64`).
    pub fn linux_platform(self) -> String {
        format!("linux/{}", self.oci_name())
    }
}

impl AmiType {
    pub fn as_str(self) -> &'static str {
        match self {
            AmiType::Al2023X86Standard => "AL2023_x86_64_STANDARD",
            AmiType::Al2023ArmStandard => "AL2023_ARM_64_STANDARD",
            AmiType::Al2023X86Nvidia => "AL2023_x86_64_NVIDIA",
            AmiType::Al2023X86Neuron => "AL2023_x86_64_NEURON",
            AmiType::Al2X86 => "AL2_x86_64",
            AmiType::Al2X86Gpu => "AL2_x86_64_GPU",
            AmiType::Al2Arm => "AL2_ARM_64",
        }
    }

    pub fn architecture(self) -> Architecture {
        match self {
            AmiType::Al2023ArmStandard | AmiType::Al2Arm => Architecture::Arm64,
            _ => Architecture::X86_64,
        }
    }

    /// The AMI type of the same family for the other architecture's instances.
    pub fn for_architecture(self, architecture: Architecture) -> AmiType {
        let al2 = matches!(self, AmiType::Al2X86 | AmiType::Al2X86Gpu | AmiType::Al2Arm);
        match (architecture, al2) {
            (Architecture::Arm64, true) => AmiType::Al2Arm,
            (Architecture::Arm64, false) => AmiType::Al2023ArmStandard,
            (Architecture::X86_64, true) => AmiType::Al2X86,
            (Architecture::X86_64, false) => AmiType::Al2023X86Standard,
        }
    }
}

/// The CPU architecture of an instance type, from its family (the part before the dot): AWS
/// Graviton families carry a `g` among the letters after the generation (`r6g`, `c7gn`, `m6gd`,
/// `t4g`, `im4gn`, `g5g`), and `a1` is the first Graviton; every other family is x86_64. `None`
/// for a name of another shape (`u-6tb1.metal`).
pub fn instance_architecture(instance_type: &str) -> Option<Architecture> {
    let family = instance_type.split('.').next()?;
    if family == "a1" {
        return Some(Architecture::Arm64);
    }
    let class_end = family.find(|c: char| !c.is_ascii_lowercase())?;
    let rest = &family[class_end..];
    let generation_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if class_end == 0 || generation_end == 0 {
        return None;
    }
    let attributes = &rest[generation_end..];
    Some(
        if attributes.split('-').next().unwrap_or("").contains('g') {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        },
    )
}

/// The managed add-ons' versions (`aws eks describe-addon-versions --kubernetes-version <v>`
/// lists what EKS offers for a cluster version).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Addons {
    /// Cluster DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = ADDON_VERSION_PATTERN))]
    pub coredns: Option<String>,
    /// Service networking on each node; its minor version is the cluster's (`v1.28.x` on 1.28).
    #[serde(
        default,
        rename = "kube-proxy",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = ADDON_VERSION_PATTERN))]
    pub kube_proxy: Option<String>,
    /// Pod networking (the Amazon VPC CNI).
    #[serde(default, rename = "vpc-cni", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = ADDON_VERSION_PATTERN))]
    pub vpc_cni: Option<String>,
    /// EBS volumes for persistent volume claims, with an IAM role of its own (IRSA); installed
    /// only where it has a version.
    #[serde(
        default,
        rename = "aws-ebs-csi-driver",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = ADDON_VERSION_PATTERN))]
    pub ebs_csi_driver: Option<String>,
}

impl Addons {
    /// Each add-on given a version, by its EKS name.
    pub fn versions(&self) -> BTreeMap<&'static str, &str> {
        [
            ("coredns", &self.coredns),
            ("kube-proxy", &self.kube_proxy),
            ("vpc-cni", &self.vpc_cni),
            ("aws-ebs-csi-driver", &self.ebs_csi_driver),
        ]
        .into_iter()
        .filter_map(|(name, version)| Some((name, version.as_deref()?)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_families_are_arm64_and_the_others_x86_64() {
        for arm in [
            "r6g.large",
            "t4g.medium",
            "m6g.xlarge",
            "c7g.2xlarge",
            "c7gn.large",
            "m6gd.large",
            "im4gn.large",
            "is4gen.xlarge",
            "x2gd.large",
            "g5g.xlarge",
            "a1.large",
            "hpc7g.4xlarge",
            "r8g.large",
        ] {
            assert_eq!(
                instance_architecture(arm),
                Some(Architecture::Arm64),
                "{arm}"
            );
        }
        for x86 in [
            "t3.xlarge",
            "t3a.large",
            "m5.large",
            "r6i.large",
            "g4dn.xlarge",
            "g5.xlarge",
            "p4d.24xlarge",
            "inf2.xlarge",
            "m7i-flex.large",
            "x2iezn.2xlarge",
            "r5dn.large",
            "gr6.4xlarge",
            "u7i-12tb.224xlarge",
        ] {
            assert_eq!(
                instance_architecture(x86),
                Some(Architecture::X86_64),
                "{x86}"
            );
        }
        assert_eq!(instance_architecture("u-6tb1.metal"), None);
    }

    #[test]
    fn each_ami_type_has_a_counterpart_for_the_other_architecture() {
        assert_eq!(
            AmiType::Al2023X86Standard.for_architecture(Architecture::Arm64),
            AmiType::Al2023ArmStandard
        );
        assert_eq!(
            AmiType::Al2Arm.for_architecture(Architecture::X86_64),
            AmiType::Al2X86
        );
    }
}
