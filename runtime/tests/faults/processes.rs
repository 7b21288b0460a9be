//! The real binary stopped under load: SIGTERM drains in-flight requests and exits 0 within
//! the spec's grace period; SIGKILL loses nothing acknowledged, and a restart on the same
//! database serves it all.

use std::time::{Duration, Instant};

use crate::helpers::{Engine, Proxy, ServerProcess, TestDb, socket_of, through};
use crate::load::{Load, Plan};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) sigterm_under_load_drains_in_flight_requests_and_exits_0_within_the_grace_period, Need::MARIADB),
        test!(async(multi_thread) sigkill_under_load_then_a_restart_keeps_every_acknowledged_write, Need::MARIADB),
        test!(async(multi_thread) a_line_logged_while_a_request_is_handled_carries_its_correlation_id, Need::MARIADB),
    ]
}

/// The service's `shutdown_grace_seconds` in the spec.
fn shutdown_grace() -> Duration {
    let model = generator::model::Model::load_str(
        runtime::config::DEFAULT_SPEC_PATH,
        runtime::config::EMBEDDED_SPEC,
    )
    .expect("spec");
    Duration::from_secs(u64::from(
        model
            .runtime_service(None)
            .expect("the runtime serves a service")
            .0
            .shutdown_grace_seconds,
    ))
}

/// Each load round comes from a new client, so the spec's rate limits stay out of the way.
const TRUST_FORWARDED: (&str, &str) = ("TRUST_X_FORWARDED_FOR", "true");

async fn sigterm_under_load_drains_in_flight_requests_and_exits_0_within_the_grace_period() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    // Through a proxy that can slow the database down, so requests are surely in flight when
    // the signal arrives.
    let proxy = Proxy::start(socket_of(&db.url)).await;
    let server = ServerProcess::start(&through(&db.url, proxy.address), &[TRUST_FORWARDED]).await;
    let load = Load::start(
        Plan::new("sigterm").rotating_clients(),
        vec![server.url("")],
    );
    load.until_more_acknowledged(40, Duration::from_secs(20), "before the signal")
        .await;

    // Every database answer now takes 300 ms: each worker's request is in flight for a while.
    proxy.slow_down(Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.terminate();
    let signalled = Instant::now();
    let grace = shutdown_grace();
    let (status, logs) = server.exit_within(grace + Duration::from_secs(10)).await;
    let exited_after = signalled.elapsed();
    let mut report = load.stop().await;
    proxy.slow_down(Duration::ZERO);
    report.check_database(&db.url).await;
    println!(
        "  exit status {status:?} {} ms after SIGTERM (grace {} s); {} requests answered 200 after the signal",
        exited_after.as_millis(),
        grace.as_secs(),
        report.answered_after(signalled)
    );

    let status = status.expect("the process did not exit");
    assert!(status.success(), "exit status {status}");
    assert!(exited_after < grace, "exited after {exited_after:?}");
    report.assert_no_server_error();
    report.assert_nothing_lost();
    // The requests in flight at the signal were answered, not dropped.
    assert!(report.answered_after(signalled) > 0);
    assert!(
        logs.iter().any(|l| l.contains("shutdown signal received")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l.contains("\"stopped\"")), "{logs:?}");
    // Every request the server started, it completed.
    let events: Vec<serde_json::Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let count = |message: &str| events.iter().filter(|e| e["message"] == message).count();
    assert_eq!(count("request_started"), count("request_completed"));
    let completed = events
        .iter()
        .find(|event| event["message"] == "request_completed")
        .expect("a request_completed line");
    assert!(completed["status_code"].is_u64(), "{completed}");
    assert!(completed["duration_ms"].is_number(), "{completed}");
    assert!(completed["correlation_id"].is_string(), "{completed}");
}

async fn sigkill_under_load_then_a_restart_keeps_every_acknowledged_write() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let mut server = ServerProcess::start(&db.url, &[TRUST_FORWARDED]).await;
    let load = Load::start(
        Plan::new("sigkill").rotating_clients().requests(900),
        vec![server.url("")],
    );
    load.until_more_acknowledged(60, Duration::from_secs(20), "before the kill")
        .await;
    server.kill();
    // The load goes on against the dead process for a moment.
    load.until_more_sent(20).await;
    let mut report = load.stop().await;
    report.check_database(&db.url).await;
    report.assert_no_server_error();
    report.assert_nothing_lost();
    assert!(report.failed > 0, "the kill was not seen");

    // Restarted on the same database: it serves every acknowledged write, and new ones.
    let restarted = ServerProcess::start(&db.url, &[TRUST_FORWARDED]).await;
    let listed: serde_json::Value = reqwest::get(restarted.url("/transaction"))
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let ids: Vec<i64> = listed["result"]
        .as_array()
        .expect("result")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    for ack in &report.acknowledged {
        assert!(ids.contains(&ack.id), "acknowledged write {} lost", ack.id);
    }
    let load = Load::start(
        Plan::new("after-sigkill-restart")
            .rotating_clients()
            .requests(300),
        vec![restarted.url("")],
    );
    load.until_more_acknowledged(20, Duration::from_secs(20), "after the restart")
        .await;
    let mut after = load.stop().await;
    after.check_database(&db.url).await;
    after.assert_no_failure();
    after.assert_nothing_lost();
    drop(restarted);
}

async fn a_line_logged_while_a_request_is_handled_carries_its_correlation_id() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let proxy = Proxy::start(socket_of(&db.url)).await;
    let server = ServerProcess::start(&through(&db.url, proxy.address), &[TRUST_FORWARDED]).await;
    let client = reqwest::Client::new();
    proxy.cut();
    // The handler logs `database unavailable` before it answers 503.
    let response = client
        .get(server.url("/transaction"))
        .header("x-correlation-id", "cut-database-7")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 503);
    server.terminate();
    let (_status, logs) = server.exit_within(Duration::from_secs(30)).await;
    let events: Vec<serde_json::Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let logged = events
        .iter()
        .find(|e| e["message"] == "database unavailable")
        .unwrap_or_else(|| panic!("no `database unavailable` line in {logs:?}"));
    assert_eq!(logged["correlation_id"], "cut-database-7", "{logged}");
    assert_eq!(logged["level"], "WARN", "{logged}");
    // Lines outside any request carry none.
    let listening = events
        .iter()
        .find(|e| e["message"] == "listening")
        .expect("a listening line");
    assert!(listening.get("correlation_id").is_none(), "{listening}");
}
