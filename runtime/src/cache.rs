//! Cache-aside for transaction reads, with the seed's keys (`transactions:all`,
//! `transaction:{id}`), in Redis or, when none is configured, in process.
//!
//! No stale read after an acknowledged write, on any replica, even when a slow reader races a
//! writer: every cached value is stamped with the version of its key family that the reader saw
//! *before* it read the database, and a lookup only accepts a value whose stamp equals the
//! current version. A write, after its commit and before it is acknowledged, bumps the version
//! (and deletes the seed's keys) in one atomic script. A reader that read the database before the
//! commit therefore holds an old stamp, and its value is never served. Redis failures fall back
//! to the database; if an invalidation cannot reach Redis, this replica stops trusting the cache
//! until a later invalidation gets through.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use redis::Script;
use tokio::sync::Notify;

use crate::config::CacheSettings;
use crate::redis_client::RedisClient;
use crate::telemetry::Metrics;

/// Most entries the in-process cache holds before it sweeps expired and outdated ones.
const MEMORY_ENTRIES: usize = 10_000;

/// How long a version key lives without writes (ms).
const VERSION_LIFETIME_MS: &str = "86400000";

const LIST_VERSION: &str = "transactions:version";
const ITEM_VERSION: &str = "transaction:version";

/// `KEYS[1]` value, `KEYS[2]` version, `ARGV[1]` version lifetime (ms)
/// -> `{version}` on a miss, `{version, value}` on a hit.
const LOOKUP: &str = r"
local version = redis.call('GET', KEYS[2])
if not version then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])), 'NX', 'PX', ARGV[1])
  version = redis.call('GET', KEYS[2])
end
local cached = redis.call('GET', KEYS[1])
if cached then
  local sep = string.find(cached, '|', 1, true)
  if sep and string.sub(cached, 1, sep - 1) == version then
    return {version, string.sub(cached, sep + 1)}
  end
end
return {version}
";

/// `KEYS[1]` value, `KEYS[2]` version; `ARGV` stamp, value, ttl. Writes only if still current.
const FILL: &str = r"
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
";

/// `ARGV[1]` = how many of `KEYS` are versions to bump; the rest are keys to delete.
/// `ARGV[2]` = version lifetime (ms). A missing (or expired) version restarts from the clock,
/// so it never repeats an old stamp: versions may expire without risk, and do, to stay tidy.
const INVALIDATE: &str = r"
local versions = tonumber(ARGV[1])
for i = 1, versions do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', KEYS[i], now[1] .. string.format('%06d', tonumber(now[2])))
  end
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
for i = versions + 1, #KEYS do
  redis.call('DEL', KEYS[i])
end
return 1
";

static LOOKUP_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(LOOKUP));
static FILL_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(FILL));
static INVALIDATE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(INVALIDATE));

/// What a cached read is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// The whole list (`transactions:all`).
    List,
    /// One transaction (`transaction:{id}`).
    Item(i64),
}

impl Key {
    fn name(self) -> String {
        match self {
            Key::List => "transactions:all".to_owned(),
            Key::Item(id) => format!("transaction:{id}"),
        }
    }

    fn version(self) -> &'static str {
        match self {
            Key::List => LIST_VERSION,
            Key::Item(_) => ITEM_VERSION,
        }
    }
}

/// A write's effect on the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Created,
    Deleted(i64),
    DeletedAll,
}

/// The result of a lookup.
#[derive(Debug)]
pub enum Lookup {
    Hit(String),
    /// Read the database, then `fill` with this ticket (None: the cache is unusable right now).
    Miss(Option<Ticket>),
}

/// The version a reader saw before reading the database.
#[derive(Debug)]
pub struct Ticket {
    key: Key,
    version: String,
}

/// Test seam: stops one cache fill between the database read and the cache write.
#[derive(Debug, Default)]
pub struct FillGate {
    armed: AtomicBool,
    reached: Notify,
    released: Notify,
}

