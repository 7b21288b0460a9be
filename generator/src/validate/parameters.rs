//! The database's parameter group and extensions against its engine: a curated list of the
//! parameters RDS for PostgreSQL and RDS for MySQL take, each with the kind of value RDS
//! expects (and its unit), and of the PostgreSQL extensions RDS offers, each saying whether it
//! must be preloaded. generator/SPEC.md prints both lists.
//!
//! A parameter of the other engine is an error (RDS refuses it when Terraform applies the
//! group, after everything before it was created). A parameter neither list knows is only a
//! warning: RDS has hundreds, the list holds the common ones, and a correct spec must not need
//! a change of the generator to name a rarer one.

use super::values::path;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::resolve::Resolved;
use crate::spec::{Engine, ParameterValue};

/// How RDS takes a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A whole number, in `unit` where it has one.
    Integer(Unit),
    /// A number with a fraction (written as a string, `"1.1"`).
    Real,
    /// 0 or 1 (`true` and `false` are written as 1 and 0).
    Boolean,
    /// Any text (names, lists, enumerations).
    Text,
}

/// The unit RDS counts an integer parameter in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    None,
    /// 8 kB pages (PostgreSQL's buffers).
    Pages,
    Kilobytes,
    Megabytes,
    Bytes,
    Milliseconds,
    Seconds,
}

impl Unit {
    /// Its size in bytes, for memory units.
    fn bytes(self) -> Option<u64> {
        match self {
            Unit::Pages => Some(8 * 1024),
            Unit::Kilobytes => Some(1024),
            Unit::Megabytes => Some(1024 * 1024),
            Unit::Bytes => Some(1),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Pages => "8 kB pages",
            Unit::Kilobytes => "kB",
            Unit::Megabytes => "MB",
            Unit::Bytes => "bytes",
            Unit::Milliseconds => "milliseconds",
            Unit::Seconds => "seconds",
        }
    }
}

use Kind::{Boolean, Integer, Real, Text};
use Unit::{Bytes, Kilobytes, Megabytes, Milliseconds, Pages, Seconds};

/// Parameters of RDS for PostgreSQL, with the kind RDS takes.
const POSTGRES: &[(&str, Kind)] = &[
    ("autovacuum_analyze_scale_factor", Real),
    ("autovacuum_max_workers", Integer(Unit::None)),
    ("autovacuum_naptime", Integer(Seconds)),
    ("autovacuum_vacuum_cost_limit", Integer(Unit::None)),
    ("autovacuum_vacuum_scale_factor", Real),
    ("checkpoint_completion_target", Real),
    ("checkpoint_timeout", Integer(Seconds)),
    ("default_statistics_target", Integer(Unit::None)),
    ("effective_cache_size", Integer(Pages)),
    ("effective_io_concurrency", Integer(Unit::None)),
    ("huge_pages", Text),
    ("idle_in_transaction_session_timeout", Integer(Milliseconds)),
    ("log_autovacuum_min_duration", Integer(Milliseconds)),
    ("log_connections", Boolean),
    ("log_disconnections", Boolean),
    ("log_lock_waits", Boolean),
    ("log_min_duration_statement", Integer(Milliseconds)),
    ("log_statement", Text),
    ("log_temp_files", Integer(Kilobytes)),
    ("maintenance_work_mem", Integer(Kilobytes)),
    ("max_connections", Integer(Unit::None)),
    ("max_parallel_maintenance_workers", Integer(Unit::None)),
    ("max_parallel_workers", Integer(Unit::None)),
    ("max_parallel_workers_per_gather", Integer(Unit::None)),
    ("max_wal_size", Integer(Megabytes)),
    ("max_worker_processes", Integer(Unit::None)),
    ("min_wal_size", Integer(Megabytes)),
    ("pg_stat_statements.max", Integer(Unit::None)),
    ("pg_stat_statements.track", Text),
    ("random_page_cost", Real),
    ("rds.logical_replication", Boolean),
    ("seq_page_cost", Real),
    ("shared_buffers", Integer(Pages)),
    ("shared_preload_libraries", Text),
    ("statement_timeout", Integer(Milliseconds)),
    ("temp_buffers", Integer(Pages)),
    ("timezone", Text),
    ("track_io_timing", Boolean),
    ("wal_buffers", Integer(Pages)),
    ("work_mem", Integer(Kilobytes)),
];

