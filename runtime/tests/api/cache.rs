//! Cache-aside: hits and misses, the seed's keys and invalidations, the TTL, no stale read
//! after an acknowledged write (even when a slow reader races a writer), and Redis outages.

use std::sync::Arc;

use redis::AsyncCommands;
use runtime::cache::gate::FillGate;
use serde_json::json;

use crate::helpers::REDIS_SERVER;
use crate::helpers::{
    Options, Proxy, RedisCluster, TestApp, TestDb, fresh_prefix, socket_of, through,
};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async the_in_process_cache_hits_after_a_miss_and_every_write_invalidates),
        test!(async the_redis_cache_hits_after_a_miss_and_every_write_invalidates, Need::REDIS),
        test!(async redis_holds_the_seed_keys_with_the_environment_ttl, Need::REDIS),
        test!(async a_slow_reader_never_caches_over_an_acknowledged_write_in_process),
        test!(async a_slow_reader_on_one_replica_never_caches_over_a_write_on_another, Need::REDIS),
        test!(async a_replica_reads_the_list_another_replica_stored_in_redis_without_the_database, Need::REDIS),
        test!(async concurrent_readers_never_see_a_list_older_than_an_acknowledged_write, Need::REDIS),
        test!(async every_request_succeeds_from_the_database_when_redis_goes_away, Need::REDIS),
        test!(async a_redis_that_is_down_at_start_up_is_not_fatal),
        test!(async a_write_whose_invalidation_missed_redis_is_never_hidden_by_the_old_cache, Need::REDIS),
        test!(async the_cache_and_rate_limits_work_on_a_redis_cluster, REDIS_SERVER),
        test!(async a_route_without_cache_aside_always_reads_the_database),
        test!(async a_redis_that_hangs_is_abandoned_after_the_timeout_and_the_database_answers),
        test!(async concurrent_misses_of_the_list_share_one_database_read),
    ]
}

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis")
}

async fn get_by_id(app: &TestApp, id: i64) -> reqwest::StatusCode {
    app.client
        .get(app.url(&format!("/transaction/{id}")))
        .send()
        .await
        .expect("request")
        .status()
}

/// Reads fill the cache and are then answered from it; every write invalidates.
async fn hits_misses_and_invalidations(app: &TestApp) {
    let first = app.create(json!(10), "first").await;
    let hits = app.metric("cache_hits_total").await;
    let misses = app.metric("cache_misses_total").await;
    assert_eq!(app.ids().await, vec![first]);
    assert_eq!(app.ids().await, vec![first]);
    assert_eq!(app.metric("cache_misses_total").await, misses + 1.0);
    assert_eq!(app.metric("cache_hits_total").await, hits + 1.0);

    // POST invalidates the list.
    let second = app.create(json!(20), "second").await;
    assert_eq!(app.ids().await, vec![first, second]);
    // Item reads are cached too, and a delete of that item is seen at once.
    assert_eq!(get_by_id(app, second).await, 200);
    assert_eq!(get_by_id(app, second).await, 200);
    let deleted = app
        .client
        .delete(app.url(&format!("/transaction/{second}")))
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 200);
    assert_eq!(get_by_id(app, second).await, 404);
    assert_eq!(app.ids().await, vec![first]);
    // DELETE /transaction invalidates the list and every cached item.
    assert_eq!(get_by_id(app, first).await, 200);
    let cleared = app
        .client
        .delete(app.url("/transaction"))
        .send()
        .await
        .expect("request");
    assert_eq!(cleared.status(), 200);
    assert_eq!(get_by_id(app, first).await, 404);
    assert_eq!(app.ids().await, Vec::<i64>::new());
}

async fn the_in_process_cache_hits_after_a_miss_and_every_write_invalidates() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db)).await;
    hits_misses_and_invalidations(&app).await;
    app.stop().await;
}

