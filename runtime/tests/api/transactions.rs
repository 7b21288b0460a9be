//! Every route of the seed's API, with its exact JSON shapes.

use serde_json::json;

use crate::helpers::{Options, TestApp, TestDb};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async every_route_answers_in_the_seed_shapes_on_sqlite),
        test!(async a_created_transaction_acknowledges_with_the_seed_message_and_its_id),
        test!(async the_documented_ends_of_every_integer_parameter_are_accepted),
        test!(async pages_follow_the_cursor_and_every_page_is_capped_by_max_page_size),
        test!(async retries_with_one_idempotency_key_create_one_transaction_on_sqlite),
    ]
}

/// Drives every transaction route on `app`; shared by the SQLite, MariaDB and PostgreSQL tests.
pub(crate) async fn exercise_every_route(app: &TestApp) {
    let client = &app.client;
    let groceries = app.create(json!(100), "Groceries").await;
    let gas = app.create(json!(12.34), "Gas").await;
    let coffee = app.create(json!("3.5"), "Coffee").await;
    assert!(groceries < gas && gas < coffee);

    let list = app.list().await;
    assert_eq!(
        list,
        json!({"result": [
            {"id": groceries, "amount": 100, "description": "Groceries"},
            {"id": gas, "amount": 12.34, "description": "Gas"},
            {"id": coffee, "amount": 3.5, "description": "Coffee"},
        ]})
    );
    // Integers stay integers in the text itself, not just after parsing.
    let text = client
        .get(app.url("/transaction"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(text.contains("\"amount\":100,"), "{text}");
    assert!(text.contains("\"amount\":12.34,"), "{text}");

    let by_body: serde_json::Value = client
        .get(app.url("/transaction/id"))
        .json(&json!({"id": gas}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(by_body, json!({"id": gas, "amount": 12.34, "desc": "Gas"}));

    let by_path: serde_json::Value = client
        .get(app.url(&format!("/transaction/{groceries}")))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        by_path,
        json!({"id": groceries, "amount": 100, "desc": "Groceries"})
    );

    let deleted: serde_json::Value = client
        .delete(app.url("/transaction/id"))
        .json(&json!({"id": gas}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        deleted,
        json!({"message": format!("transaction with id {gas} seemingly deleted")})
    );
    let missing = client
        .get(app.url(&format!("/transaction/{gas}")))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
    let missing = client
        .get(app.url("/transaction/id"))
        .json(&json!({"id": gas}))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not found")),
        "{body}"
    );

    let deleted = client
        .delete(app.url(&format!("/transaction/{coffee}")))
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 200);
    assert_eq!(app.ids().await, vec![groceries]);

    let all: serde_json::Value = client
        .delete(app.url("/transaction"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        all,
        json!({"message": "delete function execution finished."})
    );
    assert_eq!(app.list().await, json!({"result": []}));
}

async fn every_route_answers_in_the_seed_shapes_on_sqlite() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    exercise_every_route(&app).await;
    app.stop().await;
}

async fn a_created_transaction_acknowledges_with_the_seed_message_and_its_id() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let response = app
        .client
        .post(app.url("/transaction"))
        .json(&json!({"amount": 100, "description": "Groceries"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"message": "added transaction successfully", "id": 1})
    );
    app.stop().await;
}

/// Every integer parameter documents its range, and the server accepts both ends of it (a
/// schemathesis run once sent a `limit` the document allowed and the server refused).
async fn the_documented_ends_of_every_integer_parameter_are_accepted() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    let id = app.create(json!(1), "one").await;
    let document: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operation") {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in parameters {
                let schema = &parameter["schema"];
                if schema["type"] != "integer" {
                    continue;
                }
                let name = parameter["name"].as_str().expect("name");
                for end in ["minimum", "maximum"] {
                    let value = &schema[end];
                    assert!(value.is_i64() || value.is_u64(), "{path} {name}: no {end}");
                    let url = match parameter["in"].as_str() {
                        Some("query") => format!("{path}?{name}={value}"),
                        Some("path") => path.replace(&format!("{{{name}}}"), &value.to_string()),
                        other => panic!("{path} {name} in {other:?}"),
                    };
                    let method: reqwest::Method = method.to_uppercase().parse().expect("method");
                    let status = app
                        .client
                        .request(method, app.url(&url))
                        .send()
                        .await
                        .expect("request")
                        .status();
                    // Found, or not found: never refused as invalid.
                    assert!(
                        status == 200 || status == 404,
                        "{url}: {status} for a documented {end}"
                    );
                    checked += 1;
                }
            }
        }
    }
    // limit, after_id, and the path id of GET and DELETE, each at both ends.
    assert_eq!(checked, 8);
    assert_eq!(app.list().await["result"][0]["id"], id);
}

async fn pages_follow_the_cursor_and_every_page_is_capped_by_max_page_size() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).edit(|s| s.max_page_size = 3)).await;
    for n in 1..=5 {
        app.create(json!(n), &format!("t{n}")).await;
    }
    let page = |query: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(app.url(&format!("/transaction{query}")))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200, "{query}");
            response.json::<serde_json::Value>().await.expect("json")
        }
    };
    let ids = |body: &serde_json::Value| -> Vec<i64> {
        body["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|t| t["id"].as_i64().expect("id"))
            .collect()
    };
    let first = page("?limit=2").await;
    assert_eq!(ids(&first), vec![1, 2]);
    assert_eq!(first["next_after_id"], json!(2));
    let second = page("?limit=2&after_id=2").await;
    assert_eq!(ids(&second), vec![3, 4]);
    let last = page("?limit=2&after_id=4").await;
    assert_eq!(ids(&last), vec![5]);
    assert!(last.get("next_after_id").is_none());
    let capped = page("?limit=1000").await;
    assert_eq!(ids(&capped), vec![1, 2, 3]);
    let unpaginated = page("").await;
    assert_eq!(ids(&unpaginated), vec![1, 2, 3]);
    assert_eq!(unpaginated["next_after_id"], json!(3));
    app.stop().await;
}

/// Retries with one `Idempotency-Key` create one transaction; shared by every engine's test.
pub(crate) async fn idempotent_retries(app: &TestApp) {
    let post = |key: &'static str, amount: i64| {
        let request = app
            .client
            .post(app.url("/transaction"))
            .header("Idempotency-Key", key)
            .json(&json!({"amount": amount, "description": "rent"}));
        async move { request.send().await.expect("request") }
    };
    let first = post("key-1", 900).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.expect("json");
    let retry = post("key-1", 900).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: serde_json::Value = retry.json().await.expect("json");
    assert_eq!(first, retry);
    assert_eq!(app.ids().await.len(), 1);

    let reused = post("key-1", 901).await;
    assert_eq!(reused.status(), 422);
    let body: serde_json::Value = reused.json().await.expect("json");
    assert_eq!(
        body["detail"][0]["type"], "idempotency_key_reused",
        "{body}"
    );

    // Concurrent retries of one request: one transaction, every answer the same.
    let answers = futures::future::join_all((0..8).map(|_| async {
        let response = post("key-2", 50).await;
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.expect("json")["id"].clone()
    }))
    .await;
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    assert_eq!(app.ids().await.len(), 2);

    let bad = app
        .client
        .post(app.url("/transaction"))
        .header("Idempotency-Key", "")
        .json(&json!({"amount": 1, "description": "x"}))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), 422);
}

async fn retries_with_one_idempotency_key_create_one_transaction_on_sqlite() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    idempotent_retries(&app).await;
    app.stop().await;
}
