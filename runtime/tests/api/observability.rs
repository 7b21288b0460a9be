//! Metrics names and labels, correlation ids, health and readiness, secrets kept out of
//! errors, and the OpenAPI document of exactly the routes served.

use std::collections::BTreeSet;

use runtime::App;
use runtime::config::Vars;
use serde_json::json;

use crate::helpers::{Options, TestApp, TestDb, settings};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async metrics_carry_exactly_the_seed_names_labelled_by_route_template),
        test!(async a_correlation_id_is_echoed_or_generated),
        test!(async health_reports_its_components_and_ready_is_200_with_a_database),
        test!(async a_database_password_never_appears_in_errors_or_settings),
        test!(async the_openapi_document_lists_exactly_the_routes_served),
        test!(async a_handler_the_spec_does_not_route_is_not_served_nor_documented),
        test!(async another_spec_serves_its_own_routes_and_nothing_else),
    ]
}

async fn metrics_carry_exactly_the_seed_names_labelled_by_route_template() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let id = app.create(json!(12.5), "x").await;
    app.ids().await;
    let response = app
        .client
        .get(app.url(&format!("/transaction/{id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    app.client
        .get(app.url("/nope"))
        .send()
        .await
        .expect("request");
    let text = app.metrics().await;
    let families: BTreeSet<(&str, &str)> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .collect();
    let expected: BTreeSet<(&str, &str)> = [
        ("http_requests_total", "counter"),
        ("http_request_duration_seconds", "histogram"),
        ("cache_hits_total", "counter"),
        ("cache_misses_total", "counter"),
        ("redis_errors_total", "counter"),
        ("rate_limit_leases_total", "counter"),
        ("db_query_duration_seconds", "histogram"),
        ("transactions_total", "gauge"),
        ("transactions_amount_total", "gauge"),
    ]
    .into_iter()
    .collect();
    assert_eq!(families, expected, "{text}");
    assert!(!text.contains("otel_scope"), "{text}");
    assert!(!text.contains("target_info"), "{text}");
    assert!(
        text.contains(
            "http_requests_total{endpoint=\"/transaction/{id}\",method=\"GET\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        !text.contains(&format!("endpoint=\"/transaction/{id}\"")),
        "raw path leaked:\n{text}"
    );
    assert!(
        text.contains(
            "http_requests_total{endpoint=\"unmatched\",method=\"GET\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{endpoint=\"/transaction\",method=\"POST\",le=\"0.005\"}"), "{text}");
    assert!(
        text.contains("db_query_duration_seconds_count{operation=\"insert\"} 1"),
        "{text}"
    );
    assert!(text.contains("transactions_total 1\n"), "{text}");
    assert!(text.contains("transactions_amount_total 12.5\n"), "{text}");
    app.stop().await;
}

async fn a_correlation_id_is_echoed_or_generated() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let response = app
        .client
        .get(app.url("/transaction"))
        .header("X-Correlation-ID", "abc-123")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-correlation-id"], "abc-123");
    let response = app
        .client
        .get(app.url("/nope"))
        .send()
        .await
        .expect("request");
    let generated = response.headers()["x-correlation-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
    app.stop().await;
}

async fn health_reports_its_components_and_ready_is_200_with_a_database() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let health = app.health().await;
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["database"], "connected");
    assert_eq!(health["redis"], "disabled");
    assert!(
        chrono::DateTime::parse_from_rfc3339(health["timestamp"].as_str().expect("timestamp"))
            .is_ok()
    );
    let keys: BTreeSet<&str> = health
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["database", "redis", "status", "timestamp"]
            .into_iter()
            .collect()
    );
    let ready = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .expect("request");
    assert_eq!(ready.status(), 200);
    app.stop().await;
}

