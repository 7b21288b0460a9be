//! PgBouncer's alerts, where the environment runs it (`generated/<env>/pgbouncer/`): clients
//! waiting for a server connection, the oldest of them waiting too long, every server
//! connection of a pool in use. Each reads the exporter beside each PgBouncer (job
//! `pgbouncer`; its metric names are prometheus-community/pgbouncer_exporter 0.12.1's), per pod
//! and database entry (one entry per service), the admin console's own pool left out; each has
//! a runbook section (`render::operations`) and a promtool unit test that it fires when it must
//! and stays silent otherwise.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Group, Rule, pairs, routing_labels, severity_name};
use crate::model::{Environment, Model, POOLER_NAME, Pooler, Severity};

/// Aggregated per PgBouncer pod and database entry (each pool has one user).
const BY: &str = "max by (namespace, pod, database)";

/// One of PgBouncer's alerts in an environment.
pub struct PoolerAlert {
    pub name: &'static str,
    pub severity: Severity,
    /// The expression, with the environment's namespace.
    pub expr: String,
    pub for_: &'static str,
    /// Read with the firing pool's labels (`{{ $labels.database }}`, `{{ $labels.pod }}`).
    pub summary: &'static str,
    pub description: String,
    /// Series under which it fires, for the pool of the test's labels, and under which it does
    /// not (`series` to `values`, promtool's notation).
    firing: Vec<(String, String)>,
    quiet: Vec<(String, String)>,
}

/// The pod a unit test's pool is on.
const TEST_POD: &str = "pgbouncer-7d4b9c6f5-x2k8p";

/// The labels of the pool a unit test feeds: the first client's entry on one PgBouncer pod.
struct TestPool {
    namespace: String,
    database: String,
    user: String,
}

impl TestPool {
    fn of(model: &Model, environment: &Environment) -> TestPool {
        TestPool {
            namespace: environment.namespace.clone(),
            database: crate::render::pgbouncer::clients(model, environment)
                .first()
                .map_or_else(|| "service".to_string(), |service| service.name.clone()),
            user: environment.database.username.clone(),
        }
    }

    fn series(&self, metric: &str, database: &str) -> String {
        format!(
            r#"{metric}{{job="{POOLER_NAME}",namespace="{}",pod="{}",database="{database}",user="{}"}}"#,
            self.namespace, TEST_POD, self.user
        )
    }

    /// `pgbouncer_databases_pool_size` of the entry: SHOW DATABASES names it `name`, and its
    /// `database` is the database on the server.
    fn pool_size(&self, database: &str) -> String {
        format!(
            r#"pgbouncer_databases_pool_size{{job="{POOLER_NAME}",namespace="{}",pod="{}",name="{}",database="{database}"}}"#,
            self.namespace, TEST_POD, self.database
        )
    }
}

