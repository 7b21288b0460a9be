//! Every error class: 422 (FastAPI `detail`), 400, 413, 415, 404, 405; never a 5xx for bad input.

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, TestDb};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async invalid_fields_get_422_in_the_fastapi_shape_with_a_readable_message),
        test!(async malformed_json_is_400_and_an_empty_body_is_422),
        test!(async a_body_over_the_route_limit_is_413),
        test!(async a_non_json_content_type_is_415),
        test!(async unknown_routes_are_404_and_wrong_methods_are_405_with_allow),
        test!(async bad_ids_and_query_parameters_are_422_with_their_location),
        test!(async no_hostile_body_gets_a_server_error),
    ]
}

async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = app.client.post(app.url("/transaction")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn post_json(app: &TestApp, body: Value) -> (u16, Value) {
    post_raw(app, Some("application/json"), body.to_string()).await
}

fn types(body: &Value) -> Vec<(String, String)> {
    body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("no detail list in {body}"))
        .iter()
        .map(|d| {
            let loc = d["loc"]
                .as_array()
                .expect("loc")
                .iter()
                .map(|l| l.as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
                .join(".");
            (loc, d["type"].as_str().expect("type").to_owned())
        })
        .collect()
}

async fn invalid_fields_get_422_in_the_fastapi_shape_with_a_readable_message() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let cases = [
        (
            json!({"amount": -5, "description": "x"}),
            "body.amount",
            "greater_than",
        ),
        (
            json!({"amount": 0, "description": "x"}),
            "body.amount",
            "greater_than",
        ),
        (
            json!({"amount": 12.345, "description": "x"}),
            "body.amount",
            "decimal_max_places",
        ),
        (
            json!({"amount": 1e12, "description": "x"}),
            "body.amount",
            "less_than_equal",
        ),
        (
            json!({"amount": "ten", "description": "x"}),
            "body.amount",
            "float_parsing",
        ),
        (
            json!({"amount": true, "description": "x"}),
            "body.amount",
            "float_type",
        ),
        (json!({"description": "x"}), "body.amount", "missing"),
        (
            json!({"amount": 1, "description": ""}),
            "body.description",
            "string_too_short",
        ),
        (
            json!({"amount": 1, "description": "d".repeat(256)}),
            "body.description",
            "string_too_long",
        ),
        (
            json!({"amount": 1, "description": 5}),
            "body.description",
            "string_type",
        ),
        (json!({"amount": 1}), "body.description", "missing"),
        (json!([1, 2]), "body", "model_attributes_type"),
    ];
    for (body, loc, kind) in cases {
        let (status, answer) = post_json(&app, body.clone()).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert!(
            types(&answer).contains(&(loc.to_owned(), kind.to_owned())),
            "{body} -> {answer}"
        );
        let message = answer["message"].as_str().expect("message");
        assert!(message.contains(loc), "{message}");
        for detail in answer["detail"].as_array().expect("detail") {
            assert!(detail["msg"].is_string(), "{detail}");
        }
    }
    // Both problems are reported at once.
    let (status, answer) = post_json(&app, json!({"amount": -1})).await;
    assert_eq!(status, 422);
    assert_eq!(types(&answer).len(), 2, "{answer}");
    // Nothing was stored.
    assert_eq!(app.ids().await, Vec::<i64>::new());
    app.stop().await;
}

async fn malformed_json_is_400_and_an_empty_body_is_422() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let (status, answer) = post_raw(&app, Some("application/json"), "{\"amount\": 1,").await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("malformed JSON")),
        "{answer}"
    );
    assert_eq!(
        types(&answer),
        vec![("body".to_owned(), "json_invalid".to_owned())]
    );
    let (status, answer) = post_raw(&app, Some("application/json"), "").await;
    assert_eq!(status, 422, "{answer}");
    app.stop().await;
}

async fn a_body_over_the_route_limit_is_413() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    // POST /transaction allows 4096 bytes in the spec.
    let body = json!({"amount": 1, "description": "x".repeat(5000)}).to_string();
    let (status, answer) = post_raw(&app, Some("application/json"), body).await;
    assert_eq!(status, 413, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("4096")),
        "{answer}"
    );
    // Without a Content-Length (a stream), the limit still holds.
    let chunks = vec![
        Ok::<_, std::io::Error>("{\"amount\":1,\"description\":\"".to_owned()),
        Ok("y".repeat(5000)),
        Ok("\"}".to_owned()),
    ];
    let stream = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let (status, _) = post_raw(&app, Some("application/json"), stream).await;
    assert_eq!(status, 413);
    app.stop().await;
}

async fn a_non_json_content_type_is_415() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let (status, answer) = post_raw(
        &app,
        Some("text/plain"),
        "{\"amount\":1,\"description\":\"x\"}",
    )
    .await;
    assert_eq!(status, 415, "{answer}");
    let (status, _) = post_raw(&app, Some("application/x-www-form-urlencoded"), "amount=1").await;
    assert_eq!(status, 415);
    app.stop().await;
}

async fn unknown_routes_are_404_and_wrong_methods_are_405_with_allow() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let response = app
        .client
        .get(app.url("/nope"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert!(body["message"].is_string());
    let response = app
        .client
        .put(app.url("/transaction"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 405);
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        allow.contains("GET") && allow.contains("POST") && allow.contains("DELETE"),
        "{allow}"
    );
    let body: Value = response.json().await.expect("json");
    assert!(body["message"].is_string());
    app.stop().await;
}

async fn bad_ids_and_query_parameters_are_422_with_their_location() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let response = app
        .client
        .get(app.url("/transaction/abc"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        types(&body),
        vec![("path.id".to_owned(), "int_parsing".to_owned())]
    );
    let response = app
        .client
        .get(app.url("/transaction/id"))
        .json(&json!({"id": "x"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let response = app
        .client
        .delete(app.url("/transaction/id"))
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        types(&body),
        vec![("body.id".to_owned(), "missing".to_owned())]
    );
    for query in ["?limit=0", "?limit=abc", "?after_id=x"] {
        let response = app
            .client
            .get(app.url(&format!("/transaction{query}")))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 422, "{query}");
    }
    app.stop().await;
}

async fn no_hostile_body_gets_a_server_error() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let bodies = [
        "null",
        "1",
        "\"x\"",
        "{}",
        "{\"amount\":null}",
        "{\"amount\":1e999,\"description\":\"x\"}",
        "{\"amount\":-0,\"description\":\"x\"}",
        "{\"amount\":99999999999999999999999999,\"description\":\"x\"}",
        "{\"amount\":1,\"description\":\"\\u0000\"}",
        "{\"amount\":[1],\"description\":{}}",
        "\u{feff}{}",
        "{\"amount\":1,\"description\":\"x\",\"amount\":2}",
        "{\"amount\":\"1e5\",\"description\":\"x\"}",
        "{\"amount\":0.001,\"description\":\"x\"}",
        "{\"amount\":1.,\"description\":\"x\"}",
    ];
    for body in bodies {
        let (status, answer) = post_raw(&app, Some("application/json"), body).await;
        assert!((200..500).contains(&status), "{body} -> {status} {answer}");
        assert!(
            status == 200 || answer["message"].is_string(),
            "{body} -> {answer}"
        );
    }
    for id in [
        "{\"id\":1.5}",
        "{\"id\":99999999999999999999}",
        "{\"id\":-1}",
        "{\"id\":null}",
        "[]",
    ] {
        let response = app
            .client
            .get(app.url("/transaction/id"))
            .header("content-type", "application/json")
            .body(id)
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_client_error(),
            "{id} -> {}",
            response.status()
        );
    }
    app.stop().await;
}
