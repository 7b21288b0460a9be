//! The runtime behind PgBouncer, as money-tracking's prod runs it: the real pooler
//! (tests/tools/bin/pgbouncer-instance) with the `pgbouncer.ini` the generator renders for prod,
//! in front of a fresh database on the shared PostgreSQL; the runtime configured by the same
//! spec and environment, connected to its own database entry.
//!
//! In transaction mode a server connection serves a client for one transaction only, and the
//! runtime's driver (sqlx) prepares every query as a named statement (its statement cache does
//! not change that), then binds it in a second round trip: only a PgBouncer that tracks
//! prepared statements (1.21 on, `max_prepared_statements`) serves it. Debian bookworm ships
//! 1.18: there the test proves the failure the validation rule names; with 1.21 or later it
//! drives the traffic. Session mode serves the runtime on any version.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    Engine, Options, PGBOUNCER_INSTANCE, PgBouncer, TestApp, TestDb, settings,
    tracks_prepared_statements,
};
use generator::model::{Model, PoolMode, Pooler};
use runtime::App;
use testkit::{Need, Test, test};

pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            async in_transaction_mode_the_api_works_exactly_where_pgbouncer_tracks_prepared_statements,
            Need::POSTGRES,
            PGBOUNCER_INSTANCE
        ),
        test!(
            async in_session_mode_concurrent_writes_and_reads_all_succeed_through_pgbouncer,
            Need::POSTGRES,
            PGBOUNCER_INSTANCE
        ),
    ]
}

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/money-tracking.toml");
const ENVIRONMENT: &str = "prod";
/// The runtime-backed service of money-tracking, and so its entry in PgBouncer.
const SERVICE: &str = "transaction-service";

fn model() -> Model {
    Model::load_str(SPEC, &std::fs::read_to_string(SPEC).expect("spec")).expect("valid")
}

/// Prod's pooler, in `mode`.
fn pooler(model: &Model, mode: PoolMode) -> Pooler {
    let prod = model.environment(ENVIRONMENT).expect("prod");
    let pooler = prod.database.pooler.clone().expect("prod runs PgBouncer");
    assert_eq!(pooler.mode, PoolMode::Transaction, "the guide's mode");
    Pooler { mode, ..pooler }
}

/// The runtime's options: the spec's prod, connected to its entry of `bouncer`.
fn options(db: &TestDb, bouncer: &PgBouncer) -> Options {
    assert!(
        bouncer.entries.iter().any(|entry| entry == SERVICE),
        "{SERVICE} is one of PgBouncer's entries: {:?}",
        bouncer.entries
    );
    let mut options = Options::new(db).spec(SPEC, ENVIRONMENT);
    options.database_url = bouncer.url(SERVICE);
    options
}

async fn in_transaction_mode_the_api_works_exactly_where_pgbouncer_tracks_prepared_statements() {
    let model = model();
    let prod = model.environment(ENVIRONMENT).expect("prod");
    let db = TestDb::for_engine(Engine::Postgres).await;
    let bouncer = PgBouncer::start(&model, prod, &pooler(&model, PoolMode::Transaction), &db).await;
    let settings = settings(options(&db, &bouncer));
    // The spec tells the runtime it is behind a transaction pooler.
    assert_eq!(settings.database.pooled_statement_cache, Some(100));
    if tracks_prepared_statements() {
        let app = TestApp::start(settings).await;
        concurrent_writes_and_reads(&app).await;
        app.stop().await;
    } else {
        // PgBouncer before 1.21: the migration's first named statement already meets one
        // another client left on the server connection, or misses its own.
        let error = match App::build(settings).await {
            Ok(_) => panic!("the runtime served through a PgBouncer that loses its statements"),
            Err(error) => error.to_string(),
        };
        assert!(
            error.contains("prepared statement"),
            "the failure is the prepared statements': {error}"
        );
    }
}

async fn in_session_mode_concurrent_writes_and_reads_all_succeed_through_pgbouncer() {
    let model = model();
    let prod = model.environment(ENVIRONMENT).expect("prod");
    let db = TestDb::for_engine(Engine::Postgres).await;
    let bouncer = PgBouncer::start(&model, prod, &pooler(&model, PoolMode::Session), &db).await;
    // The runtime is configured by the spec, whose prod pools by transaction: its statement
    // cache is capped all the same, which session mode does not mind.
    let settings = settings(options(&db, &bouncer));
    let app = TestApp::start(settings).await;
    concurrent_writes_and_reads(&app).await;
    app.stop().await;
}

/// Eight clients at once, each writing transactions and reading each back and the list: every
/// answer a success, every write its own row and found.
async fn concurrent_writes_and_reads(app: &TestApp) {
    const CLIENTS: usize = 8;
    const WRITES: usize = 15;
    let path = "/v1/transactions";
    let clients = (0..CLIENTS).map(|client| async move {
        let mut ids = Vec::new();
        for write in 0..WRITES {
            let response = app
                .client
                .post(app.url(path))
                .json(&json!({"amount": 12.5, "description": format!("client {client} write {write}")}))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200, "POST {path}");
            let body: Value = response.json().await.expect("json");
            let id = body["id"].as_i64().expect("id");
            let read = app
                .client
                .get(app.url(&format!("{path}/{id}")))
                .send()
                .await
                .expect("request");
            assert_eq!(read.status(), 200, "GET {path}/{id}");
            let list = app.client.get(app.url(path)).send().await.expect("request");
            assert_eq!(list.status(), 200, "GET {path}");
            ids.push(id);
        }
        ids
    });
    let ids: Vec<i64> = join_all(clients).await.into_iter().flatten().collect();
    assert_eq!(ids.len(), CLIENTS * WRITES);
    let unique: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "every write its own row");
}