impl FillGate {
    /// The next fill will stop at the gate.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Waits until a fill has stopped at the gate.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the stopped fill go on.
    pub fn release(&self) {
        self.released.notify_one();
    }

    async fn pass(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.reached.notify_one();
            self.released.notified().await;
        }
    }
}

#[derive(Debug)]
pub struct Cache {
    backend: Backend,
    settings: CacheSettings,
    metrics: Metrics,
    /// An invalidation that could not reach Redis; until one succeeds, bypass the cache.
    suspect: AtomicBool,
}

#[derive(Debug)]
enum Backend {
    Memory(Mutex<Memory>),
    Redis(RedisClient),
    /// No cache: every read goes to the database (shared database, several replicas, no Redis).
    Off,
}

#[derive(Debug, Default)]
struct Memory {
    values: HashMap<String, (u64, String, Instant)>,
    versions: HashMap<&'static str, u64>,
}

impl Memory {
    /// Drops expired and outdated entries; if that is not enough, everything.
    fn sweep(&mut self, now: Instant) {
        let list_version = self.versions.get(LIST_VERSION).copied().unwrap_or(0);
        let item_version = self.versions.get(ITEM_VERSION).copied().unwrap_or(0);
        self.values.retain(|name, (stamp, _, expires)| {
            let current = if name.starts_with("transactions:") {
                list_version
            } else {
                item_version
            };
            *expires > now && *stamp == current
        });
        if self.values.len() >= MEMORY_ENTRIES {
            self.values.clear();
        }
    }
}

impl Cache {
    pub fn in_process(settings: CacheSettings, metrics: Metrics) -> Self {
        Self::with_backend(
            Backend::Memory(Mutex::new(Memory::default())),
            settings,
            metrics,
        )
    }

    pub fn redis(client: RedisClient, settings: CacheSettings, metrics: Metrics) -> Self {
        Self::with_backend(Backend::Redis(client), settings, metrics)
    }

    pub fn off(settings: CacheSettings, metrics: Metrics) -> Self {
        Self::with_backend(Backend::Off, settings, metrics)
    }

