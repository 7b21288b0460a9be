//! The same API on MariaDB and PostgreSQL (fresh database per test), migrations, and the spec
//! the binary serves. (A database that goes away under load is a scenario of the fault suite,
//! `tests/faults`.)

use sea_orm::{ConnectionTrait, Database, Statement};

use serde_json::json;

use crate::helpers::{Engine, Options, ServerProcess, TestApp, TestDb};
use crate::transactions::{exercise_every_route, idempotent_retries};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async every_route_works_on_mariadb, Need::MARIADB),
        test!(async every_route_works_on_postgres, Need::POSTGRES),
        test!(async the_sqlite_schema_has_timestamps_and_the_created_at_index),
        test!(async the_migrate_subcommand_creates_the_schema_and_exits),
        test!(async on_a_bare_machine_the_binary_uses_the_embedded_spec_and_a_sqlite_file),
        test!(async the_binary_serves_the_routes_of_the_spec_platform_spec_names),
        test!(async replicas_starting_together_on_an_empty_postgres_all_come_up, Need::POSTGRES),
        test!(async replicas_starting_together_on_an_empty_mariadb_all_come_up, Need::MARIADB),
        test!(async replicas_starting_together_on_an_empty_sqlite_file_all_come_up),
    ]
}

async fn every_route_on(engine: Engine) {
    let db = TestDb::for_engine(engine).await;
    let app = TestApp::spawn(Options::new(&db)).await;
    exercise_every_route(&app).await;
    idempotent_retries(&app).await;
    // A shared database, several replicas in the spec, no Redis: no cache, so no replica can
    // serve another's stale data.
    assert_eq!(app.metric("cache_hits_total").await, 0.0);
    assert_eq!(app.metric("cache_misses_total").await, 0.0);
    app.stop().await;
    assert_schema(&db).await;
}

/// The seed's schema: created_at, updated_at, and the index on created_at.
async fn assert_schema(db: &TestDb) {
    let conn = Database::connect(&db.url).await.expect("connect");
    let backend = conn.get_database_backend();
    let (columns_sql, index_sql) = match db.engine {
        Engine::Sqlite => (
            "SELECT name AS n FROM pragma_table_info('transactions')",
            "SELECT name AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions'",
        ),
        Engine::Mysql => (
            "SELECT COLUMN_NAME AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'transactions'",
            "SELECT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'transactions'",
        ),
        Engine::Postgres => (
            "SELECT column_name::text AS n FROM information_schema.columns WHERE table_name = 'transactions'",
            "SELECT indexname::text AS n FROM pg_indexes WHERE tablename = 'transactions'",
        ),
    };
    let names = |sql: &'static str| {
        let conn = &conn;
        async move {
            conn.query_all_raw(Statement::from_string(backend, sql))
                .await
                .expect("query")
                .iter()
                .map(|row| row.try_get::<String>("", "n").expect("name"))
                .collect::<Vec<_>>()
        }
    };
    let columns = names(columns_sql).await;
    for column in [
        "id",
        "amount_cents",
        "description",
        "created_at",
        "updated_at",
    ] {
        assert!(
            columns.iter().any(|c| c == column),
            "{column} missing from {columns:?}"
        );
    }
    let indexes = names(index_sql).await;
    assert!(indexes.iter().any(|i| i == "idx_created_at"), "{indexes:?}");
    conn.close().await.expect("close");
}

async fn every_route_works_on_mariadb() {
    every_route_on(Engine::Mysql).await;
}

async fn every_route_works_on_postgres() {
    every_route_on(Engine::Postgres).await;
}

async fn the_sqlite_schema_has_timestamps_and_the_created_at_index() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    app.stop().await;
    assert_schema(&db).await;
}

async fn the_migrate_subcommand_creates_the_schema_and_exits() {
    let db = TestDb::sqlite();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_expense-backend"))
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .env(
            "PLATFORM_SPEC",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/expense.toml"),
        )
        .env_remove("REDIS_URL")
        .env_remove("REDIS_HOST")
        .status()
        .expect("run the binary");
    assert!(status.success());
    assert_schema(&db).await;
}

async fn on_a_bare_machine_the_binary_uses_the_embedded_spec_and_a_sqlite_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_expense-backend"))
        .arg("migrate")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("run the binary");
    let logs = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{logs}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(logs.contains("\"spec\":\"embedded\""), "{logs}");
    assert!(dir.path().join("expense.sqlite3").exists());
}

/// What the chart does for a release generated from another spec: mounts that spec and points
/// `PLATFORM_SPEC` at it. The binary then serves that spec's service, not the expense API.
async fn the_binary_serves_the_routes_of_the_spec_platform_spec_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("spec.toml");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/money-tracking.toml"),
        &spec,
    )
    .expect("copy the spec");
    let db = TestDb::sqlite();
    let spec_path = spec.to_str().expect("a UTF-8 path");
    let server = ServerProcess::start(
        &db.url,
        &[
            ("PLATFORM_SPEC", spec_path),
            ("SERVICE", "transaction-service"),
            ("ENVIRONMENT", "dev"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let created = client
        .post(server.url("/v1/transactions"))
        .json(&json!({"amount": 12.5, "description": "Coffee"}))
        .send()
        .await
        .expect("POST /v1/transactions");
    assert!(created.status().is_success(), "{}", created.status());
    let listed = client
        .get(server.url("/v1/transactions"))
        .send()
        .await
        .expect("GET /v1/transactions");
    assert_eq!(listed.status(), 200);
    let body = listed.text().await.expect("body");
    assert!(body.contains("\"Coffee\""), "{body}");
    // The expense API's routes are not served.
    for path in ["/transaction", "/transaction/id"] {
        let status = client
            .get(server.url(path))
            .send()
            .await
            .expect("GET")
            .status();
        assert_eq!(status, 404, "{path}");
    }
}

async fn replicas_start_together(engine: Engine) {
    let db = TestDb::for_engine(engine).await;
    let starts = (0..3).map(|_| TestApp::spawn(Options::new(&db)));
    let apps = futures::future::join_all(starts).await;
    let id = apps[0]
        .create(serde_json::json!(1), "after a racing start")
        .await;
    for app in &apps {
        assert_eq!(app.ids().await, vec![id]);
    }
    for app in apps {
        app.stop().await;
    }
}

async fn replicas_starting_together_on_an_empty_postgres_all_come_up() {
    replicas_start_together(Engine::Postgres).await;
}

async fn replicas_starting_together_on_an_empty_mariadb_all_come_up() {
    replicas_start_together(Engine::Mysql).await;
}

async fn replicas_starting_together_on_an_empty_sqlite_file_all_come_up() {
    replicas_start_together(Engine::Sqlite).await;
}
