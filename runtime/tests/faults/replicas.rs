//! Three replicas of the real binary on three ports, sharing one database and one Redis: writes
//! on one replica are seen at once by reads on the others, and a client's rate limit is one
//! budget across all three, within the bound `runtime/src/rate_limit.rs` states, also when the
//! client spreads its requests over the replicas or a replica dies holding a lease.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::helpers::{Engine, ServerProcess, TestDb, forget_prefix, fresh_prefix};
use crate::load::{Load, Plan};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) three_replicas_share_writes_without_stale_reads_and_one_rate_limit, Need::REDIS, Need::MARIADB),
        test!(async(multi_thread) a_client_spread_over_three_replicas_gets_its_budget_within_the_bound_at_a_redis_call_per_slice, Need::REDIS, Need::MARIADB),
        test!(async(multi_thread) a_replica_killed_holding_a_lease_takes_at_most_its_slice_of_the_budget, Need::REDIS, Need::MARIADB),
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
    // minute (the spec's default; dev runs at most 4 replicas, so each lease is 2 requests):
    // 100 pass, at least 100 - 3 x (2 - 1) by the bound, and every replica refuses some. (A few
    // more may pass if a call misses the spec's 50 ms Redis timeout on a loaded machine: the
    // replica then counts that request in its own memory. Budgets per replica would pass all
    // 120.)
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
    assert!((97..=105).contains(&allowed), "{allowed} allowed");
    assert!(refused.iter().all(|r| *r > 0), "{refused:?}");
    drop(replicas);
    forget_prefix(&redis_url, &prefix).await;
}

/// The budget of the rate-limit tests: 1,000 a minute, in the dev environment (at most 4
/// replicas, so a lease is `1000 / (10 x 4)` = 25 requests).
const BUDGET: u64 = 1_000;
const WINDOW: Duration = Duration::from_secs(60);
const SLICE: u64 = 25;

/// The repository's spec with the service's budget at `BUDGET` a minute, and a Redis timeout
/// no loaded test machine misses (a missed call is counted in the replica's own memory, the
/// documented fallback, which is not what these tests measure: they check none happened).
fn spec_with_budget() -> tempfile::NamedTempFile {
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/expense.toml"
    ))
    .expect("the spec");
    let edited = spec
        .replacen(
            "rate_limit = { requests = 100, window = \"60s\" }",
            &format!("rate_limit = {{ requests = {BUDGET}, window = \"60s\" }}"),
            1,
        )
        .replacen("redis_timeout_ms = 50 ", "redis_timeout_ms = 2000 ", 1);
    assert_eq!(edited.matches(&format!("requests = {BUDGET},")).count(), 1);
    assert!(edited.contains("redis_timeout_ms = 2000 "));
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    std::io::Write::write_all(&mut file, edited.as_bytes()).expect("write");
    file
}

