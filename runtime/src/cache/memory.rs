//! The in-process cache, where no Redis is configured and no other replica can write behind
//! this one's back: values stamped with the version of their family, like Redis's.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;

use super::key::Key;

/// Most entries the in-process cache holds before it sweeps expired and outdated ones.
pub(super) const MEMORY_ENTRIES: usize = 10_000;

/// The in-process cache: values and the version counters of their key families.
#[derive(Debug, Default)]
pub(super) struct Memory {
    pub(super) values: Local,
    pub(super) versions: HashMap<&'static str, u64>,
}

impl Memory {
    pub(super) fn version(&self, key: Key) -> String {
        self.versions
            .get(key.version())
            .copied()
            .unwrap_or(0)
            .to_string()
    }
}

/// Values by key, each with the version stamp it was read under and when it expires.
#[derive(Debug, Default)]
pub(super) struct Local(HashMap<Key, (String, Bytes, Instant)>);

impl Local {
    /// The value of `key` if it was stamped `version` and has not expired; drops it otherwise.
    pub(super) fn get(&mut self, key: Key, version: &str, now: Instant) -> Option<Bytes> {
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
    pub(super) fn insert(&mut self, key: Key, version: String, value: Bytes, expires: Instant) {
        if self.0.len() >= MEMORY_ENTRIES {
            let now = Instant::now();
            self.0.retain(|_, (_, _, expires)| *expires > now);
            if self.0.len() >= MEMORY_ENTRIES {
                self.0.clear();
            }
        }
        self.0.insert(key, (version, value, expires));
    }

    pub(super) fn remove(&mut self, key: Key) {
        self.0.remove(&key);
    }
}
