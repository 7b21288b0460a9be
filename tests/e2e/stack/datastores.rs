//! The planned database and cache carry the spec's values: the RDS instance (engine, class,
//! storage type, IOPS, throughput, windows, monitoring), its read replicas (class, zone, source),
//! the parameter group (parameters, preloaded libraries, allowed extensions), and the ElastiCache
//! replication group (node type, shards and replicas or nodes, failover, Multi-AZ, windows,
//! encryption). The keys' ARNs are unknown in a plan: modules/*/tests apply against the mock to
//! check them.

use std::collections::BTreeSet;

use serde_json::Value;

use super::plan::{Planned, planned, text};
use generator::model::{CacheTopology, Storage};

pub(super) fn the_planned_database_and_its_replicas_are_the_specs() {
    for case in planned() {
        let (plan, label) = (&case.plan, &case.label);
        let database = &case.environment().database;
        let instance = plan.at("module.rds.aws_db_instance.this");
        assert_eq!(
            instance["engine"],
            serde_json::to_value(database.engine).expect("an engine"),
            "{label}: engine"
        );
        for (attribute, value) in [
            ("engine_version", &database.version),
            ("instance_class", &database.instance_class),
            ("db_name", &database.name),
            ("username", &database.username),
        ] {
            assert_eq!(text(&instance[attribute]), *value, "{label}: {attribute}");
        }
        assert_eq!(
            instance["allocated_storage"], database.allocated_storage_gb,
            "{label}"
        );
        assert_eq!(
            instance["max_allocated_storage"], database.max_allocated_storage_gb,
            "{label}"
        );
        storage(case, instance, "the instance");
        assert_eq!(instance["multi_az"], database.multi_az, "{label}: multi-AZ");
        assert_eq!(
            instance["backup_retention_period"], database.backup_retention_days,
            "{label}"
        );
        assert_eq!(
            text(&instance["backup_window"]),
            database.backup_window.to_string(),
            "{label}: backup window"
        );
        assert_eq!(
            text(&instance["maintenance_window"]),
            database.maintenance_window.to_string(),
            "{label}: maintenance window"
        );
        assert_eq!(
            instance["monitoring_interval"], database.monitoring_interval_seconds,
            "{label}: Enhanced Monitoring"
        );
        assert_eq!(
            instance["deletion_protection"], database.deletion_protection,
            "{label}"
        );
        assert_eq!(
            instance["performance_insights_enabled"], database.performance_insights,
            "{label}"
        );
        assert_eq!(instance["storage_encrypted"], true, "{label}");

        let replicas: Vec<&Value> = (0..database.read_replicas.len())
            .map(|index| plan.at(&format!("module.rds.aws_db_instance.replica[{index}]")))
            .collect();
        assert_eq!(
            plan.of_type("aws_db_instance").count(),
            1 + database.read_replicas.len(),
            "{label}: the instance and its replicas"
        );
        for (index, (replica, spec)) in replicas.iter().zip(&database.read_replicas).enumerate() {
            let which = format!("replica {}", index + 1);
            assert_eq!(
                text(&replica["instance_class"]),
                spec.instance_class,
                "{label}: {which}"
            );
            assert_eq!(
                replica["availability_zone"].as_str(),
                spec.availability_zone.as_deref(),
                "{label}: {which}'s zone"
            );
            assert_eq!(
                replica["replicate_source_db"],
                case.model.resource_name(case.environment()).as_str(),
                "{label}: {which} replicates the instance"
            );
            assert_eq!(
                replica["monitoring_interval"], database.monitoring_interval_seconds,
                "{label}: {which}"
            );
            assert_eq!(replica["publicly_accessible"], false, "{label}: {which}");
            storage(case, replica, &which);
        }

        let planned: BTreeSet<(String, String)> = plan.at("module.rds.aws_db_parameter_group.this")
            ["parameter"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| (text(&p["name"]), text(&p["value"])))
            .collect();
        for (name, value) in database.parameter_group() {
            assert!(
                planned.contains(&(name.clone(), value.clone())),
                "{label}: parameter {name} = {value} is not in the planned group {planned:?}"
            );
        }
        let allowed = planned
            .iter()
            .find(|(name, _)| name == "rds.allowed_extensions")
            .map(|(_, value)| value.as_str());
        let extensions = database.extensions.join(",");
        assert_eq!(
            allowed,
            (!extensions.is_empty()).then_some(extensions.as_str()),
            "{label}: the extensions the services may create"
        );
    }
}

