//! The priced lines of one environment: what the Model says it runs, times the region's prices.
//! What the Terraform modules fix rather than the spec (gp3 storage, root volume sizes, the
//! WAF's rules) is named here, beside the line it prices.

use std::collections::BTreeMap;

use super::{CostError, Line, PriceTable, Usage, Usd};
use crate::model::{
    CacheTopology, CapacityType, Environment, GP3_STRIPED_FROM_GB, NatMode, Storage,
};

/// Each node's gp3 root volume (terraform/modules/eks, `node_disk_size_gb`).
const NODE_ROOT_GB: u64 = 50;
/// The bastion's gp3 root volume (terraform/modules/bastion, `root_volume_size_gb`).
const BASTION_ROOT_GB: u64 = 20;
/// The web ACL's rules every environment with a WAF has (terraform/modules/waf): the rate limit
/// per IP and three AWS managed rule groups (common, known bad inputs, SQL injection); an allow
/// list of countries adds one.
const WAF_RULES: u64 = 4;

/// Every line of one environment, some of quantity 0 (a node group scaled to zero).
pub(super) fn lines(
    environment: &Environment,
    declared_secrets: &[&str],
    prices: &PriceTable,
    usage: &Usage,
) -> Result<Vec<Line>, CostError> {
    let priced = Lookup {
        environment: &environment.name,
        file: prices.file(),
    };
    let mut lines = cluster(environment, prices, &priced)?;
    lines.extend(database(environment, prices, &priced)?);
    lines.push(cache(environment, prices, &priced)?);
    lines.extend(network(environment, prices, usage, &priced)?);
    lines.push(secrets(environment, declared_secrets, prices));
    lines.extend(assumed_usage(environment, prices, usage));
    Ok(lines)
}

/// A type's price in a table of the region, or the error naming what is missing where.
struct Lookup<'a> {
    environment: &'a str,
    file: String,
}

impl Lookup<'_> {
    fn price(
        &self,
        what: &'static str,
        table: &BTreeMap<String, Usd>,
        name: &str,
    ) -> Result<Usd, CostError> {
        table.get(name).copied().ok_or_else(|| CostError::Unpriced {
            environment: self.environment.to_string(),
            what,
            name: name.to_string(),
            file: self.file.clone(),
        })
    }
}

/// The EKS control plane, the nodes of each node group at its desired size (priced at its first
/// instance type, which an on-demand node group launches first; a spot group at the assumed
/// discount), and the root volumes of the nodes and the bastion.
fn cluster(
    environment: &Environment,
    prices: &PriceTable,
    priced: &Lookup<'_>,
) -> Result<Vec<Line>, CostError> {
    let discount = prices.ec2.spot_discount_percent.min(100);
    let mut lines = vec![Line::hourly(
        "EKS control plane",
        1,
        prices.eks.cluster_hour,
    )];
    let mut nodes = 0;
    for group in &environment.eks.node_groups {
        let node_type = group.instance_types.first().map_or("", String::as_str);
        let hour = priced.price("EC2 instance type", &prices.ec2.instance_hour, node_type)?;
        let count = u64::from(group.desired_size);
        nodes += count;
        lines.push(match group.capacity_type {
            CapacityType::OnDemand => Line::hourly(
                format!("EKS nodes, {} group: on-demand {node_type}", group.name),
                count,
                hour,
            ),
            CapacityType::Spot => Line::hourly(
                format!(
                    "EKS nodes, {} group: spot {node_type} (assumed {discount}% below on-demand)",
                    group.name
                ),
                count,
                hour.percent(100 - discount),
            ),
        });
    }
    let bastion_gb = if environment.bastion.enabled {
        BASTION_ROOT_GB
    } else {
        0
    };
    let bastion_volume = if bastion_gb > 0 {
        format!(", bastion {bastion_gb}")
    } else {
        String::new()
    };
    lines.push(Line::new(
        format!("EBS gp3 root volumes, GB: {nodes} nodes x {NODE_ROOT_GB}{bastion_volume}"),
        nodes * NODE_ROOT_GB + bastion_gb,
        prices.ec2.gp3_gb_month,
    ));
    Ok(lines)
}

