//! Test support: starts the runtime in-process on 127.0.0.1:0 (here), and re-exports the rest.
//!
//! Shared by the API tests and the fault suite (`tests/faults`), each of which uses a part of
//! it. The rest is by concern: a fresh database per test and database servers of a test's own
//! (`database`), a fresh Redis key prefix per test and Redis servers and clusters of a test's
//! own (`redis`), a loopback proxy that cuts or slows a service (`proxy`), and the real binary as
//! a process (`process`).
#![allow(dead_code)]

mod database;
mod pgbouncer;
mod process;
mod proxy;
mod redis;

// Callers name everything `helpers::X`. Each test binary uses only a part (hence `dead_code`
// above), so a re-export that one binary leaves unused is allowed too.
#[allow(unused_imports)]
pub(crate) use database::{DatabaseServer, Engine, MARIADB_INSTANCE, POSTGRES_INSTANCE, TestDb};
#[allow(unused_imports)]
pub(crate) use pgbouncer::{PGBOUNCER_INSTANCE, PgBouncer, tracks_prepared_statements};
pub(crate) use process::ServerProcess;
#[allow(unused_imports)]
pub(crate) use proxy::{Proxy, socket_of, through};
// `self::`: a bare `redis` here could also be the crate.
#[allow(unused_imports)]
pub(crate) use self::redis::{
    REDIS_SERVER, RedisCluster, RedisServer, forget_prefix, fresh_prefix, wait_for_room_in_window,
};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use runtime::App;
use runtime::cache::gate::FillGate;
use runtime::config::{self, Settings, Vars};
use runtime::startup::Shutdown;
use tokio::task::JoinHandle;

use database::random_suffix;

/// A test's own change to the settings before the server starts.
pub(crate) type EditSettings = Box<dyn FnOnce(&mut Settings) + Send>;

/// How to start a test server.
pub(crate) struct Options {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub key_prefix: String,
    /// Keep the spec's rate limits (off by default, so busy tests are not throttled).
    pub rate_limits: bool,
    pub fill_gate: Option<Arc<FillGate>>,
    pub edit: Option<EditSettings>,
    /// `REDIS_URL` holds the seed nodes of a Redis Cluster.
    pub cluster: bool,
    /// Another spec than the embedded one, and its environment.
    pub spec: Option<(std::path::PathBuf, String)>,
    /// Keep the spec's database pool as it is (for a server of the test's own).
    pub spec_pool: bool,
}

impl Options {
    pub(crate) fn new(db: &TestDb) -> Self {
        Self {
            database_url: db.url.clone(),
            redis_url: None,
            key_prefix: format!("test:{}:", random_suffix()),
            rate_limits: false,
            fill_gate: None,
            edit: None,
            cluster: false,
            spec: None,
            spec_pool: false,
        }
    }

    /// The spec's own pool size and limit, not the small pool tests on a shared server get.
    pub(crate) fn spec_pool(mut self) -> Self {
        self.spec_pool = true;
        self
    }

    pub(crate) fn spec(mut self, path: &str, environment: &str) -> Self {
        self.spec = Some((std::path::PathBuf::from(path), environment.to_owned()));
        self
    }

    pub(crate) fn redis_cluster(mut self, urls: &str) -> Self {
        self.redis_url = Some(urls.to_owned());
        self.cluster = true;
        self
    }

    pub(crate) fn redis(mut self, url: &str) -> Self {
        self.redis_url = Some(url.to_owned());
        self
    }

    pub(crate) fn prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = prefix.to_owned();
        self
    }

    pub(crate) fn rate_limited(mut self) -> Self {
        self.rate_limits = true;
        self
    }

    pub(crate) fn gate(mut self, gate: Arc<FillGate>) -> Self {
        self.fill_gate = Some(gate);
        self
    }

    pub(crate) fn edit(mut self, edit: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.edit = Some(Box::new(edit));
        self
    }
}

