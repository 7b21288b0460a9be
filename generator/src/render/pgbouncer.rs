//! `generated/<env>/pgbouncer/pgbouncer.yaml`: PgBouncer in front of the environment's database,
//! where the spec runs one: its `pgbouncer.ini` and `pg_hba.conf` (a ConfigMap, from the spec's
//! pooler), the upstream and the credentials (an ExternalSecret templating them from the
//! database secret Terraform creates), a Deployment spread across zones with the Prometheus
//! community's exporter beside each PgBouncer, its Service, the ServiceMonitor Prometheus
//! scrapes the exporters by, a PodDisruptionBudget and a NetworkPolicy. Each service that
//! reaches the database is a database entry of its own, so each gets `pool_size_per_service`
//! server connections of every replica.

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_template;
use crate::model::{
    Addon, Environment, Model, POOLER_NAME, POOLER_PORT, PROMETHEUS_RELEASE, Pooler, SECRET_STORE,
    Secret, Service,
};

/// The image: PgBouncer 1.24.0 as CloudNativePG builds it (Debian, user `pgbouncer` 998:996).
/// From 1.21 on PgBouncer tracks protocol-level prepared statements in transaction mode
/// (`max_prepared_statements`), which the runtime's driver sends for every query. Built for
/// linux/amd64 and linux/arm64 (cloudnative-pg/pgbouncer-containers' build workflow at the
/// v1.24.0-* tags), so the pods, placed on no node group, run on any untainted node, x86 or
/// Graviton.
pub const IMAGE: &str = "ghcr.io/cloudnative-pg/pgbouncer:1.24.0";
const RUN_AS_USER: u32 = 998;
const RUN_AS_GROUP: u32 = 996;
/// The exporter (prometheus-community/pgbouncer_exporter 0.12.1, for PgBouncer 1.8 and later):
/// a manifest list of linux/amd64, arm64 and armv7 (its Makefile's `DOCKER_ARCHS`, published by
/// promci to quay.io and Docker Hub alike). Its user is `nobody`.
pub const EXPORTER_IMAGE: &str = "quay.io/prometheuscommunity/pgbouncer-exporter:v0.12.1";
const EXPORTER_USER: u32 = 65534;
/// The exporter's listener (its default), the pods' and the Service's `metrics` port.
pub const METRICS_PORT: u16 = 9127;
/// The user the exporter logs in to PgBouncer's admin console as: one of `stats_users` (SHOW
/// commands only), in the auth file without a password, which `pg_hba.conf` accepts from the
/// pod's own loopback address only (the exporter beside it) and refuses from anywhere else.
pub const STATS_USER: &str = "pgbouncer_exporter";
/// The ExternalSecret, and the Secret it writes, holding the upstream and the credentials: what
/// the pods mount, templated from the database secret.
pub const UPSTREAM_SECRET: &str = "pgbouncer-upstream";
/// Where the pods mount the ConfigMap and the upstream Secret.
pub const CONFIG_DIR: &str = "/etc/pgbouncer/config";
pub const UPSTREAM_DIR: &str = "/etc/pgbouncer/upstream";

#[derive(Debug, Serialize)]
struct Context {
    name: &'static str,
    namespace: String,
    environment: String,
    part_of: String,
    image: &'static str,
    replicas: u32,
    port: u16,
    run_as_user: u32,
    run_as_group: u32,
    config_dir: &'static str,
    /// `pgbouncer.ini` in `config_dir`, which the container runs with.
    config_file: String,
    hba: String,
    exporter_image: &'static str,
    exporter_user: u32,
    metrics_port: u16,
    /// The exporter's flags: the admin console on the pod's loopback address, its listener.
    exporter_args: Vec<String>,
    /// The label the Prometheus operator selects ServiceMonitors by (`release: prometheus`).
    prometheus_release: &'static str,
    /// The namespace of Prometheus, the only pods that may reach the metrics port.
    prometheus_namespace: &'static str,
    upstream_dir: &'static str,
    ini: String,
    /// SHA-256 of `ini` and `hba`: the pods roll when the configuration changes.
    config_sha256: String,
    /// The Secret the ExternalSecret writes and the pods mount.
    secret_name: String,
    secret_store: &'static str,
    refresh_interval: String,
    /// The database secret Terraform creates (`Model::secret_name`).
    remote_key: String,
    /// What the ExternalSecret templates from it (external-secrets' Go templates).
    databases_ini: String,
    userlist: String,
    /// The services whose pods may connect, by `app.kubernetes.io/name`.
    clients: Vec<String>,
    database_port: u16,
}

/// Where an environment's PgBouncer manifests are written.
pub fn path(environment: &Environment) -> String {
    format!("generated/{}/pgbouncer/pgbouncer.yaml", environment.name)
}

/// The services of `environment` that reach its database: each a database entry of PgBouncer's.
pub fn clients<'a>(model: &'a Model, environment: &Environment) -> Vec<&'a Service> {
    model
        .services
        .iter()
        .filter(|service| environment.settings_of(service).egress.database)
        .collect()
}

