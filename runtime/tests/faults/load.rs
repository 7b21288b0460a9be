//! The steady mixed load every scenario runs: workers write (`POST /transaction`, each with a
//! description no other request uses) and read (the list and single items, on another replica
//! when there are several), bounded in requests and in time. It keeps a ledger of every
//! acknowledged write and every stale read, and at the end checks the database holds every
//! acknowledged write exactly once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::task::JoinHandle;

/// How much load, for how long.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Names the scenario in the report and in every description it writes.
    pub name: &'static str,
    pub workers: usize,
    /// The load stops by itself after this many requests in all...
    pub max_requests: u64,
    /// ...or after this long, whichever comes first.
    pub max_duration: Duration,
    /// How often a worker starts a round (write, list read, item read): a steady rate, whether
    /// requests succeed in a millisecond or fail in one.
    pub pace: Duration,
    /// Each round comes from a new `X-Forwarded-For` client, so the spec's per-client rate
    /// limits never throttle the load (for servers started with `TRUST_X_FORWARDED_FOR`).
    pub rotate_clients: bool,
}

impl Plan {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            workers: 4,
            // Three requests a round: at most ~670 writes, so the whole list fits in one page
            // (`max_page_size` 1000) and a list read can show every acknowledged write.
            max_requests: 2000,
            max_duration: Duration::from_secs(60),
            // At most 4 x 3 / 40 ms = 300 requests a second.
            pace: Duration::from_millis(40),
            rotate_clients: false,
        }
    }

    pub(crate) fn requests(mut self, max: u64) -> Self {
        self.max_requests = max;
        self
    }

    pub(crate) fn rotating_clients(mut self) -> Self {
        self.rotate_clients = true;
        self
    }
}

/// An acknowledged write: `POST /transaction` answered 200 with this id.
#[derive(Clone, Debug)]
pub(crate) struct Ack {
    pub id: i64,
    pub description: String,
}

#[derive(Default, Debug)]
struct Ledger {
    acknowledged: Vec<Ack>,
    failed: u64,
    /// Status and body of every 5xx answer.
    server_errors: Vec<(u16, String)>,
    /// Every read that did not show a write acknowledged before it was sent.
    stale: Vec<String>,
    latencies: Vec<Duration>,
    failure_latencies: Vec<Duration>,
    /// When each 200 answer arrived.
    answered: Vec<Instant>,
}

struct Shared {
    plan: Plan,
    targets: Vec<String>,
    client: reqwest::Client,
    started: Instant,
    sent: AtomicU64,
    stop: AtomicBool,
    ledger: Mutex<Ledger>,
}

/// A running load.
pub(crate) struct Load {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts `plan.workers` workers against the base URLs `targets` (`http://127.0.0.1:port`).
    pub(crate) fn start(plan: Plan, targets: Vec<String>) -> Self {
        assert!(
            targets.iter().all(|t| t.starts_with("http://127.0.0.1:")),
            "the load only targets loopback: {targets:?}"
        );
        let shared = Arc::new(Shared {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("client"),
            plan,
            targets,
            started: Instant::now(),
            sent: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            ledger: Mutex::default(),
        });
        let workers = (0..shared.plan.workers)
            .map(|worker| tokio::spawn(work(shared.clone(), worker)))
            .collect();
        Self { shared, workers }
    }

    pub(crate) fn acknowledged(&self) -> usize {
        self.shared.ledger().acknowledged.len()
    }

