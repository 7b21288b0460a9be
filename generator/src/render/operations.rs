//! `generated/<env>/OPERATIONS.md`: the environment's runbook, every command written for it
//! (its RDS instance, region, secret, namespace and host). Today it holds the recovery targets
//! and the restore from backup (point in time, snapshot, the copy in another region), the steps
//! the fault suite's restore drill proves locally (`runtime/tests/faults/restore_drill.rs`), the
//! guide's monthly restore test, and the rotation of the database password (when the Terraform
//! workflow rotates it, or how to by hand, and the commands that make the services read it).

use serde::Serialize;

use super::alertmanager::timing;
use super::artifact::{Artifact, RenderError, Request};
use super::helm_values;
use super::prometheus_rules::{pooler_alerts, severity_name, slo_alert_name};
use super::rotation::database_secret_readers;
use super::template::render_template;
use super::template::shell_word;
use crate::model::{
    DeployTrigger, Engine, Environment, Handler, Model, Receiver, Secret, Severity,
};

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
    /// A section per alert the environment's rules raise, in the order of the rules.
    alerts: Vec<AlertRunbook>,
    /// The commands that show Prometheus' view of an alert: a port-forward to it.
    prometheus_forward: String,
    /// The services' releases: their pods, logs and recent deploys are the first checks.
    releases: Vec<String>,
    /// The ExternalSecrets holding the database's credentials, space-separated.
    password_secrets: String,
    /// The label selector of every Deployment that reads them, as a shell word.
    password_readers: String,
    /// Seconds after which the services' pools replace a connection (opening a new one).
    recycle_seconds: u32,
    pooler: bool,
    /// Where the password rotates automatically, when and how.
    rotation: Option<Rotation>,
}

#[derive(Serialize)]
struct Rotation {
    days: u16,
    /// When the Terraform workflow looks, `hh:mm` UTC: the end of the backup window.
    at: String,
    backup_window: String,
    approval_required: bool,
    /// What the rotation checks out: the environment's deploy branch, or its newest deploy tag.
    deployed_from: String,
    workflow: &'static str,
}

/// What an alert means, how to look first, and who owns it.
#[derive(Serialize)]
struct AlertRunbook {
    name: String,
    severity: &'static str,
    /// Who hears of it, and how soon.
    routing: String,
    escalation: String,
    summary: String,
    description: String,
    /// The alert's expression here, and how long it must hold.
    expression: String,
    for_: String,
    /// The expression as a shell word, for the query against Prometheus.
    query: String,
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
    let readers = database_secret_readers(model, environment);
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
                    readiness_path: routed(&environment.settings_of(service).readiness_path),
                    list_path: api
                        .route_of(Handler::ListTransactions)
                        .and_then(|route| routed(route.path.as_str())),
                })
            })
            .collect(),
        host: environment.ingress.host.clone(),
        terraform_dir: super::tfvars::terraform_root(environment),
        alerts: alert_runbooks(model, environment),
        prometheus_forward: format!(
            "kubectl -n monitoring port-forward service/{PROMETHEUS_SERVICE} 9090:9090 &"
        ),
        releases: model.services.iter().map(|s| s.name.clone()).collect(),
        password_secrets: readers.external_secrets.join(" "),
        password_readers: shell_word(&readers.selector()),
        recycle_seconds: database.pool.recycle_seconds,
        pooler: database.pooler.is_some(),
        rotation: database.password_rotation_days.map(|days| {
            let (hour, minute) = database.backup_window.end();
            Rotation {
                days,
                at: format!("{hour:02}:{minute:02}"),
                backup_window: database.backup_window.to_string(),
                approval_required: environment.deploy.approval_required,
                deployed_from: match &environment.deploy.trigger {
                    DeployTrigger::Branch(branch) => format!("the branch `{branch}`"),
                    DeployTrigger::Tag(pattern) => {
                        format!("the newest tag matching `{pattern}`")
                    }
                },
                workflow: super::workflows::TERRAFORM_WORKFLOW,
            }
        }),
    }
}

/// The Prometheus of the cluster add-ons: kube-prometheus-stack's Service of the release
/// `prometheus` (`<release>-kube-prometheus-prometheus`).
pub const PROMETHEUS_SERVICE: &str = "prometheus-kube-prometheus-prometheus";