/// Parameters of RDS for MySQL, with the kind RDS takes.
const MYSQL: &[(&str, Kind)] = &[
    ("binlog_format", Text),
    ("character_set_server", Text),
    ("collation_server", Text),
    ("general_log", Boolean),
    ("innodb_buffer_pool_size", Integer(Bytes)),
    ("innodb_file_per_table", Boolean),
    ("innodb_flush_log_at_trx_commit", Integer(Unit::None)),
    ("innodb_io_capacity", Integer(Unit::None)),
    ("innodb_lock_wait_timeout", Integer(Seconds)),
    ("innodb_log_file_size", Integer(Bytes)),
    ("innodb_print_all_deadlocks", Boolean),
    ("interactive_timeout", Integer(Seconds)),
    ("log_bin_trust_function_creators", Boolean),
    ("log_output", Text),
    ("long_query_time", Real),
    ("max_allowed_packet", Integer(Bytes)),
    ("max_connections", Integer(Unit::None)),
    ("max_heap_table_size", Integer(Bytes)),
    ("performance_schema", Boolean),
    ("slow_query_log", Boolean),
    ("sql_mode", Text),
    ("table_open_cache", Integer(Unit::None)),
    ("thread_cache_size", Integer(Unit::None)),
    ("time_zone", Text),
    ("tmp_table_size", Integer(Bytes)),
    ("transaction_isolation", Text),
    ("wait_timeout", Integer(Seconds)),
];

/// Name prefixes only one engine's parameters carry.
const POSTGRES_PREFIXES: &[&str] = &["autovacuum", "pg_", "auto_explain.", "rds.", "wal_"];
const MYSQL_PREFIXES: &[&str] = &["innodb_", "binlog_", "query_cache_", "performance_schema"];

/// Parameters the rds module sets whatever the spec says: writing them would be overruled.
const PLATFORM_OWNED: &[(&str, &str)] = &[
    (
        "rds.force_ssl",
        "the rds module always refuses connections without TLS",
    ),
    (
        "require_secure_transport",
        "the rds module always refuses connections without TLS",
    ),
    (
        "rds.allowed_extensions",
        "the rds module sets it from `extensions`: list the extensions there",
    ),
];

/// PostgreSQL extensions RDS for PostgreSQL offers, by the name `CREATE EXTENSION` takes, with
/// the library an extension needs in `shared_preload_libraries` (RDS for PostgreSQL release
/// notes, "PostgreSQL extensions supported on Amazon RDS").
const EXTENSIONS: &[(&str, Option<&str>)] = &[
    ("amcheck", None),
    ("aws_commons", None),
    ("aws_lambda", None),
    ("aws_s3", None),
    ("bloom", None),
    ("btree_gin", None),
    ("btree_gist", None),
    ("citext", None),
    ("cube", None),
    ("dblink", None),
    ("earthdistance", None),
    ("fuzzystrmatch", None),
    ("hll", None),
    ("hstore", None),
    ("intarray", None),
    ("ip4r", None),
    ("isn", None),
    ("lo", None),
    ("ltree", None),
    ("orafce", None),
    ("pageinspect", None),
    ("pg_bigm", None),
    ("pg_buffercache", None),
    ("pg_cron", Some("pg_cron")),
    ("pg_hint_plan", Some("pg_hint_plan")),
    ("pg_partman", None),
    ("pg_prewarm", None),
    ("pg_repack", None),
    ("pg_stat_statements", Some("pg_stat_statements")),
    ("pg_tle", Some("pg_tle")),
    ("pg_trgm", None),
    ("pg_visibility", None),
    ("pgaudit", Some("pgaudit")),
    ("pgcrypto", None),
    ("pglogical", Some("pglogical")),
    ("pgrouting", None),
    ("pgrowlocks", None),
    ("pgstattuple", None),
    ("postgis", None),
    ("postgis_raster", None),
    ("postgis_tiger_geocoder", None),
    ("postgis_topology", None),
    ("postgres_fdw", None),
    ("seg", None),
    ("tablefunc", None),
    ("tsm_system_rows", None),
    ("tsm_system_time", None),
    ("unaccent", None),
    ("uuid-ossp", None),
    ("vector", None),
];

