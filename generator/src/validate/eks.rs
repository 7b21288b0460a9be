//! Each environment's EKS cluster: an endpoint something can reach, nodes written in one form
//! (named groups, or the seed's pool), each group's sizes in order and instance types of its
//! AMI type's CPU architecture, a group every pod may run on, add-on versions of the cluster's
//! Kubernetes; and each service placed on a group the cluster has, which its labels can select.

use std::collections::BTreeMap;

use super::values::{cidrs, path};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::{Eks, NodeGroup, ServiceSettings, pool_groups};
use crate::resolve::Resolved;
use crate::source::Path;
use crate::spec::{self, AmiType, Architecture, instance_architecture};

/// EKS names a node group `<cluster>-<group>` and takes at most this many characters.
const NODE_GROUP_NAME_MAX: usize = 63;

/// The seed's keys for the pool, in the order it writes them.
const POOL_KEYS: [&str; 6] = [
    "instance_types",
    "desired_size",
    "min_size",
    "max_size",
    "spot",
    "spot_percentage",
];

pub(super) fn eks(
    resolved: &Resolved,
    cluster: &str,
    eks: &spec::Eks,
    out: &mut Vec<Diagnostic>,
) -> Option<Eks> {
    endpoint(resolved, eks, out);
    let node_groups = node_groups(resolved, cluster, eks, out);
    addons(resolved, eks, out);
    let public_access_cidrs = cidrs(
        resolved,
        &eks.public_access_cidrs,
        &path("eks.public_access_cidrs"),
        out,
    )?;
    Some(Eks {
        version: eks.version.clone(),
        node_groups: node_groups?,
        addons: eks.addons.clone(),
        endpoint_private_access: eks.endpoint_private_access,
        endpoint_public_access: eks.endpoint_public_access,
        public_access_cidrs,
    })
}

fn endpoint(resolved: &Resolved, eks: &spec::Eks, out: &mut Vec<Diagnostic>) {
    if !eks.endpoint_private_access && !eks.endpoint_public_access {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "the EKS API endpoint is neither private nor public, so nothing can reach it",
                )
                .help("set `endpoint_private_access = true`"),
                &path("eks.endpoint_private_access"),
            ),
        );
    }
    if eks.endpoint_public_access && eks.public_access_cidrs.is_empty() {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "the EKS endpoint is public but `public_access_cidrs` is empty",
                )
                .help("list the CIDRs allowed to reach the endpoint"),
                &path("eks.public_access_cidrs"),
            ),
        );
    }
}

/// Every node group of the cluster: the named ones, or the seed's pool split in two.
fn node_groups(
    resolved: &Resolved,
    cluster: &str,
    eks: &spec::Eks,
    out: &mut Vec<Diagnostic>,
) -> Option<Vec<NodeGroup>> {
    let written: Vec<&str> = POOL_KEYS
        .into_iter()
        .filter(|key| {
            resolved
                .leaves_under(&path("eks").child(key))
                .next()
                .is_some()
        })
        .collect();
    let groups = match (eks.node_groups.is_empty(), written.first()) {
        (false, Some(first)) => {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "the cluster's nodes are written twice: as `node_groups` and in the \
                             seed's form (`{}`)",
                            written.join("`, `")
                        ),
                    )
                    .related(
                        resolved
                            .written_at(&path("eks.node_groups"))
                            .unwrap_or_else(|| resolved.source_of(&path("eks.node_groups"))),
                        "the node groups",
                        false,
                    )
                    .help(
                        "keep one form: describe the pool as a group under \
                         `[eks.node_groups.<name>]`, or remove `node_groups`",
                    ),
                    &path("eks").child(first),
                ),
            );
            return None;
        }
        (false, None) => named_groups(resolved, &eks.node_groups, out)?,
        (true, Some(_)) => pool(resolved, eks, out)?,
        (true, None) => {
            out.push(
                Diagnostic::error(
                    Code::MissingKey,
                    format!("the cluster of `{}` has no nodes", resolved.name),
                )
                .at_path(
                    resolved
                        .written_at(&path("eks"))
                        .unwrap_or_else(|| resolved.table_path()),
                )
                .help(
                    "add a node group: `[defaults.eks.node_groups.general]` (or under the \
                     environment) with `instance_types`, `desired_size`, `min_size` and \
                     `max_size`",
                ),
            );
            return None;
        }
    };
    let mut complete = true;
    for group in &groups {
        let name = format!("{cluster}-{}", group.name);
        if name.len() > NODE_GROUP_NAME_MAX {
            complete = false;
            let relative = path("eks.node_groups").child(&group.name);
            out.push(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!(
                        "EKS would name this node group `{name}`, {} characters; it takes at \
                         most {NODE_GROUP_NAME_MAX}",
                        name.len()
                    ),
                )
                .at_path(
                    resolved
                        .written_at(&relative)
                        .unwrap_or_else(|| resolved.source_of(&relative)),
                )
                .help(format!(
                    "shorten the group's name to at most {} characters",
                    NODE_GROUP_NAME_MAX.saturating_sub(cluster.len() + 1)
                )),
            );
        }
    }
    if !groups.iter().any(NodeGroup::untainted) && !groups.is_empty() {
        complete = false;
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "every node group of `{}` has a taint, so CoreDNS, the other add-ons and \
                         every service placed on no group have nowhere to run",
                        resolved.name
                    ),
                )
                .help("keep at least one node group without a `NoSchedule` or `NoExecute` taint"),
                &path("eks.node_groups"),
            ),
        );
    }
    complete.then_some(groups)
}

