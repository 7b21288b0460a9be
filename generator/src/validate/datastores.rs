//! An environment's data stores into the Model: the RDS instance (storage within what RDS allows
//! for its size, read replicas in the environment's zones, windows that parse and do not
//! overlap, parameters and extensions of its engine) and the ElastiCache replication group (its
//! topology, failover and Multi-AZ that its replicas can carry, windows).

use super::parameters::{extensions, parameters};
use super::values::path;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::{
    Cache, CacheTopology, DailyWindow, Database, GP3_STRIPED_FROM_GB, ReadReplica, Storage,
    WeeklyWindow,
};
use crate::resolve::Resolved;
use crate::source::Path;
use crate::spec::{self, Engine, StorageType};
use crate::window::WindowError;

/// Enhanced Monitoring intervals RDS accepts, in seconds (0 turns it off).
const MONITORING_INTERVALS: [u8; 7] = [0, 1, 5, 10, 15, 30, 60];
/// gp3 provisioned IOPS and throughput RDS for MySQL and PostgreSQL accept from 400 GiB, and
/// the most throughput per IOPS (RDS user guide, "gp3 storage"; ValidStorageOptions).
const GP3_IOPS: (u32, u32) = (12_000, 64_000);
const GP3_THROUGHPUT_MIBPS: (u32, u32) = (500, 4_000);
/// RDS windows last at least 30 minutes, ElastiCache's at least 60.
const RDS_MINIMUM_WINDOW: u32 = 30;
const ELASTICACHE_MINIMUM_WINDOW: u32 = 60;

pub(super) fn database(
    resolved: &Resolved,
    database: &spec::Database,
    zones: &[String],
    out: &mut Vec<Diagnostic>,
) -> Option<Database> {
    let errors_before = errors(out);
    if database.max_allocated_storage_gb < database.allocated_storage_gb {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "`max_allocated_storage_gb` ({}) is below `allocated_storage_gb` ({})",
                    database.max_allocated_storage_gb, database.allocated_storage_gb
                ),
            ),
            &path("database.max_allocated_storage_gb"),
        ));
    }
    if database.performance_insights
        && database.engine == Engine::Mysql
        && small_burstable_class(&database.instance_class)
    {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                format!("RDS for MySQL does not offer Performance Insights on `{}`", database.instance_class),
            )
            .help("set `performance_insights = false`, or choose a medium or larger instance class"),
            &path("database.performance_insights"),
        ));
    }
    if !MONITORING_INTERVALS.contains(&database.monitoring_interval_seconds) {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!(
                        "RDS does not take an Enhanced Monitoring interval of {} seconds",
                        database.monitoring_interval_seconds
                    ),
                )
                .on_value()
                .help(format!(
                    "write one of {MONITORING_INTERVALS:?} (0 turns it off)"
                )),
                &path("database.monitoring_interval_seconds"),
            ),
        );
    }
    let storage = storage(resolved, database, out);
    let read_replicas = read_replicas(resolved, database, zones, out);
    let windows = windows(
        resolved,
        ("database.backup_window", &database.backup_window),
        ("database.maintenance_window", &database.maintenance_window),
        RDS_MINIMUM_WINDOW,
        out,
    );
    let mut preload = parameters(resolved, database, out);
    let extensions = extensions(resolved, database, &mut preload, out);
    let mut parameters = database.parameters.clone();
    parameters.remove("shared_preload_libraries");
    let (backup_window, maintenance_window) = windows?;
    (errors(out) == errors_before).then(|| Database {
        engine: database.engine,
        version: database.version.clone(),
        instance_class: database.instance_class.clone(),
        allocated_storage_gb: database.allocated_storage_gb,
        max_allocated_storage_gb: database.max_allocated_storage_gb,
        storage,
        multi_az: database.multi_az,
        backup_retention_days: database.backup_retention_days,
        backup_window,
        maintenance_window,
        backup_copy_region: database.backup_copy_region.clone(),
        deletion_protection: database.deletion_protection,
        performance_insights: database.performance_insights,
        monitoring_interval_seconds: database.monitoring_interval_seconds,
        read_replicas,
        name: database.name.clone(),
        username: database.username.clone(),
        password_version: database.password_version,
        password_rotation_days: database.password_rotation_days,
        pool: database.pool.clone(),
        parameters,
        extensions,
        preload_libraries: preload,
        // Settled once the services are (`pooler::pooler`).
        pooler: None,
    })
}

