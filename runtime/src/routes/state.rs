//! What every handler shares: the server's state, and the route a request matched.

use std::sync::{Arc, OnceLock};

use salvo::oapi::OpenApi;

use crate::cache::Cache;
use crate::config::Settings;
use crate::rate_limit::RateLimiter;
use crate::redis_client::RedisClient;
use crate::store::Store;
use crate::telemetry::{Metrics, RouteLabels};
use crate::traces::Traces;

/// Everything a handler needs, shared by every request of one server.
#[derive(Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub cache: Cache,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
    pub redis: Option<RedisClient>,
    /// Request spans, where the environment sends them to a collector.
    pub traces: Option<Traces>,
    /// The OpenAPI document of exactly the routes served, built once with the router.
    pub openapi: OnceLock<OpenApi>,
}

/// The route that matched, shared by its requests: its template (for logs and rate-limit
/// keys), its metric labels, whether it reads through the cache, and its body limit.
#[derive(Debug)]
pub struct MatchedRoute {
    pub template: String,
    pub labels: RouteLabels,
    pub cached: bool,
    /// The largest body the route accepts.
    pub body_limit: u64,
}
