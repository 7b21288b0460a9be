//! Stopping: a stopped server refuses new connections, and a failed start logs no password.
//! (SIGTERM and SIGKILL under load are scenarios of the fault suite, `tests/faults`.)

use std::process::Command;

use serde_json::json;

use crate::helpers::{Options, TestApp, TestDb};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async a_stopped_server_finishes_its_requests_and_refuses_new_connections),
        test!(async a_failed_start_logs_no_password),
    ]
}

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
