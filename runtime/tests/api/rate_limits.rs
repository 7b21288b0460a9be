//! Per-client, per-route rate limits from the spec: 429 with Retry-After and RateLimit
//! headers, shared by replicas through Redis, kept per replica when Redis is down.

use std::time::Duration;

use generator::spec::{Handler, Method};
use runtime::config::RateLimit;

use crate::helpers::{Options, TestApp, TestDb, fresh_prefix, wait_for_room_in_window};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async the_spec_limit_answers_429_with_retry_after_and_ratelimit_headers),
        test!(async the_spec_default_of_100_per_minute_applies_to_unlisted_routes),
        test!(async the_docs_page_and_the_document_are_not_limited_like_the_api),
        test!(async two_replicas_share_one_budget_through_redis, Need::REDIS),
        test!(async one_replica_spends_a_lease_locally_and_reports_exactly_what_remains, Need::REDIS),
        test!(async limits_hold_per_replica_when_redis_is_unreachable),
    ]
}

pub(crate) fn limit_list_to(requests: u32) -> impl FnOnce(&mut runtime::Settings) + Send {
    move |settings| {
        for route in &mut settings.routes {
            if route.handler == Handler::ListTransactions && route.method == Method::Get {
                route.rate_limit = Some(RateLimit {
                    requests,
                    window: Duration::from_secs(60),
                });
            }
        }
    }
}

async fn get_list(app: &TestApp) -> reqwest::Response {
    app.client
        .get(app.url("/transaction"))
        .send()
        .await
        .expect("request")
}

async fn the_spec_limit_answers_429_with_retry_after_and_ratelimit_headers() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).rate_limited().edit(limit_list_to(3))).await;
    for remaining in ["2", "1", "0"] {
        let response = get_list(&app).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "3");
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
    }
    let response = get_list(&app).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    assert!(response.headers().contains_key("ratelimit-reset"));
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("too many requests")),
        "{body}"
    );
    // Limits are per route: another route still answers, and probes are never limited.
    let response = app
        .client
        .get(app.url("/transaction/1"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    for _ in 0..5 {
        assert_eq!(app.get_status("/health").await, 200);
    }
    app.stop().await;
}

async fn the_spec_default_of_100_per_minute_applies_to_unlisted_routes() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).rate_limited()).await;
    let response = get_list(&app).await;
    assert_eq!(response.headers()["ratelimit-limit"], "100");
    let response = app
        .client
        .delete(app.url("/transaction"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["ratelimit-limit"], "10");
    app.stop().await;
}

/// A reader of the docs loads the page, its files and the document many times; none of that
/// spends the API's budget, nor is limited by it.
async fn the_docs_page_and_the_document_are_not_limited_like_the_api() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).rate_limited().edit(limit_list_to(2))).await;
    for _ in 0..120 {
        for path in ["/docs", "/openapi.json", "/docs/assets/swagger-ui.css"] {
            let response = app.client.get(app.url(path)).send().await.expect("request");
            assert_eq!(response.status(), 200, "{path}");
            assert!(
                response.headers().get("ratelimit-limit").is_none(),
                "{path}"
            );
        }
    }
    assert_eq!(
        get_list(&app).await.status(),
        200,
        "the API's budget is untouched"
    );
    assert_eq!(get_list(&app).await.status(), 200);
    assert_eq!(get_list(&app).await.status(), 429, "and still a limit");
    app.stop().await;
}

async fn two_replicas_share_one_budget_through_redis() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let prefix = fresh_prefix();
    let a = TestApp::spawn(
        Options::new(&db)
            .redis(&redis_url)
            .prefix(&prefix)
            .rate_limited()
            .edit(limit_list_to(4)),
    )
    .await;
    let b = TestApp::spawn(
        Options::new(&db)
            .redis(&redis_url)
            .prefix(&prefix)
            .rate_limited()
            .edit(limit_list_to(4)),
    )
    .await;
    for app in [&a, &b, &a, &b] {
        assert_eq!(get_list(app).await.status(), 200);
    }
    assert_eq!(get_list(&a).await.status(), 429);
    assert_eq!(get_list(&b).await.status(), 429);
    a.stop().await;
    b.stop().await;
}

/// A budget of 400 a minute in dev (at most 4 replicas): each lease is 10 requests, spent in
/// the replica's memory, and on one replica `RateLimit-Remaining` counts down exactly.
async fn one_replica_spends_a_lease_locally_and_reports_exactly_what_remains() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let prefix = fresh_prefix();
    // The count starts again in the next minute: stay inside one.
    wait_for_room_in_window(&redis_url, Duration::from_secs(60), Duration::from_secs(20)).await;
    let app = TestApp::spawn(
        Options::new(&db)
            .redis(&redis_url)
            .prefix(&prefix)
            .rate_limited()
            .edit(limit_list_to(400)),
    )
    .await;
    for remaining in (375..400).rev() {
        let response = get_list(&app).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "400");
        assert_eq!(
            response.headers()["ratelimit-remaining"],
            remaining.to_string().as_str()
        );
    }
    assert_eq!(
        app.metric("rate_limit_leases_total").await,
        3.0,
        "25 requests, leases of 10"
    );
    app.stop().await;
}

async fn limits_hold_per_replica_when_redis_is_unreachable() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(
        Options::new(&db)
            .redis("redis://127.0.0.1:1")
            .rate_limited()
            .edit(limit_list_to(2)),
    )
    .await;
    assert_eq!(get_list(&app).await.status(), 200);
    assert_eq!(get_list(&app).await.status(), 200);
    assert_eq!(get_list(&app).await.status(), 429);
    app.stop().await;
}
