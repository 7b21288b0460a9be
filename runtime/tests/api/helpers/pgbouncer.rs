//! A PgBouncer of a test's own (tests/tools/bin/pgbouncer-instance), configured with the
//! `pgbouncer.ini` the generator renders for an environment, in front of a test database.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use generator::model::{Environment, Model, Pooler};
use generator::render::pgbouncer::{clients, databases_ini, pgbouncer_ini};
use testkit::Need;

use super::TestDb;
use super::database::free_database_port;

/// What a test that runs PgBouncer needs.
pub(crate) const PGBOUNCER_INSTANCE: Need = Need::Tool("pgbouncer-instance");

/// PgBouncer on a free loopback port; stopped on drop.
pub(crate) struct PgBouncer {
    pub port: u16,
    /// The database entries, one per service reaching the database (as the generator names
    /// them), each to the test's database.
    pub entries: Vec<String>,
    process: std::process::Child,
    _dir: tempfile::TempDir,
}

impl PgBouncer {
    /// Starts PgBouncer with `pooler`'s configuration for `environment`, as the generator renders
    /// it, in front of `db`. What only the cluster has is rewritten: the listener (loopback, a
    /// free port), the authentication (the test server trusts; the userlist names its user),
    /// the server TLS (the test server has none) and the files' directory. A PgBouncer older
    /// than 1.21 does not know `max_prepared_statements`, so that line goes.
    pub(crate) async fn start(
        model: &Model,
        environment: &Environment,
        pooler: &Pooler,
        db: &TestDb,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_database_port();
        // postgres://USER@HOST:PORT/NAME, as TEST_POSTGRES_URL and TestDb write it.
        let (user, rest) = db
            .url
            .trim_start_matches("postgres://")
            .split_once('@')
            .expect("the test database's URL names its user");
        let (address, name) = rest.split_once('/').expect("and its database");
        let (host, upstream_port) = address.split_once(':').unwrap_or((address, "5432"));
        let services = clients(model, environment);
        std::fs::write(
            dir.path().join("databases.ini"),
            databases_ini(&services, host, upstream_port, name),
        )
        .expect("write databases.ini");
        std::fs::write(
            dir.path().join("userlist.txt"),
            format!("\"{user}\" \"\"\n"),
        )
        .expect("write userlist.txt");
        let files = dir.path().display().to_string();
        let mut ini = pgbouncer_ini(environment, pooler);
        for (key, value) in [
            ("listen_addr", "127.0.0.1".to_string()),
            ("listen_port", port.to_string()),
            ("auth_type", "trust".to_string()),
            ("auth_file", format!("{files}/userlist.txt")),
            ("server_tls_sslmode", "disable".to_string()),
        ] {
            ini = set(&ini, key, Some(&value));
        }
        if !tracks_prepared_statements() {
            ini = set(&ini, "max_prepared_statements", None);
        }
        ini = ini.replace(
            &format!("%include {}/", generator::render::pgbouncer::UPSTREAM_DIR),
            &format!("%include {files}/"),
        );
        let config = dir.path().join("pgbouncer.ini");
        std::fs::write(&config, ini).expect("write pgbouncer.ini");
        let log = dir.path().join("pgbouncer.log");
        let process = std::process::Command::new(wrapper())
            .arg("run")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("pgbouncer.log"))
            .spawn()
            .expect("start pgbouncer");
        let bouncer = Self {
            port,
            entries: services
                .iter()
                .map(|service| service.name.clone())
                .collect(),
            process,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not listen on {port}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bouncer
    }

    /// The URL of one database entry, as the test server's user.
    pub(crate) fn url(&self, entry: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{entry}", self.port)
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn wrapper() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/tools/bin/pgbouncer-instance"
    ))
}

/// Whether this PgBouncer tracks protocol-level prepared statements in transaction mode
/// (`max_prepared_statements`, from 1.21 on), which the runtime's driver needs there.
pub(crate) fn tracks_prepared_statements() -> bool {
    let output = std::process::Command::new(wrapper())
        .arg("version")
        .output()
        .expect("pgbouncer-instance version");
    let version = String::from_utf8_lossy(&output.stdout);
    let mut parts = version
        .trim()
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 21)
}

/// `ini` with the line `key = ...` set to `value`, or removed; the key must be there.
fn set(ini: &str, key: &str, value: Option<&str>) -> String {
    let prefix = format!("{key} =");
    assert!(
        ini.lines().any(|line| line.starts_with(&prefix)),
        "the generated pgbouncer.ini has no `{key}`:\n{ini}"
    );
    ini.lines()
        .filter_map(|line| match (line.starts_with(&prefix), value) {
            (false, _) => Some(line.to_string()),
            (true, Some(value)) => Some(format!("{key} = {value}")),
            (true, None) => None,
        })
        .map(|line| line + "\n")
        .collect()
}