/// `pgbouncer.ini`: the spec's pooler, then the database entries from `databases_ini` (the
/// upstream, which only the secret knows) and the credentials from `auth_file`.
pub fn pgbouncer_ini(environment: &Environment, pooler: &Pooler) -> String {
    let database = &environment.database;
    let lines = [
        "[pgbouncer]".to_string(),
        "listen_addr = 0.0.0.0".to_string(),
        format!("listen_port = {POOLER_PORT}"),
        // No Unix socket: nothing in the pod connects locally, and the root is read-only.
        "unix_socket_dir =".to_string(),
        format!("pool_mode = {}", pooler.mode.as_str()),
        format!("default_pool_size = {}", pooler.pool_size_per_service),
        format!("max_client_conn = {}", pooler.max_client_connections),
        format!(
            "max_prepared_statements = {}",
            pooler.max_prepared_statements
        ),
        // The services' own pools replace a connection after this long; so does PgBouncer.
        format!("server_lifetime = {}", database.pool.recycle_seconds),
        // Clients send their password; PgBouncer checks it against the secret's, and logs in
        // to RDS with it (SCRAM), over TLS.
        // `pg_hba.conf` says which: SCRAM for every user but the exporter's.
        "auth_type = hba".to_string(),
        format!("auth_hba_file = {CONFIG_DIR}/pg_hba.conf"),
        format!("auth_file = {UPSTREAM_DIR}/userlist.txt"),
        // The exporter reads the admin console: SHOW commands only.
        format!("stats_users = {STATS_USER}"),
        "server_tls_sslmode = require".to_string(),
        // Sent by JDBC and others at start-up; harmless to drop.
        "ignore_startup_parameters = extra_float_digits".to_string(),
        format!("%include {UPSTREAM_DIR}/databases.ini"),
    ];
    let mut ini = lines.join("\n");
    ini.push('\n');
    ini
}

/// `pg_hba.conf`: the exporter, in the pod's network namespace, reads the admin console without
/// a password, from the loopback address only (no other pod can connect from it) and nowhere
/// else; every other login is SCRAM, as before. First match wins.
pub fn pg_hba() -> String {
    let lines = [
        format!("host pgbouncer {STATS_USER} 127.0.0.1/32 trust"),
        format!("host all {STATS_USER} 0.0.0.0/0 reject"),
        format!("host all {STATS_USER} ::/0 reject"),
        "host all all 0.0.0.0/0 scram-sha-256".to_string(),
        "host all all ::/0 scram-sha-256".to_string(),
    ];
    let mut hba = lines.join("\n");
    hba.push('\n');
    hba
}

/// The `[databases]` section: one entry per service, named after it, each to `dbname` on
/// `host`:`port` (the values, or templates that read them).
pub fn databases_ini(services: &[&Service], host: &str, port: &str, dbname: &str) -> String {
    let mut ini = String::from("[databases]\n");
    for service in services {
        ini.push_str(&format!(
            "{} = host={host} port={port} dbname={dbname}\n",
            service.name
        ));
    }
    ini
}

fn context(model: &Model, environment: &Environment, pooler: &Pooler) -> Context {
    let ini = pgbouncer_ini(environment, pooler);
    let hba = pg_hba();
    let services = clients(model, environment);
    Context {
        name: POOLER_NAME,
        namespace: environment.namespace.clone(),
        environment: environment.name.clone(),
        part_of: model.project.name.clone(),
        image: IMAGE,
        replicas: pooler.replicas,
        port: POOLER_PORT,
        run_as_user: RUN_AS_USER,
        run_as_group: RUN_AS_GROUP,
        config_dir: CONFIG_DIR,
        config_file: format!("{CONFIG_DIR}/pgbouncer.ini"),
        upstream_dir: UPSTREAM_DIR,
        config_sha256: super::helm_values::sha256_hex(&format!("{ini}{hba}")),
        ini,
        hba,
        exporter_image: EXPORTER_IMAGE,
        exporter_user: EXPORTER_USER,
        metrics_port: METRICS_PORT,
        // No TLS: the connection never leaves the pod.
        exporter_args: vec![
            format!(
                "--pgBouncer.connectionString=postgres://{STATS_USER}@127.0.0.1:{POOLER_PORT}/pgbouncer?sslmode=disable"
            ),
            format!("--web.listen-address=:{METRICS_PORT}"),
        ],
        prometheus_release: PROMETHEUS_RELEASE,
        prometheus_namespace: Addon::KubePrometheusStack.namespace(),
        secret_name: UPSTREAM_SECRET.to_string(),
        secret_store: SECRET_STORE,
        refresh_interval: model.secret_store.refresh_interval.clone(),
        remote_key: model.secret_name(environment, Secret::Database),
        databases_ini: databases_ini(&services, "{{ .host }}", "{{ .port }}", "{{ .dbname }}"),
        // Terraform's passwords are letters and digits (terraform/modules/password), so
        // nothing in them needs quoting. The exporter's user has no password: pg_hba.conf
        // trusts it on the loopback address and refuses it everywhere else.
        userlist: format!(
            "\"{{{{ .username }}}}\" \"{{{{ .password }}}}\"\n\"{STATS_USER}\" \"\"\n"
        ),
        clients: services
            .iter()
            .map(|service| service.name.clone())
            .collect(),
        database_port: environment.database.engine.port(),
    }
}

/// Renders the PgBouncer of each environment that runs one.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    request
        .environments()
        .filter_map(|environment| Some((environment, environment.database.pooler.as_ref()?)))
        .map(|(environment, pooler)| {
            let body = render_template(
                "pgbouncer.yaml.j2",
                &context(request.model, environment, pooler),
            )?;
            Ok(Artifact {
                path: path(environment),
                contents: format!("{}{body}", request.header("#")),
            })
        })
        .collect()
}
