//! The EKS cluster as validated: its endpoint, every managed node group (the seed's pool
//! already split into its on-demand and spot groups), its add-ons.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::spec::{Addons, AmiType, CapacityType, Taint};

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
        !self.taints.iter().any(|taint| taint.effect.repels())
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
