//! Databases for tests: a fresh one per test, and database servers of a test's own.
//!
//! A fresh database is a SQLite file, or a `test_<random>` database on the shared MariaDB /
//! PostgreSQL server; a server of the test's own is one the test may stop and start again.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};
use testkit::Need;

/// A random name fragment (12 hex digits), for a database or a key prefix.
pub(super) fn random_suffix() -> String {
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

/// A free port for a database server of a test's own, below the kernel's ephemeral range
/// (32768-60999 by default): no listener on port 0 or outgoing connection takes it while the
/// server is stopped, so a client retrying meanwhile never reaches another service, nor itself.
pub(super) fn free_database_port() -> u16 {
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
