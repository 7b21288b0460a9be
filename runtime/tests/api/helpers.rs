//! Test support: real servers on 127.0.0.1:0, a fresh database per test (SQLite file, or a
//! `test_<random>` database on MariaDB / PostgreSQL), a fresh Redis key prefix per test, a
//! loopback proxy that cuts or slows a service, Redis servers and clusters of the test's own,
//! and the real binary as a process. Shared by the API tests and the fault suite
//! (`tests/faults`), each of which uses a part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use runtime::App;
use runtime::cache::gate::FillGate;
use runtime::config::{self, Settings, Vars};
use runtime::startup::Shutdown;
use sea_orm::{ConnectionTrait, Database};
use testkit::Need;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A Redis key prefix no other test uses.
fn metric_in(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .and_then(|value| value.trim().parse().ok())
}

pub(crate) fn fresh_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Mysql,
    Postgres,
}

impl Engine {
    /// The server a test on this engine needs (SQLite is embedded).
    pub(crate) const fn need(self) -> Option<Need> {
        match self {
            Engine::Sqlite => None,
            Engine::Mysql => Some(Need::MARIADB),
            Engine::Postgres => Some(Need::POSTGRES),
        }
    }
}

/// A database that exists for one test only.
pub(crate) struct TestDb {
    pub url: String,
    pub engine: Engine,
    drop_with: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.sqlite3");
        Self {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            engine: Engine::Sqlite,
            drop_with: None,
            _dir: Some(dir),
        }
    }

    /// A fresh database on the server of `admin_url` (`TEST_MYSQL_URL` or `TEST_POSTGRES_URL`).
    pub(crate) async fn on_server(engine: Engine, admin_url: &str) -> Self {
        let name = format!("test_{}", random_suffix());
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to the test server");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        admin.close().await.expect("close");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            engine,
            drop_with: Some((admin_url.to_owned(), name)),
            _dir: None,
        }
    }

    /// A fresh database of `engine`; a server engine's test declares `engine.need()`.
    pub(crate) async fn for_engine(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => Self::sqlite(),
            Engine::Mysql => Self::on_server(engine, &testkit::service_url(Need::MARIADB)).await,
            Engine::Postgres => {
                Self::on_server(engine, &testkit::service_url(Need::POSTGRES)).await
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.drop_with.take() else {
            return;
        };
        let engine = self.engine;
        // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let sql = match engine {
                        Engine::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        _ => format!("DROP DATABASE IF EXISTS {name}"),
                    };
                    let _ = admin.execute_unprepared(&sql).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

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

/// Deletes every key under a test's prefix (best effort: the Redis may be the one cut).
pub(crate) async fn forget_prefix(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(Ok(mut connection)) = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut connection)
            .await;
    }
}

