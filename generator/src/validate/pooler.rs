//! PgBouncer in front of an environment's database into the Model: PostgreSQL only; in
//! transaction mode with the prepared statements the runtime's driver sends tracked; its pools
//! within the database's `max_connections` (where the spec sets it); warned about where the
//! services' own pools could open more client connections than its replicas accept.

use std::collections::BTreeMap;

use super::values::path;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Pooler, RESERVED_CONNECTIONS};
use crate::resolve::Resolved;
use crate::spec::{self, Engine, ParameterValue, PoolMode, ServiceSettings, Spec};

/// The pooler of a database, if the environment runs one and it can serve the services.
/// `services` are the environment's settled services (`None` where they did not settle: the
/// connection counts are then left alone).
pub(super) fn pooler(
    spec: &Spec,
    resolved: &Resolved,
    database: &spec::Database,
    services: Option<&BTreeMap<String, ServiceSettings>>,
    out: &mut Vec<Diagnostic>,
) -> Option<Pooler> {
    let pooler = database.pooler.as_ref().filter(|pooler| pooler.enabled)?;
    if database.engine == Engine::Mysql {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::EngineMismatch,
                    "PgBouncer pools PostgreSQL connections only; this database is MySQL",
                )
                .help("remove `database.pooler`, or set `database.pooler.enabled = false` here"),
                &path("database.pooler"),
            ),
        );
        return None;
    }
    let runtime_backed = spec
        .services
        .iter()
        .any(|(_, service)| service.runtime.is_some());
    if pooler.mode == PoolMode::Transaction && pooler.max_prepared_statements == 0 && runtime_backed
    {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "in transaction mode with `max_prepared_statements = 0` the runtime's queries fail: \
                     its driver (sqlx) prepares each query as a named statement, which another \
                     transaction's server connection does not know",
                )
                .on_value()
                .help("set `max_prepared_statements` (200 tracks every statement the runtime caches), or `mode = \"session\"`"),
                &path("database.pooler.max_prepared_statements"),
            ),
        );
    }
    let model = Pooler {
        mode: pooler.mode,
        pool_size_per_service: pooler.pool_size_per_service,
        max_client_connections: pooler.max_client_connections,
        max_prepared_statements: pooler.max_prepared_statements,
        replicas: pooler.replicas,
    };
    if let Some(services) = services {
        connections(resolved, database, &model, services, out);
    }
    Some(model)
}

/// The pools against what the database and PgBouncer accept.
fn connections(
    resolved: &Resolved,
    database: &spec::Database,
    pooler: &Pooler,
    services: &BTreeMap<String, ServiceSettings>,
    out: &mut Vec<Diagnostic>,
) {
    let reaching: Vec<(&String, &ServiceSettings)> = services
        .iter()
        .filter(|(_, settings)| settings.egress.database)
        .collect();
    if let Some(ParameterValue::Integer(max)) = database.parameters.get("max_connections") {
        let servers = pooler.server_connections(reaching.len());
        let usable = u32::try_from(*max)
            .unwrap_or(0)
            .saturating_sub(RESERVED_CONNECTIONS);
        if servers > usable {
            let per_replica = u32::try_from(reaching.len().max(1)).unwrap_or(u32::MAX);
            let fits = usable / pooler.replicas.saturating_mul(per_replica).max(1);
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "PgBouncer's pools open up to {servers} server connections ({} replicas x {} x {}), \
                             but `max_connections` = {max} leaves {usable} once RDS reserves {RESERVED_CONNECTIONS} for administrators",
                            pooler.replicas,
                            match reaching.len() {
                                1 => "1 service".to_string(),
                                n => format!("{n} services"),
                            },
                            pooler.pool_size_per_service
                        ),
                    )
                    .on_value()
                    .help(if fits > 0 {
                        format!("set `pool_size_per_service` to at most {fits}, fewer `replicas`, or raise `database.parameters.max_connections`")
                    } else {
                        "use fewer `replicas`, or raise `database.parameters.max_connections`".to_string()
                    }),
                    &path("database.pooler.pool_size_per_service"),
                ),
            );
        }
    }
    let per_pod = database
        .pool
        .size
        .saturating_add(database.pool.max_overflow);
    let clients: u32 = reaching
        .iter()
        .map(|(_, settings)| settings.autoscaling.max_replicas.saturating_mul(per_pod))
        .sum();
    let accepted = pooler
        .replicas
        .saturating_mul(pooler.max_client_connections);
    if clients > accepted {
        let busiest = reaching
            .iter()
            .map(|(name, settings)| format!("{name} {}", settings.autoscaling.max_replicas))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            resolved.diagnostic(
                Diagnostic::warning(
                    Code::Inconsistent,
                    format!(
                        "the services could open {clients} client connections (at most replicas: {busiest}; \
                         x {per_pod} each, `database.pool` size + max_overflow), but {} PgBouncer replicas \
                         accept {accepted} ({} each); the rest are refused",
                        pooler.replicas, pooler.max_client_connections
                    ),
                )
                .on_value()
                .help(format!(
                    "raise `max_client_connections` to at least {}, add `replicas`, or shrink `database.pool`",
                    clients.div_ceil(pooler.replicas.max(1))
                )),
                &path("database.pooler.max_client_connections"),
            ),
        );
    }
}
