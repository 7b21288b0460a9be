//! The EKS cluster as validated: its endpoint, every managed node group (the seed's pool
//! already split into its on-demand and spot groups), its add-ons.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

use crate::spec::{Addons, AmiType, Architecture, CapacityType, ServiceSettings, Taint};

/// The EKS cluster of an environment.
#[derive(Debug, Clone)]
pub struct Eks {
    pub version: String,
    /// Every managed node group, by name: sizes in order, instance types of the AMI type's
    /// architecture, at least one group without a taint that repels pods (CoreDNS and the
    /// services placed nowhere run there).
    pub node_groups: Vec<NodeGroup>,
    /// The add-ons' versions; kube-proxy's minor version is the cluster's.
    pub addons: Addons,
    pub endpoint_private_access: bool,
    pub endpoint_public_access: bool,
    pub public_access_cidrs: Vec<Ipv4Net>,
}

impl Eks {
    /// The node group named `name`, if the cluster has it.
    pub fn node_group(&self, name: &str) -> Option<&NodeGroup> {
        self.node_groups.iter().find(|group| group.name == name)
    }

    /// The CPU architectures of every node the pods of a service placed on `placement` may be
    /// scheduled on (see [`NodeGroup::admits`]): what its image must be built for. Never empty
    /// for a validated cluster (a placed service's own group admits it; an unplaced one runs on
    /// the groups without a taint, of which there is at least one). The image covering each of
    /// them is what keeps a pod off a node it cannot run on, so the pods need no
    /// `kubernetes.io/arch` selector.
    pub fn architectures_for(&self, placement: Option<&NodeGroup>) -> BTreeSet<Architecture> {
        self.node_groups
            .iter()
            .filter(|group| group.admits(placement))
            .map(|group| group.ami_type.architecture())
            .collect()
    }
}

impl super::Environment {
    /// The node group `service`'s pods run on here, if it is placed on one (validation made
    /// sure the group is the cluster's and has labels to select its nodes by).
    pub fn placement_of(&self, service: &super::Service) -> Option<&NodeGroup> {
        self.placement_by(self.settings_of(service))
    }

    fn placement_by(&self, settings: &ServiceSettings) -> Option<&NodeGroup> {
        let name = settings.node_group.as_deref()?;
        Some(self.eks.node_group(name).unwrap_or_else(|| {
            unreachable!("validation places services on the cluster's groups: {name}")
        }))
    }

    /// The CPU architectures `service`'s pods may be scheduled on here (its node group's, or
    /// without one every untainted group's): the platforms its image is built for.
    pub fn architectures_of(&self, service: &super::Service) -> BTreeSet<Architecture> {
        self.eks.architectures_for(self.placement_of(service))
    }

    /// Whether a deploy here builds an image for a platform its runner may have to emulate
    /// (the deploy workflow then sets QEMU up).
    pub fn deploys_emulate(&self) -> bool {
        self.services.values().any(|settings| {
            let platforms = self.eks.architectures_for(self.placement_by(settings));
            !self.deploy.emulated(&platforms).is_empty()
        })
    }
}

/// One managed node group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    /// Its key in `eks.node_groups` (`on-demand` and `spot` for the seed's pool); EKS names it
    /// `<project>-<environment>-<name>`.
    pub name: String,
    /// The first is preferred.
    pub instance_types: Vec<String>,
    pub desired_size: u32,
    pub min_size: u32,
    pub max_size: u32,
    pub capacity_type: CapacityType,
    pub ami_type: AmiType,
    /// The labels the spec gives its nodes (the eks module adds
    /// `node.kubernetes.io/capacity-type`).
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
}

impl NodeGroup {
    /// Whether every pod may run on its nodes (no taint repels those that do not tolerate it).
    pub fn untainted(&self) -> bool {
        self.admits(None)
    }

    /// Whether the pods of a service placed on `placement` may be scheduled on this group's
    /// nodes: its labels hold every label of the placement (the pods' node selector) and the
    /// placement's taints (the pods' tolerations) hold each of its taints that repels. Pods
    /// placed nowhere carry neither, so only the groups without such a taint admit them.
    pub fn admits(&self, placement: Option<&NodeGroup>) -> bool {
        let (selector, tolerated) = placement.map_or((None, &[][..]), |group| {
            (Some(&group.labels), group.taints.as_slice())
        });
        selector
            .into_iter()
            .flatten()
            .all(|(key, value)| self.labels.get(key) == Some(value))
            && self
                .taints
                .iter()
                .filter(|taint| taint.effect.repels())
                .all(|taint| tolerated.contains(taint))
    }
}