async fn a_database_password_never_appears_in_errors_or_settings() {
    let vars = Vars::from_pairs([
        ("DB_HOST", "127.0.0.1"),
        ("DB_PORT", "1"),
        ("DB_USER", "expense"),
        ("DB_PWD", "Sup3r-Secret@pw"),
        ("DB_DATABASE", "expense"),
        ("REDIS_URL", "redis://:tok3n-secret@127.0.0.1:1"),
        ("DB_CONNECT_ATTEMPTS", "1"),
    ]);
    let model = generator::model::Model::load_str(
        runtime::config::DEFAULT_SPEC_PATH,
        runtime::config::EMBEDDED_SPEC,
    )
    .expect("spec");
    let settings = runtime::Settings::from_model(
        &model,
        "dev",
        Some("127.0.0.1:0".parse().expect("addr")),
        &vars,
    )
    .expect("settings");
    let debug = format!("{settings:?}");
    assert!(
        !debug.contains("Sup3r") && !debug.contains("tok3n"),
        "{debug}"
    );
    let error = match App::build(settings).await {
        Ok(_) => panic!("nothing listens on port 1"),
        Err(error) => format!("{error} {error:?}"),
    };
    assert!(
        !error.contains("Sup3r") && !error.contains("Secret"),
        "{error}"
    );
    assert!(error.contains("***"), "{error}");
}

async fn the_openapi_document_lists_exactly_the_routes_served() {
    let db = TestDb::sqlite();
    let served = settings(Options::new(&db)).routes;
    let app = TestApp::spawn(Options::new(&db)).await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = served
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.clone()))
        .collect();
    assert_eq!(documented, expected);
    // The whole document is pinned: a change to the API's contract shows up in review.
    insta::assert_json_snapshot!("openapi", doc);
    // The docs page is Swagger UI over that document, with its files served by the runtime
    // itself (no CDN): each one the page loads answers, with its type.
    let html = app.get_text("/docs").await;
    assert!(html.contains("SwaggerUIBundle({"), "{html}");
    assert!(html.contains("url: \"/openapi.json\""), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );
    for (file, kind) in [
        ("swagger-ui-bundle.js", "application/javascript"),
        ("swagger-ui.css", "text/css"),
    ] {
        assert!(html.contains(&format!("/docs/assets/{file}")), "{file}");
        let response = app
            .client
            .get(app.url(&format!("/docs/assets/{file}")))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(response.headers()["content-type"], kind, "{file}");
        assert!(
            response.bytes().await.expect("body").len() > 100_000,
            "{file}"
        );
    }
    assert_eq!(app.get_status("/docs/assets/nothing.js").await, 404);
    app.stop().await;
}

async fn a_handler_the_spec_does_not_route_is_not_served_nor_documented() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).edit(|s| {
        s.routes
            .retain(|r| r.handler != generator::spec::Handler::DeleteAllTransactions);
    }))
    .await;
    let response = app
        .client
        .delete(app.url("/transaction"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 405);
    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        doc["paths"]["/transaction"].get("delete").is_none(),
        "{doc}"
    );
    app.stop().await;
}

async fn another_spec_serves_its_own_routes_and_nothing_else() {
    let db = TestDb::sqlite();
    let ledger = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/ledger.toml");
    let served = settings(Options::new(&db).spec(ledger, "prod")).routes;
    let app = TestApp::spawn(Options::new(&db).spec(ledger, "prod")).await;
    assert_eq!(app.get_status("/livez").await, 200);
    assert_eq!(app.get_status("/readyz").await, 200);
    assert_eq!(app.get_status("/health").await, 404);
    assert_eq!(app.get_status("/docs").await, 404);
    let id = app.create(json!(5), "ledger").await;
    let by_body = app
        .client
        .get(app.url("/transaction/id"))
        .json(&json!({"id": id}))
        .send()
        .await
        .expect("request");
    // `/transaction/{id}` matches, and `id` is not an integer: the body form is not served.
    assert_eq!(by_body.status(), 422);
    let by_path = app
        .client
        .get(app.url(&format!("/transaction/{id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(by_path.status(), 200);
    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = served
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.clone()))
        .collect();
    assert_eq!(documented, expected);
    app.stop().await;
}