/// The storage type, IOPS and throughput of an instance or replica are the spec's.
fn storage(case: &Planned, instance: &Value, which: &str) {
    let (label, database) = (&case.label, &case.environment().database);
    assert_eq!(
        text(&instance["storage_type"]),
        database.storage.type_name(),
        "{label}: {which}'s storage type"
    );
    if let Storage::Gp3 {
        iops,
        throughput_mibps,
    } = database.storage
    {
        // Unset, the attribute is RDS's to compute (unknown in the plan).
        for (attribute, value) in [("iops", iops), ("storage_throughput", throughput_mibps)] {
            if let Some(value) = value {
                assert_eq!(instance[attribute], value, "{label}: {which}'s {attribute}");
            } else {
                assert!(
                    instance[attribute].is_null(),
                    "{label}: {which}'s {attribute} is left to RDS, not {}",
                    instance[attribute]
                );
            }
        }
    }
}

pub(super) fn the_planned_cache_is_the_specs() {
    for case in planned() {
        let (plan, label) = (&case.plan, &case.label);
        let cache = &case.environment().cache;
        let group = plan.at("module.elasticache.aws_elasticache_replication_group.this");
        assert_eq!(
            text(&group["node_type"]),
            cache.node_type,
            "{label}: cache node type"
        );
        match cache.topology {
            CacheTopology::Replicated { nodes } => {
                assert_eq!(group["cluster_mode"], "disabled", "{label}");
                assert_eq!(group["num_cache_clusters"], nodes, "{label}: cache nodes");
            }
            CacheTopology::Cluster {
                shards,
                replicas_per_shard,
            } => {
                assert_eq!(group["cluster_mode"], "enabled", "{label}");
                assert_eq!(group["num_node_groups"], shards, "{label}: shards");
                assert_eq!(
                    group["replicas_per_node_group"], replicas_per_shard,
                    "{label}: replicas per shard"
                );
                let parameters: Vec<String> = plan
                    .at("module.elasticache.aws_elasticache_parameter_group.this")["parameter"]
                    .as_array()
                    .expect("parameters")
                    .iter()
                    .map(|p| format!("{}={}", text(&p["name"]), text(&p["value"])))
                    .collect();
                assert!(
                    parameters.contains(&"cluster-enabled=yes".to_string()),
                    "{label}: a cluster parameter group, not {parameters:?}"
                );
            }
        }
        assert_eq!(
            group["automatic_failover_enabled"], cache.automatic_failover,
            "{label}"
        );
        assert_eq!(
            group["multi_az_enabled"], cache.multi_az,
            "{label}: Multi-AZ"
        );
        assert_eq!(
            group["transit_encryption_enabled"], cache.transit_encryption,
            "{label}"
        );
        // A string in the provider's schema (it distinguishes unset from false).
        assert_eq!(
            text(&group["at_rest_encryption_enabled"]),
            cache.at_rest_encryption.to_string(),
            "{label}"
        );
        assert_eq!(text(&group["engine_version"]), cache.version, "{label}");
        assert_eq!(
            text(&group["snapshot_window"]),
            cache.snapshot_window.to_string(),
            "{label}: snapshot window"
        );
        assert_eq!(
            group["snapshot_retention_limit"], cache.snapshot_retention_days,
            "{label}: snapshots kept"
        );
        assert_eq!(
            text(&group["maintenance_window"]),
            cache.maintenance_window.to_string(),
            "{label}: maintenance window"
        );
        // The AUTH token is drawn once and kept: planned as the token the secret holds.
        assert_eq!(
            plan.of_type("terraform_data").count(),
            usize::from(cache.auth_token),
            "{label}: the kept AUTH token"
        );
    }
}
