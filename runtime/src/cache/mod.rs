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
//!
//! With Redis, each replica also keeps the values it read in memory, stamped the same way, and
//! on a lookup asks Redis only for the current versions: one `MGET` of the two version keys,
//! shared by every lookup that began before it was sent (`VersionReads`). A value is served from
//! memory only if its stamp equals a version read after the lookup began, so this is exactly as
//! fresh as reading the value from Redis, at a fraction of the cost under load.

pub mod gate;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use redis::Script;

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

type SharedRead = Shared<BoxFuture<'static, Option<ListRead>>>;

/// The outcome of a shared read of the whole list.
#[derive(Clone, Debug)]
struct ListRead {
    value: Bytes,
    /// Read from the database (a miss), rather than found in Redis (a hit).
    from_database: bool,
}

/// What a cached read is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The whole list (`transactions:all`).
    List,
    /// One transaction (`transaction:{id}`).
    Item(i64),
}

impl Key {
    fn name(self) -> Cow<'static, str> {
        match self {
            Key::List => Cow::Borrowed("transactions:all"),
            Key::Item(id) => Cow::Owned(format!("transaction:{id}")),
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
    /// The cached JSON text (shared, not copied).
    Hit(Bytes),
    /// Read the database, then `fill` with this ticket (None: the cache is unusable right now).
    Miss(Option<Ticket>),
}

/// The version a reader saw before reading the database.
#[derive(Debug)]
pub struct Ticket {
    key: Key,
    version: String,
    /// Redis has not been asked for the value yet (the shared list read asks it first).
    ask_redis: bool,
}

impl Ticket {
    fn new(key: Key, version: String) -> Self {
        Self {
            key,
            version,
            ask_redis: false,
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
    /// The latest shared read of the whole list, by the version of its ticket.
    list_reads: Mutex<Option<(String, SharedRead)>>,
}

#[derive(Debug)]
enum Backend {
    Memory(Mutex<Memory>),
    Redis {
        client: RedisClient,
        /// What this replica read from Redis, stamped with the Redis version it belongs to.
        near: Mutex<Local>,
        versions: Arc<Batched<Option<Arc<Versions>>>>,
        /// The prefixed list and item version keys.
        version_keys: Arc<[String; 2]>,
    },
    /// No cache: every read goes to the database (shared database, several replicas, no Redis).
    Off,
}

/// The in-process cache: values and the version counters of their key families.
#[derive(Debug, Default)]
struct Memory {
    values: Local,
    versions: HashMap<&'static str, u64>,
}

impl Memory {
    fn version(&self, key: Key) -> String {
        self.versions
            .get(key.version())
            .copied()
            .unwrap_or(0)
            .to_string()
    }
}

/// Values by key, each with the version stamp it was read under and when it expires.
#[derive(Debug, Default)]
struct Local(HashMap<Key, (String, Bytes, Instant)>);

impl Local {
    /// The value of `key` if it was stamped `version` and has not expired; drops it otherwise.
    fn get(&mut self, key: Key, version: &str, now: Instant) -> Option<Bytes> {
        match self.0.get(&key) {
            Some((stamp, value, expires)) if stamp == version && *expires > now => {
                Some(value.clone())
            }
            Some(_) => {
                self.0.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Stores a value; when full, first drops what has expired, and everything if that is not
    /// enough (entries are cheap to read again).
    fn insert(&mut self, key: Key, version: String, value: Bytes, expires: Instant) {
        if self.0.len() >= MEMORY_ENTRIES {
            let now = Instant::now();
            self.0.retain(|_, (_, _, expires)| *expires > now);
            if self.0.len() >= MEMORY_ENTRIES {
                self.0.clear();
            }
        }
        self.0.insert(key, (version, value, expires));
    }

    fn remove(&mut self, key: Key) {
        self.0.remove(&key);
    }
}

/// The two version keys as Redis holds them (`None`: missing, the lookup script sets it).
#[derive(Debug, Default)]
struct Versions {
    list: Option<String>,
    item: Option<String>,
}

impl Versions {
    fn of(&self, key: Key) -> Option<&str> {
        match key {
            Key::List => self.list.as_deref(),
            Key::Item(_) => self.item.as_deref(),
        }
    }
}

/// A read shared by the callers that asked before it started: a caller joins the next read to
/// start, never one already on its way, so every answer it gets was read after it asked. While
/// one read is in flight, the callers that arrive wait for the next, which then serves them all.
/// Under load this turns one read per request into one read per round trip.
///
/// Before each read the reader yields once to the scheduler, which then polls the sockets and
/// runs the requests that were ready: they join this read instead of waiting for the next one.
/// Under load that puts more requests on each `MGET` and shortens the tail (BENCHMARKS.md).
pub struct Batched<T> {
    state: Mutex<BatchState<T>>,
}

struct BatchState<T> {
    reading: bool,
    waiting: Vec<tokio::sync::oneshot::Sender<T>>,
}

impl<T> Default for Batched<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(BatchState {
                reading: false,
                waiting: Vec::new(),
            }),
        }
    }
}

impl<T> std::fmt::Debug for Batched<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Batched")
    }
}

impl<T: Clone + Send + 'static> Batched<T> {
    /// The answer of a `read` started after this call began (`None` if that read panicked).
    /// Callers pass equivalent reads: the one of the caller that starts the reader is used.
    pub async fn get<R, F>(self: &Arc<Self>, read: R) -> Option<T>
    where
        R: Fn() -> F + Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let start_reader = {
            let mut state = lock(&self.state);
            state.waiting.push(sender);
            !std::mem::replace(&mut state.reading, true)
        };
        if start_reader {
            // Its own task: a caller that goes away must not strand the others.
            tokio::spawn(self.clone().read_while_waited_for(read));
        }
        receiver.await.ok()
    }

    async fn read_while_waited_for<R, F>(self: Arc<Self>, read: R)
    where
        R: Fn() -> F,
        F: Future<Output = T>,
    {
        // However the reader ends (a panicking read included), the next caller starts a new one;
        // callers still waiting then see a closed channel.
        let _reset = ResetOnDrop(&self.state);
        loop {
            // Still fresh: whoever joins now asked before the read below is sent.
            tokio::task::yield_now().await;
            let waiting = {
                let mut state = lock(&self.state);
                if state.waiting.is_empty() {
                    return;
                }
                std::mem::take(&mut state.waiting)
            };
            let answer = read().await;
            for waiter in waiting {
                let _gone = waiter.send(answer.clone());
            }
        }
    }
}

