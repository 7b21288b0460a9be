//! The expense transaction API, configured by the platform spec.
//!
//! Reading top to bottom follows a request's life: `config` (spec + environment -> settings),
//! `startup` (wiring), `routes` (HTTP), `domain` (valid values), `store` / `entity` /
//! `migration` (database), `cache` and `rate_limit` (Redis, through `redis_client`),
//! `probe` (cached reachability for the probes), `telemetry` (metrics), `logging` (JSON logs),
//! `error` (how failures become responses).
pub mod cache;
pub mod config;
pub mod domain;
pub mod entity;
pub mod error;
pub mod json;
pub mod logging;
pub mod migration;
pub mod probe;
pub mod rate_limit;
pub mod redis_client;
pub mod routes;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod traces;

pub use config::Settings;
pub use startup::App;