/// The seed's pool, when every key of it is written.
fn pool(resolved: &Resolved, eks: &spec::Eks, out: &mut Vec<Diagnostic>) -> Option<Vec<NodeGroup>> {
    let (Some(instance_types), Some(desired), Some(min), Some(max), Some(spot), Some(percent)) = (
        &eks.instance_types,
        eks.desired_size,
        eks.min_size,
        eks.max_size,
        eks.spot,
        eks.spot_percentage,
    ) else {
        let missing: Vec<&str> = POOL_KEYS
            .into_iter()
            .filter(|key| {
                resolved
                    .leaves_under(&path("eks").child(key))
                    .next()
                    .is_none()
            })
            .collect();
        let first = POOL_KEYS
            .into_iter()
            .find(|key| !missing.contains(key))
            .unwrap_or("version");
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::MissingKey,
                    format!(
                        "the seed's form of the nodes lacks `{}` in `{}`",
                        missing.join("`, `"),
                        resolved.name
                    ),
                )
                .help(format!(
                    "the pool takes `{}`; or describe the nodes as `[eks.node_groups.<name>]`",
                    POOL_KEYS.join("`, `")
                )),
                &path("eks").child(first),
            ),
        );
        return None;
    };
    let mut valid = sizes_in_order(resolved, &path("eks"), (desired, min, max), out);
    if !spot && percent != 0 {
        out.push(
            resolved.diagnostic(
                Diagnostic::warning(
                    Code::Inconsistent,
                    format!("`spot_percentage` is {percent} but `spot` is off"),
                )
                .help("set `spot_percentage = 0`, or `spot = true`"),
                &path("eks.spot_percentage"),
            ),
        );
    }
    for (index, instance_type) in instance_types.iter().enumerate() {
        let at = path("eks.instance_types").index(index);
        valid &= architecture_matches(resolved, &at, instance_type, AmiOf::Pool, out);
    }
    let spot_percent = if spot { percent } else { 0 };
    valid.then(|| pool_groups(instance_types, (desired, min, max), spot_percent))
}

/// The groups named under `node_groups`, each checked.
fn named_groups(
    resolved: &Resolved,
    groups: &BTreeMap<String, spec::NodeGroup>,
    out: &mut Vec<Diagnostic>,
) -> Option<Vec<NodeGroup>> {
    let mut valid = true;
    let mut built = Vec::new();
    for (name, group) in groups {
        let at = path("eks.node_groups").child(name);
        valid &= sizes_in_order(
            resolved,
            &at,
            (group.desired_size, group.min_size, group.max_size),
            out,
        );
        for (index, instance_type) in group.instance_types.iter().enumerate() {
            let relative = at.child("instance_types").index(index);
            let ami = AmiOf::Group(&at, group.ami_type);
            valid &= architecture_matches(resolved, &relative, instance_type, ami, out);
        }
        built.push(NodeGroup {
            name: name.clone(),
            instance_types: group.instance_types.clone(),
            desired_size: group.desired_size,
            min_size: group.min_size,
            max_size: group.max_size,
            capacity_type: group.capacity_type,
            ami_type: group.ami_type,
            labels: group.labels.clone(),
            taints: group.taints.clone(),
        });
    }
    valid.then_some(built)
}

/// `min <= desired <= max` of the sizes under `at`; located on its `desired_size`.
fn sizes_in_order(
    resolved: &Resolved,
    at: &Path,
    (desired, min, max): (u32, u32, u32),
    out: &mut Vec<Diagnostic>,
) -> bool {
    let ordered = min <= desired && desired <= max;
    if !ordered {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "EKS node sizes must satisfy min <= desired <= max, found min {min} desired {desired} max {max}"
                ),
            ),
            &at.child("desired_size"),
        ));
    }
    ordered
}

/// Where a node group's AMI type comes from: the group at this path (its `ami_type`, or the
/// default where it names none), or the seed's pool (always the default).
#[derive(Clone, Copy)]
enum AmiOf<'a> {
    Group(&'a Path, AmiType),
    Pool,
}

