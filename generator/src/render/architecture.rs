//! `generated/ARCHITECTURE.md`: what the spec builds, drawn from the model: one Mermaid
//! flowchart per environment (the way in from the internet, the services and what each reaches,
//! the VPC, the cluster, the data stores, the buckets) and a table of the sizes that differ
//! between the environments. One file for every environment, so it reads the same with or
//! without `--env`.

use std::collections::BTreeSet;

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::count;
use super::mermaid::{Flowchart, Line, Shape, node_id};
use super::template::render_template;
use crate::model::{
    CacheTopology, Environment, Model, NatMode, NodeGroup, Pooler, Service, Storage,
};

pub const PATH: &str = "generated/ARCHITECTURE.md";

#[derive(Serialize)]
struct Context {
    project: String,
    region: String,
    environments: Vec<Drawing>,
    sizes: Sizes,
}

/// One environment's flowchart.
#[derive(Serialize)]
struct Drawing {
    name: String,
    /// The Mermaid source, line by line.
    diagram: Vec<String>,
}

/// The sizes that differ between the environments: a row per setting, a column per
/// environment.
#[derive(Serialize)]
struct Sizes {
    environments: Vec<String>,
    rows: Vec<SizeRow>,
}

#[derive(Serialize)]
struct SizeRow {
    setting: String,
    values: Vec<String>,
}

fn context(model: &Model) -> Context {
    let environments: Vec<&Environment> = model.environments.values().collect();
    Context {
        project: model.project.name.clone(),
        region: model.project.aws_region.clone(),
        environments: environments
            .iter()
            .map(|environment| Drawing {
                name: environment.name.clone(),
                diagram: flowchart(model, environment).into_lines(),
            })
            .collect(),
        sizes: sizes(model, &environments),
    }
}

/// The environment's platform as a flowchart.
fn flowchart(model: &Model, environment: &Environment) -> Flowchart {
    let mut chart = Flowchart::new();
    chart.node("internet", Shape::Stadium, &["Internet".to_string()]);
    let waf = &environment.waf;
    if waf.enabled {
        let mut label = vec![
            "AWS WAF".to_string(),
            format!("{} requests per 5 min per IP", waf.rate_limit_per_5min),
        ];
        if !waf.allowed_countries.is_empty() {
            label.push(format!("{} countries allowed", waf.allowed_countries.len()));
        }
        chart.node("waf", Shape::Box, &label);
    }
    chart.subgraph(
        "vpc",
        &format!("VPC {}", environment.network.vpc),
        |chart| {
            vpc(chart, model, environment);
        },
    );
    draw_buckets(&mut chart, model, environment);
    draw_secrets(&mut chart, model, environment);

    if waf.enabled {
        chart.edge("internet", "waf", Line::Traffic, "HTTPS");
        chart.edge("waf", "alb", Line::Traffic, "");
    } else {
        chart.edge("internet", "alb", Line::Traffic, "HTTPS");
    }
    chart.edge("nat", "internet", Line::Traffic, "outbound");
    if let Some(bucket) = &environment.ingress.access_logs_bucket {
        chart.edge(
            "alb",
            &node_id("bucket", bucket),
            Line::Access,
            "access logs",
        );
    }
    for service in &model.services {
        let id = node_id("svc", &service.name);
        let settings = environment.settings_of(service);
        let paths = &settings.ingress_paths;
        if !paths.is_empty() {
            chart.edge("alb", &id, Line::Traffic, &paths.join(" "));
        }
        if let Some(group) = environment.placement_of(service) {
            chart.edge(&id, &node_id("ng", &group.name), Line::Placement, "runs on");
        }
        if settings.egress.database {
            // Through PgBouncer where the environment runs it.
            let to = if environment.database.pooler.is_some() {
                "pgbouncer"
            } else {
                "rds"
            };
            chart.edge(&id, to, Line::Traffic, "");
        }
        if settings.egress.cache {
            chart.edge(&id, "cache", Line::Traffic, "");
        }
        for other in &settings.egress.services {
            chart.edge(&id, &node_id("svc", other), Line::Traffic, "");
        }
        for (purpose, access) in &settings.access.buckets {
            let label = format!("IRSA {}", access.as_str());
            chart.edge(&id, &node_id("bucket", purpose), Line::Access, &label);
        }
        for secret in &settings.access.secrets {
            chart.edge(&id, &node_id("secret", secret), Line::Access, "IRSA read");
        }
    }
    if let Some(pooler) = &environment.database.pooler {
        let services = model
            .services
            .iter()
            .filter(|service| environment.settings_of(service).egress.database)
            .count();
        let label = format!(
            "{} connections at most",
            pooler.server_connections(services)
        );
        chart.edge("pgbouncer", "rds", Line::Traffic, &label);
    }
    for index in 0..environment.database.read_replicas.len() {
        chart.edge(
            "rds",
            &format!("rds_replica_{index}"),
            Line::Access,
            "replicates",
        );
    }
    chart
}