    pub(crate) fn sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// Waits until `more` writes are acknowledged beyond the count now; fails the test when
    /// `limit` passes or the load ends first, saying `why` they were expected.
    pub(crate) async fn until_more_acknowledged(&self, more: usize, limit: Duration, why: &str) {
        let target = self.acknowledged() + more;
        let deadline = Instant::now() + limit;
        while self.acknowledged() < target {
            let ended = self.workers.iter().all(JoinHandle::is_finished);
            assert!(
                Instant::now() < deadline && !ended,
                "{}: {why}: {} of {target} writes acknowledged after {} requests{}",
                self.shared.plan.name,
                self.acknowledged(),
                self.sent(),
                if ended { " (the load ended)" } else { "" }
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `more` requests are sent beyond the count now (or the load ends).
    pub(crate) async fn until_more_sent(&self, more: u64) {
        let target = self.sent() + more;
        while self.sent() < target && !self.workers.iter().all(JoinHandle::is_finished) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the workers (each finishes its request in flight) and returns the figures.
    pub(crate) async fn stop(self) -> Report {
        self.shared.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            worker.await.expect("a load worker panicked");
        }
        let ledger = std::mem::take(&mut *self.shared.ledger());
        Report {
            name: self.shared.plan.name,
            sent: ledger.latencies.len() as u64,
            answered: ledger.answered,
            elapsed: self.shared.started.elapsed(),
            acknowledged: ledger.acknowledged,
            failed: ledger.failed,
            server_errors: ledger.server_errors,
            stale: ledger.stale,
            latency: Percentiles::of(ledger.latencies),
            failure_latency: Percentiles::of(ledger.failure_latencies),
            lost: Vec::new(),
            duplicated: Vec::new(),
        }
    }
}

impl Shared {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().expect("ledger lock")
    }

    /// Takes one request from the budget; `false` once the load must stop.
    fn may_send(&self) -> bool {
        if self.stop.load(Ordering::SeqCst) || self.started.elapsed() >= self.plan.max_duration {
            return false;
        }
        self.sent.fetch_add(1, Ordering::SeqCst) < self.plan.max_requests
    }
}

/// One answer, or `None` when no answer came (refused, reset, timed out).
struct Answer {
    status: u16,
    body: serde_json::Value,
}

async fn send(
    shared: &Shared,
    request: reqwest::RequestBuilder,
    client_id: Option<String>,
) -> Option<Answer> {
    let request = match client_id {
        Some(id) => request.header("x-forwarded-for", id),
        None => request,
    };
    let begun = Instant::now();
    let answer = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            Some(Answer { status, body })
        }
        Err(_) => None,
    };
    let took = begun.elapsed();
    let mut ledger = shared.ledger();
    ledger.latencies.push(took);
    match &answer {
        Some(answer) if answer.status == 200 => ledger.answered.push(Instant::now()),
        Some(answer) => {
            ledger.failed += 1;
            ledger.failure_latencies.push(took);
            if answer.status >= 500 {
                ledger
                    .server_errors
                    .push((answer.status, answer.body.to_string()));
            }
        }
        None => {
            ledger.failed += 1;
            ledger.failure_latencies.push(took);
        }
    }
    answer
}

