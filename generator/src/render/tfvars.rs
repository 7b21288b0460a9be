//! `generated/<env>/terraform.tfvars`: the seed's per-environment variables, under the seed's
//! names, plus what the Terraform roots in `terraform/environments/` need.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::artifact::{Artifact, RenderError, Request};
use super::template::{hcl_key, render_template};
use crate::model::{
    Addon, BucketAccess, Database, EXTERNAL_SECRETS_NAMESPACE, EXTERNAL_SECRETS_SERVICE_ACCOUNT,
    Eks, Environment, Model, Secret, Storage,
};
use crate::spec::{BucketEncryption, NatMode};

#[derive(Serialize)]
struct Context {
    groups: Vec<Group>,
}

/// A block of variables under a comment; `=` signs aligned as `terraform fmt` aligns them.
#[derive(Serialize)]
struct Group {
    title: &'static str,
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    /// The variable name, padded for alignment (an identifier of ours, printed as is).
    name: String,
    /// A scalar or list value (escaped by the template's HCL auto-escaping).
    value: Option<Value>,
    /// A map, one line per key: the key already as an HCL key and padded.
    map: Option<Vec<MapLine>>,
}

#[derive(Serialize)]
struct MapLine {
    key: String,
    value: Value,
}

/// The variables of one environment, in seed order, grouped as the seed groups them.
pub fn variables(
    model: &Model,
    environment: &Environment,
) -> Vec<(&'static str, Vec<(&'static str, Value)>)> {
    let spec = model;
    let s = environment;
    let cidrs =
        |nets: &[ipnet::Ipv4Net]| -> Vec<String> { nets.iter().map(ToString::to_string).collect() };
    let mut tags: BTreeMap<String, String> = spec.project.tags.clone();
    tags.insert("Owner".into(), spec.project.owner.clone());
    tags.insert("CostCenter".into(), spec.project.cost_center.clone());
    let (iops, throughput) = match s.database.storage {
        Storage::Gp3 {
            iops,
            throughput_mibps,
        } => (iops, throughput_mibps),
        Storage::Gp2 => (None, None),
    };
    let topology = s.cache.topology;
    vec![
        (
            "Project",
            vec![
                ("environment", json!(environment.name)),
                ("project_name", json!(spec.project.name)),
                ("aws_region", json!(spec.project.aws_region)),
                ("aws_account_id", json!(s.account_id)),
                ("tags", json!(tags)),
            ],
        ),
        (
            "VPC",
            vec![
                ("vpc_cidr", json!(s.network.vpc.to_string())),
                ("availability_zones", json!(s.network.availability_zones)),
                (
                    "public_subnet_cidrs",
                    json!(cidrs(&s.network.public_subnets)),
                ),
                (
                    "private_subnet_cidrs",
                    json!(cidrs(&s.network.private_subnets)),
                ),
                (
                    "database_subnet_cidrs",
                    json!(cidrs(&s.network.database_subnets)),
                ),
                (
                    "single_nat_gateway",
                    json!(s.network.nat == NatMode::Single),
                ),
                ("enable_flow_logs", json!(s.network.flow_logs)),
                (
                    "vpc_interface_endpoints",
                    json!(
                        s.network
                            .interface_endpoints
                            .iter()
                            .flat_map(|endpoint| endpoint.services().iter().copied())
                            .collect::<Vec<_>>()
                    ),
                ),
            ],
        ),
        (
            "EKS",
            vec![
                ("eks_cluster_version", json!(s.eks.version)),
                ("eks_node_groups", node_groups(&s.eks)),
                ("eks_addons", json!(s.eks.addons.versions())),
                (
                    "eks_endpoint_private_access",
                    json!(s.eks.endpoint_private_access),
                ),
                (
                    "eks_endpoint_public_access",
                    json!(s.eks.endpoint_public_access),
                ),
                (
                    "eks_public_access_cidrs",
                    json!(cidrs(&s.eks.public_access_cidrs)),
                ),
            ],
        ),
        (
            "RDS",
            vec![
                ("rds_engine", json!(s.database.engine.as_str())),
                ("rds_engine_version", json!(s.database.version)),
                ("rds_instance_class", json!(s.database.instance_class)),
                (
                    "rds_allocated_storage",
                    json!(s.database.allocated_storage_gb),
                ),
                (
                    "rds_max_allocated_storage",
                    json!(s.database.max_allocated_storage_gb),
                ),
                ("rds_storage_type", json!(s.database.storage.type_name())),
                ("rds_iops", json!(iops)),
                ("rds_storage_throughput", json!(throughput)),
                ("rds_multi_az", json!(s.database.multi_az)),
                ("rds_read_replicas", read_replicas(&s.database)),
                (
                    "rds_backup_retention",
                    json!(s.database.backup_retention_days),
                ),
                (
                    "rds_backup_window",
                    json!(s.database.backup_window.to_string()),
                ),
                (
                    "rds_maintenance_window",
                    json!(s.database.maintenance_window.to_string()),
                ),
                (
                    "rds_backup_copy_region",
                    json!(s.database.backup_copy_region),
                ),
                (
                    "rds_deletion_protection",
                    json!(s.database.deletion_protection),
                ),
                (
                    "rds_performance_insights",
                    json!(s.database.performance_insights),
                ),
                (
                    "rds_monitoring_interval",
                    json!(s.database.monitoring_interval_seconds),
                ),
                ("rds_database_name", json!(s.database.name)),
                ("rds_username", json!(s.database.username)),
                ("rds_password_version", json!(s.database.password_version)),
                (
                    "rds_password_rotation_days",
                    json!(s.database.password_rotation_days),
                ),
                ("rds_extensions", json!(s.database.extensions)),
                ("rds_parameters", json!(s.database.parameter_group())),
            ],
        ),
        (
            "ElastiCache",
            vec![
                ("redis_node_type", json!(s.cache.node_type)),
                ("redis_cluster_mode", json!(topology.is_cluster())),
                ("redis_num_shards", json!(topology.shards())),
                (
                    "redis_replicas_per_shard",
                    json!(topology.replicas_per_shard()),
                ),
                ("redis_num_nodes", json!(topology.nodes())),
                (
                    "redis_automatic_failover",
                    json!(s.cache.automatic_failover),
                ),
                ("redis_multi_az", json!(s.cache.multi_az)),
                (
                    "redis_transit_encryption",
                    json!(s.cache.transit_encryption),
                ),
                (
                    "redis_at_rest_encryption",
                    json!(s.cache.at_rest_encryption),
                ),
                ("redis_auth_token_enabled", json!(s.cache.auth_token)),
                ("redis_engine_version", json!(s.cache.version)),
                (
                    "redis_snapshot_window",
                    json!(s.cache.snapshot_window.to_string()),
                ),
                (
                    "redis_snapshot_retention",
                    json!(s.cache.snapshot_retention_days),
                ),
                (
                    "redis_maintenance_window",
                    json!(s.cache.maintenance_window.to_string()),
                ),
            ],
        ),
        (
            "Bastion",
            vec![
                ("bastion_enabled", json!(s.bastion.enabled)),
                ("bastion_instance_type", json!(s.bastion.instance_type)),
                (
                    "bastion_allowed_cidrs",
                    json!(cidrs(&s.bastion.allowed_cidrs)),
                ),
            ],
        ),
        (
            "Application",
            vec![
                ("cache_ttl_seconds", json!(s.app.cache_ttl_seconds)),
                ("log_retention_days", json!(s.app.log_retention_days)),
                ("services", services(spec, s)),
            ],
        ),
        (
            "Budget",
            vec![
                ("monthly_budget_usd", json!(s.budget.monthly_usd)),
                ("budget_alert_emails", json!(s.budget.alert_emails)),
                (
                    "budget_alert_amounts_usd",
                    json!(s.budget.alert_amounts_usd),
                ),
            ],
        ),
        (
            "WAF",
            vec![
                ("waf_enabled", json!(s.waf.enabled)),
                ("waf_rate_limit", json!(s.waf.rate_limit_per_5min)),
                ("waf_allowed_countries", json!(s.waf.allowed_countries)),
            ],
        ),
        ("S3", vec![("buckets", buckets(spec, environment))]),
        (
            "Secrets",
            vec![
                ("secret_names", secret_names(spec, environment)),
                ("platform_secrets", platform_secrets(spec, environment)),
                (
                    "external_secrets_service_account",
                    json!({
                        "namespace": EXTERNAL_SECRETS_NAMESPACE,
                        "name": EXTERNAL_SECRETS_SERVICE_ACCOUNT,
                    }),
                ),
            ],
        ),
        (
            "Cluster add-ons",
            vec![
                (
                    "cluster_addon_roles",
                    cluster_addon_roles(spec, environment),
                ),
                (
                    "container_log_group_name",
                    json!(spec.container_log_group(environment)),
                ),
            ],
        ),
        (
            "Delivery",
            vec![
                ("namespace", json!(environment.namespace)),
                ("github_repository", json!(spec.project.github_repository)),
                (
                    "github_actions_role_name",
                    json!(spec.delivery.aws_role_name),
                ),
                ("terraform_roles", terraform_roles(spec, environment)),
            ],
        ),
    ]
}

