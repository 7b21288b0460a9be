//! The environment's network: its VPC, and the bastion that reaches into it.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;

use super::{InterfaceEndpoint, NatMode};

/// The environment's VPC.
#[derive(Debug, Clone)]
pub struct Network {
    pub vpc: Ipv4Net,
    pub availability_zones: Vec<String>,
    /// One of each kind per zone, in the zones' order.
    pub public_subnets: Vec<Ipv4Net>,
    pub private_subnets: Vec<Ipv4Net>,
    pub database_subnets: Vec<Ipv4Net>,
    pub nat: NatMode,
    pub flow_logs: bool,
    pub interface_endpoints: BTreeSet<InterfaceEndpoint>,
}

/// The SSH bastion.
#[derive(Debug, Clone)]
pub struct Bastion {
    pub enabled: bool,
    pub instance_type: String,
    pub allowed_cidrs: Vec<Ipv4Net>,
}
