//! The cache's Redis side: the version keys, the scripts that read, fill and invalidate in one
//! round trip each, and the reads of the versions and of a stored value.

use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use redis::Script;

use super::key::Key;
use crate::redis_client::RedisClient;

/// How long a version key lives without writes (ms).
pub(super) const VERSION_LIFETIME_MS: &str = "86400000";

/// `KEYS[1]` value, `KEYS[2]` version, `ARGV[1]` version lifetime (ms)
/// -> `{version}` on a miss, `{version, value}` on a hit.
pub(super) const LOOKUP: &str = r"
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
pub(super) const FILL: &str = r"
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
";

/// `ARGV[1]` = how many of `KEYS` are versions to bump; the rest are keys to delete.
/// `ARGV[2]` = version lifetime (ms). A missing (or expired) version restarts from the clock,
/// so it never repeats an old stamp: versions may expire without risk, and do, to stay tidy.
pub(super) const INVALIDATE: &str = r"
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

pub(super) static LOOKUP_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(LOOKUP));
pub(super) static FILL_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(FILL));
pub(super) static INVALIDATE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(INVALIDATE));

/// The two version keys as Redis holds them (`None`: missing, the lookup script sets it).
#[derive(Debug, Default)]
pub(super) struct Versions {
    pub(super) list: Option<String>,
    pub(super) item: Option<String>,
}

impl Versions {
    pub(super) fn of(&self, key: Key) -> Option<&str> {
        match key {
            Key::List => self.list.as_deref(),
            Key::Item(_) => self.item.as_deref(),
        }
    }
}

/// The current versions (one `MGET`), or `None` if Redis did not answer.
pub(super) async fn read_versions(
    client: RedisClient,
    keys: Arc<[String; 2]>,
) -> Option<Arc<Versions>> {
    let reply = client
        .mget::<Vec<Option<String>>>(keys.as_slice())
        .await
        .ok()?;
    let [list, item] = <[Option<String>; 2]>::try_from(reply).ok()?;
    Some(Arc::new(Versions { list, item }))
}

/// What Redis holds under a value key and its version key (`keys`).
pub(super) enum Stored {
    /// The value, stamped with the current version.
    Current { version: String, value: Bytes },
    /// No value for the current version (the lookup sets a missing version).
    Missing { version: String },
}

/// `None` if Redis did not answer (or answered nonsense).
pub(super) async fn lookup_in_redis(client: &RedisClient, keys: &[String; 2]) -> Option<Stored> {
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
