//! CIDR arithmetic: blocks without host bits, subnets inside their VPC and apart from each
//! other, one of each kind per zone of the region.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;

use super::values::{cidr_diagnostic, overlaps, parse_cidr, path};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Network;
use crate::resolve::Resolved;
use crate::source::Path;
use crate::spec;

fn display_tail(path: &Path) -> String {
    let text = path.to_string();
    text.strip_prefix("network.")
        .map_or(text.clone(), str::to_string)
}

/// The environment's VPC and subnets, laid out over the zones of `region`.
pub(super) fn network(
    environment: &Resolved,
    network: &spec::Network,
    region: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Network> {
    let errors_before = out.iter().filter(|d| d.is_error()).count();
    let vpc = match parse_cidr(&network.vpc_cidr) {
        Ok(vpc) => Some(vpc),
        Err(message) => {
            out.push(cidr_diagnostic(
                environment,
                message,
                &path("network.vpc_cidr"),
            ));
            None
        }
    };
    let mut zones = BTreeSet::new();
    for (index, zone) in network.availability_zones.iter().enumerate() {
        let relative = path("network.availability_zones").index(index);
        let suffix = zone.strip_prefix(region);
        let valid =
            suffix.is_some_and(|s| s.len() == 1 && s.bytes().all(|b| b.is_ascii_lowercase()));
        if !valid {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::ZoneOutsideRegion,
                        format!("the zone `{zone}` is not in the region `{region}`"),
                    )
                    .help(format!(
                        "zones of `{region}` are named `{region}a`, `{region}b`, ..."
                    )),
                    &relative,
                ),
            );
        }
        if !zones.insert(zone) {
            out.push(environment.diagnostic(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the zone `{zone}` is listed twice"),
                ),
                &relative,
            ));
        }
    }
    let mut subnets: Vec<(Ipv4Net, Path)> = Vec::new();
    let mut kinds: Vec<Vec<Ipv4Net>> = Vec::new();
    for (key, list) in [
        ("public_subnets", &network.public_subnets),
        ("private_subnets", &network.private_subnets),
        ("database_subnets", &network.database_subnets),
    ] {
        let list_path = path("network").child(key);
        if list.len() != network.availability_zones.len() {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::SubnetLayout,
                        format!(
                            "`{key}` has {} subnet{}, but there are {} availability zones",
                            list.len(),
                            if list.len() == 1 { "" } else { "s" },
                            network.availability_zones.len()
                        ),
                    )
                    .help("list one subnet per availability zone, in the same order"),
                    &list_path,
                ),
            );
        }
        let mut kind = Vec::new();
        for (index, text) in list.iter().enumerate() {
            let relative = list_path.index(index);
            match parse_cidr(text) {
                Err(message) => out.push(cidr_diagnostic(environment, message, &relative)),
                Ok(subnet) => {
                    if let Some(vpc) = vpc
                        && !vpc.contains(&subnet)
                    {
                        out.push(
                            environment.diagnostic(
                                Diagnostic::error(
                                    Code::SubnetLayout,
                                    format!("the subnet `{subnet}` is outside the VPC `{vpc}`"),
                                )
                                .help(format!("choose a subnet inside `{vpc}`")),
                                &relative,
                            ),
                        );
                    }
                    if let Some((other, other_path)) =
                        subnets.iter().find(|(other, _)| overlaps(*other, subnet))
                    {
                        out.push(
                            environment.diagnostic(
                                Diagnostic::error(
                                    Code::CidrOverlap,
                                    format!("the subnet `{subnet}` overlaps `{other}`"),
                                )
                                .label(format!("`{subnet}`"))
                                .related(
                                    environment.source_of(other_path),
                                    format!(
                                        "overlaps `{other}` (network.{})",
                                        display_tail(other_path)
                                    ),
                                    true,
                                ),
                                &relative,
                            ),
                        );
                    }
                    subnets.push((subnet, relative));
                    kind.push(subnet);
                }
            }
        }
        kinds.push(kind);
    }
    let errors = out.iter().filter(|d| d.is_error()).count();
    let (Some(vpc), true) = (vpc, errors == errors_before) else {
        return None;
    };
    let mut kinds = kinds.into_iter();
    Some(Network {
        vpc,
        availability_zones: network.availability_zones.clone(),
        public_subnets: kinds.next().unwrap_or_default(),
        private_subnets: kinds.next().unwrap_or_default(),
        database_subnets: kinds.next().unwrap_or_default(),
        nat: network.nat,
        flow_logs: network.flow_logs,
        interface_endpoints: network.interface_endpoints.clone(),
    })
}
