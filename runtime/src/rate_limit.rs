//! Per-client, per-route rate limits: one budget shared by every replica, at one Redis call per
//! lease of a slice of it instead of one per request.
//!
//! A budget (`limit` requests per `window`, per client and route) is counted in Redis in fixed
//! windows of Redis' clock, read as a sliding window counter: the estimate of the last `window`
//! is the current window's count plus the previous window's, weighted by the share of it still
//! inside the last `window`. A replica leases a slice of the room that estimate leaves
//! (`s = max(1, limit / (10 x max_replicas))` tokens, or what is left) with one script call,
//! spends it in memory, and drops what is left when the window ends. While a replica fetches a
//! lease for a route and client, that pair's other requests on it wait for the fetch instead of
//! sending their own; a refusal is kept until the time Redis said there would be room again.
//!
//! The bound, per route and client, with `N` replicas serving the client (`N <= max_replicas`):
//! - In each window of Redis' clock the replicas together admit at most `limit`: every admission
//!   spends a token leased from that window's count, no lease goes past the room the estimate
//!   leaves, and a replica drops its lease at the window's end as measured from before it asked
//!   (never later than Redis' end).
//! - Leased tokens nobody spends are at most `s - 1` per replica (the request that fetched a
//!   lease spends its first token). A client asking for more than the budget is admitted at least
//!   `limit - N (s - 1)` times in a window: above 90 % of `limit`, since `N s <= limit / 10` when
//!   `s > 1`, and exactly `limit` when `s` is 1 or the client keeps asking every replica it used.
//!   A replica killed holding a lease takes at most `s - 1` tokens with it, until the window ends.
//! - Across windows the estimate is at most `limit` whenever a lease is granted: a steady client
//!   gets `limit` per `window`; after a burst at the end of one window the next has only the room
//!   the weighted count leaves, so any `window`-long stretch holds at most `2 x limit` (the exact
//!   log this replaced: `limit`).
//! - Redis is asked once per lease, at most `limit / s + N` times a window (about
//!   `10 x max_replicas`, at most twice that), plus once per replica and refusal; when the budget
//!   is under `20 x max_replicas` the slice is one token and each admission is one call.
//!
//! When Redis is unreachable each replica counts the same windows in its own memory, so a client
//! may then get up to `N x limit` a window.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::Script;

use crate::config::RateLimit;
use crate::redis_client::RedisClient;
use crate::telemetry::Metrics;

/// `KEYS[1]` the budget's windows (a hash: `w` the current window's number, `c` its count, `p`
/// the previous window's count); `ARGV` window ms, limit, tokens wanted. Leases up to the tokens
/// wanted from the room the sliding estimate leaves. Returns `{granted, room left, ms until the
/// window ends, ms until there is room again (when nothing was granted)}`. `Windows::lease` is
/// the same arithmetic, on this replica's clock.
const LEASE: &str = r"
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local number = math.floor(now_ms / window)
local elapsed = now_ms - number * window
local state = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local current, previous = 0, 0
local stored = tonumber(state[1])
if stored == number then
  current = tonumber(state[2])
  previous = tonumber(state[3])
elseif stored == number - 1 then
  previous = tonumber(state[2])
end
local room = math.max(0, limit - current - math.floor(previous * (window - elapsed) / window))
local granted = math.min(wanted, room)
current = current + granted
local retry = 0
if granted == 0 then
  if current < limit then
    retry = math.max(1, window - math.floor((limit - current) * window / math.max(previous, 1)) - elapsed)
  else
    retry = window - elapsed + window - math.floor(limit * window / math.max(current, 1))
  end
end
redis.call('HSET', KEYS[1], 'w', number, 'c', current, 'p', previous)
redis.call('PEXPIRE', KEYS[1], 2 * window - elapsed)
return {granted, room - granted, window - elapsed, retry}
";

static LEASE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(LEASE));

/// Past this many clients of one route, a new client first drops the shares that hold nothing.
const SWEEP_AT: usize = 100_000;

/// Who a request counts against: an address, or nobody known (a connection without an IP peer,
/// all such requests sharing one budget). Its text, in the budget's Redis key, is the address's
/// or `unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client(pub Option<IpAddr>);

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

/// The outcome of one check, with what the `RateLimit-Remaining` and `RateLimit-Reset` headers
/// report (the limit and policy are the route's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// This replica's view: what no replica had leased at its last lease, plus what is left of
    /// its own lease (other replicas' spending shows at its next lease).
    pub remaining: u32,
    /// Until the window ends (allowed), or until there is room again (refused).
    pub reset: Duration,
}

/// One route's budget, and this replica's shares of it, one per client.
#[derive(Debug)]
pub struct RouteBudget {
    /// `METHOD:template`, in the budget's Redis key.
    route: String,
    limit: RateLimit,
    /// The tokens one lease asks for.
    slice: u64,
    shares: Mutex<HashMap<Client, Share>>,
}