/// A TCP proxy in front of a real service, which a test can cut (refusing and dropping every
/// connection, as an outage does) and restore, or slow down (every answer held back a while).
pub(crate) struct Proxy {
    pub address: SocketAddr,
    task: JoinHandle<()>,
    open: Arc<std::sync::atomic::AtomicBool>,
    /// How long each chunk the service sends back is held (ms).
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
    connections: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("addr");
        let connections: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let delay_ms = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let tracked = connections.clone();
        let accepting = open.clone();
        let delay = delay_ms.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !accepting.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let delay = delay.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(outbound) = tokio::net::TcpStream::connect(target).await {
                        let (client_read, client_write) = inbound.into_split();
                        let (service_read, service_write) = outbound.into_split();
                        // Both directions in this one task, so `cut` (abort) closes both.
                        tokio::join!(
                            pump(client_read, service_write, None),
                            pump(service_read, client_write, Some(delay)),
                        );
                    }
                });
                tracked.lock().expect("lock").push(pipe);
            }
        });
        Self {
            address,
            task,
            open,
            delay_ms,
            connections,
        }
    }

    /// Drops every open connection and every new one until `restore`.
    pub(crate) fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub(crate) fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Holds every chunk the service answers for `delay` before passing it on (zero: none).
    pub(crate) fn slow_down(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.delay_ms.store(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Copies one direction of a proxied connection until EOF, holding each chunk `delay` ms.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay_ms: Option<Arc<std::sync::atomic::AtomicU64>>,
) {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let delay = delay_ms
            .as_ref()
            .map_or(0, |d| d.load(std::sync::atomic::Ordering::SeqCst));
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// The host:port of a URL such as `redis://127.0.0.1:6379` or `mysql://root@host:3306/test`.
pub(crate) fn socket_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:6379")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port
        .parse()
        .unwrap_or_else(|_| panic!("{url} does not name an IP host and port"))
}

/// A URL with its host:port replaced by `address` (to go through a proxy).
pub(crate) fn through(url: &str, address: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    if path.is_empty() {
        format!("{scheme}://{user}{address}")
    } else {
        format!("{scheme}://{user}{address}/{path}")
    }
}

/// A free port whose cluster bus port (+10000) is free too.
fn free_redis_port(taken: &[u16]) -> u16 {
    loop {
        let random = uuid::Uuid::new_v4();
        let port =
            20_000 + u16::from_be_bytes([random.as_bytes()[0], random.as_bytes()[1]]) % 10_000;
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if !taken.contains(&port) && free(port) && free(port + 10_000) {
            return port;
        }
    }
}

/// Starts a `redis-server` without persistence on 127.0.0.1:`port`, files in `dir`.
fn spawn_redis(port: u16, dir: &std::path::Path, cluster: bool) -> std::process::Child {
    let mut command = std::process::Command::new("redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
    if cluster {
        command
            .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "3000"])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf")]);
    }
    command
        .args(["--save", "", "--appendonly", "no", "--dir"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start redis-server")
}

/// The standard output of `redis-cli args`.
fn redis_cli(args: &[String]) -> String {
    std::process::Command::new("redis-cli")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Waits until the server on `port` answers PING.
async fn await_redis(port: u16, deadline: std::time::Instant) {
    let ping = ["-p".to_owned(), port.to_string(), "ping".to_owned()];
    while redis_cli(&ping).trim() != "PONG" {
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server on {port} did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a test that starts Redis servers of its own needs (Debian's redis-server package brings
/// redis-cli too).
pub(crate) const REDIS_SERVER: Need = Need::Tool("redis-server");

/// A test's own `redis-server` on a free port, which it may stop and start again (the shared
/// Redis is never stopped: other tests use it).
pub(crate) struct RedisServer {
    pub url: String,
    port: u16,
    process: Option<std::process::Child>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Needs `REDIS_SERVER` declared by the test.
    pub(crate) async fn start() -> Self {
        let port = free_redis_port(&[]);
        let mut server = Self {
            url: format!("redis://127.0.0.1:{port}"),
            port,
            process: None,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        server.resume().await;
        server
    }

    /// Kills the server (as a crash does): every connection drops, every new one is refused.
    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub(crate) async fn resume(&mut self) {
        self.process = Some(spawn_redis(self.port, self.dir.path(), false));
        await_redis(
            self.port,
            std::time::Instant::now() + Duration::from_secs(30),
        )
        .await;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A throwaway three-node Redis Cluster of local `redis-server` processes, stopped on drop.
pub(crate) struct RedisCluster {
    pub urls: String,
    ports: Vec<u16>,
    nodes: Vec<Option<std::process::Child>>,
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Needs `REDIS_SERVER` declared by the test.
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // Each node also listens on its port + 10000 (the cluster bus).
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 3 {
            ports.push(free_redis_port(&ports));
        }
        let nodes = ports
            .iter()
            .map(|port| Some(spawn_redis(*port, dir.path(), true)))
            .collect();
        let cluster = Self {
            urls: ports
                .iter()
                .map(|p| format!("redis://127.0.0.1:{p}"))
                .collect::<Vec<_>>()
                .join(","),
            ports: ports.clone(),
            nodes,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        for port in &ports {
            await_redis(*port, deadline).await;
        }
        let mut create = vec!["--cluster".to_owned(), "create".to_owned()];
        create.extend(ports.iter().map(|p| format!("127.0.0.1:{p}")));
        create.extend(["--cluster-replicas", "0", "--cluster-yes"].map(str::to_owned));
        redis_cli(&create);
        for port in &ports {
            let info = [
                "-p".to_owned(),
                port.to_string(),
                "cluster".into(),
                "info".into(),
            ];
            while !redis_cli(&info).contains("cluster_state:ok") {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the cluster did not form"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        cluster
    }

    /// The index of the master that holds `key`'s hash slot.
    pub(crate) fn master_of(&self, key: &str) -> usize {
        let port = self.ports[0].to_string();
        let slot: u16 = redis_cli(&[
            "-p".into(),
            port,
            "cluster".into(),
            "keyslot".into(),
            key.to_owned(),
        ])
        .trim()
        .parse()
        .expect("a slot number");
        self.ports
            .iter()
            .position(|port| {
                let nodes = redis_cli(&[
                    "-p".into(),
                    port.to_string(),
                    "cluster".into(),
                    "nodes".into(),
                ]);
                // The `myself` line ends with this node's slot ranges, such as `0-5460`.
                nodes
                    .lines()
                    .find(|line| line.contains("myself"))
                    .is_some_and(|line| {
                        line.split_whitespace().skip(8).any(|range| {
                            let (low, high) = range.split_once('-').unwrap_or((range, range));
                            match (low.parse::<u16>(), high.parse::<u16>()) {
                                (Ok(low), Ok(high)) => (low..=high).contains(&slot),
                                _ => false,
                            }
                        })
                    })
            })
            .expect("a master holds every slot")
    }

    /// `cluster_state` (`ok` or `fail`) as a running master sees it.
    pub(crate) fn state(&self) -> String {
        let Some(index) = self.nodes.iter().position(Option::is_some) else {
            return "no master running".to_owned();
        };
        let info = redis_cli(&[
            "-p".into(),
            self.ports[index].to_string(),
            "cluster".into(),
            "info".into(),
        ]);
        info.lines()
            .find_map(|line| line.strip_prefix("cluster_state:"))
            .unwrap_or("unknown")
            .trim()
            .to_owned()
    }

    /// Kills master `index`: the slots it held have no server until the test ends.
    pub(crate) fn stop_master(&mut self, index: usize) {
        if let Some(mut node) = self.nodes[index].take() {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.stop_master(index);
        }
    }
}

/// The real `expense-backend` binary on 127.0.0.1:0, serving the repository's spec (dev), its
/// JSON logs collected; killed on drop if still running.
pub(crate) struct ServerProcess {
    pub address: SocketAddr,
    child: std::process::Child,
    logs: Arc<std::sync::Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts the binary on `database_url` with extra variables `vars` (no Redis unless they
    /// name one), and waits until it logs the address it listens on.
    pub(crate) async fn start(database_url: &str, vars: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_expense-backend"));
        command
            .env("DATABASE_URL", database_url)
            .env(
                "PLATFORM_SPEC",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/expense.toml"),
            )
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("ENVIRONMENT", "dev")
            // `request_started` is a debug line: the tests count it against `request_completed`.
            .env("RUST_LOG", "info,runtime::routes=debug")
            .env("DB_CONNECT_ATTEMPTS", "2")
            .env_remove("REDIS_URL")
            .env_remove("REDIS_HOST")
            .envs(vars.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        let mut child = command.spawn().expect("start the binary");
        let stdout = child.stdout.take().expect("stdout");
        let logs: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let collected = logs.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && event["message"] == "listening"
                {
                    let _ =
                        address_tx.send(event["address"].as_str().unwrap_or_default().to_owned());
                }
                collected.lock().expect("lock").push(line);
            }
        });
        let address =
            tokio::task::spawn_blocking(move || address_rx.recv_timeout(Duration::from_secs(60)))
                .await
                .expect("join")
                .expect("the server logs its address")
                .parse()
                .expect("a socket address");
        Self {
            address,
            child,
            logs,
            reader: Some(reader),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Sends SIGTERM (a graceful stop).
    pub(crate) fn terminate(&self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
    }

    /// Sends SIGKILL (a crash: nothing is drained or closed) and reaps the process.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `limit` for the process to exit; its status (`None`: still running, then
    /// killed) and every line it logged.
    pub(crate) async fn exit_within(
        mut self,
        limit: Duration,
    ) -> (Option<std::process::ExitStatus>, Vec<String>) {
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            match self.child.try_wait().expect("wait") {
                Some(status) => break Some(status),
                None if std::time::Instant::now() >= deadline => break None,
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        self.kill();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let logs = self.logs.lock().expect("lock").clone();
        (status, logs)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free port for a database server of a test's own, below the kernel's ephemeral range
/// (32768-60999 by default): no listener on port 0 or outgoing connection takes it while the
/// server is stopped, so a client retrying meanwhile never reaches another service, nor itself.
fn free_database_port() -> u16 {
    loop {
        let random = uuid::Uuid::new_v4();
        let port =
            10_000 + u16::from_be_bytes([random.as_bytes()[0], random.as_bytes()[1]]) % 10_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// What a test that starts its own MariaDB server needs (tests/tools/bin/mariadb-instance).
pub(crate) const MARIADB_INSTANCE: Need = Need::Tool("mariadb-instance");
/// What a test that starts its own PostgreSQL server needs (tests/tools/bin/postgres-instance).
pub(crate) const POSTGRES_INSTANCE: Need = Need::Tool("postgres-instance");

/// A MariaDB or PostgreSQL server of the test's own on a free loopback port, its data in a
/// temporary directory, which the test may stop and start again (the shared servers are never
/// stopped: other tests use them). Started by the wrapper the test declares
/// (`MARIADB_INSTANCE` or `POSTGRES_INSTANCE`); stopped on drop.
pub(crate) struct DatabaseServer {
    pub engine: Engine,
    /// A URL to administer it: `TestDb::on_server(engine, &admin_url)` makes a database on it.
    pub admin_url: String,
    port: u16,
    wrapper: std::path::PathBuf,
    process: Option<std::process::Child>,
    dir: tempfile::TempDir,
}

impl DatabaseServer {
    /// Initialises an empty server of `engine` and starts it.
    pub(crate) async fn start(engine: Engine) -> Self {
        let port = free_database_port();
        let (wrapper, admin_url) = match engine {
            Engine::Mysql => (
                "mariadb-instance",
                format!("mysql://root@127.0.0.1:{port}/mysql"),
            ),
            Engine::Postgres => (
                "postgres-instance",
                format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            ),
            Engine::Sqlite => panic!("SQLite has no server"),
        };
        let wrapper = testkit::tool(wrapper);
        let dir = tempfile::tempdir().expect("temp dir");
        let init = tokio::task::spawn_blocking({
            let (wrapper, dir) = (wrapper.clone(), dir.path().to_owned());
            move || {
                testkit::tool_command(&wrapper)
                    .arg("init")
                    .arg(dir)
                    .output()
            }
        })
        .await
        .expect("join")
        .expect("run the wrapper");
        assert!(
            init.status.success(),
            "{} init failed: {}",
            wrapper.display(),
            String::from_utf8_lossy(&init.stderr)
        );
        let mut server = Self {
            engine,
            admin_url,
            port,
            wrapper,
            process: None,
            dir,
        };
        server.resume().await;
        server
    }

    /// Stops the server cleanly, as an operator's restart does (MariaDB: SIGTERM; PostgreSQL:
    /// SIGINT, a "fast" shutdown that ends every session), and waits until it has exited.
    pub(crate) async fn stop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        self.ask_to_stop(&process);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while process.try_wait().expect("wait").is_none() {
            if std::time::Instant::now() >= deadline {
                let _ = process.kill();
                let _ = process.wait();
                panic!("the {:?} server did not stop within 60 s", self.engine);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts it again on the same port and data, and waits until it answers a query (this
    /// server: another process may have taken the port while it was stopped).
    pub(crate) async fn resume(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .expect("server log");
        let mut process = testkit::tool_command(&self.wrapper)
            .arg("run")
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start the database server");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = process.try_wait().expect("wait") {
                panic!(
                    "the {:?} server exited ({status}):\n{}",
                    self.engine,
                    std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
                );
            }
            if self.answers().await {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the {:?} server did not start within 60 s",
                self.engine
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.process = Some(process);
    }

    /// Sends the signal of a clean, fast shutdown (PostgreSQL's SIGTERM would wait for every
    /// client to leave).
    fn ask_to_stop(&self, process: &std::process::Child) {
        let signal = if self.engine == Engine::Postgres {
            "INT"
        } else {
            "TERM"
        };
        let _ = std::process::Command::new("kill")
            .args(["-s", signal, &process.id().to_string()])
            .status();
    }

    /// Whether this server (its data directory) accepts a connection and answers a query now.
    async fn answers(&self) -> bool {
        // A refused connection is retried by the pool until its timeout: look at the port first.
        if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            return false;
        }
        let mut options = sea_orm::ConnectOptions::new(self.admin_url.clone());
        options
            .connect_timeout(Duration::from_secs(1))
            .acquire_timeout(Duration::from_secs(1))
            .max_connections(1)
            .sqlx_logging(false);
        let Ok(db) = Database::connect(options).await else {
            return false;
        };
        let sql = match self.engine {
            Engine::Postgres => "SELECT current_setting('data_directory') AS dir",
            _ => "SELECT @@datadir AS dir",
        };
        let answered = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await;
        let _ = db.close().await;
        let data = std::fs::canonicalize(self.dir.path().join("data")).expect("data directory");
        let data = data.to_string_lossy();
        let dir = answered
            .ok()
            .flatten()
            .and_then(|row| row.try_get::<String>("", "dir").ok());
        dir.is_some_and(|dir| dir.trim_end_matches('/') == data)
    }
}

impl Drop for DatabaseServer {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            // The same clean stop, so no server is left behind; killed if it takes too long.
            self.ask_to_stop(&process);
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while matches!(process.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}
