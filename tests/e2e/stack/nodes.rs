//! The cluster's nodes as planned: every node group of the spec (the named ones, or the seed's
//! pool split in two) with its instance types, capacity and AMI type, sizes, labels and taints;
//! the cluster autoscaler's tags on each group's Auto Scaling group and its role; the add-ons at
//! the spec's versions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::plan::{planned, text};

/// The label the eks module gives every node: its capacity type.
const CAPACITY_LABEL: &str = "node.kubernetes.io/capacity-type";

pub(super) fn the_planned_node_groups_are_the_specs() {
    for case in planned() {
        let (plan, eks, label) = (&case.plan, &case.environment().eks, &case.label);
        let prefix = case.model.resource_name(case.environment());
        let groups: BTreeMap<String, &Value> = plan
            .of_type("aws_eks_node_group")
            .map(|(_, group)| (text(&group["node_group_name"]), group))
            .collect();
        let wanted: BTreeSet<String> = eks
            .node_groups
            .iter()
            .map(|group| format!("{prefix}-{}", group.name))
            .collect();
        assert_eq!(
            groups.keys().cloned().collect::<BTreeSet<_>>(),
            wanted,
            "{label}: one managed node group per group of the spec"
        );
        for group in &eks.node_groups {
            let planned = groups[&format!("{prefix}-{}", group.name)];
            let at = format!("{label}: node group {}", group.name);
            assert_eq!(
                planned["instance_types"],
                json!(group.instance_types),
                "{at}"
            );
            assert_eq!(
                planned["capacity_type"],
                group.capacity_type.eks_name(),
                "{at}"
            );
            assert_eq!(planned["ami_type"], group.ami_type.as_str(), "{at}");
            let scaling = &planned["scaling_config"][0];
            assert_eq!(
                [
                    &scaling["desired_size"],
                    &scaling["min_size"],
                    &scaling["max_size"]
                ],
                [group.desired_size, group.min_size, group.max_size],
                "{at}: sizes"
            );
            let mut labels = group.labels.clone();
            labels.insert(
                CAPACITY_LABEL.to_string(),
                group.capacity_type.eks_name().to_lowercase(),
            );
            assert_eq!(planned["labels"], json!(labels), "{at}: labels");
            let taints: BTreeSet<(String, String, String)> = planned["taint"]
                .as_array()
                .map(|taints| {
                    taints
                        .iter()
                        .map(|t| {
                            (
                                text(&t["key"]),
                                text_or_empty(&t["value"]),
                                text(&t["effect"]),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let wanted: BTreeSet<(String, String, String)> = group
                .taints
                .iter()
                .map(|t| {
                    (
                        t.key.clone(),
                        t.value.clone(),
                        t.effect.eks_name().to_string(),
                    )
                })
                .collect();
            assert_eq!(taints, wanted, "{at}: taints");
        }
    }
}

pub(super) fn the_planned_add_ons_and_autoscaler_are_the_specs() {
    for case in planned() {
        let (plan, eks, label) = (&case.plan, &case.environment().eks, &case.label);
        let cluster = case.model.resource_name(case.environment());
        // The cluster autoscaler finds every group's Auto Scaling group, and knows the labels and
        // taints of its nodes before it has one.
        let tags: BTreeMap<String, String> = plan
            .of_type("aws_autoscaling_group_tag")
            .map(|(address, tag)| {
                let key = address
                    .split_once("[\"")
                    .and_then(|(_, rest)| rest.strip_suffix("\"]"))
                    .unwrap_or(address);
                (key.to_string(), text(&tag["tag"][0]["value"]))
            })
            .collect();
        let mut wanted = BTreeMap::new();
        for group in &eks.node_groups {
            let name = &group.name;
            let tag = |key: &str| format!("{name}:k8s.io/cluster-autoscaler/{key}");
            wanted.insert(tag("enabled"), "true".to_string());
            wanted.insert(tag(&cluster), "owned".to_string());
            wanted.insert(
                tag(&format!("node-template/label/{CAPACITY_LABEL}")),
                group.capacity_type.eks_name().to_lowercase(),
            );
            for (key, value) in &group.labels {
                wanted.insert(tag(&format!("node-template/label/{key}")), value.clone());
            }
            for taint in &group.taints {
                wanted.insert(
                    tag(&format!("node-template/taint/{}", taint.key)),
                    format!("{}:{}", taint.value, taint.effect.as_str()),
                );
            }
        }
        assert_eq!(tags, wanted, "{label}: the cluster autoscaler's tags");
        plan.at("module.eks.aws_iam_role.irsa[\"autoscaler\"]");

        // CoreDNS, kube-proxy and the VPC CNI always, at the spec's version where it gives one
        // (EKS's default otherwise: unknown until applied); the EBS CSI driver with a version.
        let versions = eks.addons.versions();
        let addons: BTreeMap<String, Value> = plan
            .of_type("aws_eks_addon")
            .map(|(_, addon)| (text(&addon["addon_name"]), addon["addon_version"].clone()))
            .collect();
        let mut wanted: BTreeMap<String, Value> = ["coredns", "kube-proxy", "vpc-cni"]
            .into_iter()
            .map(|name| (name.to_string(), json!(versions.get(name))))
            .collect();
        if let Some(version) = versions.get("aws-ebs-csi-driver") {
            wanted.insert("aws-ebs-csi-driver".to_string(), json!(version));
        }
        assert_eq!(addons, wanted, "{label}: add-ons");
        let ebs_role = plan
            .of_type("aws_iam_role")
            .any(|(address, _)| address == "module.eks.aws_iam_role.irsa[\"ebs-csi\"]");
        assert_eq!(
            ebs_role,
            versions.contains_key("aws-ebs-csi-driver"),
            "{label}: the EBS CSI driver's role"
        );
    }
}

/// A planned string that EKS leaves unset when empty (a taint's value).
fn text_or_empty(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        other => text(other),
    }
}