/// The IAM roles of the add-ons that call AWS (but the External Secrets Operator's, which
/// `external_secrets_service_account` gives): the name the add-on's values annotate its service
/// account with, and the service account the role trusts.
fn cluster_addon_roles(model: &Model, environment: &Environment) -> Value {
    let roles: serde_json::Map<String, Value> = [
        ("load_balancer_controller", Addon::LoadBalancerController),
        ("cluster_autoscaler", Addon::ClusterAutoscaler),
        ("fluent_bit", Addon::FluentBit),
    ]
    .into_iter()
    .filter_map(|(key, addon)| {
        Some((
            key.to_string(),
            json!({
                "name": model.addon_role_name(environment, addon)?,
                "namespace": addon.namespace(),
                "service_account": addon.service_account()?,
            }),
        ))
    })
    .collect();
    Value::Object(roles)
}

/// The Terraform workflow's roles and the OIDC subjects each trusts (null: no workflow, no roles).
fn terraform_roles(model: &Model, environment: &Environment) -> Value {
    let Some(roles) = &model.delivery.terraform else {
        return Value::Null;
    };
    let repository = &model.project.github_repository;
    json!({
        "plan": {
            "name": roles.plan_role_name,
            "subjects": roles.plan_subjects(repository, &model.deploying_branches()),
        },
        "apply": {
            "name": roles.apply_role_name,
            "subjects": roles.apply_subjects(repository, &environment.name),
        },
    })
}