/// The VPC's zones and subnets, its NAT and endpoints, the load balancer, the cluster and the
/// data stores.
fn vpc(chart: &mut Flowchart, model: &Model, environment: &Environment) {
    let network = &environment.network;
    for (index, zone) in network.availability_zones.iter().enumerate() {
        chart.subgraph(&node_id("zone", zone), zone, |chart| {
            let subnets = [
                ("public", &network.public_subnets),
                ("private", &network.private_subnets),
                ("database", &network.database_subnets),
            ];
            for (kind, cidrs) in subnets {
                if let Some(cidr) = cidrs.get(index) {
                    chart.node(
                        &node_id(kind, zone),
                        Shape::Box,
                        &[format!("{kind} {cidr}")],
                    );
                }
            }
        });
    }
    let nat = match network.nat {
        NatMode::Single => "NAT gateway: one for every zone".to_string(),
        NatMode::PerAz => format!(
            "NAT gateways: one per zone ({})",
            network.availability_zones.len()
        ),
    };
    chart.node("nat", Shape::Box, &[nat]);
    if !network.interface_endpoints.is_empty() {
        let services: Vec<&str> = network
            .interface_endpoints
            .iter()
            .flat_map(|endpoint| endpoint.services().iter().copied())
            .collect();
        chart.node(
            "vpc_endpoints",
            Shape::Box,
            &["Interface endpoints".to_string(), services.join(", ")],
        );
    }
    chart.node(
        "alb",
        Shape::Box,
        &[
            "Application Load Balancer".to_string(),
            format!("https://{}", environment.ingress.host),
        ],
    );
    let eks = &environment.eks;
    let cluster = model.resource_name(environment);
    chart.subgraph(
        "eks",
        &format!("EKS {cluster}, Kubernetes {}", eks.version),
        |chart| {
            for group in &eks.node_groups {
                chart.node(
                    &node_id("ng", &group.name),
                    Shape::Box,
                    &node_group_label(group),
                );
            }
            chart.subgraph(
                "k8s_namespace",
                &format!("namespace {}", environment.namespace),
                |chart| {
                    for service in &model.services {
                        chart.node(
                            &node_id("svc", &service.name),
                            Shape::Rounded,
                            &service_label(environment, service),
                        );
                    }
                    if let Some(pooler) = &environment.database.pooler {
                        chart.node("pgbouncer", Shape::Rounded, &pooler_label(pooler));
                    }
                },
            );
        },
    );
    let database = &environment.database;
    let mut label = vec![
        format!("RDS {} {}", database.engine.as_str(), database.version),
        database.instance_class.clone(),
        format!(
            "{}, {} GB {}",
            if database.multi_az {
                "Multi-AZ"
            } else {
                "single-AZ"
            },
            database.allocated_storage_gb,
            database.storage.type_name()
        ),
    ];
    if let Storage::Gp3 {
        iops: Some(iops), ..
    } = database.storage
    {
        label.push(format!("{iops} IOPS"));
    }
    chart.node("rds", Shape::Cylinder, &label);
    for (index, replica) in database.read_replicas.iter().enumerate() {
        let mut label = vec!["read replica".to_string(), replica.instance_class.clone()];
        label.extend(replica.availability_zone.clone());
        chart.node(&format!("rds_replica_{index}"), Shape::Cylinder, &label);
    }
    let cache = &environment.cache;
    chart.node(
        "cache",
        Shape::Cylinder,
        &[
            format!("ElastiCache Redis {}", cache.version),
            cache.node_type.clone(),
            topology(cache.topology),
        ],
    );
}

/// PgBouncer's pods: the pool mode, the pool each service gets, the clients each accepts.
fn pooler_label(pooler: &Pooler) -> Vec<String> {
    vec![
        "PgBouncer".to_string(),
        format!("{} pool mode", pooler.mode.as_str()),
        format!(
            "{}, {} per service, {} clients each",
            count(pooler.replicas, "replica"),
            pooler.pool_size_per_service,
            pooler.max_client_connections
        ),
    ]
}

fn node_group_label(group: &NodeGroup) -> Vec<String> {
    vec![
        format!("node group {}", group.name),
        format!(
            "{} {}",
            group.capacity_type.as_str(),
            group.instance_types.join(", ")
        ),
        format!(
            "{}..{} nodes, {} at first",
            group.min_size, group.max_size, group.desired_size
        ),
    ]
}

fn service_label(environment: &Environment, service: &Service) -> Vec<String> {
    let settings = environment.settings_of(service);
    let mut label = vec![
        service.name.clone(),
        format!("port {}", settings.port),
        replicas(environment, service),
    ];
    if settings.ingress_paths.is_empty() {
        label.push("not on the ingress".to_string());
    }
    label
}

