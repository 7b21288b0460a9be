//! platformgen: one TOML platform spec in, every deploy artifact out.
//!
//! The modules follow the pipeline: `source` (text and spans) -> `schema` (structural check) ->
//! `spec` (types) -> `model` (resolution) -> `validate` (semantic checks).
pub mod cli;
pub mod diagnostic;
pub mod duration;
pub mod model;
pub mod output;
pub mod promql;
pub mod render;
pub mod schema;
pub mod source;
pub mod spec;
pub mod validate;

pub use model::{LoadError, Model};
