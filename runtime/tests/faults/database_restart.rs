//! The database server itself stopped under load and started again (a server of the test's own,
//! on the same port with the same data; the shared servers are never stopped): while it is away
//! every request fails with a 503 within the acquire timeout, never a 500 or a hang; once it is
//! back the runtime reconnects by itself, and nothing acknowledged is lost.

use std::time::{Duration, Instant};

use crate::eventually;
use crate::helpers::{
    DatabaseServer, Engine, MARIADB_INSTANCE, Options, POSTGRES_INSTANCE, TestApp, TestDb,
};
use crate::load::{Load, Plan};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) a_mariadb_restart_under_load_answers_503_and_recovers_without_losing_a_write, MARIADB_INSTANCE),
        test!(async(multi_thread) a_postgres_restart_under_load_answers_503_and_recovers_without_losing_a_write, POSTGRES_INSTANCE),
    ]
}

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the server stays away once it has stopped: several acquire timeouts.
const DOWN_FOR: Duration = Duration::from_secs(3);

async fn database_restart_under_load(engine: Engine, name: &'static str) {
    let mut server = DatabaseServer::start(engine).await;
    let db = TestDb::on_server(engine, &server.admin_url).await;
    // The spec's own pool (10 kept open, up to 30): the server is the test's, and a pool whose
    // minimum is its maximum recovers late (see RELIABILITY.md, scenario 9).
    let app = TestApp::spawn(Options::new(&db).spec_pool().edit(|settings| {
        settings.database.acquire_timeout = ACQUIRE_TIMEOUT;
    }))
    .await;
    let load = Load::start(Plan::new(name), vec![app.url("")]);
    load.until_more_acknowledged(40, Duration::from_secs(20), "before the restart")
        .await;

    let stopping = Instant::now();
    server.stop().await;
    let stopped = Instant::now();
    assert_eq!(app.get_status("/ready").await, 503);
    let health = app.health().await;
    assert_eq!(health["database"], "disconnected", "{health}");
    load.until_more_sent(4).await;
    tokio::time::sleep(DOWN_FOR.saturating_sub(stopped.elapsed())).await;
    let acknowledged_while_down = load.acknowledged();

    let starting = Instant::now();
    server.resume().await;
    let back = Instant::now();
    load.until_more_acknowledged(40, Duration::from_secs(30), "once the database is back")
        .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.get_status("/ready").await == 200
        })
        .await,
        "/ready did not turn 200 again"
    );
    assert_eq!(app.health().await["database"], "connected");

    let mut report = load.stop().await;
    report.check_database(&db.url).await;
    // From the server being back (answering a query) to the first request the runtime served;
    // 0 when the runtime was quicker than the test's own check.
    let first_served = report
        .answered
        .iter()
        .copied()
        .filter(|at| *at > starting)
        .min()
        .expect("a request served after the restart");
    let recovery = first_served.saturating_duration_since(back);
    let answered_503 = report
        .server_errors
        .iter()
        .filter(|(s, _)| *s == 503)
        .count();
    println!(
        "  server stopped in {} ms, away {} ms, back {} ms after its start; first request served \
         {} ms after it was back (recovery); failures: {answered_503} answered 503, {} other 5xx, \
         {} unanswered",
        stopped.duration_since(stopping).as_millis(),
        starting.duration_since(stopped).as_millis(),
        back.duration_since(starting).as_millis(),
        recovery.as_millis(),
        report.server_errors.len() - answered_503,
        report.failed - report.server_errors.len() as u64,
    );

    report.assert_nothing_lost();
    assert!(report.failed > 0, "the restart was not seen");
    assert!(acknowledged_while_down < report.acknowledged.len());
    // Every failure was a 503 with the API's body: no 500, and no request left unanswered.
    for (status, body) in &report.server_errors {
        assert_eq!(*status, 503, "{body}");
        let body: serde_json::Value = serde_json::from_str(body).expect("a JSON error body");
        assert_eq!(body["message"], "the database is unavailable", "{body}");
    }
    assert_eq!(
        report.failed,
        report.server_errors.len() as u64,
        "requests failed without a 503"
    );
    let bound = ACQUIRE_TIMEOUT + Duration::from_secs(2);
    assert!(
        report.failure_latency.max <= bound,
        "the slowest failure took {:?} (acquire timeout {ACQUIRE_TIMEOUT:?})",
        report.failure_latency.max
    );
    assert!(
        recovery <= Duration::from_secs(5),
        "the first request was served {recovery:?} after the database was back"
    );
    app.stop().await;
}

async fn a_mariadb_restart_under_load_answers_503_and_recovers_without_losing_a_write() {
    database_restart_under_load(Engine::Mysql, "mariadb-restart").await;
}

async fn a_postgres_restart_under_load_answers_503_and_recovers_without_losing_a_write() {
    database_restart_under_load(Engine::Postgres, "postgres-restart").await;
}