/// PgBouncer's alerts in `environment`, which runs `pooler`.
pub fn pooler_alerts(
    model: &Model,
    environment: &Environment,
    pooler: &Pooler,
) -> Vec<PoolerAlert> {
    let namespace = &environment.namespace;
    let pools = format!(r#"{{job="{POOLER_NAME}",namespace="{namespace}",database!="pgbouncer"}}"#);
    let size = pooler.pool_size_per_service;
    let pool = TestPool::of(model, environment);
    let waiting = "pgbouncer_pools_client_waiting_connections";
    let maxwait = "pgbouncer_pools_client_maxwait_seconds";
    let active = "pgbouncer_pools_server_active_connections";
    let entry = pool.database.clone();
    vec![
        PoolerAlert {
            name: "PgBouncerClientsWaiting",
            severity: Severity::Warning,
            expr: format!("{BY} ({waiting}{pools}) > 0"),
            for_: "5m",
            summary: "Clients of {{ $labels.database }} wait for a database connection on {{ $labels.pod }}",
            description: format!(
                "At every scrape for 5 minutes, clients of the entry waited for one of its pool's \
                 {size} server connections: the pool is too small for the service's load, or its \
                 transactions hold connections too long."
            ),
            firing: vec![(pool.series(waiting, &entry), "3x20".to_string())],
            // Nobody waiting; and the admin console's pool, which is not a service's.
            quiet: vec![
                (pool.series(waiting, &entry), "0x20".to_string()),
                (pool.series(waiting, "pgbouncer"), "3x20".to_string()),
            ],
        },
        PoolerAlert {
            name: "PgBouncerClientWaitTooLong",
            severity: Severity::Critical,
            expr: format!("{BY} ({maxwait}{pools}) >= 1"),
            for_: "2m",
            summary: "A client of {{ $labels.database }} has waited a second or more for a database connection on {{ $labels.pod }}",
            description: format!(
                "For 2 minutes the oldest waiting client of the entry had waited at least a second \
                 for one of its pool's {size} server connections: its requests stall behind the \
                 pool (or the database stopped answering)."
            ),
            firing: vec![(pool.series(maxwait, &entry), "2x20".to_string())],
            quiet: vec![(pool.series(maxwait, &entry), "0x20".to_string())],
        },
        PoolerAlert {
            name: "PgBouncerPoolSaturated",
            severity: Severity::Warning,
            expr: format!(
                r#"{BY} ({active}{pools}) >= on (namespace, pod, database) {BY} (label_replace(pgbouncer_databases_pool_size{{job="{POOLER_NAME}",namespace="{namespace}"}}, "database", "$1", "name", "(.*)"))"#
            ),
            for_: "5m",
            summary: "Every server connection of the pool of {{ $labels.database }} is in use on {{ $labels.pod }}",
            description: format!(
                "For 5 minutes all {size} server connections of the entry's pool were linked to \
                 clients: the next client waits. Raise database.pooler.pool_size_per_service \
                 (within the database's max_connections), or find what holds the connections."
            ),
            firing: vec![
                (pool.series(active, &entry), format!("{size}x20")),
                (
                    pool.pool_size(&environment.database.name),
                    format!("{size}x20"),
                ),
            ],
            quiet: vec![
                (
                    pool.series(active, &entry),
                    format!("{}x20", size.saturating_sub(1)),
                ),
                (
                    pool.pool_size(&environment.database.name),
                    format!("{size}x20"),
                ),
            ],
        },
    ]
}

/// The rule of `alert`: routed by its severity's receivers, labelled with the environment.
fn rule(model: &Model, environment: &Environment, alert: &PoolerAlert) -> Rule {
    let mut labels = routing_labels(model.receivers(alert.severity));
    labels.insert("severity".into(), severity_name(alert.severity).into());
    labels.insert("environment".into(), environment.name.clone());
    labels.insert("namespace".into(), environment.namespace.clone());
    Rule {
        record: None,
        alert: Some(alert.name.to_string()),
        expr: alert.expr.clone(),
        for_: Some(alert.for_.to_string()),
        labels: pairs(labels),
        annotations: pairs(BTreeMap::from([
            ("summary".to_string(), alert.summary.to_string()),
            ("description".to_string(), alert.description.clone()),
            (
                "runbook_url".to_string(),
                crate::render::operations::runbook_url(model, environment, alert.name),
            ),
        ])),
    }
}

/// The group of PgBouncer's alerts.
pub(super) fn group(model: &Model, environment: &Environment, pooler: &Pooler) -> Group {
    Group {
        name: "pgbouncer_alerts".to_string(),
        interval: "30s",
        rules: pooler_alerts(model, environment, pooler)
            .iter()
            .map(|alert| rule(model, environment, alert))
            .collect(),
    }
}

/// The unit tests of PgBouncer's alerts: each fires on its series with exactly its labels (the
/// pool's and the rule's) and annotations, and stays silent on its quiet ones.
pub(super) fn tests(model: &Model, environment: &Environment, pooler: &Pooler) -> Vec<Value> {
    let strings = |pairs: &[super::Pair]| -> serde_json::Map<String, Value> {
        pairs
            .iter()
            .map(|pair| (pair.key.clone(), Value::String(pair.value.clone())))
            .collect()
    };
    let database = TestPool::of(model, environment).database;
    let mut tests = Vec::new();
    for alert in pooler_alerts(model, environment, pooler) {
        let rule = rule(model, environment, &alert);
        let mut labels = strings(&rule.labels);
        labels.insert("pod".into(), Value::String(TEST_POD.into()));
        labels.insert("database".into(), Value::String(database.clone()));
        let mut annotations = strings(&rule.annotations);
        for value in annotations.values_mut() {
            if let Value::String(text) = value {
                *text = text
                    .replace("{{ $labels.database }}", &database)
                    .replace("{{ $labels.pod }}", TEST_POD);
            }
        }
        for (scenario, series, expected) in [
            (
                "fires",
                &alert.firing,
                vec![json!({ "exp_labels": labels, "exp_annotations": annotations })],
            ),
            ("stays silent", &alert.quiet, Vec::new()),
        ] {
            let input_series: Vec<Value> = series
                .iter()
                .map(|(series, values)| json!({ "series": series, "values": values }))
                .collect();
            tests.push(json!({
                "name": format!("{} {scenario} in {}", alert.name, environment.name),
                "interval": "1m",
                "input_series": input_series,
                // Ten minutes: longer than any of their `for`.
                "alert_rule_test": [{ "eval_time": "10m", "alertname": alert.name, "exp_alerts": expected }],
            }));
        }
    }
    tests
}
