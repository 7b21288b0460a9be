//! platformgen: one TOML platform spec in, every deploy artifact out.
pub mod spec;
pub mod schema;