/// The seed's pool of `desired` (`min`..`max`) nodes with `spot_percent` of them on spot
/// capacity, as two groups: `on-demand`, whose share of each size is rounded up (a small pool
/// keeps on-demand capacity), and `spot`, the rest; a group that could never hold a node is
/// left out.
pub fn pool_groups(
    instance_types: &[String],
    (desired, min, max): (u32, u32, u32),
    spot_percent: u8,
) -> Vec<NodeGroup> {
    let on_demand_percent = 100 - u32::from(spot_percent.min(100));
    let on_demand = |size: u32| (size * on_demand_percent).div_ceil(100);
    let group = |name: &str, capacity_type, (desired, min, max)| NodeGroup {
        name: name.to_string(),
        instance_types: instance_types.to_vec(),
        desired_size: desired,
        min_size: min,
        max_size: max,
        capacity_type,
        ami_type: AmiType::default(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
    };
    let shares = (on_demand(desired), on_demand(min), on_demand(max));
    [
        group("on-demand", CapacityType::OnDemand, shares),
        group(
            "spot",
            CapacityType::Spot,
            (desired - shares.0, min - shares.1, max - shares.2),
        ),
    ]
    .into_iter()
    .filter(|group| group.max_size > 0)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::TaintEffect;

    fn group(name: &str, ami_type: AmiType, labels: &[(&str, &str)], taint: bool) -> NodeGroup {
        NodeGroup {
            name: name.to_string(),
            labels: labels
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
            taints: if taint {
                vec![Taint {
                    key: "workload".to_string(),
                    value: name.to_string(),
                    effect: TaintEffect::NoSchedule,
                }]
            } else {
                Vec::new()
            },
            ami_type,
            ..pool_groups(&["t3.large".to_string()], (1, 1, 1), 0).remove(0)
        }
    }

    fn cluster(node_groups: Vec<NodeGroup>) -> Eks {
        Eks {
            version: "1.28".to_string(),
            node_groups,
            addons: Addons::default(),
            endpoint_private_access: true,
            endpoint_public_access: false,
            public_access_cidrs: Vec::new(),
        }
    }

    #[test]
    fn a_service_is_built_for_the_architectures_of_every_node_its_pods_may_land_on() {
        use Architecture::{Arm64, X86_64};
        let arm = AmiType::Al2023ArmStandard;
        let x86 = AmiType::Al2023X86Standard;
        // The guide's cluster: x86 general-purpose nodes, tainted Graviton analytics nodes.
        let eks = cluster(vec![
            group("general", x86, &[], false),
            group("analytics", arm, &[("workload", "analytics")], true),
        ]);
        let analytics = eks.node_group("analytics");
        assert_eq!(eks.architectures_for(analytics), BTreeSet::from([Arm64]));
        // Placed nowhere: only the untainted groups take the pods.
        assert_eq!(eks.architectures_for(None), BTreeSet::from([X86_64]));

        // An untainted Graviton group beside x86 nodes: pods placed nowhere land on either.
        let mixed = cluster(vec![
            group("general", x86, &[], false),
            group("graviton", arm, &[("pool", "graviton")], false),
        ]);
        assert_eq!(
            mixed.architectures_for(None),
            BTreeSet::from([X86_64, Arm64])
        );
        assert_eq!(
            mixed.architectures_for(mixed.node_group("graviton")),
            BTreeSet::from([Arm64])
        );

        // A placement whose labels also select another group's nodes, whose taint it
        // tolerates: both groups' architectures.
        let shared = cluster(vec![
            group("general", x86, &[], false),
            group("batch", x86, &[("workload", "batch")], false),
            group(
                "batch-arm",
                arm,
                &[("workload", "batch"), ("arch", "arm")],
                false,
            ),
        ]);
        assert_eq!(
            shared.architectures_for(shared.node_group("batch")),
            BTreeSet::from([X86_64, Arm64])
        );
        assert_eq!(
            shared.architectures_for(shared.node_group("batch-arm")),
            BTreeSet::from([Arm64])
        );
    }

    fn sizes(groups: &[NodeGroup]) -> Vec<(&str, u32, u32, u32)> {
        groups
            .iter()
            .map(|g| (g.name.as_str(), g.desired_size, g.min_size, g.max_size))
            .collect()
    }

    #[test]
    fn the_pool_keeps_its_on_demand_share_rounded_up() {
        let types = ["t3.medium".to_string()];
        // The expense seed's dev: 2 (1..4) nodes, 80 % spot.
        assert_eq!(
            sizes(&pool_groups(&types, (2, 1, 4), 80)),
            [("on-demand", 1, 1, 1), ("spot", 1, 0, 3)]
        );
        // Its staging: 3 (2..6), 50 %.
        assert_eq!(
            sizes(&pool_groups(&types, (3, 2, 6), 50)),
            [("on-demand", 2, 1, 3), ("spot", 1, 1, 3)]
        );
        // Its prod: no spot, so no spot group.
        assert_eq!(
            sizes(&pool_groups(&types, (4, 3, 10), 0)),
            [("on-demand", 4, 3, 10)]
        );
        assert_eq!(
            sizes(&pool_groups(&types, (2, 1, 4), 100)),
            [("spot", 2, 1, 4)]
        );
    }
}
