//! Redis going away and Redis answering slowly, under load: the database answers instead, with
//! no 5xx and no stale read, and the cache serves again once Redis is back.

use std::time::Duration;

use crate::helpers::REDIS_SERVER;
use crate::helpers::{Engine, Options, Proxy, RedisServer, TestApp, TestDb, socket_of, through};
use crate::load::{Load, Plan};
use crate::{eventually, unthrottled};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) redis_stopped_and_started_under_load_gives_no_5xx_and_no_stale_read, Need::MARIADB, REDIS_SERVER),
        test!(async(multi_thread) a_slow_redis_costs_each_request_at_most_the_redis_timeout, Need::MARIADB, REDIS_SERVER),
    ]
}

async fn redis_stopped_and_started_under_load_gives_no_5xx_and_no_stale_read() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let mut redis = RedisServer::start().await;
    let app = TestApp::spawn(
        Options::new(&db)
            .redis(&redis.url)
            .rate_limited()
            .edit(unthrottled),
    )
    .await;
    let load = Load::start(Plan::new("redis-stopped-and-started"), vec![app.url("")]);

    // Redis up: the cache serves.
    load.until_more_acknowledged(40, Duration::from_secs(20), "with Redis up")
        .await;
    assert!(app.metric("cache_hits_total").await > 0.0);
    assert_eq!(app.metric("redis_errors_total").await, 0.0);

    // Redis down: every request still answered, from the database.
    redis.stop();
    let errors_at_stop = app.metric("redis_errors_total").await;
    // Down for several of the runtime's one-second cool-downs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    load.until_more_acknowledged(60, Duration::from_secs(20), "with Redis down")
        .await;
    let health = app.health().await;
    assert_eq!(health["redis"], "disconnected", "{health}");
    assert_eq!(health["database"], "connected", "{health}");
    assert!(app.metric("redis_errors_total").await > errors_at_stop);
    let hits_while_down = app.metric("cache_hits_total").await;

    // Redis back (empty): the cache is used again, by itself.
    redis.resume().await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            app.metric("cache_hits_total").await > hits_while_down
        })
        .await,
        "the cache was not used again after Redis came back"
    );
    load.until_more_acknowledged(40, Duration::from_secs(20), "with Redis back")
        .await;
    assert_eq!(app.health().await["redis"], "connected");

    let mut report = load.stop().await;
    report.check_database(&db.url).await;
    report.assert_no_failure();
    report.assert_nothing_lost();
    app.stop().await;
}

const REDIS_DELAY: Duration = Duration::from_secs(5);

async fn a_slow_redis_costs_each_request_at_most_the_redis_timeout() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let redis = RedisServer::start().await;
    // The runtime's own Redis timeout, as the spec sets it for dev.
    let model = generator::model::Model::load_str(
        runtime::config::DEFAULT_SPEC_PATH,
        runtime::config::EMBEDDED_SPEC,
    )
    .expect("spec");
    let timeout = Duration::from_millis(u64::from(model.environments["dev"].app.redis_timeout_ms));
    let proxy = Proxy::start(socket_of(&redis.url)).await;
    let app = TestApp::spawn(
        Options::new(&db)
            .redis(&through(&redis.url, proxy.address))
            .rate_limited()
            .edit(move |settings| {
                unthrottled(settings);
                if let Some(redis) = &mut settings.redis {
                    redis.timeout = timeout;
                }
            }),
    )
    .await;
    app.create(serde_json::json!(1), "before").await;
    app.ids().await;

    // Every answer from Redis now arrives 5 s late: a request that waited for one would take
    // longer than the bound below, however loaded the machine (the example is 500 ms;
    // to the runtime's 50 ms timeout both are the same).
    proxy.slow_down(REDIS_DELAY);
    let errors_before = app.metric("redis_errors_total").await;
    let load = Load::start(Plan::new("redis-slow").requests(600), vec![app.url("")]);
    load.until_more_acknowledged(60, Duration::from_secs(30), "with Redis slow")
        .await;
    let mut report = load.stop().await;
    report.check_database(&db.url).await;
    println!(
        "  redis timeout {} ms, redis answers delayed {} ms",
        timeout.as_millis(),
        REDIS_DELAY.as_millis()
    );
    report.assert_no_failure();
    report.assert_nothing_lost();
    assert!(app.metric("redis_errors_total").await > errors_before);
    // Generous for a loaded machine (where a request may take a second or two regardless),
    // and still well under the delay a request that waited for Redis would take.
    let bound = timeout + Duration::from_secs(3);
    assert!(
        report.latency.max <= bound,
        "slowest request {:?}, more than the Redis timeout {timeout:?} + 3 s",
        report.latency.max
    );

    // Redis fast again: the cache serves again.
    proxy.slow_down(Duration::ZERO);
    let hits = app.metric("cache_hits_total").await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            app.create(serde_json::json!(2), "after").await;
            app.ids().await;
            app.ids().await;
            app.metric("cache_hits_total").await > hits
        })
        .await,
        "the cache was not used again once Redis was fast"
    );
    app.stop().await;
}
