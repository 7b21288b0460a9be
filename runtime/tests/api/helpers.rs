//! Test support: real servers on 127.0.0.1:0, a fresh database per test (SQLite file, or a
//! `test_<random>` database on MariaDB / PostgreSQL), a fresh Redis key prefix per test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use runtime::App;
use runtime::cache::FillGate;
use runtime::config::{self, Settings, Vars};
use runtime::startup::Shutdown;
use sea_orm::{ConnectionTrait, Database};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An external service's URL from `var`; `None` (the test skips) when unset, unless
/// `REQUIRE_EXTERNAL=1`, where a missing variable fails the test.
/// A Redis key prefix no other test uses.
pub fn fresh_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

pub fn external(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            if std::env::var("REQUIRE_EXTERNAL").is_ok_and(|v| v == "1") {
                panic!("{var} is not set, and REQUIRE_EXTERNAL=1 makes that a failure");
            }
            eprintln!("skipping: {var} is not set");
            None
        }
    }
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Mysql,
    Postgres,
}

/// A database that exists for one test only.
pub struct TestDb {
    pub url: String,
    pub engine: Engine,
    drop_with: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> Self {
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
    pub async fn on_server(engine: Engine, admin_url: &str) -> Self {
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

    /// The database named by the first of the engines' variables that applies, or `None`.
    pub async fn for_engine(engine: Engine) -> Option<Self> {
        match engine {
            Engine::Sqlite => Some(Self::sqlite()),
            Engine::Mysql => Some(Self::on_server(engine, &external("TEST_MYSQL_URL")?).await),
            Engine::Postgres => {
                Some(Self::on_server(engine, &external("TEST_POSTGRES_URL")?).await)
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
pub type EditSettings = Box<dyn FnOnce(&mut Settings) + Send>;

/// How to start a test server.
pub struct Options {
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
}

impl Options {
    pub fn new(db: &TestDb) -> Self {
        Self {
            database_url: db.url.clone(),
            redis_url: None,
            key_prefix: format!("test:{}:", random_suffix()),
            rate_limits: false,
            fill_gate: None,
            edit: None,
            cluster: false,
            spec: None,
        }
    }

    pub fn spec(mut self, path: &str, environment: &str) -> Self {
        self.spec = Some((std::path::PathBuf::from(path), environment.to_owned()));
        self
    }

    pub fn redis_cluster(mut self, urls: &str) -> Self {
        self.redis_url = Some(urls.to_owned());
        self.cluster = true;
        self
    }

    pub fn redis(mut self, url: &str) -> Self {
        self.redis_url = Some(url.to_owned());
        self
    }

    pub fn prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = prefix.to_owned();
        self
    }

    pub fn rate_limited(mut self) -> Self {
        self.rate_limits = true;
        self
    }

    pub fn gate(mut self, gate: Arc<FillGate>) -> Self {
        self.fill_gate = Some(gate);
        self
    }

    pub fn edit(mut self, edit: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.edit = Some(Box::new(edit));
        self
    }
}

pub fn settings(options: Options) -> Settings {
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
    settings.database.pool.max_connections = settings.database.pool.max_connections.min(5);
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
pub struct TestApp {
    /// The Redis URL and key prefix, removed when the test stops the server.
    redis: Option<(String, String)>,
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub shutdown: Shutdown,
    pub server: JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn(options: Options) -> Self {
        let redis = options
            .redis_url
            .clone()
            .map(|url| (url, options.key_prefix.clone()));
        let mut app = Self::start(settings(options)).await;
        app.redis = redis;
        app
    }

    pub async fn start(settings: Settings) -> Self {
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

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The status of a plain `GET path`.
    pub async fn get_status(&self, path: &str) -> u16 {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    /// The body of `GET /health`.
    pub async fn health(&self) -> serde_json::Value {
        self.client
            .get(self.url("/health"))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    pub async fn create(&self, amount: serde_json::Value, description: &str) -> i64 {
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

    pub async fn list(&self) -> serde_json::Value {
        let response = self
            .client
            .get(self.url("/transaction"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    pub async fn ids(&self) -> Vec<i64> {
        self.list().await["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|t| t["id"].as_i64().expect("id"))
            .collect()
    }

    pub async fn metrics(&self) -> String {
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
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|line| {
                line.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(' '))
            })
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("metric {name} not found in:\n{text}"))
    }

    pub async fn stop(self) {
        self.shutdown.stop();
        let _ = self.server.await;
        if let Some((url, prefix)) = &self.redis {
            forget_prefix(url, prefix).await;
        }
    }
}

/// Deletes every key under a test's prefix (best effort: the Redis may be the one cut).
async fn forget_prefix(url: &str, prefix: &str) {
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
/// connection, as an outage does) and restore.
pub struct Proxy {
    pub address: SocketAddr,
    task: JoinHandle<()>,
    open: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("addr");
        let connections: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let tracked = connections.clone();
        let accepting = open.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        let _ = outbound.shutdown().await;
                    }
                });
                tracked.lock().expect("lock").push(pipe);
            }
        });
        Self {
            address,
            task,
            open,
            connections,
        }
    }

    /// Drops every open connection and every new one until `restore`.
    pub fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// The host:port of a URL such as `redis://127.0.0.1:6379` or `mysql://root@host:3306/test`.
pub fn socket_of(url: &str) -> SocketAddr {
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
pub fn through(url: &str, address: SocketAddr) -> String {
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

/// A throwaway three-node Redis Cluster of local `redis-server` processes, stopped on drop.
pub struct RedisCluster {
    pub urls: String,
    nodes: Vec<std::process::Child>,
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    /// `None` (the test skips) when `redis-server` or `redis-cli` is not installed.
    pub async fn start() -> Option<Self> {
        let installed = |tool: &str| {
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !installed("redis-server") || !installed("redis-cli") {
            eprintln!("skipping: redis-server / redis-cli are not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        // Each node also listens on its port + 10000 (the cluster bus): pick ports low enough,
        // with both free.
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 3 {
            let random = uuid::Uuid::new_v4();
            let port =
                20_000 + u16::from_be_bytes([random.as_bytes()[0], random.as_bytes()[1]]) % 10_000;
            let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
            if !ports.contains(&port) && free(port) && free(port + 10_000) {
                ports.push(port);
            }
        }
        let mut nodes = Vec::new();
        for port in &ports {
            let child = std::process::Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                ])
                .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(dir.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("start redis-server");
            nodes.push(child);
        }
        let cluster = Self {
            urls: ports
                .iter()
                .map(|p| format!("redis://127.0.0.1:{p}"))
                .collect::<Vec<_>>()
                .join(","),
            nodes,
            _dir: dir,
        };
        let cli = |args: Vec<String>| {
            std::process::Command::new("redis-cli")
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        for port in &ports {
            while cli(vec!["-p".into(), port.to_string(), "ping".into()]).trim() != "PONG" {
                assert!(
                    std::time::Instant::now() < deadline,
                    "redis-server on {port} did not start"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut create = vec!["--cluster".to_owned(), "create".to_owned()];
        create.extend(ports.iter().map(|p| format!("127.0.0.1:{p}")));
        create.extend(["--cluster-replicas", "0", "--cluster-yes"].map(str::to_owned));
        cli(create);
        for port in &ports {
            while !cli(vec![
                "-p".into(),
                port.to_string(),
                "cluster".into(),
                "info".into(),
            ])
            .contains("cluster_state:ok")
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the cluster did not form"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Some(cluster)
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}
