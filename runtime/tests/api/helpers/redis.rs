//! Redis for tests: a fresh key prefix per test, and Redis servers and clusters of a test's own.

use std::time::Duration;

use testkit::Need;

/// A Redis key prefix no other test uses.
pub(crate) fn fresh_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
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

/// Waits, if need be, for the next `window` of Redis' clock (the rate limiter's windows), so that
/// a test needing `needed` of one window does not straddle two.
pub(crate) async fn wait_for_room_in_window(url: &str, window: Duration, needed: Duration) {
    let client = redis::Client::open(url).expect("redis url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let (seconds, micros): (u64, u64) = redis::cmd("TIME")
        .query_async(&mut connection)
        .await
        .expect("TIME");
    let now = Duration::from_secs(seconds) + Duration::from_micros(micros);
    let window_ms = window.as_millis().max(1);
    let elapsed = Duration::from_millis(u64::try_from(now.as_millis() % window_ms).unwrap_or(0));
    let left = window.saturating_sub(elapsed);
    if left < needed {
        tokio::time::sleep(left + Duration::from_millis(50)).await;
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