/// The instance type at `at` boots the AMI type's CPU architecture.
fn architecture_matches(
    resolved: &Resolved,
    at: &Path,
    instance_type: &str,
    ami: AmiOf<'_>,
    out: &mut Vec<Diagnostic>,
) -> bool {
    let ami_type = match ami {
        AmiOf::Group(_, ami_type) => ami_type,
        AmiOf::Pool => AmiType::default(),
    };
    let Some(architecture) = instance_architecture(instance_type) else {
        return true;
    };
    if architecture == ami_type.architecture() {
        return true;
    }
    let (wanted, booted) = (architecture.as_str(), ami_type.architecture().as_str());
    let graviton = if architecture == Architecture::Arm64 {
        " (AWS Graviton)"
    } else {
        ""
    };
    let counterpart = ami_type.for_architecture(architecture).as_str();
    let diagnostic = Diagnostic::error(
        Code::Inconsistent,
        format!(
            "`{instance_type}` is an {wanted}{graviton} instance type, but the AMI type `{}` \
             boots {booted} instances",
            ami_type.as_str()
        ),
    )
    .on_value()
    .label(format!("{wanted} instance type"));
    let written = match ami {
        AmiOf::Group(group, _) => Some(group.child("ami_type"))
            .filter(|ami_at| resolved.leaves_under(ami_at).next().is_some()),
        AmiOf::Pool => None,
    };
    let diagnostic = match written {
        Some(ami_at) => diagnostic.related(
            resolved.source_of(&ami_at),
            format!("{booted} AMI type"),
            true,
        ),
        None => diagnostic.note(format!(
            "the AMI type is `{}` where the group names none",
            ami_type.as_str()
        )),
    };
    let help = match ami {
        AmiOf::Group(..) => format!(
            "set `ami_type = \"{counterpart}\"` on the group, or choose {booted} instance types"
        ),
        AmiOf::Pool => format!(
            "choose {booted} instance types, or describe the nodes as \
             `[eks.node_groups.<name>]` with `ami_type = \"{counterpart}\"`"
        ),
    };
    out.push(resolved.diagnostic(diagnostic.help(help), at));
    false
}

/// kube-proxy runs the cluster's Kubernetes minor version (EKS offers `v1.28.x` for 1.28 only).
fn addons(resolved: &Resolved, eks: &spec::Eks, out: &mut Vec<Diagnostic>) {
    let Some(version) = &eks.addons.kube_proxy else {
        return;
    };
    let minor: String = version
        .trim_start_matches('v')
        .splitn(3, '.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    if minor != eks.version {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "kube-proxy `{version}` is for Kubernetes {minor}, but the cluster runs {}",
                        eks.version
                    ),
                )
                .on_value()
                .related(
                    resolved.source_of(&path("eks.version")),
                    "the cluster's version",
                    true,
                )
                .help(format!(
                    "choose a kube-proxy version `v{}.<patch>-eksbuild.<n>` (`aws eks \
                     describe-addon-versions --addon-name kube-proxy --kubernetes-version {}`)",
                    eks.version, eks.version
                )),
                &path("eks.addons").child("kube-proxy"),
            ),
        );
    }
}

/// Each service placed on a node group is placed on one of the cluster's, whose labels select
/// its nodes; a warning where those labels also select another group's nodes it may run on.
pub(super) fn placement(
    resolved: &Resolved,
    eks: &Eks,
    services: &BTreeMap<String, ServiceSettings>,
    out: &mut Vec<Diagnostic>,
) -> bool {
    let mut valid = true;
    for (service, settings) in services {
        let Some(name) = &settings.node_group else {
            continue;
        };
        let at = path("services").child(service).child("node_group");
        let Some(group) = eks.node_group(name) else {
            valid = false;
            let names: Vec<&str> = eks.node_groups.iter().map(|g| g.name.as_str()).collect();
            let mut diagnostic = Diagnostic::error(
                Code::UnknownValue,
                format!(
                    "`{service}` is placed on the node group `{name}`, which the cluster of `{}` \
                     does not have",
                    resolved.name
                ),
            )
            .on_value();
            if let Some(suggestion) = did_you_mean(name, names.iter().copied()) {
                diagnostic = diagnostic.help(format!("did you mean `{suggestion}`?"));
            } else {
                diagnostic = diagnostic.help(format!(
                    "name one of its node groups: `{}`",
                    names.join("`, `")
                ));
            }
            out.push(resolved.diagnostic(diagnostic, &at));
            continue;
        };
        if group.labels.is_empty() {
            valid = false;
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "the node group `{name}` has no labels, so no node selector can keep \
                             `{service}` on its nodes"
                        ),
                    )
                    .on_value()
                    .help(format!(
                        "give the group a label, such as `labels = {{ workload = \"{name}\" }}`"
                    )),
                    &at,
                ),
            );
            continue;
        }
        let also = eks
            .node_groups
            .iter()
            .find(|other| other.name != group.name && other.admits(Some(group)));
        if let Some(other) = also {
            out.push(
                resolved.diagnostic(
                    Diagnostic::warning(
                        Code::Inconsistent,
                        format!(
                            "the labels of `{name}` also select the nodes of `{}`, so `{service}` \
                             may run there too",
                            other.name
                        ),
                    )
                    .on_value()
                    .help(format!(
                        "give `{name}` a label `{}` does not carry",
                        other.name
                    )),
                    &at,
                ),
            );
        }
    }
    valid
}
