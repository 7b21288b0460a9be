//! A Redis Cluster of three local masters: the runtime works in cluster mode under load, and
//! keeps serving from the database, with no 5xx and no stale read, while the master holding
//! its keys is stopped.

use std::time::Duration;

use crate::helpers::REDIS_SERVER;
use crate::helpers::{Engine, Options, RedisCluster, TestApp, TestDb, fresh_prefix};
use crate::load::{Load, Plan};
use crate::{eventually, unthrottled};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) a_redis_cluster_serves_and_a_stopped_master_falls_back_to_the_database, Need::MARIADB, REDIS_SERVER),
    ]
}

const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

async fn a_redis_cluster_serves_and_a_stopped_master_falls_back_to_the_database() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let mut cluster = RedisCluster::start().await;
    // A hash tag: every key of this test is in one slot, on one master.
    let prefix = format!("{{{}}}", fresh_prefix());
    let app = TestApp::spawn(
        Options::new(&db)
            .redis_cluster(&cluster.urls)
            .prefix(&prefix)
            .rate_limited()
            .edit(|settings| {
                unthrottled(settings);
                // With a master down the cluster client retries until the timeout, on every
                // call: keep it near the spec's (50 ms) so the load goes on at its pace.
                if let Some(redis) = &mut settings.redis {
                    redis.timeout = REDIS_TIMEOUT;
                }
            }),
    )
    .await;
    let load = Load::start(Plan::new("redis-cluster-master-stopped"), vec![app.url("")]);
    load.until_more_acknowledged(40, Duration::from_secs(20), "with every master up")
        .await;
    assert!(app.metric("cache_hits_total").await > 0.0);
    // (Not `redis_errors_total == 0`: on a loaded machine a call may exceed the short timeout.)
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.health().await["redis"] == "connected"
        })
        .await
    );

    let master = cluster.master_of(&prefix);
    cluster.stop_master(master);
    let errors_at_stop = app.metric("redis_errors_total").await;
    // Long enough for the other masters to declare the cluster down (node timeout 3 s): then
    // every slot refuses, not only the stopped master's.
    tokio::time::sleep(Duration::from_secs(5)).await;
    load.until_more_acknowledged(60, Duration::from_secs(30), "with a master down")
        .await;
    assert!(app.metric("redis_errors_total").await > errors_at_stop);
    let state = cluster.state();
    let mut report = load.stop().await;
    println!("  master {master} of 3 stopped; cluster_state then: {state}");
    report.check_database(&db.url).await;
    report.assert_no_failure();
    report.assert_nothing_lost();
    app.stop().await;
}
