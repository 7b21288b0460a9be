//! `generated/<env>/OPERATIONS.md`: the environment's runbook, every command written for it
//! (its RDS instance, region, secret, namespace and host). Today it holds the recovery targets
//! and the restore from backup (point in time, snapshot, the copy in another region), the steps
//! the fault suite's restore drill proves locally (`runtime/tests/faults/restore_drill.rs`), and
//! the guide's monthly restore test.

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::helm_values;
use super::template::render_template;
use crate::model::{Engine, Environment, Handler, Model, Secret};

#[derive(Serialize)]
struct Context {
    project: String,
    environment: String,
    /// The RDS instance (`<project>-<env>`), also the prefix of its subnet group, parameter
    /// group and security group.
    instance: String,
    engine: &'static str,
    region: String,
    multi_az: bool,
    /// The restore flags that give a restored instance this environment's zones, privacy and
    /// deletion protection.
    instance_flags: String,
    backup_retention_days: u8,
    backup_copy_region: Option<String>,
    recovery: Option<Targets>,
    /// The Secrets Manager secret the chart's ExternalSecret reads the database from.
    database_secret: String,
    database_name: String,
    /// The statements that move the id counter past every id the lost database issued.
    move_id_counter: &'static str,
    namespace: String,
    /// The services that read the database: the runtime's.
    readers: Vec<Reader>,
    host: String,
    terraform_dir: String,
}

/// A service that reads the database, and how to check it serves again.
#[derive(Serialize)]
struct Reader {
    deployment: String,
    /// The ExternalSecret (and Secret) the chart names, as the Helm values set it.
    external_secret: String,
    /// The readiness path, where the ingress routes it to the service.
    readiness_path: Option<String>,
    /// The list route, where the ingress routes it to the service.
    list_path: Option<String>,
}

#[derive(Serialize)]
struct Targets {
    rto: String,
    rpo: String,
    failover: Option<String>,
    region_loss: bool,
}

fn context(model: &Model, environment: &Environment) -> Context {
    let database = &environment.database;
    Context {
        project: model.project.name.clone(),
        environment: environment.name.clone(),
        instance: model.resource_name(environment),
        engine: match database.engine {
            Engine::Mysql => "mysql",
            Engine::Postgres => "postgres",
        },
        region: model.project.aws_region.clone(),
        multi_az: database.multi_az,
        instance_flags: [
            if database.multi_az {
                "--multi-az"
            } else {
                "--no-multi-az"
            },
            "--no-publicly-accessible",
            if database.deletion_protection {
                "--deletion-protection"
            } else {
                "--no-deletion-protection"
            },
        ]
        .join(" "),
        backup_retention_days: database.backup_retention_days,
        backup_copy_region: database.backup_copy_region.clone(),
        recovery: environment.recovery.as_ref().map(|recovery| Targets {
            rto: recovery.rto.to_string(),
            rpo: recovery.rpo.to_string(),
            failover: recovery.failover.as_ref().map(ToString::to_string),
            region_loss: recovery.region_loss,
        }),
        database_secret: model.secret_name(environment, Secret::Database),
        database_name: database.name.clone(),
        move_id_counter: move_id_counter_sql(database.engine),
        namespace: environment.namespace.clone(),
        readers: model
            .services
            .iter()
            .filter_map(|service| {
                let api = service.api()?;
                let routed = |path: &str| {
                    service
                        .routes_on_ingress(environment, path)
                        .then(|| path.to_string())
                };
                Some(Reader {
                    deployment: service.name.clone(),
                    external_secret: helm_values::values(model, environment, service)
                        .secrets
                        .name,
                    readiness_path: routed(&service.readiness_path),
                    list_path: api
                        .route_of(Handler::ListTransactions)
                        .and_then(|route| routed(route.path.as_str())),
                })
            })
            .collect(),
        host: environment.ingress.host.clone(),
        terraform_dir: super::tfvars::terraform_root(environment),
    }
}

/// The SQL that moves the transaction id counter a million ids past the highest restored id.
/// A restore leaves the counter where the backup saw it, so without this the writes after the
/// restore would get the ids of the lost writes. The runbook runs it with the engine's client
/// (`mysql --execute`, `psql --command`), and so does the fault suite's restore drill. No `"`,
/// `$` or backquote: it goes inside a double-quoted shell argument.
pub fn move_id_counter_sql(engine: Engine) -> &'static str {
    match engine {
        // AUTO_INCREMENT takes a literal only: the statement is built and prepared.
        Engine::Mysql => {
            "SET @next = (SELECT COALESCE(MAX(id), 0) + 1000000 FROM transactions); \
             SET @move_counter = CONCAT('ALTER TABLE transactions AUTO_INCREMENT = ', @next); \
             PREPARE move_counter FROM @move_counter; EXECUTE move_counter; \
             DEALLOCATE PREPARE move_counter;"
        }
        Engine::Postgres => {
            "SELECT setval(pg_get_serial_sequence('transactions', 'id'), \
             COALESCE(MAX(id), 0) + 1000000) FROM transactions;"
        }
    }
}

/// Renders each environment's runbook.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    request
        .environments()
        .map(|environment| {
            let body = render_template("OPERATIONS.md.j2", &context(request.model, environment))?;
            Ok(Artifact {
                path: format!("generated/{}/OPERATIONS.md", environment.name),
                contents: format!("<!--\n{}-->\n{body}", request.header("")),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_counter_sql_fits_in_a_double_quoted_shell_argument() {
        for engine in [Engine::Mysql, Engine::Postgres] {
            let sql = move_id_counter_sql(engine);
            assert!(!sql.contains(['"', '$', '`', '\\']), "{engine:?}: {sql}");
        }
    }
}
