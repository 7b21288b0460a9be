//! sea-orm entities of the service's tables.
pub mod idempotency_key;
pub mod transaction;