/// Automatic rotation writes a new password at the first apply of each period: only the Terraform
/// workflow runs that apply on time and then restarts what reads the password, so it needs the
/// workflow (without it, the first manual apply of a period would leave every service with the
/// old password).
pub(super) fn rotation(
    resolved: &Resolved,
    database: &spec::Database,
    terraform_workflow: bool,
    out: &mut Vec<Diagnostic>,
) {
    if let (Some(days), false) = (database.password_rotation_days, terraform_workflow) {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "`password_rotation_days = {days}` rotates the password from the Terraform \
                     workflow, which `[delivery.terraform]` turns off"
                    ),
                )
                .help(
                    "turn the workflow on (remove `enabled = false` from [delivery.terraform]), or \
                 remove `password_rotation_days` and rotate by raising `password_version`",
                ),
                &path("database.password_rotation_days"),
            ),
        );
    }
}

fn errors(out: &[Diagnostic]) -> usize {
    out.iter().filter(|d| d.is_error()).count()
}

/// db.t2, db.t3 and db.t4g micro and small classes.
fn small_burstable_class(class: &str) -> bool {
    let mut parts = class.split('.');
    let (_, family, size) = (
        parts.next(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    matches!(family, "t2" | "t3" | "t4g") && matches!(size, "micro" | "small")
}

/// gp3's IOPS and throughput where RDS takes them: from 400 GiB, within its ranges, at most a
/// quarter of a MiB/s per IOPS; gp2 takes neither.
fn storage(resolved: &Resolved, database: &spec::Database, out: &mut Vec<Diagnostic>) -> Storage {
    let (iops, throughput) = (database.iops, database.storage_throughput_mibps);
    let set = [
        ("database.iops", iops.is_some()),
        ("database.storage_throughput_mibps", throughput.is_some()),
    ];
    let size = database.allocated_storage_gb;
    if database.storage_type == StorageType::Gp2 {
        for (key, _) in set.iter().filter(|(_, set)| *set) {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        "gp2 storage takes no IOPS or throughput: they follow its size",
                    )
                    .help("remove it, or set `storage_type = \"gp3\"`"),
                    &path(key),
                ),
            );
        }
        return Storage::Gp2;
    }
    if size < GP3_STRIPED_FROM_GB {
        let (base_iops, base_throughput) = Storage::gp3_baseline(size);
        for (key, _) in set.iter().filter(|(_, set)| *set) {
            out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "below {GP3_STRIPED_FROM_GB} GiB RDS for {} gives gp3 a fixed {base_iops} IOPS and {base_throughput} MiB/s, and refuses a value",
                        engine_name(database.engine)
                    ),
                )
                .note(format!("`allocated_storage_gb` is {size}"))
                .help(format!("remove it, or allocate at least {GP3_STRIPED_FROM_GB} GiB")),
                &path(key),
            ));
        }
        return Storage::Gp3 {
            iops: None,
            throughput_mibps: None,
        };
    }
    let mut within = |value: Option<u32>, (min, max): (u32, u32), key: &str, unit: &str| {
        if let Some(value) = value.filter(|value| !(min..=max).contains(value)) {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::OutOfRange,
                        format!(
                            "gp3 storage of {size} GiB takes {min} to {max} {unit}, not {value}"
                        ),
                    )
                    .on_value()
                    .help(format!(
                        "write a value from {min} to {max}, or remove it for {min}"
                    )),
                    &path(key),
                ),
            );
        }
    };
    within(iops, GP3_IOPS, "database.iops", "IOPS");
    within(
        throughput,
        GP3_THROUGHPUT_MIBPS,
        "database.storage_throughput_mibps",
        "MiB/s",
    );
    let (base_iops, base_throughput) = Storage::gp3_baseline(size);
    let (effective_iops, effective_throughput) = (
        iops.unwrap_or(base_iops),
        throughput.unwrap_or(base_throughput),
    );
    if u64::from(effective_throughput) * 4 > u64::from(effective_iops) {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                format!(
                    "{effective_throughput} MiB/s is more than a quarter of {effective_iops} IOPS, the most gp3 throughput RDS provisions per IOPS"
                ),
            )
            .help(format!(
                "raise `iops` to at least {}, or lower the throughput",
                u64::from(effective_throughput) * 4
            )),
            &path(if throughput.is_some() {
                "database.storage_throughput_mibps"
            } else {
                "database.iops"
            }),
        ));
    }
    Storage::Gp3 {
        iops,
        throughput_mibps: throughput,
    }
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "MySQL",
        Engine::Postgres => "PostgreSQL",
    }
}

