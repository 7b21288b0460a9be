//! An environment's data stores as the spec writes them: the RDS instance (its storage, read
//! replicas, windows, parameter group and extensions) and the ElastiCache Redis replication
//! group (one shard, or several in cluster mode).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The RDS instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub engine: Engine,
    /// Engine version, for example `8.0` (MySQL) or `15` (PostgreSQL).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+){0,2}$"))]
    pub version: String,
    /// Instance class, for example `db.t3.micro`.
    #[schemars(regex(pattern = r"^db\.[a-z0-9]+\.[a-z0-9]+$"))]
    pub instance_class: String,
    /// Initial storage in GiB.
    #[schemars(range(min = 20, max = 65536))]
    pub allocated_storage_gb: u32,
    /// Storage autoscaling ceiling in GiB.
    #[schemars(range(min = 20, max = 65536))]
    pub max_allocated_storage_gb: u32,
    /// `gp3` (default; IOPS and throughput set apart from the size) or `gp2` (both follow the
    /// size).
    #[serde(default)]
    pub storage_type: StorageType,
    /// gp3 IOPS. RDS for MySQL and PostgreSQL take a value only from 400 GiB of storage
    /// (12,000 to 64,000; 12,000 when unset); below, gp3 gives a fixed 3,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub iops: Option<u32>,
    /// gp3 throughput in MiB/s. From 400 GiB of storage only (500 to 4,000; 500 when unset,
    /// at most a quarter of the IOPS); below, gp3 gives a fixed 125.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub storage_throughput_mibps: Option<u32>,
    pub multi_az: bool,
    #[schemars(range(min = 0, max = 35))]
    pub backup_retention_days: u8,
    /// When the daily automated backup starts, `hh:mm-hh:mm` in UTC (at least 30 minutes, not
    /// overlapping `maintenance_window`; default `03:00-04:00`).
    #[serde(default = "Database::default_backup_window")]
    pub backup_window: String,
    /// When RDS may patch and restart the instance, `ddd:hh:mm-ddd:hh:mm` in UTC (at least 30
    /// minutes; default `sun:04:30-sun:05:30`).
    #[serde(default = "Database::default_maintenance_window")]
    pub maintenance_window: String,
    /// Another region the automated backups (snapshots and transaction logs) are replicated
    /// to, so the database can be restored there when this region is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"))]
    pub backup_copy_region: Option<String>,
    pub deletion_protection: bool,
    pub performance_insights: bool,
    /// Enhanced Monitoring: seconds between OS metrics, one of 0 (off), 1, 5, 10, 15, 30, 60
    /// (default 60).
    #[serde(default = "Database::default_monitoring_interval")]
    pub monitoring_interval_seconds: u8,
    /// Read replicas of the instance (asynchronous; the services read from the primary, see
    /// the spec reference). Each in one of the environment's zones.
    #[serde(default)]
    #[schemars(length(max = 15))]
    pub read_replicas: Vec<ReadReplica>,
    /// Initial database name.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,62}$"))]
    pub name: String,
    /// Application user name (the password lives in a secret, never here).
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,15}$"))]
    pub username: String,
    /// Generation of the password (default 1): raising it rotates it, one `terraform apply`
    /// writing a new password to RDS and to the secret the services read. The services read
    /// it once the ExternalSecrets refreshed and they restarted: the Terraform workflow's apply
    /// does both where `password_rotation_days` is set, elsewhere do it by hand (OPERATIONS.md).
    #[serde(default = "Database::first_password")]
    #[schemars(range(min = 1))]
    pub password_version: u32,
    /// Rotate the password automatically every this many days (1 to 365; absent: only by
    /// raising `password_version`). Periods are counted from 1970-01-01 UTC and the first
    /// `terraform apply` of a period writes a new password. The Terraform workflow (which
    /// `[delivery.terraform]` must leave on) runs that apply on a period's first day, at the end
    /// of `backup_window`, then refreshes the ExternalSecrets holding the password and restarts
    /// every workload that reads them. Turning it on rotates once, at the next apply. To leave
    /// one environment out, set it per environment rather than in `[defaults]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub password_rotation_days: Option<u16>,
    /// Connection pool of each runtime replica.
    pub pool: Pool,
    /// Parameter group settings in the units RDS takes, for example `max_connections = 100`;
    /// checked against the engine (a MySQL parameter on PostgreSQL is an error).
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterValue>,
    /// PostgreSQL extensions the services may create, by the name `CREATE EXTENSION` takes
    /// (`vector` for pgvector); those that must be preloaded join `shared_preload_libraries`.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// PgBouncer in front of the database (PostgreSQL only): the services reach it, not the
    /// instance. Absent: the services connect to the instance itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooler: Option<Pooler>,
}

impl Database {
    fn first_password() -> u32 {
        1
    }

    fn default_backup_window() -> String {
        "03:00-04:00".to_string()
    }

    fn default_maintenance_window() -> String {
        "sun:04:30-sun:05:30".to_string()
    }

    fn default_monitoring_interval() -> u8 {
        60
    }
}

/// Database engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Mysql,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Mysql => "mysql",
            Engine::Postgres => "postgres",
        }
    }

    /// The port RDS serves the engine on.
    pub fn port(self) -> u16 {
        match self {
            Engine::Mysql => 3306,
            Engine::Postgres => 5432,
        }
    }
}

/// RDS storage types the platform offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    /// General Purpose SSD, IOPS and throughput provisioned apart from the size.
    #[default]
    Gp3,
    /// General Purpose SSD of the previous generation: IOPS follow the size.
    Gp2,
}