/// This replica's share of one client's budget on one route.
#[derive(Debug, Default)]
struct Share {
    held: Held,
    /// Held while a lease is fetched, so the pair's other requests on this replica wait for it
    /// instead of sending their own.
    fetching: Arc<tokio::sync::Mutex<()>>,
    /// The count kept in memory while Redis cannot be reached.
    local: Windows,
}

#[derive(Clone, Copy, Debug, Default)]
enum Held {
    #[default]
    Nothing,
    /// Tokens of a lease, spendable until its window ends; `unleased`: the budget no replica had
    /// leased when it was granted.
    Tokens {
        left: u64,
        unleased: u64,
        until: Instant,
    },
    /// Redis said there is no room before `until`.
    Refused { until: Instant },
}

impl RouteBudget {
    /// The budget of `route` (`METHOD:template`) for an environment of at most `max_replicas`.
    pub fn new(route: String, limit: RateLimit, max_replicas: u32) -> Self {
        let slice = (u64::from(limit.requests) / (10 * u64::from(max_replicas.max(1)))).max(1);
        Self {
            route,
            limit,
            slice,
            shares: Mutex::new(HashMap::new()),
        }
    }

    fn window_ms(&self) -> u64 {
        u64::try_from(self.limit.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn with_share<R>(&self, client: Client, use_share: impl FnOnce(&mut Share) -> R) -> R {
        let mut shares = self.shares.lock().unwrap_or_else(PoisonError::into_inner);
        if shares.len() >= SWEEP_AT && !shares.contains_key(&client) {
            let now = Instant::now();
            shares.retain(|_, share| share.is_live(now));
        }
        use_share(shares.entry(client).or_default())
    }

    /// Spends a token of the lease this replica holds, or repeats its refusal; else the lock a
    /// fetch of a new lease takes.
    fn spend(&self, client: Client, now: Instant) -> Result<Decision, Arc<tokio::sync::Mutex<()>>> {
        self.with_share(client, |share| match &mut share.held {
            Held::Tokens {
                left,
                unleased,
                until,
            } if *left > 0 && now < *until => {
                *left -= 1;
                Ok(Decision {
                    allowed: true,
                    remaining: saturate(*unleased + *left),
                    reset: *until - now,
                })
            }
            Held::Refused { until } if now < *until => Ok(Decision {
                allowed: false,
                remaining: 0,
                reset: *until - now,
            }),
            _ => Err(share.fetching.clone()),
        })
    }

    /// Keeps the lease Redis granted to a request sent at `asked`, and spends its first token.
    fn hold(&self, client: Client, lease: Lease, asked: Instant) -> Decision {
        let now = Instant::now();
        self.with_share(client, |share| {
            if lease.granted == 0 {
                let until = asked + Duration::from_millis(lease.retry_ms);
                share.held = Held::Refused { until };
                return Decision {
                    allowed: false,
                    remaining: 0,
                    reset: until.saturating_duration_since(now),
                };
            }
            let until = asked + Duration::from_millis(lease.window_left_ms);
            share.held = Held::Tokens {
                left: lease.granted - 1,
                unleased: lease.room_left,
                until,
            };
            Decision {
                allowed: true,
                remaining: saturate(lease.room_left + lease.granted - 1),
                reset: until.saturating_duration_since(now),
            }
        })
    }

    /// Counts one request in this replica's own windows (Redis unreachable).
    fn count_locally(&self, client: Client, now_ms: u64) -> Decision {
        let limit = self.limit.requests;
        let window_ms = self.window_ms();
        self.with_share(client, |share| {
            let lease = share.local.lease(now_ms, window_ms, u64::from(limit), 1);
            let allowed = lease.granted == 1;
            Decision {
                allowed,
                remaining: saturate(lease.room_left),
                reset: Duration::from_millis(if allowed {
                    lease.window_left_ms
                } else {
                    lease.retry_ms
                }),
            }
        })
    }
}

impl Share {
    /// Whether it holds anything a request could still use.
    fn is_live(&self, now: Instant) -> bool {
        Arc::strong_count(&self.fetching) > 1
            || self.local.current > 0
            || match self.held {
                Held::Nothing => false,
                Held::Tokens { until, .. } | Held::Refused { until } => now < until,
            }
    }
}

fn saturate(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// One budget's two latest fixed windows, the state of a sliding window counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Windows {
    /// The current window's number (time / window).
    number: u64,
    current: u64,
    previous: u64,
}

/// What one lease request got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lease {
    granted: u64,
    /// Room the estimate leaves after this lease.
    room_left: u64,
    window_left_ms: u64,
    /// When nothing was granted: until the estimate leaves room for one, if nobody else spends.
    retry_ms: u64,
}

impl Windows {
    /// Leases up to `wanted` of the room the estimate leaves at `now_ms` (the `LEASE` script,
    /// on this replica's clock).
    fn lease(&mut self, now_ms: u64, window_ms: u64, limit: u64, wanted: u64) -> Lease {
        let number = now_ms / window_ms;
        let elapsed = now_ms % window_ms;
        if number != self.number {
            self.previous = if number == self.number + 1 {
                self.current
            } else {
                0
            };
            self.current = 0;
            self.number = number;
        }
        let weighted = self.previous * (window_ms - elapsed) / window_ms;
        let room = limit.saturating_sub(self.current + weighted);
        let granted = wanted.min(room);
        self.current += granted;
        let retry_ms = if granted > 0 {
            0
        } else if self.current < limit {
            // The previous window's weight has to fall below the room the current one leaves.
            (window_ms - (limit - self.current) * window_ms / self.previous.max(1))
                .saturating_sub(elapsed)
                .max(1)
        } else {
            // In the next window, this one's count (weighted) has to fall below the limit.
            window_ms - elapsed + window_ms - limit * window_ms / self.current.max(1)
        };
        Lease {
            granted,
            room_left: room - granted,
            window_left_ms: window_ms - elapsed,
            retry_ms,
        }
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    redis: Option<RedisClient>,
    key_prefix: String,
    metrics: Metrics,
    /// The zero of the windows counted in memory.
    started: Instant,
}

impl RateLimiter {
    pub fn new(redis: Option<RedisClient>, key_prefix: String, metrics: Metrics) -> Self {
        Self {
            redis,
            key_prefix,
            metrics,
            started: Instant::now(),
        }
    }

