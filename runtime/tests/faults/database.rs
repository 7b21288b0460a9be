//! The database unreachable for a while under load (its connections cut at a loopback proxy;
//! the shared server itself is never stopped): requests fail fast with a 503 JSON body,
//! readiness fails, liveness stays 200 and says why; once it is back the service recovers by
//! itself, and nothing acknowledged is lost.

use std::time::{Duration, Instant};

use crate::eventually;
use crate::helpers::{Engine, Options, Proxy, TestApp, TestDb, socket_of, through};
use crate::load::{Load, Plan};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) a_mariadb_cut_under_load_fails_fast_with_503_and_recovers_by_itself, Need::MARIADB),
        test!(async(multi_thread) a_postgres_cut_under_load_fails_fast_with_503_and_recovers_by_itself, Need::POSTGRES),
    ]
}

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

async fn database_cut_under_load(engine: Engine, name: &'static str) {
    let db = TestDb::for_engine(engine).await;
    let proxy = Proxy::start(socket_of(&db.url)).await;
    let mut options = Options::new(&db).edit(|settings| {
        settings.database.acquire_timeout = ACQUIRE_TIMEOUT;
    });
    options.database_url = through(&db.url, proxy.address);
    let app = TestApp::spawn(options).await;
    let load = Load::start(Plan::new(name), vec![app.url("")]);
    load.until_more_acknowledged(30, Duration::from_secs(20), "before the cut")
        .await;

    proxy.cut();
    let cut_at = Instant::now();
    let response = app
        .client
        .post(app.url("/transaction"))
        .json(&serde_json::json!({"amount": 2, "description": "during the outage"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["message"], "the database is unavailable", "{body}");
    assert_eq!(app.get_status("/ready").await, 503);
    let health = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.expect("json");
    assert_eq!(health["database"], "disconnected", "{health}");
    assert_eq!(health["status"], "degraded", "{health}");
    // The outage lasts a few seconds of load.
    load.until_more_sent(20).await;
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(cut_at.elapsed())).await;
    let acknowledged_during = load.acknowledged();

    proxy.restore();
    load.until_more_acknowledged(30, Duration::from_secs(30), "once the database is back")
        .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.get_status("/ready").await == 200
        })
        .await
    );
    assert_eq!(app.health().await["database"], "connected");

    let mut report = load.stop().await;
    report.check_database(&db.url).await;
    report.assert_nothing_lost();
    assert!(report.failed > 0, "the outage was not seen");
    assert!(acknowledged_during < report.acknowledged.len());
    for (status, body) in &report.server_errors {
        assert_eq!(*status, 503, "{body}");
        let body: serde_json::Value = serde_json::from_str(body).expect("a JSON error body");
        assert_eq!(body["message"], "the database is unavailable", "{body}");
    }
    // Fail fast: a failed request waited at most for one connection attempt.
    let bound = ACQUIRE_TIMEOUT + Duration::from_secs(2);
    assert!(
        report.failure_latency.max <= bound,
        "the slowest failure took {:?} (acquire timeout {ACQUIRE_TIMEOUT:?})",
        report.failure_latency.max
    );
    app.stop().await;
}

async fn a_mariadb_cut_under_load_fails_fast_with_503_and_recovers_by_itself() {
    database_cut_under_load(Engine::Mysql, "mariadb-cut").await;
}

async fn a_postgres_cut_under_load_fails_fast_with_503_and_recovers_by_itself() {
    database_cut_under_load(Engine::Postgres, "postgres-cut").await;
}
