//! platformgen: one TOML platform spec in, every deploy artifact out.
//!
//! The modules follow the pipeline, each a stage, each reading only the ones above it:
//!
//! 1. [`source`]: the spec's text and name, and paths into it;
//! 2. [`diagnostic`]: a problem, located by path or span, rendered with a snippet and a fix;
//! 3. [`document`]: TOML parsed into JSON with an index of where every key is written;
//! 4. [`schema`]: the JSON Schema of [`spec`] (the types as the user writes them) checked;
//! 5. [`resolve`]: each environment's `[defaults]` merged with its overrides, with provenance;
//! 6. [`validate`]: the one conversion to the [`model`], every rule checked, every error at once
//!    (durations, CIDRs, route templates, PromQL and action pins parsed on the way);
//! 7. [`render`]: one module per artifact, reading only the Model; [`output`] writes or checks;
//!    [`cost`] estimates each environment's monthly cost from the Model, at committed prices.
//!
//! [`load`] runs stages 1 to 6; [`cli`] is `platformgen`.
pub mod cli;
pub mod cost;
pub mod date;
pub mod diagnostic;
pub mod document;
pub mod duration;
pub mod load;
pub mod model;
pub mod output;
pub mod promql;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod spec;
pub mod validate;
pub mod window;

pub use load::LoadError;
pub use model::Model;