    /// Counts one request of `client` against `budget`. Nearly every request is decided at once,
    /// in memory: a token of the lease this replica holds, the refusal it keeps, or its own count
    /// when no Redis is configured. Only a request that needs a new lease waits for one.
    pub async fn check(&self, budget: &RouteBudget, client: Client) -> Decision {
        let Some(redis) = &self.redis else {
            return budget.count_locally(client, self.local_ms());
        };
        match budget.spend(client, Instant::now()) {
            Ok(decision) => decision,
            // Boxed: every request's future would otherwise carry (and be allocated with) the
            // state of a Redis round trip.
            Err(fetching) => Box::pin(self.check_with_lease(redis, budget, client, fetching)).await,
        }
    }

    /// Fetches a lease under the pair's `fetching` lock, unless a request ahead of this one
    /// fetched it meanwhile, and spends its first token.
    async fn check_with_lease(
        &self,
        redis: &RedisClient,
        budget: &RouteBudget,
        client: Client,
        fetching: Arc<tokio::sync::Mutex<()>>,
    ) -> Decision {
        let _turn = fetching.lock().await;
        if let Ok(decision) = budget.spend(client, Instant::now()) {
            return decision;
        }
        let asked = Instant::now();
        match self.lease(redis, budget, client).await {
            Some(lease) => budget.hold(client, lease, asked),
            None => budget.count_locally(client, self.local_ms()),
        }
    }

    /// One `LEASE` call; `None` when Redis failed (the client counted and logged it).
    async fn lease(
        &self,
        redis: &RedisClient,
        budget: &RouteBudget,
        client: Client,
    ) -> Option<Lease> {
        let key = format!(
            "{}rate_limit_window:{}:{client}",
            self.key_prefix, budget.route
        );
        let args = [
            budget.window_ms().to_string(),
            budget.limit.requests.to_string(),
            budget.slice.to_string(),
        ];
        let reply = redis
            .invoke::<Vec<i64>>(&LEASE_SCRIPT, std::slice::from_ref(&key), &args)
            .await
            .ok()?;
        self.metrics.rate_limit_lease();
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        match reply[..] {
            [granted, room_left, window_left_ms, retry_ms] => Some(Lease {
                granted: count(granted),
                room_left: count(room_left),
                window_left_ms: count(window_left_ms),
                retry_ms: count(retry_ms),
            }),
            _ => None,
        }
    }

    fn local_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: u64 = 60_000;

    /// Every request one at a time, `per_ms` apart from `from_ms`: how many were admitted.
    fn admitted(windows: &mut Windows, limit: u64, from_ms: u64, to_ms: u64, per_ms: u64) -> u64 {
        (from_ms..to_ms)
            .step_by(usize::try_from(per_ms).unwrap_or(1))
            .map(|now| windows.lease(now, WINDOW, limit, 1).granted)
            .sum()
    }

