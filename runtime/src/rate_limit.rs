//! Per-client, per-route rate limiting: a sliding window log in Redis, shared by every replica
//! (the seed's algorithm, made atomic in one script and timed by Redis' clock). When Redis is
//! unreachable each replica falls back to the same window kept in its own memory, so limits
//! still hold per replica (a client may then get up to `replicas x limit`).

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use redis::Script;

use crate::config::RateLimit;
use crate::redis_client::RedisClient;

/// `KEYS[1]` the client's window; `ARGV` window ms, limit, unique member.
/// Returns `{allowed, count, ms until the oldest request leaves the window}`.
const SLIDING_WINDOW: &str = r"
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now_ms end
return {allowed, count, reset}
";

static SLIDING_WINDOW_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SLIDING_WINDOW));

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Until the window has room again.
    pub reset: Duration,
}

#[derive(Debug)]
pub struct RateLimiter {
    redis: Option<RedisClient>,
    key_prefix: String,
    local: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(redis: Option<RedisClient>, key_prefix: String) -> Self {
        Self {
            redis,
            key_prefix,
            local: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `client` on `route` against `limit`.
    pub async fn check(&self, route: &str, client: &str, limit: RateLimit) -> Decision {
        let key = format!("{}rate_limit:{route}:{client}", self.key_prefix);
        if let Some(redis) = &self.redis {
            let window_ms = u64::try_from(limit.window.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
            let args = [
                window_ms.to_string(),
                limit.requests.to_string(),
                uuid::Uuid::new_v4().to_string(),
            ];
            if let Ok(reply) = redis
                .invoke::<Vec<i64>>(&SLIDING_WINDOW_SCRIPT, std::slice::from_ref(&key), &args)
                .await
                && let [allowed, count, reset_ms] = reply[..]
            {
                return Decision {
                    allowed: allowed == 1,
                    limit: limit.requests,
                    remaining: limit
                        .requests
                        .saturating_sub(u32::try_from(count).unwrap_or(u32::MAX)),
                    reset: Duration::from_millis(u64::try_from(reset_ms).unwrap_or(0)),
                };
            }
        }
        self.check_locally(key, limit)
    }

    fn check_locally(&self, key: String, limit: RateLimit) -> Decision {
        let now = Instant::now();
        let mut windows = self
            .local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 100_000 {
            windows.retain(|_, log| {
                log.back()
                    .is_some_and(|last| now.duration_since(*last) < limit.window)
            });
        }
        let log = windows.entry(key).or_default();
        while log
            .front()
            .is_some_and(|first| now.duration_since(*first) >= limit.window)
        {
            log.pop_front();
        }
        let allowed = log.len() < limit.requests as usize;
        if allowed {
            log.push_back(now);
        }
        let reset = log.front().map_or(limit.window, |first| {
            limit.window.saturating_sub(now.duration_since(*first))
        });
        Decision {
            allowed,
            limit: limit.requests,
            remaining: limit
                .requests
                .saturating_sub(u32::try_from(log.len()).unwrap_or(u32::MAX)),
            reset,
        }
    }
}