/// The RDS instance (and its Multi-AZ standby), its storage and what is provisioned above the
/// storage's baseline, its read replicas (each with its own storage), and its backups' copies.
fn database(
    environment: &Environment,
    prices: &PriceTable,
    priced: &Lookup<'_>,
) -> Result<Vec<Line>, CostError> {
    let database = &environment.database;
    let engine = database.engine.as_str();
    let class_hour = |class: &str| {
        priced.price(
            "RDS instance class",
            prices.rds.instance_hour.of(database.engine),
            class,
        )
    };
    let (copies, deployment) = if database.multi_az {
        (2, "Multi-AZ: primary and standby")
    } else {
        (1, "Single-AZ")
    };
    let storage = u64::from(database.allocated_storage_gb);
    let (storage_type, storage_price) = match database.storage {
        Storage::Gp2 => ("gp2", prices.rds.gp2_gb_month),
        Storage::Gp3 { .. } => ("gp3", prices.rds.gp3_gb_month),
    };
    let twice = if copies == 2 { " x 2 (Multi-AZ)" } else { "" };
    let mut lines = vec![
        Line::hourly(
            format!("RDS {} ({engine}), {deployment}", database.instance_class),
            copies,
            class_hour(&database.instance_class)?,
        ),
        Line::new(
            format!(
                "RDS {storage_type} storage, GB: {storage} allocated{twice}; growth up to {} not counted",
                database.max_allocated_storage_gb
            ),
            storage * copies,
            storage_price,
        ),
    ];
    // The baseline is in the storage's price; what is provisioned above it is billed apart (and
    // can be provisioned only from the size where the baseline rises).
    if let Storage::Gp3 {
        iops,
        throughput_mibps,
    } = database.storage
        && database.allocated_storage_gb >= GP3_STRIPED_FROM_GB
    {
        let (base_iops, base_throughput) = Storage::gp3_baseline(database.allocated_storage_gb);
        let above =
            |value: Option<u32>, base: u32| u64::from(value.unwrap_or(base).saturating_sub(base));
        let (extra_iops, extra_throughput) = (
            above(iops, base_iops),
            above(throughput_mibps, base_throughput),
        );
        lines.push(Line::new(
            format!("RDS gp3 IOPS above the {base_iops} of the baseline{twice}"),
            extra_iops * copies,
            prices.rds.gp3_iops_month,
        ));
        lines.push(Line::new(
            format!("RDS gp3 MiB/s above the {base_throughput} of the baseline{twice}"),
            extra_throughput * copies,
            prices.rds.gp3_mibps_month,
        ));
    }
    for (index, replica) in database.read_replicas.iter().enumerate() {
        let zone = replica
            .availability_zone
            .as_deref()
            .map_or(String::new(), |zone| format!(" in {zone}"));
        lines.push(Line::hourly(
            format!(
                "RDS read replica {} {} ({engine}){zone}",
                index + 1,
                replica.instance_class
            ),
            1,
            class_hour(&replica.instance_class)?,
        ));
        lines.push(Line::new(
            format!("RDS read replica {} {storage_type} storage, GB", index + 1),
            storage,
            storage_price,
        ));
    }
    if let Some(region) = &database.backup_copy_region {
        lines.push(Line::new(
            format!("RDS backups copied to {region}, GB (assumed: the allocated storage)"),
            storage,
            prices.rds.backup_gb_month,
        ));
    }
    Ok(lines)
}

/// The cache's nodes: every shard's primary and its replicas.
fn cache(
    environment: &Environment,
    prices: &PriceTable,
    priced: &Lookup<'_>,
) -> Result<Line, CostError> {
    let cache = &environment.cache;
    let hour = priced.price(
        "ElastiCache node type",
        &prices.elasticache.node_hour,
        &cache.node_type,
    )?;
    let topology = cache.topology;
    let layout = match topology {
        CacheTopology::Replicated { .. } => String::new(),
        CacheTopology::Cluster {
            shards,
            replicas_per_shard,
        } => format!(
            ": {shards} shard{} x (1 primary + {replicas_per_shard} replica{})",
            if shards == 1 { "" } else { "s" },
            if replicas_per_shard == 1 { "" } else { "s" },
        ),
    };
    Ok(Line::hourly(
        format!("ElastiCache {} nodes{layout}", cache.node_type),
        u64::from(topology.nodes()),
        hour,
    ))
}