/// Extensions RDS for PostgreSQL does not offer, with what to do instead.
const NOT_ON_RDS: &[(&str, &str)] = &[
    (
        "timescaledb",
        "RDS for PostgreSQL does not ship TimescaleDB: run it on Timescale's own service or a \
         self-managed PostgreSQL, or partition time series with `pg_partman` here",
    ),
    (
        "citus",
        "RDS for PostgreSQL does not ship Citus: shard with the application, or run Citus elsewhere",
    ),
];

/// Names people write for an extension that `CREATE EXTENSION` takes under another.
const ALIASES: &[(&str, &str)] = &[("pgvector", "vector"), ("postgresql-hll", "hll")];

/// Checks every parameter against the engine; the libraries `shared_preload_libraries` names.
pub(super) fn parameters(
    resolved: &Resolved,
    database: &crate::spec::Database,
    out: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let (own, other, other_prefixes, engine, other_engine) = match database.engine {
        Engine::Postgres => (POSTGRES, MYSQL, MYSQL_PREFIXES, "PostgreSQL", "MySQL"),
        Engine::Mysql => (MYSQL, POSTGRES, POSTGRES_PREFIXES, "MySQL", "PostgreSQL"),
    };
    let mut preload = Vec::new();
    for (name, value) in &database.parameters {
        let at = path("database.parameters").child(name);
        if let Some((_, why)) = PLATFORM_OWNED.iter().find(|(owned, _)| owned == name) {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!("`{name}` is not the spec's to set: {why}"),
                    )
                    .help(format!("remove `{name}`")),
                    &at,
                ),
            );
            continue;
        }
        let kind = own
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, kind)| *kind);
        let foreign = other.iter().any(|(known, _)| known == name)
            || other_prefixes.iter().any(|prefix| name.starts_with(prefix));
        match kind {
            None if foreign => {
                let diagnostic = Diagnostic::error(
                    Code::EngineMismatch,
                    format!(
                        "`{name}` is a {other_engine} parameter, and this database is {engine}"
                    ),
                )
                .note(format!(
                    "RDS refuses it when Terraform applies the parameter group of a `{}` instance",
                    database.engine.as_str()
                ));
                let otherwise = format!(
                    "remove it, or write the {engine} parameter you mean (generator/SPEC.md lists the known ones)"
                );
                out.push(resolved.diagnostic(suggest(diagnostic, name, own, otherwise), &at));
            }
            None => {
                let diagnostic = Diagnostic::warning(
                    Code::UnknownParameter,
                    format!("`{name}` is not among the {engine} parameters platformgen knows"),
                )
                .note(format!(
                    "RDS refuses an unknown name when Terraform applies the parameter group; check it against the `{}` family's parameters",
                    database.engine.as_str()
                ));
                let otherwise = "keep it if RDS has it for this engine version; generator/SPEC.md lists the parameters whose values are checked".to_string();
                out.push(resolved.diagnostic(suggest(diagnostic, name, own, otherwise), &at));
            }
            Some(kind) => {
                if let Some(diagnostic) = value_mistake(name, value, kind) {
                    out.push(resolved.diagnostic(diagnostic.on_value(), &at));
                } else if *name == "shared_preload_libraries" {
                    preload.extend(
                        value
                            .to_string()
                            .split(',')
                            .map(str::trim)
                            .filter(|library| !library.is_empty())
                            .map(String::from),
                    );
                }
            }
        }
    }
    preload
}

/// A near known name as the help, or `otherwise`.
fn suggest(
    diagnostic: Diagnostic,
    name: &str,
    own: &[(&str, Kind)],
    otherwise: String,
) -> Diagnostic {
    match did_you_mean(name, own.iter().map(|(known, _)| *known)) {
        Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
        None => diagnostic.help(otherwise),
    }
}