async fn the_redis_cache_hits_after_a_miss_and_every_write_invalidates() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).redis(&redis_url)).await;
    hits_misses_and_invalidations(&app).await;
    assert_eq!(app.metric("redis_errors_total").await, 0.0);
    app.stop().await;
}

async fn redis_holds_the_seed_keys_with_the_environment_ttl() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let prefix = fresh_prefix();
    let app = TestApp::spawn(Options::new(&db).redis(&redis_url).prefix(&prefix)).await;
    let id = app.create(json!(7), "seven").await;
    app.ids().await;
    assert_eq!(get_by_id(&app, id).await, 200);
    let mut redis = redis_connection(&redis_url).await;
    let list: String = redis
        .get(format!("{prefix}transactions:all"))
        .await
        .expect("list key");
    assert!(list.contains("\"description\":\"seven\""), "{list}");
    let item: String = redis
        .get(format!("{prefix}transaction:{id}"))
        .await
        .expect("item key");
    assert!(item.contains("\"desc\":\"seven\""), "{item}");
    // dev's cache_ttl_seconds is 60.
    let ttl: i64 = redis
        .ttl(format!("{prefix}transactions:all"))
        .await
        .expect("ttl");
    assert!(ttl > 0 && ttl <= 60, "ttl {ttl}");
    // A write deletes the seed's key.
    app.create(json!(8), "eight").await;
    let exists: bool = redis
        .exists(format!("{prefix}transactions:all"))
        .await
        .expect("exists");
    assert!(!exists);
    app.stop().await;
}

/// A reader misses and reads the database, then stalls before filling the cache; meanwhile a
/// write is acknowledged (on `writer`); the stalled fill must never become visible.
async fn slow_reader_races_a_writer(reader: &TestApp, writer: &TestApp, gate: &FillGate) {
    let before = writer.create(json!(1), "before").await;
    gate.arm();
    let slow_read = {
        let client = reader.client.clone();
        let url = reader.url("/transaction");
        tokio::spawn(async move {
            client
                .get(url)
                .send()
                .await
                .expect("request")
                .json::<serde_json::Value>()
                .await
        })
    };
    gate.reached().await;
    let after = writer.create(json!(2), "after").await;
    gate.release();
    // The slow read started before the write: it may show the old list.
    slow_read.await.expect("task").expect("json");
    // Every read after the acknowledgement, on either replica, shows the write.
    assert_eq!(reader.ids().await, vec![before, after]);
    assert_eq!(writer.ids().await, vec![before, after]);

    // The same race on an item: a delete acknowledged during a stalled fill.
    gate.arm();
    let slow_read = {
        let client = reader.client.clone();
        let url = reader.url(&format!("/transaction/{before}"));
        tokio::spawn(async move { client.get(url).send().await.expect("request").status() })
    };
    gate.reached().await;
    let deleted = writer
        .client
        .delete(writer.url(&format!("/transaction/{before}")))
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 200);
    gate.release();
    assert_eq!(slow_read.await.expect("task"), 200);
    assert_eq!(get_by_id(reader, before).await, 404);
    assert_eq!(get_by_id(writer, before).await, 404);
}

async fn a_slow_reader_never_caches_over_an_acknowledged_write_in_process() {
    let db = TestDb::sqlite();
    let gate = Arc::new(FillGate::default());
    let app = TestApp::spawn(Options::new(&db).gate(gate.clone())).await;
    slow_reader_races_a_writer(&app, &app, &gate).await;
    app.stop().await;
}

async fn a_slow_reader_on_one_replica_never_caches_over_a_write_on_another() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let prefix = fresh_prefix();
    let gate = Arc::new(FillGate::default());
    let reader = TestApp::spawn(
        Options::new(&db)
            .redis(&redis_url)
            .prefix(&prefix)
            .gate(gate.clone()),
    )
    .await;
    let writer = TestApp::spawn(Options::new(&db).redis(&redis_url).prefix(&prefix)).await;
    slow_reader_races_a_writer(&reader, &writer, &gate).await;
    reader.stop().await;
    writer.stop().await;
}