/// `count` requests of one client (`X-Forwarded-For: client`) to `GET /transaction`, eight at a
/// time, request `n` to `urls[n % urls.len()]`: the allowed count, the refusals per replica, and
/// how long it took.
async fn spread(urls: &[String], client: &str, count: usize) -> (u64, Vec<u64>, Duration) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let statuses: Vec<(usize, u16)> = futures::stream::iter(0..count)
        .map(|n| {
            let replica = n % urls.len();
            let request = http
                .get(format!("{}/transaction", urls[replica]))
                .header("x-forwarded-for", client)
                .send();
            async move {
                let status = request.await.expect("request").status().as_u16();
                (replica, status)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let took = started.elapsed();
    let mut allowed = 0;
    let mut refused = vec![0; urls.len()];
    for (replica, status) in statuses {
        match status {
            200 => allowed += 1,
            429 => refused[replica] += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    (allowed, refused, took)
}

/// The bound of `runtime/src/rate_limit.rs` for a client asking more than the budget through
/// `replicas` replicas, over a run of `took`: at least `BUDGET - replicas x (SLICE - 1)`; at most
/// `BUDGET` a window of Redis' clock, so for a run that may straddle two windows, `BUDGET` plus
/// the room the next window's decaying estimate leaves in `took` (`BUDGET x took / WINDOW`, + 1).
fn assert_within_the_bound(allowed: u64, replicas: u64, took: Duration) {
    let least = BUDGET - replicas * (SLICE - 1);
    let straddle = (u128::from(BUDGET) * took.as_millis()).div_ceil(WINDOW.as_millis());
    let most = BUDGET + u64::try_from(straddle).unwrap_or(BUDGET) + 1;
    println!(
        "  {allowed} allowed of a budget of {BUDGET} in {took:?}: the bound is {least}..={most}"
    );
    assert!(
        (least..=most).contains(&allowed),
        "{allowed} allowed, the bound is {least}..={most}"
    );
    // The issue's own terms: 90 % to 110 % of the budget.
    assert!(
        (BUDGET * 9 / 10..=BUDGET * 11 / 10).contains(&allowed),
        "{allowed} allowed"
    );
}

async fn start_replicas(db: &TestDb, spec: &std::path::Path, prefix: &str) -> Vec<ServerProcess> {
    let redis_url = testkit::service_url(Need::REDIS);
    let spec = spec.to_str().expect("utf-8 path");
    let vars = [
        ("REDIS_URL", redis_url.as_str()),
        ("REDIS_KEY_PREFIX", prefix),
        ("TRUST_X_FORWARDED_FOR", "true"),
        ("PLATFORM_SPEC", spec),
    ];
    futures::future::join_all((0..3).map(|_| ServerProcess::start(&db.url, &vars))).await
}

async fn metric_of(url: &str, name: &str) -> f64 {
    let page = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    metric(&page, name)
}

/// 1,300 requests of one client, eight at a time, round-robin over three replicas, against a
/// budget of 1,000 a minute: what passes is within the bound, every replica refuses some, and the
/// replicas asked Redis about once per 25 requests (a lease), not once per request.
async fn a_client_spread_over_three_replicas_gets_its_budget_within_the_bound_at_a_redis_call_per_slice()
 {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let prefix = fresh_prefix();
    let spec = spec_with_budget();
    let replicas = start_replicas(&db, spec.path(), &prefix).await;
    let urls: Vec<String> = replicas.iter().map(|r| r.url("")).collect();
    let requests = 1_300;
    let (allowed, refused, took) = spread(&urls, "198.51.100.21", requests).await;
    println!("  refused per replica: {refused:?}");
    let mut leases = 0.0;
    for url in &urls {
        assert_eq!(
            metric_of(url, "redis_errors_total").await,
            0.0,
            "{url} fell back"
        );
        leases += metric_of(url, "rate_limit_leases_total").await;
    }
    println!("  Redis lease calls for {requests} requests: {leases}");
    assert_within_the_bound(allowed, 3, took);
    assert!(refused.iter().all(|r| *r > 0), "{refused:?}");
    // At least BUDGET / SLICE leases; refusals are kept until their retry time, and a client's
    // concurrent requests on a replica share one call.
    assert!(leases >= (BUDGET / SLICE) as f64, "{leases} leases");
    assert!(
        leases <= (requests / 10) as f64,
        "{leases} Redis calls for {requests} requests"
    );
    drop(replicas);
    forget_prefix(&testkit::service_url(Need::REDIS), &prefix).await;
}

/// A replica takes a lease (one request through it: it holds 24 more tokens) and is killed; the
/// client then asks the two others for more than its budget: all but at most that slice (and
/// what the bound leaves the others) still passes.
async fn a_replica_killed_holding_a_lease_takes_at_most_its_slice_of_the_budget() {
    let db = TestDb::for_engine(Engine::Mysql).await;
    let prefix = fresh_prefix();
    let spec = spec_with_budget();
    let mut replicas = start_replicas(&db, spec.path(), &prefix).await;
    let urls: Vec<String> = replicas.iter().map(|r| r.url("")).collect();
    let client = "198.51.100.22";
    let started = Instant::now();
    let (first, _, _) = spread(&urls[..1], client, 1).await;
    assert_eq!(first, 1);
    assert_eq!(
        metric_of(&urls[0], "rate_limit_leases_total").await,
        1.0,
        "the first replica holds a lease"
    );
    replicas[0].kill();
    let (allowed, refused, _) = spread(&urls[1..], client, 1_300).await;
    let took = started.elapsed();
    println!("  after the kill: {allowed} allowed, refused per replica {refused:?}");
    for url in &urls[1..] {
        assert_eq!(
            metric_of(url, "redis_errors_total").await,
            0.0,
            "{url} fell back"
        );
    }
    assert_within_the_bound(first + allowed, 3, took);
    assert!(refused.iter().all(|r| *r > 0), "{refused:?}");
    drop(replicas);
    forget_prefix(&testkit::service_url(Need::REDIS), &prefix).await;
}

/// The value of an unlabelled metric in a Prometheus text page.
fn metric(page: &str, name: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} not found"))
}