fn pad(text: &str, width: usize) -> String {
    format!("{text:width$}")
}

/// Renders `generated/<env>/terraform.tfvars` for each environment.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = Vec::new();
    for environment in request.environments() {
        let groups = variables(request.model, environment)
            .into_iter()
            .map(|(title, variables)| {
                // terraform fmt aligns `=` across consecutive single-line attributes; a multi-line
                // map ends the run, and its own keys align among themselves.
                let is_map = |value: &Value| value.as_object().is_some_and(|map| !map.is_empty());
                // The width of each run of single-line variables, for each variable.
                let mut widths = Vec::with_capacity(variables.len());
                for run in variables.split_inclusive(|(_, value)| is_map(value)) {
                    let width = run
                        .iter()
                        .filter(|(_, v)| !is_map(v))
                        .map(|(name, _)| name.len())
                        .max()
                        .unwrap_or(0);
                    widths.extend(run.iter().map(|_| width));
                }
                let entries = variables
                    .into_iter()
                    .zip(widths)
                    .map(|((name, value), width)| match value {
                        Value::Object(map) if !map.is_empty() => {
                            let keys: Vec<String> = map.keys().map(|key| hcl_key(key)).collect();
                            let key_width = keys.iter().map(String::len).max().unwrap_or(0);
                            let map = keys
                                .iter()
                                .zip(map)
                                .map(|(key, (_, value))| MapLine {
                                    key: pad(key, key_width),
                                    value,
                                })
                                .collect();
                            Entry {
                                name: name.to_string(),
                                value: None,
                                map: Some(map),
                            }
                        }
                        value => Entry {
                            name: pad(name, width),
                            value: Some(value),
                            map: None,
                        },
                    })
                    .collect();
                Group { title, entries }
            })
            .collect();
        let body = render_template("terraform.tfvars.j2", &Context { groups })?;
        artifacts.push(Artifact {
            path: path(environment),
            contents: format!("{}{body}", request.header("#")),
        });
    }
    Ok(artifacts)
}

