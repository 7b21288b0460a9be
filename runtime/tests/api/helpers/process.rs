//! The real `expense-backend` binary as a process, its logs collected.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