impl StorageType {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::Gp3 => "gp3",
            StorageType::Gp2 => "gp2",
        }
    }
}

/// One read replica of the RDS instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadReplica {
    /// Instance class (default: the primary's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^db\.[a-z0-9]+\.[a-z0-9]+$"))]
    pub instance_class: Option<String>,
    /// One of the environment's availability zones (default: RDS chooses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// A parameter group value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ParameterValue {
    Integer(i64),
    Boolean(bool),
    Text(String),
}

impl std::fmt::Display for ParameterValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParameterValue::Integer(n) => write!(f, "{n}"),
            ParameterValue::Boolean(b) => write!(f, "{}", u8::from(*b)),
            ParameterValue::Text(s) => f.write_str(s),
        }
    }
}

/// A database connection pool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Connections kept open.
    #[schemars(range(min = 1, max = 1000))]
    pub size: u32,
    /// Extra connections opened under load.
    #[schemars(range(min = 0, max = 1000))]
    pub max_overflow: u32,
    /// Seconds after which a connection is replaced.
    #[schemars(range(min = 1, max = 86400))]
    pub recycle_seconds: u32,
    /// Check a connection before use.
    pub pre_ping: bool,
}

/// PgBouncer, run in the cluster in front of the database: each service's connections share
/// `pool_size_per_service` server connections of each PgBouncer replica.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pooler {
    /// Run it here (default true): `false` turns off a pooler `[defaults]` gives.
    #[serde(default = "Pooler::on")]
    pub enabled: bool,
    /// `transaction` (default): a server connection serves a client for one transaction;
    /// `session`: for as long as the client stays connected.
    #[serde(default)]
    pub mode: PoolMode,
    /// Server connections each PgBouncer replica opens to the database for each service that
    /// reaches it (`default_pool_size`; each service is a database entry of its own).
    #[schemars(range(min = 1, max = 1000))]
    pub pool_size_per_service: u32,
    /// Client connections each PgBouncer replica accepts (`max_client_conn`).
    #[schemars(range(min = 1, max = 100000))]
    pub max_client_connections: u32,
    /// Protocol-level prepared statements PgBouncer keeps per server connection in
    /// transaction mode (`max_prepared_statements`, default 200; 0 turns the tracking off).
    #[serde(default = "Pooler::default_prepared_statements")]
    #[schemars(range(min = 0, max = 10000))]
    pub max_prepared_statements: u32,
    /// PgBouncer pods (default 2), spread across the zones; each holds its own pools.
    #[serde(default = "Pooler::default_replicas")]
    #[schemars(range(min = 2, max = 20))]
    pub replicas: u32,
}

impl Pooler {
    fn on() -> bool {
        true
    }

    fn default_prepared_statements() -> u32 {
        200
    }

    fn default_replicas() -> u32 {
        2
    }
}

/// How long a PgBouncer server connection serves one client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolMode {
    /// One transaction: session state (SET, advisory locks, LISTEN) does not survive it.
    #[default]
    Transaction,
    /// The client's whole connection.
    Session,
}

impl PoolMode {
    /// As `pool_mode` in pgbouncer.ini takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolMode::Transaction => "transaction",
            PoolMode::Session => "session",
        }
    }
}

/// The ElastiCache Redis replication group: one shard of `nodes` (a primary and its replicas),
/// or with `cluster_mode` the keys spread over `shards`, each a primary and
/// `replicas_per_shard` replicas.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// Node type, for example `cache.t3.micro`.
    #[schemars(regex(pattern = r"^cache\.[a-z0-9]+\.[a-z0-9]+$"))]
    pub node_type: String,
    /// Without cluster mode: the primary and its replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 6))]
    pub nodes: Option<u8>,
    /// Redis Cluster: the keys spread over `shards` (the runtime then uses its cluster client).
    #[serde(default)]
    pub cluster_mode: bool,
    /// With cluster mode: the number of shards (node groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub shards: Option<u16>,
    /// With cluster mode: replicas of each shard's primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 5))]
    pub replicas_per_shard: Option<u8>,
    /// Promote a replica when a primary fails (required in cluster mode).
    pub automatic_failover: bool,
    /// Keep each primary's replicas in other zones and fail over across zones (default: on
    /// where `automatic_failover` is); needs a replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_az: Option<bool>,
    pub transit_encryption: bool,
    /// Encrypt data and snapshots at rest with the environment's customer-managed KMS key.
    pub at_rest_encryption: bool,
    /// Require an AUTH token (kept in a secret, never here).
    pub auth_token: bool,
    /// Redis engine version.
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+$"))]
    pub version: String,
    /// When the daily snapshot starts, `hh:mm-hh:mm` in UTC (at least 60 minutes, not
    /// overlapping `maintenance_window`; default `02:00-03:00`).
    #[serde(default = "Cache::default_snapshot_window")]
    pub snapshot_window: String,
    /// Days a daily snapshot is kept (0 turns snapshots off; default 7).
    #[serde(default = "Cache::default_snapshot_retention")]
    #[schemars(range(min = 0, max = 35))]
    pub snapshot_retention_days: u8,
    /// When ElastiCache may patch the nodes, `ddd:hh:mm-ddd:hh:mm` in UTC (at least 60
    /// minutes; default `sun:03:30-sun:04:30`).
    #[serde(default = "Cache::default_maintenance_window")]
    pub maintenance_window: String,
}

impl Cache {
    fn default_snapshot_window() -> String {
        "02:00-03:00".to_string()
    }

    fn default_snapshot_retention() -> u8 {
        7
    }

    fn default_maintenance_window() -> String {
        "sun:03:30-sun:04:30".to_string()
    }
}