/// Where an environment's values are written.
pub fn path(environment: &Environment) -> String {
    format!("generated/{}/terraform.tfvars", environment.name)
}

/// The Terraform root that applies an environment's values.
pub fn terraform_root(environment: &Environment) -> String {
    format!("terraform/environments/{}", environment.name)
}

/// `secret_names`: the name of each secret Terraform creates and the chart reads.
fn secret_names(model: &Model, environment: &Environment) -> Value {
    Secret::ALL
        .into_iter()
        .map(|secret| {
            (
                secret.as_str().to_string(),
                json!(model.secret_name(environment, secret)),
            )
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// `platform_secrets`: each of the spec's `[secrets]` with its name in this environment.
fn platform_secrets(model: &Model, environment: &Environment) -> Value {
    model
        .secrets
        .iter()
        .map(|(name, secret)| {
            let settings = json!({
                "name": model.platform_secret_name(environment, name),
                "description": secret.description,
            });
            (name.clone(), settings)
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// `services`: each service's port, image repository, and whether the runtime serves it.
/// The environment's buckets by purpose, with the name the load balancer's access logs and the
/// services are told.
fn buckets(model: &Model, environment: &Environment) -> Value {
    environment
        .buckets
        .iter()
        .map(|(purpose, bucket)| {
            let access_logs = environment.ingress.access_logs_bucket.as_ref() == Some(purpose);
            let settings = json!({
                "name": model.bucket_name(environment, purpose),
                "versioned": bucket.versioned,
                "kms": bucket.encryption == BucketEncryption::SseKms,
                "glacier_after_days": bucket.glacier_after_days,
                "expire_after_days": bucket.expire_after_days,
                "cors_origins": bucket.cors_origins,
                "alb_access_logs": access_logs,
            });
            (purpose.clone(), settings)
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

fn services(model: &Model, environment: &Environment) -> Value {
    model
        .services
        .iter()
        .map(|service| {
            let access = &environment.settings_of(service).access;
            let buckets = |wanted: BucketAccess| -> Vec<&String> {
                let buckets = &access.buckets;
                buckets
                    .iter()
                    .filter(|(_, a)| **a == wanted)
                    .map(|(purpose, _)| purpose)
                    .collect()
            };
            let here = environment.settings_of(service);
            let settings = json!({
                "port": here.port,
                "ecr_repository": here.image_repository,
                "runtime": service.api().is_some(),
                "reads_datastore_secrets": service.api().is_some()
                    || environment
                        .secret_variables_of(service)
                        .iter()
                        .any(|read| Secret::named(&read.secret).is_some()),
                "buckets_read": buckets(BucketAccess::Read),
                "buckets_read_write": buckets(BucketAccess::ReadWrite),
                "secrets": access.secrets,
            });
            (service.name.clone(), settings)
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// `eks_node_groups`: every node group by name, in the EKS API's words (`ON_DEMAND`,
/// `NO_SCHEDULE`), as the eks module hands them to `aws_eks_node_group`.
fn node_groups(eks: &Eks) -> Value {
    eks.node_groups
        .iter()
        .map(|group| {
            let taints: Vec<Value> = group
                .taints
                .iter()
                .map(|taint| {
                    json!({
                        "key": taint.key,
                        "value": taint.value,
                        "effect": taint.effect.eks_name(),
                    })
                })
                .collect();
            let settings = json!({
                "instance_types": group.instance_types,
                "capacity_type": group.capacity_type.eks_name(),
                "ami_type": group.ami_type.as_str(),
                "desired_size": group.desired_size,
                "min_size": group.min_size,
                "max_size": group.max_size,
                "labels": group.labels,
                "taints": taints,
            });
            (group.name.clone(), settings)
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// `rds_read_replicas`: each replica's class and zone (`null`: RDS chooses), in the spec's order.
fn read_replicas(database: &Database) -> Value {
    database
        .read_replicas
        .iter()
        .map(|replica| {
            json!({
                "instance_class": replica.instance_class,
                "availability_zone": replica.availability_zone,
            })
        })
        .collect::<Vec<Value>>()
        .into()
}