/// A service's replicas here: at first, and the autoscaler's range.
fn replicas(environment: &Environment, service: &Service) -> String {
    let settings = environment.settings_of(service);
    let scaling = &settings.autoscaling;
    format!(
        "{}, autoscaled {}..{}",
        count(settings.replicas, "replica"),
        scaling.min_replicas,
        scaling.max_replicas
    )
}

fn topology(topology: CacheTopology) -> String {
    match topology {
        CacheTopology::Replicated { nodes } => format!(
            "1 primary, {}",
            count(u32::from(nodes).saturating_sub(1), "replica")
        ),
        CacheTopology::Cluster {
            shards,
            replicas_per_shard,
        } => format!(
            "cluster mode: {} of 1 primary, {} ({} nodes)",
            count(u32::from(shards), "shard"),
            count(u32::from(replicas_per_shard), "replica"),
            topology.nodes()
        ),
    }
}

/// The environment's buckets, outside the VPC.
fn draw_buckets(chart: &mut Flowchart, model: &Model, environment: &Environment) {
    if environment.buckets.is_empty() {
        return;
    }
    chart.subgraph("s3", "S3", |chart| {
        for (purpose, bucket) in &environment.buckets {
            let mut label = vec![
                model.bucket_name(environment, purpose),
                spec_word(&bucket.encryption),
            ];
            if bucket.versioned {
                label.push("versioned".to_string());
            }
            chart.node(&node_id("bucket", purpose), Shape::Cylinder, &label);
        }
    });
}

/// The secrets a service's role reads itself, outside the VPC.
fn draw_secrets(chart: &mut Flowchart, model: &Model, environment: &Environment) {
    let read: BTreeSet<&String> = model
        .services
        .iter()
        .flat_map(|service| &environment.settings_of(service).access.secrets)
        .collect();
    if read.is_empty() {
        return;
    }
    chart.subgraph("secretsmanager", "Secrets Manager", |chart| {
        for secret in read {
            chart.node(
                &node_id("secret", secret),
                Shape::Box,
                &[model.platform_secret_name(environment, secret)],
            );
        }
    });
}

/// An enum's value as the spec writes it.
fn spec_word(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        Ok(other) => other.to_string(),
        Err(error) => error.to_string(),
    }
}

/// Every size of every environment, then only the rows whose values differ (all of them when
/// there is one environment).
fn sizes(model: &Model, environments: &[&Environment]) -> Sizes {
    let mut rows = Vec::new();
    let mut row = |setting: String, value: &dyn Fn(&Environment) -> String| {
        rows.push(SizeRow {
            setting,
            values: environments.iter().map(|e| value(e)).collect(),
        });
    };
    row("zones".into(), &|e| {
        e.network.availability_zones.len().to_string()
    });
    row("NAT gateways".into(), &|e| spec_word(&e.network.nat));
    let groups: BTreeSet<&str> = environments
        .iter()
        .flat_map(|e| e.eks.node_groups.iter().map(|group| group.name.as_str()))
        .collect();
    for name in groups {
        row(format!("node group `{name}`"), &|e| {
            e.eks.node_group(name).map_or("none".to_string(), |group| {
                format!(
                    "{} x {}..{}",
                    group.instance_types.join(", "),
                    group.min_size,
                    group.max_size
                )
            })
        });
    }
    for service in &model.services {
        row(format!("`{}` replicas", service.name), &|e| {
            let settings = e.settings_of(service);
            format!(
                "{} ({}..{})",
                settings.replicas,
                settings.autoscaling.min_replicas,
                settings.autoscaling.max_replicas
            )
        });
    }
    row("database class".into(), &|e| {
        e.database.instance_class.clone()
    });
    row("database Multi-AZ".into(), &|e| yes_no(e.database.multi_az));
    row("database storage".into(), &|e| {
        format!("{} GB", e.database.allocated_storage_gb)
    });
    row("read replicas".into(), &|e| {
        e.database.read_replicas.len().to_string()
    });
    row("cache node type".into(), &|e| e.cache.node_type.clone());
    row("cache nodes".into(), &|e| {
        e.cache.topology.nodes().to_string()
    });
    row("WAF".into(), &|e| yes_no(e.waf.enabled));
    if environments.len() > 1 {
        rows.retain(|row| row.values.iter().any(|value| *value != row.values[0]));
    }
    Sizes {
        environments: environments.iter().map(|e| e.name.clone()).collect(),
        rows,
    }
}

/// `n thing`, or `n things`.
fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

/// Renders the architecture of every environment of the spec.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let body = render_template("ARCHITECTURE.md.j2", &context(request.model))?;
    Ok(vec![Artifact {
        path: PATH.to_string(),
        contents: format!("<!--\n{}-->\n{body}", request.header("")),
    }])
}