/// What is wrong with the value for `kind`, if anything, with how to write it.
fn value_mistake(name: &str, value: &ParameterValue, kind: Kind) -> Option<Diagnostic> {
    let text = value.to_string();
    let ok = match (kind, value) {
        (Text, _)
        | (Integer(_), ParameterValue::Integer(_))
        | (Real, ParameterValue::Integer(_)) => true,
        // RDS formulas such as `{DBInstanceClassMemory/32768}` compute the value per class.
        (Integer(_), ParameterValue::Text(text)) => {
            text.parse::<i64>().is_ok() || (text.starts_with('{') && text.ends_with('}'))
        }
        (Real, ParameterValue::Text(text)) => text.parse::<f64>().is_ok_and(f64::is_finite),
        (Boolean, ParameterValue::Boolean(_)) => true,
        (Boolean, _) => matches!(text.as_str(), "0" | "1"),
        (Integer(_) | Real, ParameterValue::Boolean(_)) => false,
    };
    if ok {
        return None;
    }
    let (expected, help) = match kind {
        Integer(unit) => {
            let unit_name = unit.name();
            let expected = if unit_name.is_empty() {
                "a whole number".to_string()
            } else {
                format!("a whole number of {unit_name}")
            };
            let help = match (unit.bytes(), bytes_of(&text)) {
                (Some(size), Some(bytes)) if bytes % size == 0 => {
                    format!("write `{name} = {}` ({text} in {unit_name})", bytes / size)
                }
                _ => format!("write {expected}, as RDS takes it"),
            };
            (expected, help)
        }
        Real => (
            "a number".to_string(),
            format!("write it as a string, such as `{name} = \"1.1\"`"),
        ),
        Boolean => (
            "0 or 1".to_string(),
            format!("write `{name} = 1` or `{name} = 0`"),
        ),
        Text => unreachable!("text takes any value"),
    };
    Some(
        Diagnostic::error(
            Code::WrongType,
            format!("`{name}` takes {expected}, not `{text}`"),
        )
        .help(help),
    )
}

/// `8GB`, `64MB`, `512kB` as bytes (PostgreSQL's memory units, powers of 1024).
fn bytes_of(text: &str) -> Option<u64> {
    let digits = text
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = text.trim()[digits.len()..].to_ascii_lowercase();
    let number: u64 = digits.trim().parse().ok()?;
    let scale: u64 = match unit.as_str() {
        "kb" => 1024,
        "mb" => 1024 * 1024,
        "gb" => 1024 * 1024 * 1024,
        "tb" => 1024 * 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// Checks each extension: PostgreSQL only, each one RDS offers (unknown ones warned about);
/// adds the libraries they need to `preload`. The extensions, as the model keeps them.
pub(super) fn extensions(
    resolved: &Resolved,
    database: &crate::spec::Database,
    preload: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let at = path("database.extensions");
    if database.engine == Engine::Mysql && !database.extensions.is_empty() {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::EngineMismatch,
                    "extensions are PostgreSQL's, and this database is MySQL",
                )
                .help("remove `extensions`, or set `engine = \"postgres\"`"),
                &at,
            ),
        );
        return Vec::new();
    }
    let mut extensions = Vec::new();
    for (index, name) in database.extensions.iter().enumerate() {
        let at = at.index(index);
        if extensions.contains(name) {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::DuplicateName,
                        format!("the extension `{name}` is listed twice"),
                    )
                    .on_value()
                    .help("list each extension once"),
                    &at,
                ),
            );
            continue;
        }
        if let Some((_, real)) = ALIASES.iter().find(|(alias, _)| alias == name) {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::UnknownValue,
                        format!("`CREATE EXTENSION` knows `{name}` as `{real}`"),
                    )
                    .on_value()
                    .help(format!("write `\"{real}\"`")),
                    &at,
                ),
            );
            continue;
        }
        if let Some((_, instead)) = NOT_ON_RDS.iter().find(|(absent, _)| absent == name) {
            out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("RDS for PostgreSQL does not offer the extension `{name}`"),
                )
                .on_value()
                .note("RDS refuses a library it does not ship in `shared_preload_libraries` when Terraform applies the parameter group")
                .help(*instead),
                &at,
            ));
            continue;
        }
        match EXTENSIONS.iter().find(|(known, _)| known == name) {
            Some((_, library)) => {
                if let Some(library) = library
                    && !preload.iter().any(|loaded| loaded == library)
                {
                    preload.push((*library).to_string());
                }
            }
            None => {
                let diagnostic = Diagnostic::warning(
                    Code::UnknownParameter,
                    format!("`{name}` is not among the RDS for PostgreSQL extensions platformgen knows"),
                )
                .on_value()
                .note("it is allowed, never preloaded: check RDS offers it for this version (`SHOW rds.extensions;`)");
                let diagnostic =
                    match did_you_mean(name, EXTENSIONS.iter().map(|(known, _)| *known)) {
                        Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                        None => diagnostic,
                    };
                out.push(resolved.diagnostic(diagnostic, &at));
            }
        }
        extensions.push(name.clone());
    }
    extensions
}

