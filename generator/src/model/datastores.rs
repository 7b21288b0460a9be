//! An environment's data stores, validated: the RDS instance and the ElastiCache replication
//! group, their windows parsed, their storage within what RDS allows, their parameters and
//! extensions checked against the engine.

use std::collections::BTreeMap;

use crate::spec::{Engine, ParameterValue, Pool, PoolMode};
use crate::window::{DailyWindow, WeeklyWindow};

/// gp3 storage of RDS for MySQL and PostgreSQL is striped over four volumes from this size on:
/// its baseline rises from 3,000 IOPS and 125 MiB/s to 12,000 IOPS and 500 MiB/s, and only from
/// here may IOPS and throughput be provisioned (RDS user guide, "gp3 storage").
pub const GP3_STRIPED_FROM_GB: u32 = 400;

/// The RDS instance.
#[derive(Debug, Clone)]
pub struct Database {
    pub engine: Engine,
    pub version: String,
    pub instance_class: String,
    pub allocated_storage_gb: u32,
    pub max_allocated_storage_gb: u32,
    /// IOPS and throughput within what RDS allows for the size.
    pub storage: Storage,
    pub multi_az: bool,
    pub backup_retention_days: u8,
    /// At least 30 minutes, not overlapping the maintenance window.
    pub backup_window: DailyWindow,
    /// At least 30 minutes.
    pub maintenance_window: WeeklyWindow,
    pub backup_copy_region: Option<String>,
    pub deletion_protection: bool,
    pub performance_insights: bool,
    /// One of 0 (off), 1, 5, 10, 15, 30, 60.
    pub monitoring_interval_seconds: u8,
    /// Each in one of the environment's zones; the instance keeps backups they replicate from.
    pub read_replicas: Vec<ReadReplica>,
    pub name: String,
    pub username: String,
    pub password_version: u32,
    /// Days between automatic rotations of the password (1 to 365); `None`: rotated only by
    /// raising `password_version`.
    pub password_rotation_days: Option<u16>,
    pub pool: Pool,
    /// As the spec writes them, each known to the engine or warned about; without
    /// `shared_preload_libraries`, which is `preload_libraries`.
    pub parameters: BTreeMap<String, ParameterValue>,
    /// PostgreSQL only, each one RDS offers.
    pub extensions: Vec<String>,
    /// `shared_preload_libraries`: the spec's own, then those its extensions need, each once.
    pub preload_libraries: Vec<String>,
    /// PgBouncer in front of it, where the environment runs one (PostgreSQL only).
    pub pooler: Option<Pooler>,
}

impl Database {
    /// The parameter group as RDS takes it: every parameter a string, the preloaded libraries
    /// joined by commas.
    pub fn parameter_group(&self) -> BTreeMap<String, String> {
        let mut group: BTreeMap<String, String> = self
            .parameters
            .iter()
            .map(|(name, value)| (name.clone(), value.to_string()))
            .collect();
        if !self.preload_libraries.is_empty() {
            group.insert(
                "shared_preload_libraries".to_string(),
                self.preload_libraries.join(","),
            );
        }
        group
    }
}

/// The name of the PgBouncer workload (Deployment, Service, ConfigMap, ...) and its pods'
/// `app.kubernetes.io/name`, in the services' namespace.
pub const POOLER_NAME: &str = "pgbouncer";
/// The port PgBouncer listens on, and its Service's.
pub const POOLER_PORT: u16 = 6432;
/// Connections PostgreSQL on RDS keeps for administrators whatever `max_connections` says:
/// `superuser_reserved_connections` (3) and `rds.rds_superuser_reserved_connections` (2).
pub const RESERVED_CONNECTIONS: u32 = 5;

/// PgBouncer in front of the database, validated: PostgreSQL only, its pools within the
/// database's `max_connections` where the spec sets it, transaction mode only with prepared
/// statements tracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pooler {
    pub mode: PoolMode,
    /// Server connections of each replica for each service (`default_pool_size`).
    pub pool_size_per_service: u32,
    /// Client connections each replica accepts (`max_client_conn`).
    pub max_client_connections: u32,
    /// `max_prepared_statements`; above 0 in transaction mode.
    pub max_prepared_statements: u32,
    /// At least 2, spread across zones.
    pub replicas: u32,
}

impl Pooler {
    /// The most server connections all replicas open for `services` services.
    pub fn server_connections(&self, services: usize) -> u32 {
        let services = u32::try_from(services).unwrap_or(u32::MAX);
        self.replicas
            .saturating_mul(services)
            .saturating_mul(self.pool_size_per_service)
    }

    /// The Service's DNS name in `namespace`, which the services connect to.
    pub fn host(namespace: &str) -> String {
        format!("{POOLER_NAME}.{namespace}.svc.cluster.local")
    }
}

/// The instance's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// IOPS follow the size (3 per GiB).
    Gp2,
    /// Provisioned IOPS and throughput (from 400 GiB only); `None` is the baseline.
    Gp3 {
        iops: Option<u32>,
        throughput_mibps: Option<u32>,
    },
}

impl Storage {
    pub fn type_name(self) -> &'static str {
        match self {
            Storage::Gp2 => "gp2",
            Storage::Gp3 { .. } => "gp3",
        }
    }

    /// The IOPS and MiB/s gp3 gives `allocated_gb` of storage without provisioning.
    pub fn gp3_baseline(allocated_gb: u32) -> (u32, u32) {
        if allocated_gb >= GP3_STRIPED_FROM_GB {
            (12_000, 500)
        } else {
            (3_000, 125)
        }
    }
}

/// One read replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReplica {
    /// Its own, or the primary's.
    pub instance_class: String,
    /// One of the environment's zones, or `None`: RDS chooses.
    pub availability_zone: Option<String>,
}

/// The ElastiCache Redis replication group.
#[derive(Debug, Clone)]
pub struct Cache {
    pub node_type: String,
    pub version: String,
    pub topology: CacheTopology,
    /// Required in cluster mode.
    pub automatic_failover: bool,
    /// Needs automatic failover and a replica of every primary.
    pub multi_az: bool,
    pub transit_encryption: bool,
    pub at_rest_encryption: bool,
    pub auth_token: bool,
    /// At least 60 minutes, not overlapping the maintenance window.
    pub snapshot_window: DailyWindow,
    pub snapshot_retention_days: u8,
    /// At least 60 minutes.
    pub maintenance_window: WeeklyWindow,
}

/// How the cache's nodes hold the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheTopology {
    /// Cluster mode off: one primary holds every key, `nodes - 1` replicas follow it.
    Replicated { nodes: u8 },
    /// Redis Cluster: the key space split over `shards`, each a primary and its replicas.
    Cluster { shards: u16, replicas_per_shard: u8 },
}

impl CacheTopology {
    pub fn is_cluster(self) -> bool {
        matches!(self, CacheTopology::Cluster { .. })
    }

    pub fn shards(self) -> u32 {
        match self {
            CacheTopology::Replicated { .. } => 1,
            CacheTopology::Cluster { shards, .. } => u32::from(shards),
        }
    }

    /// Replicas of each primary.
    pub fn replicas_per_shard(self) -> u32 {
        match self {
            CacheTopology::Replicated { nodes } => u32::from(nodes).saturating_sub(1),
            CacheTopology::Cluster {
                replicas_per_shard, ..
            } => u32::from(replicas_per_shard),
        }
    }

    /// Every node: the primaries and their replicas.
    pub fn nodes(self) -> u32 {
        self.shards() * (1 + self.replicas_per_shard())
    }
}