/// Rounds of write, list read, item read. Request n of a round goes to
/// `targets[(worker + n) % len]`: with several replicas a worker writes on one and reads on the
/// others.
async fn work(shared: Arc<Shared>, worker: usize) {
    let replicas = shared.targets.len();
    let target = |n: usize| &shared.targets[(worker + n) % replicas];
    // The first and the latest write this worker saw acknowledged.
    let mut first: Option<Ack> = None;
    let mut latest: Option<Ack> = None;
    let mut rounds = tokio::time::interval(shared.plan.pace);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for round in 0_u64.. {
        rounds.tick().await;
        let client_id = shared.plan.rotate_clients.then(|| {
            format!(
                "10.{worker}.{}.{}",
                (round / 250) % 250 + 1,
                round % 250 + 1
            )
        });
        // 1. A write on this worker's replica.
        if !shared.may_send() {
            break;
        }
        let description = format!("{}-w{worker}-r{round}", shared.plan.name);
        let request = shared
            .client
            .post(format!("{}/transaction", target(0)))
            .json(&serde_json::json!({"amount": round + 1, "description": description}));
        if let Some(answer) = send(&shared, request, client_id.clone()).await
            && answer.status == 200
        {
            let id = answer.body["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("a 200 POST answers an id: {}", answer.body));
            let ack = Ack { id, description };
            shared.ledger().acknowledged.push(ack.clone());
            first.get_or_insert_with(|| ack.clone());
            latest = Some(ack);
        }

        // 2. The list, on the next replica: it shows this worker's latest acknowledged write.
        if !shared.may_send() {
            break;
        }
        let request = shared.client.get(format!("{}/transaction", target(1)));
        if let Some(answer) = send(&shared, request, client_id.clone()).await
            && answer.status == 200
            && let Some(ack) = &latest
        {
            let listed = answer.body["result"]
                .as_array()
                .is_some_and(|rows| rows.iter().any(|row| row["id"] == ack.id));
            if !listed {
                shared.ledger().stale.push(format!(
                    "GET /transaction on {} missed acknowledged write {}",
                    target(1),
                    ack.id
                ));
            }
        }

        // 3. One item on the replica after that: alternately the latest write (fresh) and the
        //    first (read again and again, so served from the cache when there is one).
        let Some(ack) = (if round % 2 == 0 { &latest } else { &first }).clone() else {
            continue;
        };
        if !shared.may_send() {
            break;
        }
        let request = shared
            .client
            .get(format!("{}/transaction/{}", target(2), ack.id));
        if let Some(answer) = send(&shared, request, client_id).await
            && (answer.status == 404
                || (answer.status == 200 && answer.body["desc"] != ack.description.as_str()))
        {
            shared.ledger().stale.push(format!(
                "GET /transaction/{} on {} answered {} {}",
                ack.id,
                target(2),
                answer.status,
                answer.body
            ));
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Percentiles {
    fn of(mut samples: Vec<Duration>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort();
        // The sample at `per_mille` thousandths of the way through, rounded.
        let at = |per_mille: usize| samples[((samples.len() - 1) * per_mille + 500) / 1000];
        Self {
            p50: at(500),
            p99: at(990),
            max: at(1000),
        }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {} ms, p99 {} ms, max {} ms",
            self.p50.as_millis(),
            self.p99.as_millis(),
            self.max.as_millis()
        )
    }
}

/// What a load did, and (after `check_database`) what the database kept of it.
#[derive(Debug)]
pub(crate) struct Report {
    pub name: &'static str,
    pub sent: u64,
    /// When each 200 answer arrived.
    pub answered: Vec<Instant>,
    pub elapsed: Duration,
    pub acknowledged: Vec<Ack>,
    /// Requests without a 200 answer (including those that got no answer at all).
    pub failed: u64,
    pub server_errors: Vec<(u16, String)>,
    pub stale: Vec<String>,
    pub latency: Percentiles,
    pub failure_latency: Percentiles,
    /// Acknowledged writes missing from the database (or stored with another description).
    pub lost: Vec<i64>,
    /// Acknowledged writes stored more than once.
    pub duplicated: Vec<String>,
}

impl Report {
    /// How many requests were answered 200 after `instant`.
    pub(crate) fn answered_after(&self, instant: Instant) -> usize {
        self.answered.iter().filter(|at| **at > instant).count()
    }

    /// Reads every transaction of the database at `url`, checks each acknowledged write is
    /// there exactly once, and prints the report line.
    pub(crate) async fn check_database(&mut self, url: &str) {
        let db = Database::connect(url)
            .await
            .expect("connect to the database under test");
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, description FROM transactions",
            ))
            .await
            .expect("read every transaction");
        db.close().await.expect("close");
        let mut by_id = HashMap::new();
        let mut copies: HashMap<String, usize> = HashMap::new();
        for row in rows {
            let id: i64 = row.try_get("", "id").expect("id");
            let description: String = row.try_get("", "description").expect("description");
            *copies.entry(description.clone()).or_default() += 1;
            by_id.insert(id, description);
        }
        self.lost = self
            .acknowledged
            .iter()
            .filter(|ack| by_id.get(&ack.id) != Some(&ack.description))
            .map(|ack| ack.id)
            .collect();
        self.duplicated = self
            .acknowledged
            .iter()
            .filter(|ack| copies.get(&ack.description).copied().unwrap_or(0) > 1)
            .map(|ack| ack.description.clone())
            .collect();
        println!("{self}");
    }

    /// The checks every scenario makes: nothing acknowledged lost or stored twice, no stale
    /// read, and the load did something.
    pub(crate) fn assert_nothing_lost(&self) {
        assert!(
            !self.acknowledged.is_empty(),
            "{}: no write was acknowledged",
            self.name
        );
        assert!(
            self.lost.is_empty(),
            "{}: acknowledged writes lost: {:?}",
            self.name,
            self.lost
        );
        assert!(
            self.duplicated.is_empty(),
            "{}: acknowledged writes stored twice: {:?}",
            self.name,
            self.duplicated
        );
        assert!(
            self.stale.is_empty(),
            "{}: stale reads: {:?}",
            self.name,
            self.stale
        );
    }

    pub(crate) fn assert_no_server_error(&self) {
        assert!(
            self.server_errors.is_empty(),
            "{}: {} answers were 5xx, first: {:?}",
            self.name,
            self.server_errors.len(),
            self.server_errors.first()
        );
    }

    pub(crate) fn assert_no_failure(&self) {
        self.assert_no_server_error();
        assert_eq!(self.failed, 0, "{}: requests failed", self.name);
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fault report [{}]: sent {}, acknowledged {}, failed {}, 5xx {}, lost {}, \
             duplicated {}, stale reads {}; in {:.1} s; latency {}",
            self.name,
            self.sent,
            self.acknowledged.len(),
            self.failed,
            self.server_errors.len(),
            self.lost.len(),
            self.duplicated.len(),
            self.stale.len(),
            self.elapsed.as_secs_f64(),
            self.latency,
        )?;
        if self.failed > 0 {
            write!(f, "; failures answered in {}", self.failure_latency)?;
        }
        Ok(())
    }
}
