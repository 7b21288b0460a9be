//! The expense transaction API, configured by the platform spec.
//!
//! This crate is a shell until the runtime issue lands: it only proves the workspace wiring.
