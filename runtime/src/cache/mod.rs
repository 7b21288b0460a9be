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

mod batch;
pub mod gate;
mod key;
mod memory;
mod remote;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

pub use batch::Batched;
use batch::lock;
use key::{ITEM_VERSION, LIST_VERSION};
pub use key::{Key, Lookup, Ticket, Write};
use memory::{Local, Memory};
use remote::{
    FILL_SCRIPT, INVALIDATE_SCRIPT, Stored, VERSION_LIFETIME_MS, Versions, lookup_in_redis,
    read_versions,
};

use crate::config::CacheSettings;
use crate::redis_client::RedisClient;
use crate::telemetry::Metrics;

type SharedRead = Shared<BoxFuture<'static, Option<ListRead>>>;

/// The outcome of a shared read of the whole list.
#[derive(Clone, Debug)]
struct ListRead {
    value: Bytes,
    /// Read from the database (a miss), rather than found in Redis (a hit).
    from_database: bool,
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

/// `reads`' shared read if it was started for `version` and has not failed (a failed read is not
/// shared further: the next miss reads again).
fn joinable(reads: &Option<(String, SharedRead)>, version: &str) -> Option<SharedRead> {
    reads
        .as_ref()
        .filter(|(of, shared)| of == version && !matches!(shared.peek(), Some(None)))
        .map(|(_, shared)| shared.clone())
}