/// A replica whose copy of the list is missing finds the one another replica stored in Redis:
/// its shared read asks Redis before the database, and the request counts as a hit.
async fn a_replica_reads_the_list_another_replica_stored_in_redis_without_the_database() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let prefix = fresh_prefix();
    let a = TestApp::spawn(Options::new(&db).redis(&redis_url).prefix(&prefix)).await;
    let b = TestApp::spawn(Options::new(&db).redis(&redis_url).prefix(&prefix)).await;
    let id = a.create(json!(7), "stored by a").await;
    assert_eq!(a.ids().await, vec![id]);
    let list_reads = || async {
        b.count("db_query_duration_seconds_count{operation=\"select_all\"}")
            .await
    };
    let (reads, hits, misses) = (
        list_reads().await,
        b.metric("cache_hits_total").await,
        b.metric("cache_misses_total").await,
    );
    assert_eq!(b.ids().await, vec![id]);
    assert_eq!(b.ids().await, vec![id]);
    assert_eq!(list_reads().await, reads);
    assert_eq!(b.metric("cache_hits_total").await, hits + 2.0);
    assert_eq!(b.metric("cache_misses_total").await, misses);
    a.stop().await;
    b.stop().await;
}

async fn concurrent_readers_never_see_a_list_older_than_an_acknowledged_write() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let prefix = fresh_prefix();
    let a = Arc::new(TestApp::spawn(Options::new(&db).redis(&redis_url).prefix(&prefix)).await);
    let b = Arc::new(TestApp::spawn(Options::new(&db).redis(&redis_url).prefix(&prefix)).await);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for app in [a.clone(), b.clone(), a.clone(), b.clone()] {
        let stop = stop.clone();
        readers.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                app.ids().await;
            }
        }));
    }
    for round in 0..25 {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = writer.create(json!(round + 1), "race").await;
        assert!(
            reader.ids().await.contains(&id),
            "round {round}: replica missed acknowledged write {id}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for reader in readers {
        reader.await.expect("reader");
    }
}

async fn every_request_succeeds_from_the_database_when_redis_goes_away() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let proxy = Proxy::start(socket_of(&redis_url)).await;
    let app = TestApp::spawn(Options::new(&db).redis(&through(&redis_url, proxy.address))).await;
    let first = app.create(json!(1), "cached").await;
    assert_eq!(app.ids().await, vec![first]);
    assert_eq!(app.ids().await, vec![first]);
    assert!(app.metric("cache_hits_total").await >= 1.0);
    assert_eq!(app.metric("redis_errors_total").await, 0.0);

    proxy.cut();
    let second = app.create(json!(2), "while redis is down").await;
    assert_eq!(app.ids().await, vec![first, second]);
    assert_eq!(get_by_id(&app, second).await, 200);
    let health = app.health().await;
    assert_eq!(health["redis"], "disconnected");
    assert_eq!(health["database"], "connected");
    assert!(app.metric("redis_errors_total").await >= 1.0);
    app.stop().await;
}

async fn a_redis_that_is_down_at_start_up_is_not_fatal() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).redis("redis://127.0.0.1:1")).await;
    let id = app.create(json!(5), "no redis").await;
    assert_eq!(app.ids().await, vec![id]);
    assert!(app.metric("redis_errors_total").await >= 1.0);
    app.stop().await;
}