struct ResetOnDrop<'a, T>(&'a Mutex<BatchState<T>>);

impl<T> Drop for ResetOnDrop<'_, T> {
    fn drop(&mut self) {
        let mut state = lock(self.0);
        state.reading = false;
        state.waiting.clear();
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
        let prefix = &settings.key_prefix;
        let version_keys = Arc::new([
            format!("{prefix}{LIST_VERSION}"),
            format!("{prefix}{ITEM_VERSION}"),
        ]);
        let backend = Backend::Redis {
            client,
            near: Mutex::default(),
            versions: Arc::default(),
            version_keys,
        };
        Self::with_backend(backend, settings, metrics)
    }

    pub fn off(settings: CacheSettings, metrics: Metrics) -> Self {
        Self::with_backend(Backend::Off, settings, metrics)
    }

    /// `redis`, `in-process` or `off`, for logs.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "in-process",
            Backend::Redis { .. } => "redis",
            Backend::Off => "off",
        }
    }

    fn with_backend(backend: Backend, settings: CacheSettings, metrics: Metrics) -> Self {
        Self {
            backend,
            settings,
            metrics,
            suspect: AtomicBool::new(false),
            list_reads: Mutex::default(),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.settings.ttl
    }

    fn redis_key(&self, name: &str) -> String {
        format!("{}{name}", self.settings.key_prefix)
    }

    /// Looks `key` up, counting a hit or a miss.
    pub async fn lookup(&self, key: Key) -> Lookup {
        if matches!(self.backend, Backend::Off) {
            return Lookup::Miss(None);
        }
        let lookup = self.find(key).await;
        self.count(matches!(lookup, Lookup::Hit(_)));
        lookup
    }

    fn count(&self, hit: bool) {
        if hit {
            self.metrics.cache_hit();
        } else {
            self.metrics.cache_miss();
        }
    }

    /// The whole list from this replica's copy, from Redis, or from one database read, shared
    /// by every request whose lookup saw the same version: a write that invalidates the list
    /// under load costs one Redis lookup and at most one database read, not one per waiting
    /// request. `read` reads the database and fills under its ticket. `None`: the cache cannot
    /// be used right now, or the shared read failed; the caller reads the database itself.
    ///
    /// No stale read: a request joins only a read whose ticket carries the version the request
    /// itself read after it began. A write bumps the version after its commit and before its
    /// acknowledgement, so any write acknowledged before the request began was committed
    /// before that read took its ticket, and so before it read the database (or before the
    /// value it found in Redis, stamped with the then-current version, was read).
    pub async fn list<R, F>(&self, read: R) -> Option<Bytes>
    where
        R: FnOnce(Ticket) -> F + Send + 'static,
        F: Future<Output = Option<Bytes>> + Send + 'static,
    {
        if matches!(self.backend, Backend::Off) {
            return None;
        }
        let ticket = match self.find(Key::List).await {
            Lookup::Hit(value) => {
                self.count(true);
                return Some(value);
            }
            Lookup::Miss(None) => {
                self.count(false);
                return None;
            }
            Lookup::Miss(Some(ticket)) => ticket,
        };
        let read = self.shared_list_read(ticket, read).await;
        self.count(read.as_ref().is_some_and(|read| !read.from_database));
        read.map(|read| read.value)
    }

    /// The read for `ticket`'s version: joined if one is on its way (or done), else started,
    /// asking Redis first if the ticket says so.
    async fn shared_list_read<R, F>(&self, ticket: Ticket, read: R) -> Option<ListRead>
    where
        R: FnOnce(Ticket) -> F + Send + 'static,
        F: Future<Output = Option<Bytes>> + Send + 'static,
    {
        let shared = {
            let mut reads = lock(&self.list_reads);
            match joinable(&reads, &ticket.version) {
                Some(shared) => shared,
                None => {
                    let version = ticket.version.clone();
                    let redis = match &self.backend {
                        Backend::Redis { client, .. } if ticket.ask_redis => {
                            Some((client.clone(), self.redis_keys(ticket.key)))
                        }
                        _ => None,
                    };
                    // Its own task: the read completes (and fills) even if its requests go away.
                    let task = tokio::spawn(async move {
                        let mut ticket = ticket;
                        if let Some((client, keys)) = redis {
                            match lookup_in_redis(&client, &keys).await {
                                Some(Stored::Current { value, .. }) => {
                                    return Some(ListRead {
                                        value,
                                        from_database: false,
                                    });
                                }
                                // Read under the newest version seen, so the fill can land.
                                Some(Stored::Missing { version }) => ticket.version = version,
                                None => {}
                            }
                        }
                        read(ticket).await.map(|value| ListRead {
                            value,
                            from_database: true,
                        })
                    });
                    let shared = async move { task.await.ok().flatten() }.boxed().shared();
                    *reads = Some((version, shared.clone()));
                    shared
                }
            }
        };
        shared.await
    }

    /// The shared read of the whole list under `version`, if there is one that has not failed.
    fn list_read(&self, version: &str) -> Option<SharedRead> {
        joinable(&lock(&self.list_reads), version)
    }

    async fn find(&self, key: Key) -> Lookup {
        if self.suspect.load(Ordering::SeqCst) && !self.repair().await {
            return Lookup::Miss(None);
        }
        match &self.backend {
            Backend::Off => Lookup::Miss(None),
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let version = memory.version(key);
                match memory.values.get(key, &version, Instant::now()) {
                    Some(value) => Lookup::Hit(value),
                    None => Lookup::Miss(Some(Ticket::new(key, version))),
                }
            }
            Backend::Redis {
                client,
                near,
                versions,
                version_keys,
            } => {
                let read = {
                    let (client, keys) = (client.clone(), version_keys.clone());
                    move || read_versions(client.clone(), keys.clone())
                };
                match versions.get(read).await.flatten() {
                    Some(current) => self.lookup_redis(key, client, near, &current).await,
                    None => Lookup::Miss(None),
                }
            }
        }
    }

    /// From this replica's memory if its copy carries the version Redis holds now, else from
    /// Redis (keeping a copy), else a miss with the version to fill under.
    async fn lookup_redis(
        &self,
        key: Key,
        client: &RedisClient,
        near: &Mutex<Local>,
        current: &Versions,
    ) -> Lookup {
        if let Some(version) = current.of(key)
            && let Some(value) = lock(near).get(key, version, Instant::now())
        {
            return Lookup::Hit(value);
        }
        // While writes keep moving the list's version, each version's first reader starts a
        // shared read (which asks Redis, then the database); the readers after it take that
        // read's answer (or join it) at once, instead of each asking Redis first.
        if key == Key::List
            && let Some(version) = current.of(key)
        {
            return match self
                .list_read(version)
                .and_then(|read| read.peek().cloned())
            {
                Some(Some(read)) => Lookup::Hit(read.value),
                _ => Lookup::Miss(Some(Ticket {
                    key,
                    version: version.to_owned(),
                    ask_redis: true,
                })),
            };
        }
        match lookup_in_redis(client, &self.redis_keys(key)).await {
            Some(Stored::Current { version, value }) => {
                self.keep_near(near, key, version, value.clone());
                Lookup::Hit(value)
            }
            Some(Stored::Missing { version }) => Lookup::Miss(Some(Ticket::new(key, version))),
            None => Lookup::Miss(None),
        }
    }

    /// The Redis keys of `key`'s value and of its version.
    fn redis_keys(&self, key: Key) -> [String; 2] {
        [self.redis_key(&key.name()), self.redis_key(key.version())]
    }

    fn keep_near(&self, near: &Mutex<Local>, key: Key, version: String, value: Bytes) {
        let expires = Instant::now() + self.settings.ttl;
        lock(near).insert(key, version, value, expires);
    }

    /// Stores what the database returned, unless a write happened since the ticket was taken.
    pub async fn fill(&self, ticket: Ticket, value: Bytes) {
        if let Some(gate) = &self.settings.fill_gate {
            gate.pass().await;
        }
        match &self.backend {
            Backend::Off => {}
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                if memory.version(ticket.key) == ticket.version {
                    let expires = Instant::now() + self.settings.ttl;
                    memory
                        .values
                        .insert(ticket.key, ticket.version, value, expires);
                }
            }
            Backend::Redis { client, near, .. } => {
                // Values are JSON text, so always UTF-8; anything else is not worth caching.
                let Ok(text) = std::str::from_utf8(&value) else {
                    return;
                };
                let keys = self.redis_keys(ticket.key);
                let args = [
                    ticket.version,
                    text.to_owned(),
                    self.settings.ttl.as_secs().max(1).to_string(),
                ];
                // Kept in memory only if Redis took it, i.e. the version was still current.
                if let Ok(1) = client.invoke::<i64>(&FILL_SCRIPT, &keys, &args).await {
                    let [version, ..] = args;
                    self.keep_near(near, ticket.key, version, value);
                }
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
                    memory.values.remove(key);
                }
                true
            }
            Backend::Redis { client, near, .. } => {
                // Not needed for correctness (the version moves on), but frees the memory now.
                {
                    let mut near = lock(near);
                    for key in &deleted {
                        near.remove(*key);
                    }
                }
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

/// The current versions (one `MGET`), or `None` if Redis did not answer.
async fn read_versions(client: RedisClient, keys: Arc<[String; 2]>) -> Option<Arc<Versions>> {
    let reply = client
        .mget::<Vec<Option<String>>>(keys.as_slice())
        .await
        .ok()?;
    let [list, item] = <[Option<String>; 2]>::try_from(reply).ok()?;
    Some(Arc::new(Versions { list, item }))
}

/// What Redis holds under a value key and its version key (`keys`).
enum Stored {
    /// The value, stamped with the current version.
    Current { version: String, value: Bytes },
    /// No value for the current version (the lookup sets a missing version).
    Missing { version: String },
}

/// `None` if Redis did not answer (or answered nonsense).
async fn lookup_in_redis(client: &RedisClient, keys: &[String; 2]) -> Option<Stored> {
    let reply = client
        .invoke::<Vec<String>>(&LOOKUP_SCRIPT, keys, &[VERSION_LIFETIME_MS.to_owned()])
        .await
        .ok()?;
    match <[String; 2]>::try_from(reply) {
        Ok([version, value]) => Some(Stored::Current {
            version,
            value: Bytes::from(value),
        }),
        Err(mut reply) if reply.len() == 1 => Some(Stored::Missing {
            version: reply.remove(0),
        }),
        Err(_) => None,
    }
}

/// `reads`' shared read if it was started for `version` and has not failed (a failed read is not
/// shared further: the next miss reads again).
fn joinable(reads: &Option<(String, SharedRead)>, version: &str) -> Option<SharedRead> {
    reads
        .as_ref()
        .filter(|(of, shared)| of == version && !matches!(shared.peek(), Some(None)))
        .map(|(_, shared)| shared.clone())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave a map half-written in a way that matters: the
    // worst case is a stale-stamped entry, which lookups reject, or a waiter left to time out.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use tokio::sync::Notify;

    use super::*;

    /// A `Batched`, and the count of the reads made through it.
    fn counted() -> (Arc<Batched<usize>>, Arc<AtomicUsize>) {
        (Arc::default(), Arc::default())
    }

    /// A read that counts itself and answers with its own number (1 for the first read).
    fn read(reads: &Arc<AtomicUsize>) -> impl Fn() -> std::future::Ready<usize> + Send + 'static {
        let reads = reads.clone();
        move || std::future::ready(reads.fetch_add(1, Ordering::SeqCst) + 1)
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_whose_bytes_arrive_as_the_reader_starts_joins_its_read() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let (batched, reads) = counted();
        let (mut client, mut server) = tokio::net::UnixStream::pair().expect("socket pair");
        // `late` is a request waiting for its bytes; `first` starts the reader just after the
        // bytes are sent, so they are there when the scheduler next polls the sockets.
        let late = tokio::spawn({
            let (batched, read) = (batched.clone(), read(&reads));
            async move {
                let mut request = [0; 1];
                server.read_exact(&mut request).await.expect("request");
                batched.get(read).await
            }
        });
        tokio::task::yield_now().await;
        let first = tokio::spawn({
            let (batched, read) = (batched.clone(), read(&reads));
            async move {
                client.write_all(b"!").await.expect("sent");
                batched.get(read).await
            }
        });
        assert_eq!(first.await.expect("first"), Some(1));
        assert_eq!(late.await.expect("late"), Some(1));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_caller_never_gets_a_read_sent_before_it_asked() {
        let (batched, reads) = counted();
        let gate = Arc::new(Notify::new());
        // The first read waits on the gate: it has been sent, and is still on its way.
        let slow_read = {
            let (reads, gate) = (reads.clone(), gate.clone());
            move || {
                let (reads, gate) = (reads.clone(), gate.clone());
                async move {
                    let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
                    if n == 1 {
                        gate.notified().await;
                    }
                    n
                }
            }
        };
        let first = tokio::spawn({
            let batched = batched.clone();
            async move { batched.get(slow_read).await }
        });
        while reads.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let second = tokio::spawn({
            let (batched, read) = (batched.clone(), read(&reads));
            async move { batched.get(read).await }
        });
        tokio::task::yield_now().await;
        gate.notify_one();
        assert_eq!(first.await.expect("first"), Some(1));
        assert_eq!(second.await.expect("second"), Some(2));
    }
}
