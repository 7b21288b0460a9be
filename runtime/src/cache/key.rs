//! What a cached read is about, what a write does to the cache, and what a lookup answers.

use std::borrow::Cow;

use bytes::Bytes;

/// The version keys: a write bumps the one its reads depend on.
pub(super) const LIST_VERSION: &str = "transactions:version";
pub(super) const ITEM_VERSION: &str = "transaction:version";

/// What a cached read is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The whole list (`transactions:all`).
    List,
    /// One transaction (`transaction:{id}`).
    Item(i64),
}

impl Key {
    pub(super) fn name(self) -> Cow<'static, str> {
        match self {
            Key::List => Cow::Borrowed("transactions:all"),
            Key::Item(id) => Cow::Owned(format!("transaction:{id}")),
        }
    }

    pub(super) fn version(self) -> &'static str {
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
    pub(super) key: Key,
    pub(super) version: String,
    /// Redis has not been asked for the value yet (the shared list read asks it first).
    pub(super) ask_redis: bool,
}

impl Ticket {
    pub(super) fn new(key: Key, version: String) -> Self {
        Self {
            key,
            version,
            ask_redis: false,
        }
    }
}