pub(crate) fn settings(options: Options) -> Settings {
    let (model, environment) = match &options.spec {
        Some((path, environment)) => (
            config::load_model(Some(path)).expect("spec").0,
            environment.clone(),
        ),
        None => (
            generator::model::Model::load_str(config::DEFAULT_SPEC_PATH, config::EMBEDDED_SPEC)
                .expect("spec"),
            "dev".to_owned(),
        ),
    };
    let mut pairs = vec![
        ("DATABASE_URL", options.database_url.as_str()),
        ("REDIS_KEY_PREFIX", options.key_prefix.as_str()),
        ("DB_CONNECT_ATTEMPTS", "2"),
    ];
    if let Some(redis) = &options.redis_url {
        pairs.push(("REDIS_URL", redis.as_str()));
    }
    if options.cluster {
        pairs.push(("REDIS_CLUSTER", "true"));
    }
    let vars = Vars::from_pairs(pairs);
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let mut settings =
        Settings::from_model(&model, &environment, Some(listen), &vars).expect("settings");
    if !options.rate_limits {
        for route in &mut settings.routes {
            route.rate_limit = None;
        }
    }
    // Tests run many servers at once: keep each pool small.
    if !options.spec_pool {
        settings.database.pool.max_connections = settings.database.pool.max_connections.min(5);
    }
    settings.cache.fill_gate = options.fill_gate;
    // The spec's Redis timeout (50 ms) is for production; on a loaded CI machine it would turn
    // slow answers into fallbacks and make exact hit counts flaky. Outages are still seen at
    // once: a cut connection fails fast.
    if let Some(redis) = &mut settings.redis {
        redis.timeout = Duration::from_secs(2);
    }
    if let Some(edit) = options.edit {
        edit(&mut settings);
    }
    settings
}

/// A running server and a client for it.
pub(crate) struct TestApp {
    /// The Redis URL and key prefix, removed when the test stops the server.
    redis: Option<(String, String)>,
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub shutdown: Shutdown,
    pub server: JoinHandle<()>,
}

impl TestApp {
    pub(crate) async fn spawn(options: Options) -> Self {
        let redis = options
            .redis_url
            .clone()
            .map(|url| (url, options.key_prefix.clone()));
        let mut app = Self::start(settings(options)).await;
        app.redis = redis;
        app
    }

    pub(crate) async fn start(settings: Settings) -> Self {
        let app = App::build(settings).await.expect("the server starts");
        let address = app.address();
        let shutdown = app.shutdown();
        let server = tokio::spawn(app.run(false));
        Self {
            redis: None,
            address,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            shutdown,
            server,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The status of a plain `GET path`.
    pub(crate) async fn get_status(&self, path: &str) -> u16 {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    /// The body of a plain `GET path`, as text.
    pub(crate) async fn get_text(&self, path: &str) -> String {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body")
    }

    /// The body of `GET /health`.
    pub(crate) async fn health(&self) -> serde_json::Value {
        self.client
            .get(self.url("/health"))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    pub(crate) async fn create(&self, amount: serde_json::Value, description: &str) -> i64 {
        let response = self
            .client
            .post(self.url("/transaction"))
            .json(&serde_json::json!({"amount": amount, "description": description}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        body["id"].as_i64().expect("id")
    }

    pub(crate) async fn list(&self) -> serde_json::Value {
        let response = self
            .client
            .get(self.url("/transaction"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    pub(crate) async fn ids(&self) -> Vec<i64> {
        self.list().await["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|t| t["id"].as_i64().expect("id"))
            .collect()
    }

    pub(crate) async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text")
    }

    /// The value of an unlabelled metric.
    pub(crate) async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics().await;
        metric_in(&text, name).unwrap_or_else(|| panic!("metric {name} not found in:\n{text}"))
    }

    /// A count that is not exported until it first moves (a labelled series): 0 until then.
    pub(crate) async fn count(&self, name: &str) -> f64 {
        metric_in(&self.metrics().await, name).unwrap_or(0.0)
    }

    pub(crate) async fn stop(self) {
        self.shutdown.stop();
        let _ = self.server.await;
        if let Some((url, prefix)) = &self.redis {
            forget_prefix(url, prefix).await;
        }
    }
}

/// The value of the unlabelled series `name` in a Prometheus text exposition.
fn metric_in(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .and_then(|value| value.trim().parse().ok())
}