/// Each replica in one of the environment's zones, replicating from an instance with backups.
fn read_replicas(
    resolved: &Resolved,
    database: &spec::Database,
    zones: &[String],
    out: &mut Vec<Diagnostic>,
) -> Vec<ReadReplica> {
    let at = path("database.read_replicas");
    if !database.read_replicas.is_empty() && database.backup_retention_days == 0 {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                "read replicas need automated backups, which `backup_retention_days = 0` turns off",
            )
            .note("RDS builds a replica from the instance's backups")
            .help("keep backups at least one day"),
            &at,
        ));
    }
    let mut replicas = Vec::new();
    for (index, replica) in database.read_replicas.iter().enumerate() {
        if let Some(zone) = &replica.availability_zone
            && !zones.contains(zone)
        {
            let diagnostic = Diagnostic::error(
                Code::ZoneOutsideRegion,
                format!(
                    "`{zone}` is not one of this environment's zones ({})",
                    zones.join(", ")
                ),
            )
            .on_value()
            .note("the database subnets, which replicas run in, exist only in those zones");
            let diagnostic = match did_you_mean(zone, zones.iter().map(String::as_str)) {
                Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                None => diagnostic.help("name one of `network.availability_zones`"),
            };
            out.push(resolved.diagnostic(diagnostic, &at.index(index).child("availability_zone")));
        }
        replicas.push(ReadReplica {
            instance_class: replica
                .instance_class
                .clone()
                .unwrap_or_else(|| database.instance_class.clone()),
            availability_zone: replica.availability_zone.clone(),
        });
    }
    replicas
}

/// A daily and a weekly window, each parsed and long enough, the daily one not overlapping the
/// weekly one.
fn windows(
    resolved: &Resolved,
    (daily_key, daily): (&str, &str),
    (weekly_key, weekly): (&str, &str),
    minimum: u32,
    out: &mut Vec<Diagnostic>,
) -> Option<(DailyWindow, WeeklyWindow)> {
    let daily_at = path(daily_key);
    let weekly_at = path(weekly_key);
    let mut parsed =
        |result: Result<u32, WindowError>, at: &Path| match result {
            Ok(minutes) if minutes < minimum => {
                out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!("the window lasts {minutes} minutes, and AWS takes at least {minimum}"),
                )
                .on_value()
                .help(format!("widen it to at least {minimum} minutes")),
                at,
            ));
                false
            }
            Ok(_) => true,
            Err(error) => {
                out.push(resolved.diagnostic(
                    Diagnostic::error(Code::BadFormat, error.to_string()).on_value(),
                    at,
                ));
                false
            }
        };
    let daily = DailyWindow::parse(daily);
    let weekly = WeeklyWindow::parse(weekly);
    let daily_ok = parsed(daily.clone().map(DailyWindow::minutes), &daily_at);
    let weekly_ok = parsed(weekly.clone().map(WeeklyWindow::minutes), &weekly_at);
    let (daily, weekly) = (daily.ok()?, weekly.ok()?);
    if daily.overlaps(weekly) {
        let diagnostic = Diagnostic::error(
            Code::Inconsistent,
            format!("the window `{daily}` overlaps the maintenance window `{weekly}`"),
        )
        .on_value()
        .help("move one of them: AWS refuses windows that overlap");
        // Point at the maintenance window where the spec writes it; the default is named.
        let diagnostic = if weekly_at.lookup(&resolved.value).is_some() {
            diagnostic.related(
                resolved.source_of(&weekly_at),
                "the maintenance window",
                true,
            )
        } else {
            diagnostic.note(format!("`{weekly}` is the default of `{weekly_key}`"))
        };
        out.push(resolved.diagnostic(diagnostic, &daily_at));
    }
    (daily_ok && weekly_ok).then_some((daily, weekly))
}

