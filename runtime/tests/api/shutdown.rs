//! Graceful shutdown of the real binary under load: SIGTERM stops accepting, in-flight requests
//! finish, and every acknowledged write is in the database afterwards.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::helpers::{Options, TestApp, TestDb};

#[tokio::test]
async fn sigterm_under_load_loses_no_acknowledged_write() {
    let db = TestDb::sqlite();
    let mut child = Command::new(env!("CARGO_BIN_EXE_expense-backend"))
        .env("DATABASE_URL", &db.url)
        .env(
            "PLATFORM_SPEC",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/expense.toml"),
        )
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("ENVIRONMENT", "dev")
        .env("RUST_LOG", "info")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().expect("stdout");
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let log_reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                && event["message"] == "listening"
            {
                let _ = address_tx.send(event["address"].as_str().unwrap_or_default().to_owned());
            }
            lines.push(line);
        }
        lines
    });
    let address = tokio::task::spawn_blocking(move || {
        address_rx.recv_timeout(std::time::Duration::from_secs(60))
    })
    .await
    .expect("join")
    .expect("the server logs its address");
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Arc::new(AtomicUsize::new(0));
    // 90 writes stay under the spec's 100-per-minute budget for one client.
    let mut writers = Vec::new();
    for n in 0..90 {
        let client = client.clone();
        let url = format!("http://{address}/transaction");
        let acknowledged = acknowledged.clone();
        let started = started.clone();
        writers.push(tokio::spawn(async move {
            started.fetch_add(1, Ordering::SeqCst);
            let response = client
                .post(url)
                .json(&json!({"amount": n + 1, "description": "load"}))
                .send()
                .await;
            if let Ok(response) = response
                && response.status() == 200
                && let Ok(body) = response.json::<serde_json::Value>().await
                && let Some(id) = body["id"].as_i64()
            {
                acknowledged.lock().expect("lock").push(id);
            }
        }));
    }
    // Signal while requests are in flight.
    while acknowledged.lock().expect("lock").len() < 10 && !writers.iter().all(|w| w.is_finished())
    {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    for writer in writers {
        writer.await.expect("writer");
    }
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "exit status {status}");
    let logs = log_reader.join().expect("logs");
    assert!(
        logs.iter().any(|l| l.contains("shutdown signal received")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l.contains("\"stopped\"")), "{logs:?}");
    // Every logged request that started also completed.
    let started_logs = logs
        .iter()
        .filter(|l| l.contains("\"request_started\""))
        .count();
    let completed_logs = logs
        .iter()
        .filter(|l| l.contains("\"request_completed\""))
        .count();
    assert_eq!(started_logs, completed_logs);
    let completed: serde_json::Value = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|event| event["message"] == "request_completed")
        .expect("a request_completed line");
    assert!(completed["status_code"].is_u64(), "{completed}");
    assert!(completed["duration_ms"].is_number(), "{completed}");
    assert!(completed["correlation_id"].is_string(), "{completed}");

    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 10);
    let app = TestApp::spawn(Options::new(&db)).await;
    let stored = app.ids().await;
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged write {id} was lost");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_stopped_server_finishes_its_requests_and_refuses_new_connections() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let id = app.create(json!(1), "x").await;
    let address = app.address;
    let client = app.client.clone();
    app.stop().await;
    let after = client
        .get(format!("http://{address}/transaction/{id}"))
        .send()
        .await;
    assert!(after.is_err(), "the listener should be closed");
}

#[tokio::test]
async fn a_failed_start_logs_no_password() {
    let output = Command::new(env!("CARGO_BIN_EXE_expense-backend"))
        .env(
            "PLATFORM_SPEC",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/expense.toml"),
        )
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", "1")
        .env("DB_USER", "expense")
        .env("DB_PWD", "ExpenseApp@1-secret")
        .env("DB_CONNECT_ATTEMPTS", "2")
        .env("REDIS_URL", "redis://:tok3n-secret@127.0.0.1:1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run the binary");
    assert!(!output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("database connection failed"), "{text}");
    assert!(text.contains("expense:***@127.0.0.1:1"), "{text}");
    assert!(
        !text.contains("ExpenseApp") && !text.contains("secret"),
        "{text}"
    );
}
