//! sea-orm entities of the service's tables.
pub mod transaction;