/// NAT gateways, interface endpoints, the load balancer, the WAF, the bastion and their public
/// addresses.
fn network(
    environment: &Environment,
    prices: &PriceTable,
    usage: &Usage,
    priced: &Lookup<'_>,
) -> Result<Vec<Line>, CostError> {
    let zones = environment.network.availability_zones.len() as u64;
    let (gateways, layout) = match environment.network.nat {
        NatMode::Single => (1, "single"),
        NatMode::PerAz => (zones, "per-az: one per zone"),
    };
    let tier = environment.tier.name();
    let mut lines = vec![
        Line::hourly(
            format!("NAT gateways ({layout})"),
            gateways,
            prices.nat.hour,
        ),
        Line::new(
            format!("NAT data processed, GB (assumed for {tier})"),
            usage.nat_processed_gb,
            prices.nat.processed_gb,
        ),
    ];
    let endpoints: Vec<&str> = environment
        .network
        .interface_endpoints
        .iter()
        .flat_map(|endpoint| endpoint.services().iter().copied())
        .collect();
    if !endpoints.is_empty() {
        // Data they carry is left in the NAT assumption above (priced higher there).
        lines.push(Line::hourly(
            format!(
                "VPC interface endpoints ({}), one interface per zone",
                endpoints.join(", ")
            ),
            endpoints.len() as u64 * zones,
            prices.vpc_endpoint.interface_zone_hour,
        ));
    }
    lines.extend([
        Line::hourly("Application Load Balancer", 1, prices.alb.hour),
        Line::hourly(
            format!("ALB capacity units, average (assumed for {tier})"),
            usage.alb_lcus,
            prices.alb.lcu_hour,
        ),
    ]);
    if environment.waf.enabled {
        let geo = !environment.waf.allowed_countries.is_empty();
        lines.extend([
            Line::new("WAF web ACL", 1, prices.waf.web_acl_month),
            Line::new(
                format!(
                    "WAF rules: rate limit per IP, 3 AWS managed rule groups{}",
                    if geo { ", allowed countries" } else { "" }
                ),
                WAF_RULES + u64::from(geo),
                prices.waf.rule_month,
            ),
            Line::new(
                format!("WAF requests, millions (assumed for {tier})"),
                usage.waf_million_requests,
                prices.waf.million_requests,
            ),
        ]);
    }
    let bastion = &environment.bastion;
    let bastions = u64::from(bastion.enabled);
    if bastion.enabled {
        let hour = priced.price(
            "EC2 instance type",
            &prices.ec2.instance_hour,
            &bastion.instance_type,
        )?;
        lines.push(Line::hourly(
            format!("Bastion {}", bastion.instance_type),
            1,
            hour,
        ));
    }
    lines.push(Line::hourly(
        format!(
            "Public IPv4 addresses: {gateways} NAT, {zones} ALB (one per zone){}",
            if bastion.enabled { ", 1 bastion" } else { "" }
        ),
        gateways + zones + bastions,
        prices.ec2.public_ipv4_hour,
    ));
    Ok(lines)
}

/// The secrets of the environment: the runtime's two (`database`, `redis`), the master password
/// RDS keeps, the AUTH token the elasticache module stores when the cache requires one, and
/// the spec's own (`declared`).
fn secrets(environment: &Environment, declared: &[&str], prices: &PriceTable) -> Line {
    let mut secrets = vec!["database", "redis", "RDS master password"];
    if environment.cache.auth_token {
        secrets.push("Redis AUTH token");
    }
    let mut item = format!("Secrets Manager: {}", secrets.join(", "));
    if !declared.is_empty() {
        item.push_str(&format!(", the spec's {}", declared.join(", ")));
    }
    Line::new(
        item,
        (secrets.len() + declared.len()) as u64,
        prices.secrets_manager.secret_month,
    )
}

/// S3, CloudWatch Logs and data transfer: sizes no spec states, assumed per tier.
fn assumed_usage(environment: &Environment, prices: &PriceTable, usage: &Usage) -> Vec<Line> {
    let tier = environment.tier.name();
    let retention = u64::from(environment.app.log_retention_days);
    // Kept `retention` days, each month's logs are stored retention / 30 months.
    let stored = (usage.logs_ingested_gb * retention).div_ceil(30);
    vec![
        Line::new(
            format!("S3 storage, GB (assumed for {tier})"),
            usage.s3_gb,
            prices.s3.standard_gb_month,
        ),
        Line::new(
            format!("CloudWatch Logs ingested, GB (assumed for {tier})"),
            usage.logs_ingested_gb,
            prices.cloudwatch.logs_ingested_gb,
        ),
        Line::new(
            format!("CloudWatch Logs stored, GB: {retention} days of the above"),
            stored,
            prices.cloudwatch.logs_stored_gb_month,
        ),
        Line::new(
            format!("Data transfer out to the internet, GB (assumed for {tier})"),
            usage.internet_out_gb,
            prices.data_transfer.internet_out_gb,
        ),
    ]
}