    /// `redis`, `in-process` or `off`, for logs.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "in-process",
            Backend::Redis(_) => "redis",
            Backend::Off => "off",
        }
    }

    fn with_backend(backend: Backend, settings: CacheSettings, metrics: Metrics) -> Self {
        Self {
            backend,
            settings,
            metrics,
            suspect: AtomicBool::new(false),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.settings.ttl
    }

    fn redis_key(&self, name: &str) -> String {
        format!("{}{name}", self.settings.key_prefix)
    }

    pub async fn lookup(&self, key: Key) -> Lookup {
        if self.suspect.load(Ordering::SeqCst) && !self.repair().await {
            self.metrics.cache_miss();
            return Lookup::Miss(None);
        }
        let lookup = match &self.backend {
            Backend::Off => return Lookup::Miss(None),
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let version = memory.versions.get(key.version()).copied().unwrap_or(0);
                let name = key.name();
                match memory.values.get(&name) {
                    Some((stamp, value, expires))
                        if *stamp == version && *expires > Instant::now() =>
                    {
                        Lookup::Hit(value.clone())
                    }
                    Some(_) => {
                        memory.values.remove(&name);
                        Lookup::Miss(Some(Ticket {
                            key,
                            version: version.to_string(),
                        }))
                    }
                    None => Lookup::Miss(Some(Ticket {
                        key,
                        version: version.to_string(),
                    })),
                }
            }
            Backend::Redis(client) => {
                let keys = [self.redis_key(&key.name()), self.redis_key(key.version())];
                match client
                    .invoke::<Vec<String>>(&LOOKUP_SCRIPT, &keys, &[VERSION_LIFETIME_MS.to_owned()])
                    .await
                {
                    Ok(mut reply) if reply.len() == 2 => Lookup::Hit(reply.remove(1)),
                    Ok(mut reply) if reply.len() == 1 => Lookup::Miss(Some(Ticket {
                        key,
                        version: reply.remove(0),
                    })),
                    Ok(_) | Err(_) => Lookup::Miss(None),
                }
            }
        };
        match &lookup {
            Lookup::Hit(_) => self.metrics.cache_hit(),
            Lookup::Miss(_) => self.metrics.cache_miss(),
        }
        lookup
    }

    /// Stores what the database returned, unless a write happened since the ticket was taken.
    pub async fn fill(&self, ticket: Ticket, value: String) {
        if let Some(gate) = &self.settings.fill_gate {
            gate.pass().await;
        }
        match &self.backend {
            Backend::Off => {}
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let current = memory
                    .versions
                    .get(ticket.key.version())
                    .copied()
                    .unwrap_or(0);
                if current.to_string() == ticket.version {
                    let now = Instant::now();
                    if memory.values.len() >= MEMORY_ENTRIES {
                        memory.sweep(now);
                    }
                    memory
                        .values
                        .insert(ticket.key.name(), (current, value, now + self.settings.ttl));
                }
            }
            Backend::Redis(client) => {
                let keys = [
                    self.redis_key(&ticket.key.name()),
                    self.redis_key(ticket.key.version()),
                ];
                let args = [
                    ticket.version,
                    value,
                    self.settings.ttl.as_secs().max(1).to_string(),
                ];
                let _filled: Result<i64, _> = client.invoke(&FILL_SCRIPT, &keys, &args).await;
            }
        }
    }

    /// Runs after a write commits and before it is acknowledged.
    pub async fn invalidate(&self, write: Write) {
        if !self.apply(write, true).await {
            self.suspect.store(true, Ordering::SeqCst);
        }
    }

    /// Retries a failed invalidation conservatively (everything), clearing `suspect` on success.
    async fn repair(&self) -> bool {
        let repaired = self.apply(Write::DeletedAll, false).await;
        if repaired {
            self.suspect.store(false, Ordering::SeqCst);
        }
        repaired
    }

    /// `urgent`: a write's own invalidation, tried (twice) even during a Redis cool-down.
    async fn apply(&self, write: Write, urgent: bool) -> bool {
        let (versions, deleted): (&[&'static str], Vec<Key>) = match write {
            Write::Created => (&[LIST_VERSION], vec![Key::List]),
            Write::Deleted(id) => (
                &[LIST_VERSION, ITEM_VERSION],
                vec![Key::List, Key::Item(id)],
            ),
            Write::DeletedAll => (&[LIST_VERSION, ITEM_VERSION], vec![Key::List]),
        };
        match &self.backend {
            Backend::Off => true,
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                for version in versions {
                    *memory.versions.entry(version).or_insert(0) += 1;
                }
                for key in deleted {
                    memory.values.remove(&key.name());
                }
                true
            }
            Backend::Redis(client) => {
                let keys: Vec<String> = versions
                    .iter()
                    .map(|v| self.redis_key(v))
                    .chain(deleted.iter().map(|k| self.redis_key(&k.name())))
                    .collect();
                let args = [versions.len().to_string(), VERSION_LIFETIME_MS.to_owned()];
                // One retry: an invalidation that misses leaves this replica bypassing the cache,
                // and other replicas trusting a value this write made stale.
                if !urgent {
                    return client
                        .invoke::<i64>(&INVALIDATE_SCRIPT, &keys, &args)
                        .await
                        .is_ok();
                }
                for _ in 0..2 {
                    if client
                        .invoke_now::<i64>(&INVALIDATE_SCRIPT, &keys, &args)
                        .await
                        .is_ok()
                    {
                        return true;
                    }
                }
                false
            }
        }
    }
}

fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    // A panic while holding the lock cannot leave the map half-written in a way that matters:
    // the worst case is a stale-stamped entry, which lookups reject.
    memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