/// The curated lists, for generator/SPEC.md and its test: each engine's parameters with their
/// unit, and each extension with the library it preloads.
pub fn known_parameters(engine: Engine) -> Vec<(&'static str, &'static str)> {
    let table = match engine {
        Engine::Postgres => POSTGRES,
        Engine::Mysql => MYSQL,
    };
    table
        .iter()
        .map(|(name, kind)| {
            let unit = match kind {
                Integer(unit) if *unit != Unit::None => unit.name(),
                Integer(_) => "integer",
                Real => "number",
                Boolean => "0 or 1",
                Text => "text",
            };
            (*name, unit)
        })
        .collect()
}

/// The extensions RDS for PostgreSQL offers that platformgen knows, with the library each
/// preloads.
pub fn known_extensions() -> &'static [(&'static str, Option<&'static str>)] {
    EXTENSIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_convert_to_the_unit_rds_takes() {
        let help = |value: &str, unit| {
            value_mistake("x", &ParameterValue::Text(value.to_string()), Integer(unit))
                .expect("not a number")
                .help
                .expect("a help")
        };
        assert_eq!(
            help("8GB", Pages),
            "write `x = 1048576` (8GB in 8 kB pages)"
        );
        assert_eq!(help("64MB", Kilobytes), "write `x = 65536` (64MB in kB)");
        assert_eq!(
            help("lots", Pages),
            "write a whole number of 8 kB pages, as RDS takes it"
        );
    }

    #[test]
    fn values_are_checked_against_their_kind() {
        let int = ParameterValue::Integer;
        let text = |t: &str| ParameterValue::Text(t.to_string());
        assert!(value_mistake("x", &int(500), Integer(Unit::None)).is_none());
        assert!(
            value_mistake("x", &text("{DBInstanceClassMemory/32768}"), Integer(Pages)).is_none()
        );
        assert!(value_mistake("x", &text("1.1"), Real).is_none());
        assert!(value_mistake("x", &int(2), Real).is_none());
        assert!(value_mistake("x", &text("fast"), Real).is_some());
        assert!(value_mistake("x", &int(1), Boolean).is_none());
        assert!(value_mistake("x", &ParameterValue::Boolean(true), Boolean).is_none());
        assert!(value_mistake("x", &int(2), Boolean).is_some());
        assert!(value_mistake("x", &ParameterValue::Boolean(true), Integer(Unit::None)).is_some());
    }

    #[test]
    fn every_known_name_belongs_to_one_engine_unless_both_have_it() {
        for (name, _) in POSTGRES {
            assert!(
                !MYSQL_PREFIXES.iter().any(|prefix| name.starts_with(prefix)),
                "{name}"
            );
        }
        for (name, _) in MYSQL {
            let shared = POSTGRES.iter().any(|(known, _)| known == name);
            assert!(
                shared
                    || !POSTGRES_PREFIXES
                        .iter()
                        .any(|prefix| name.starts_with(prefix)),
                "{name}"
            );
        }
        let mut names: Vec<&str> = EXTENSIONS.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            EXTENSIONS.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            "sorted"
        );
    }
}