pub(super) fn cache(
    resolved: &Resolved,
    cache: &spec::Cache,
    out: &mut Vec<Diagnostic>,
) -> Option<Cache> {
    let errors_before = errors(out);
    let topology = topology(resolved, cache, out);
    if cache.auth_token && !cache.transit_encryption {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "an AUTH token needs encryption in transit",
                )
                .help("set `transit_encryption = true`"),
                &path("cache.auth_token"),
            ),
        );
    }
    let replicas = topology.map_or(0, CacheTopology::replicas_per_shard);
    let multi_az = match cache.multi_az {
        Some(true) => {
            if !cache.automatic_failover {
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(Code::Inconsistent, "Multi-AZ needs automatic failover")
                            .help("set `automatic_failover = true`"),
                        &path("cache.multi_az"),
                    ),
                );
            } else if topology.is_some() && replicas == 0 {
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::Inconsistent,
                            "Multi-AZ needs a replica of every primary, in another zone",
                        )
                        .help("set `replicas_per_shard = 1` or more, or `multi_az = false`"),
                        &path("cache.multi_az"),
                    ),
                );
            }
            true
        }
        Some(false) => false,
        None => cache.automatic_failover && replicas > 0,
    };
    let windows = windows(
        resolved,
        ("cache.snapshot_window", &cache.snapshot_window),
        ("cache.maintenance_window", &cache.maintenance_window),
        ELASTICACHE_MINIMUM_WINDOW,
        out,
    );
    let (snapshot_window, maintenance_window) = windows?;
    let topology = topology?;
    (errors(out) == errors_before).then(|| Cache {
        node_type: cache.node_type.clone(),
        version: cache.version.clone(),
        topology,
        automatic_failover: cache.automatic_failover,
        multi_az,
        transit_encryption: cache.transit_encryption,
        at_rest_encryption: cache.at_rest_encryption,
        auth_token: cache.auth_token,
        snapshot_window,
        snapshot_retention_days: cache.snapshot_retention_days,
        maintenance_window,
    })
}

/// One shard of `nodes`, or with cluster mode `shards` of `1 + replicas_per_shard`: each key
/// where its mode needs it and nowhere else; failover where the topology can carry it.
fn topology(
    resolved: &Resolved,
    cache: &spec::Cache,
    out: &mut Vec<Diagnostic>,
) -> Option<CacheTopology> {
    let (needed, refused): (&[&str], &[&str]) = if cache.cluster_mode {
        (&["shards", "replicas_per_shard"], &["nodes"])
    } else {
        (&["nodes"], &["shards", "replicas_per_shard"])
    };
    let present = |key: &str| match key {
        "nodes" => cache.nodes.is_some(),
        "shards" => cache.shards.is_some(),
        _ => cache.replicas_per_shard.is_some(),
    };
    let mode = if cache.cluster_mode {
        "with `cluster_mode = true`"
    } else {
        "without cluster mode"
    };
    for key in needed.iter().filter(|key| !present(key)) {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::MissingKey,
                format!("{mode} the cache needs `{key}`"),
            )
            .help(if cache.cluster_mode {
                "write the shards and the replicas of each, for example `shards = 3` and `replicas_per_shard = 1`"
            } else {
                "write the nodes of its one shard, for example `nodes = 2` (a primary and its replica)"
            }),
            &path(if cache.cluster_mode {
                "cache.cluster_mode"
            } else {
                "cache"
            }),
        ));
    }
    // Only a warning: a key of the other mode is often inherited from [defaults], which an
    // environment cannot unset; it changes nothing.
    let nodes = |shards: u32, replicas: u32| shards * (1 + replicas);
    for key in refused.iter().filter(|key| present(key)) {
        let what = match (cache.shards, cache.replicas_per_shard) {
            (Some(shards), Some(replicas)) if cache.cluster_mode => format!(
                ": the cluster has {} nodes, `shards` x (1 + `replicas_per_shard`)",
                nodes(u32::from(shards), u32::from(replicas))
            ),
            _ => String::new(),
        };
        out.push(resolved.diagnostic(
            Diagnostic::warning(
                Code::Inconsistent,
                format!("`{key}` is ignored {mode}{what}"),
            )
            .help(if cache.cluster_mode {
                "remove `nodes` where it is written (or set it in each environment without cluster mode)"
            } else {
                "remove it where it is written, or set `cluster_mode = true`"
            }),
            &path("cache").child(key),
        ));
    }
    let topology = if cache.cluster_mode {
        CacheTopology::Cluster {
            shards: cache.shards?,
            replicas_per_shard: cache.replicas_per_shard?,
        }
    } else {
        CacheTopology::Replicated {
            nodes: cache.nodes?,
        }
    };
    if cache.cluster_mode && !cache.automatic_failover {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                "cluster mode needs automatic failover: ElastiCache creates no Redis Cluster without it",
            )
            .help("set `automatic_failover = true`"),
            &path("cache.automatic_failover"),
        ));
    }
    if !cache.cluster_mode && cache.automatic_failover && topology.nodes() < 2 {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "automatic failover needs at least 2 cache nodes",
                )
                .help("set `nodes = 2` or more, or `automatic_failover = false`"),
                &path("cache.automatic_failover"),
            ),
        );
    }
    Some(topology)
}