    #[test]
    fn a_fresh_budget_admits_the_limit_in_a_window_then_refuses_until_its_end() {
        let mut windows = Windows::default();
        let from = 10 * WINDOW + 1_000;
        assert_eq!(admitted(&mut windows, 100, from, from + 1_000, 1), 100);
        let refused = windows.lease(from + 1_000, WINDOW, 100, 1);
        assert_eq!(refused.granted, 0);
        // The count of this window, weighted, leaves room for one just after the next begins.
        assert_eq!(refused.retry_ms, WINDOW - 2_000);
    }

    #[test]
    fn a_steady_client_gets_the_limit_per_window_and_no_window_more() {
        let mut windows = Windows::default();
        // 10 requests a second against 100 a minute, for ten minutes.
        let start = 7 * WINDOW + 12_345;
        let mut per_window = HashMap::<u64, u64>::new();
        for now in (start..start + 10 * WINDOW).step_by(100) {
            let granted = windows.lease(now, WINDOW, 100, 1).granted;
            *per_window.entry(now / WINDOW).or_default() += granted;
        }
        assert!(per_window.values().all(|n| *n <= 100), "{per_window:?}");
        let total: u64 = per_window.values().sum();
        assert!((950..=1_050).contains(&total), "{total} in ten windows");
    }

    #[test]
    fn after_a_burst_at_a_window_end_the_next_window_has_only_the_decayed_room() {
        let mut windows = Windows::default();
        let end = 3 * WINDOW - 1;
        assert_eq!(windows.lease(end, WINDOW, 100, 100).granted, 100);
        // A quarter into the next window three quarters of the burst still weigh.
        let lease = windows.lease(3 * WINDOW + WINDOW / 4, WINDOW, 100, 100);
        assert_eq!(lease.granted, 25);
        assert_eq!(lease.room_left, 0);
        let refused = windows.lease(3 * WINDOW + WINDOW / 4, WINDOW, 100, 1);
        assert_eq!(refused.granted, 0);
        // Room for one more when the previous window's weight drops below 100 - 25.
        assert_eq!(refused.retry_ms, 1);
    }

    #[test]
    fn a_lease_takes_at_most_the_slice_and_at_most_the_room() {
        let mut windows = Windows::default();
        let now = 5 * WINDOW;
        assert_eq!(windows.lease(now, WINDOW, 1_000, 25).granted, 25);
        assert_eq!(windows.lease(now, WINDOW, 1_000, 2_000).granted, 975);
        let last = windows.lease(now, WINDOW, 1_000, 25);
        assert_eq!((last.granted, last.room_left), (0, 0));
    }

    #[test]
    fn a_slice_is_a_tenth_of_the_budget_over_the_most_replicas_and_at_least_one() {
        let minute = Duration::from_secs(60);
        let slice = |requests, replicas| {
            RouteBudget::new(
                "GET:/transaction".to_owned(),
                RateLimit {
                    requests,
                    window: minute,
                },
                replicas,
            )
            .slice
        };
        assert_eq!(slice(100, 10), 1);
        assert_eq!(slice(100, 4), 2);
        assert_eq!(slice(1_000, 4), 25);
        assert_eq!(slice(1_000_000, 10), 10_000);
        assert_eq!(slice(10, 0), 1);
    }

    #[test]
    fn a_held_lease_is_spent_locally_and_dropped_when_its_window_ends() {
        let budget = RouteBudget::new(
            "GET:/transaction".to_owned(),
            RateLimit {
                requests: 1_000,
                window: Duration::from_secs(60),
            },
            4,
        );
        let asked = Instant::now();
        let lease = Lease {
            granted: 3,
            room_left: 900,
            window_left_ms: 1_000,
            retry_ms: 0,
        };
        let client = Client(Some(IpAddr::from([198, 51, 100, 7])));
        let first = budget.hold(client, lease, asked);
        assert!(first.allowed);
        assert_eq!(first.remaining, 902);
        for remaining in [901, 900] {
            let decision = budget.spend(client, asked).expect("a token left");
            assert!(decision.allowed);
            assert_eq!(decision.remaining, remaining);
        }
        assert!(budget.spend(client, asked).is_err(), "spent");
        budget.hold(client, lease, asked);
        let after_the_window = asked + Duration::from_millis(1_000);
        assert!(budget.spend(client, after_the_window).is_err());
        let other = Client(Some(IpAddr::from([203, 0, 113, 9])));
        assert!(budget.spend(other, asked).is_err(), "per client");
    }

    #[test]
    fn a_client_is_named_in_its_redis_key_by_its_address_or_as_unknown() {
        assert_eq!(
            Client(Some(IpAddr::from([198, 51, 100, 7]))).to_string(),
            "198.51.100.7"
        );
        let v6 = "2001:db8::7".parse::<IpAddr>().expect("an address");
        assert_eq!(Client(Some(v6)).to_string(), "2001:db8::7");
        assert_eq!(Client(None).to_string(), "unknown");
    }
}
