//! Three replicas of the real binary on three ports, sharing one database and one Redis: writes
//! on one replica are seen at once by reads on the others, and a client's rate limit is one
//! budget across all three.

use std::time::Duration;

use crate::helpers::{Engine, ServerProcess, TestDb, forget_prefix, fresh_prefix};
use crate::load::{Load, Plan};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) three_replicas_share_writes_without_stale_reads_and_one_rate_limit, Need::REDIS, Need::MARIADB),
    ]
}

async fn three_replicas_share_writes_without_stale_reads_and_one_rate_limit() {
    let redis_url = testkit::service_url(Need::REDIS);
    let db = TestDb::for_engine(Engine::Mysql).await;
    let prefix = fresh_prefix();
    let vars = [
        ("REDIS_URL", redis_url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("TRUST_X_FORWARDED_FOR", "true"),
    ];
    let replicas =
        futures::future::join_all((0..3).map(|_| ServerProcess::start(&db.url, &vars))).await;
    let urls: Vec<String> = replicas.iter().map(|r| r.url("")).collect();
    // Six workers: each replica takes the writes of two, and the reads of four.
    let mut plan = Plan::new("three-replicas").rotating_clients();
    plan.workers = 6;
    let load = Load::start(plan, urls.clone());
    load.until_more_acknowledged(150, Duration::from_secs(30), "on three replicas")
        .await;
    let mut report = load.stop().await;
    report.check_database(&db.url).await;
    report.assert_no_failure();
    report.assert_nothing_lost();
    let client = reqwest::Client::new();
    let mut hits = 0.0;
    for url in &urls {
        let metrics = client
            .get(format!("{url}/metrics"))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text");
        hits += metric(&metrics, "cache_hits_total");
    }
    println!("  cache hits on the three replicas: {hits}");
    assert!(
        hits > 0.0,
        "the replicas never served from the shared cache"
    );

    // One client, 120 requests spread over the three replicas, against a budget of 100 a
    // minute (the spec's default): 100 pass, and every replica refuses some. (A few more may
    // pass if a call misses the spec's 50 ms Redis timeout on a loaded machine: the replica
    // then counts that request in its own memory. Budgets per replica would pass all 120.)
    let id = report.acknowledged[0].id;
    let mut allowed = 0;
    let mut refused = [0_u32; 3];
    for n in 0..120 {
        let replica = n % 3;
        let status = client
            .get(format!("{}/transaction/{id}", urls[replica]))
            .header("x-forwarded-for", "198.51.100.7")
            .send()
            .await
            .expect("request")
            .status()
            .as_u16();
        match status {
            200 => allowed += 1,
            429 => refused[replica] += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    println!(
        "  one client over three replicas: {allowed} allowed, {refused:?} refused per replica"
    );
    assert!((100..=105).contains(&allowed), "{allowed} allowed");
    assert!(refused.iter().all(|r| *r > 0), "{refused:?}");
    drop(replicas);
    forget_prefix(&redis_url, &prefix).await;
}

/// The value of an unlabelled metric in a Prometheus text page.
fn metric(page: &str, name: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} not found"))
}