/// Where an alert's runbook is: its section of the environment's `OPERATIONS.md`, on the
/// repository's deploying branch (GitHub's anchor of a heading is its text in lower case).
pub fn runbook_url(model: &Model, environment: &Environment, alert: &str) -> String {
    let branch = model
        .deploying_branches()
        .into_iter()
        .next()
        .unwrap_or_else(|| "main".to_string());
    format!(
        "https://github.com/{}/blob/{branch}/generated/{}/OPERATIONS.md#{}",
        model.project.github_repository,
        environment.name,
        alert.to_lowercase()
    )
}

/// Who hears of an alert routed to `receivers` at `severity`, and how soon.
fn routing(model: &Model, severity: Severity, receivers: &[Receiver]) -> String {
    let (wait, _, repeat) = timing(severity);
    let to: Vec<String> = receivers
        .iter()
        .map(|receiver| match receiver {
            Receiver::Pagerduty => "PagerDuty".to_string(),
            Receiver::Slack => format!("Slack {}", model.alerting.slack_channel),
            Receiver::Email => "the e-mail digest".to_string(),
        })
        .collect();
    let to = if to.is_empty() {
        "no receiver".to_string()
    } else {
        to.join(" and ")
    };
    format!("{to}, {wait} after it fires, again every {repeat} while it does")
}

/// What the owner of an alert of `severity` does, beyond the first checks.
fn escalation(model: &Model, severity: Severity) -> String {
    let owner = &model.project.owner;
    match severity {
        Severity::Critical => format!(
            "It pages the on-call engineer, who owns it until it resolves: acknowledge it, and \
             if a deploy in the last hour is the cause, roll that release back first \
             (`helm rollback`). Not resolved within 30 minutes: bring in {owner}."
        ),
        Severity::Warning => format!(
            "Look within working hours. Users affected (errors, latency above the SLO): treat \
             it as critical and page. Still firing the next day: a ticket for {owner}."
        ),
        Severity::Info => {
            "Read in the daily digest; no action out of hours. Firing every day: a ticket to \
             tune it or its cause."
                .to_string()
        }
    }
}

fn alert_runbooks(model: &Model, environment: &Environment) -> Vec<AlertRunbook> {
    let mut runbooks: Vec<AlertRunbook> = model
        .alerts
        .iter()
        .map(|alert| {
            let expression = environment.alert_expression(alert);
            AlertRunbook {
                name: alert.name.clone(),
                severity: severity_name(alert.severity),
                routing: routing(model, alert.severity, &alert.receivers),
                escalation: escalation(model, alert.severity),
                summary: alert.summary.clone(),
                description: alert.description.clone(),
                query: shell_word(&expression),
                expression,
                for_: alert.for_.to_string(),
            }
        })
        .collect();
    if let Some(pooler) = &environment.database.pooler {
        runbooks.extend(
            pooler_alerts(model, environment, pooler)
                .into_iter()
                .map(|alert| AlertRunbook {
                    name: alert.name.to_string(),
                    severity: severity_name(alert.severity),
                    routing: routing(model, alert.severity, model.receivers(alert.severity)),
                    escalation: escalation(model, alert.severity),
                    summary: alert.summary.to_string(),
                    description: alert.description,
                    query: shell_word(&alert.expr),
                    expression: alert.expr,
                    for_: alert.for_.to_string(),
                }),
        );
    }
    // An SLO's burn-rate alerts share a name: one section, its fast burn's routing.
    for slo in &model.slos {
        let error_budget = format!("slo:error_budget_remaining:ratio{{slo=\"{}\"}}", slo.name);
        runbooks.push(AlertRunbook {
            name: slo_alert_name(slo),
            severity: severity_name(Severity::Critical),
            routing: format!(
                "fast burns (over 1h and 6h) critical: {}; slow burns (over 1d and 3d) warning: {}",
                routing(
                    model,
                    Severity::Critical,
                    model.receivers(Severity::Critical)
                ),
                routing(model, Severity::Warning, model.receivers(Severity::Warning))
            ),
            escalation: escalation(model, Severity::Critical),
            summary: format!(
                "The {} SLO of {} is burning its error budget",
                slo.name, slo.service
            ),
            description: format!(
                "{} ({}% over {}). The alert's `long_window` label says which burn fired.",
                slo.description,
                crate::model::format_number(slo.objective),
                slo.window
            ),
            query: shell_word(&error_budget),
            expression: error_budget,
            for_: "2m to 3h by window".to_string(),
        });
    }
    runbooks
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