async fn a_write_whose_invalidation_missed_redis_is_never_hidden_by_the_old_cache() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::sqlite();
    let proxy = Proxy::start(socket_of(&redis_url)).await;
    let app = TestApp::spawn(Options::new(&db).redis(&through(&redis_url, proxy.address))).await;
    let first = app.create(json!(1), "cached").await;
    assert_eq!(app.ids().await, vec![first]);
    assert!(app.metric("cache_misses_total").await >= 1.0);

    // Redis is unreachable while the write commits: its invalidation cannot get through, and
    // the cached list (still in Redis) is now stale.
    proxy.cut();
    let second = app.create(json!(2), "written during the outage").await;
    proxy.restore();
    // Once Redis answers again, the old list must not come back.
    for _ in 0..3 {
        assert_eq!(app.ids().await, vec![first, second]);
    }
    app.stop().await;
}

async fn the_cache_and_rate_limits_work_on_a_redis_cluster() {
    let cluster = RedisCluster::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(
        Options::new(&db)
            .redis_cluster(&cluster.urls)
            .rate_limited()
            .edit(crate::rate_limits::limit_list_to(1000)),
    )
    .await;
    hits_misses_and_invalidations(&app).await;
    let response = app
        .client
        .get(app.url("/transaction"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["ratelimit-limit"], "1000");
    let health = app.health().await;
    assert_eq!(health["redis"], "connected");
    assert_eq!(app.metric("redis_errors_total").await, 0.0);
    app.stop().await;
}

async fn a_route_without_cache_aside_always_reads_the_database() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).edit(|settings| {
        for route in &mut settings.routes {
            if route.handler == generator::spec::Handler::GetTransaction {
                route.cached = false;
            }
        }
    }))
    .await;
    let id = app.create(json!(3), "uncached").await;
    for _ in 0..3 {
        assert_eq!(get_by_id(&app, id).await, 200);
    }
    assert_eq!(app.metric("cache_hits_total").await, 0.0);
    assert_eq!(app.metric("cache_misses_total").await, 0.0);
    // The id-in-body route is still cache-aside in the spec.
    for _ in 0..2 {
        let response = app
            .client
            .get(app.url("/transaction/id"))
            .json(&json!({"id": id}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.metric("cache_hits_total").await, 1.0);
    app.stop().await;
}

async fn a_redis_that_hangs_is_abandoned_after_the_timeout_and_the_database_answers() {
    // Accepts connections and never answers: every Redis call must time out.
    let blackhole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = blackhole.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = blackhole.accept().await {
            sockets.push(socket);
        }
    });
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).redis(&format!("redis://{address}")).edit(
        |settings| {
            if let Some(redis) = &mut settings.redis {
                redis.timeout = std::time::Duration::from_millis(100);
            }
        },
    ))
    .await;
    let id = app.create(json!(4), "redis hangs").await;
    assert_eq!(app.ids().await, vec![id]);
    assert_eq!(get_by_id(&app, id).await, 200);
    assert!(app.metric("redis_errors_total").await >= 2.0);
    app.stop().await;
    held.abort();
}

/// While one read of the list is stalled, concurrent misses wait for the next shared read
/// instead of each reading the database; that next read finds the value the first one filled.
async fn concurrent_misses_of_the_list_share_one_database_read() {
    let db = TestDb::sqlite();
    let gate = Arc::new(FillGate::default());
    let app = Arc::new(TestApp::spawn(Options::new(&db).gate(gate.clone())).await);
    let first_id = app.create(json!(4), "first").await;
    app.ids().await;
    let id = app.create(json!(5), "shared").await;
    let list_reads = || async {
        app.metric("db_query_duration_seconds_count{operation=\"select_all\"}")
            .await
    };
    let before = list_reads().await;
    gate.arm();
    let first = {
        let app = app.clone();
        tokio::spawn(async move { app.ids().await })
    };
    gate.reached().await;
    let waiting: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.ids().await })
        })
        .collect();
    // Give the 20 requests time to miss and queue behind the stalled read.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    gate.release();
    assert_eq!(first.await.expect("first"), vec![first_id, id]);
    for request in waiting {
        assert_eq!(request.await.expect("waiting"), vec![first_id, id]);
    }
    assert_eq!(list_reads().await - before, 1.0);
}
