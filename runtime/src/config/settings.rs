//! The settings the running service needs, resolved and checked: its routes and limits, the
//! database, the cache, Redis, and how long a client may take.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use generator::spec::{Handler, LogLevel, Method};

use crate::cache::gate::FillGate;

/// Everything the running service needs, already validated.
#[derive(Clone, Debug)]
pub struct Settings {
    pub service_name: String,
    pub environment: String,
    pub listen: SocketAddr,
    pub routes: Vec<RouteSettings>,
    pub max_page_size: u32,
    pub shutdown_grace: Duration,
    pub log_level: LogLevel,
    pub database: DatabaseSettings,
    pub cache: CacheSettings,
    pub redis: Option<RedisSettings>,
    /// Use the last `X-Forwarded-For` hop (the one the load balancer saw) as the client for
    /// rate limiting, instead of the TCP peer.
    pub trust_forwarded_for: bool,
    /// How long a client may take to send a request, so slow or stalled clients cannot hold
    /// connections open.
    pub client_timeouts: ClientTimeouts,
    /// The most replicas the environment runs (`app.replicas`, `autoscaling.max_replicas`):
    /// the rate limiter sizes the slices of a budget it leases by it.
    pub max_replicas: u32,
    /// Where request spans go, and which are kept; `None` without `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub tracing: Option<TracingSettings>,
}

/// Distributed tracing, from the OpenTelemetry SDK's standard variables the chart sets.
#[derive(Clone, Debug, PartialEq)]
pub struct TracingSettings {
    /// The OTLP/HTTP collector (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<it>/v1/traces`.
    pub endpoint: String,
    /// `OTEL_SERVICE_NAME`, else the spec's service.
    pub service_name: String,
    /// `OTEL_RESOURCE_ATTRIBUTES`, `key=value` pairs.
    pub resource: Vec<(String, String)>,
    pub sampling: Sampling,
}

/// Which new traces are kept (`OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// The share of root spans kept, 0 to 1.
    pub ratio: f64,
    /// A request that arrives traced (`traceparent`) keeps its caller's decision.
    pub parent_based: bool,
}

/// Limits on slow clients (a Slowloris client sends its request a byte at a time and never
/// finishes): past them the connection is closed, or the request answered with a 4xx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// The request line and headers must arrive within this after the connection opens (or
    /// after the previous response on a kept-alive connection); else the connection is closed.
    pub header_read: Duration,
    /// Longest pause between two pieces of a request body; past it the request fails as a 400.
    pub body_read: Duration,
}

impl Default for ClientTimeouts {
    /// Far above what a real client needs (a whole request head is one packet), far below
    /// what lets a few thousand idle sockets pin the process.
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
        }
    }
}

/// One served route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSettings {
    pub method: Method,
    /// Route template as the spec writes it, for example `/transaction/{id}`.
    pub path: String,
    pub handler: Handler,
    pub cached: bool,
    pub rate_limit: Option<RateLimit>,
    pub body_limit_bytes: u64,
}

/// A request budget per client and route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: SecretUrl,
    pub engine: DatabaseEngine,
    pub pool: PoolSettings,
    /// Attempts at start-up before giving up, with exponential backoff between them.
    pub connect_attempts: u32,
    pub acquire_timeout: Duration,
    /// PgBouncer in transaction mode in front of the database (the spec's `database.pooler`):
    /// the prepared statements each connection keeps, at most what PgBouncer tracks per server
    /// connection (`max_prepared_statements`). `None`: the driver's own cache.
    pub pooled_statement_cache: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseEngine {
    Sqlite,
    Mysql,
    Postgres,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections kept open (the spec's `pool.size`).
    pub size: u32,
    /// Largest number of connections: `pool.size + pool.max_overflow`.
    pub max_connections: u32,
    pub recycle: Duration,
    pub pre_ping: bool,
}

#[derive(Clone, Debug)]
pub struct CacheSettings {
    pub ttl: Duration,
    /// Prefix of every Redis key this replica writes (cache, versions and rate limits).
    pub key_prefix: String,
    /// Whether a cache in this process's memory may stand in for Redis: only when no other
    /// replica can write the same data behind its back (SQLite, or a single replica).
    pub in_process: bool,
    /// Test seam: when set, a cache fill waits here between the database read and the write
    /// to the cache, so a test can make a slow reader race a writer deterministically.
    pub fill_gate: Option<Arc<FillGate>>,
}

#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// One URL, or the seed nodes of a cluster.
    pub urls: Vec<SecretUrl>,
    pub cluster: bool,
    pub timeout: Duration,
}

/// A connection URL whose password never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        match authority.rsplit_once('@') {
            Some((user_info, host)) => {
                let user = user_info
                    .split_once(':')
                    .map_or(user_info, |(user, _)| user);
                if user_info.contains(':') {
                    format!("{scheme}://{user}:***@{host}{tail}")
                } else {
                    format!("{scheme}://{user}@{host}{tail}")
                }
            }
            None => self.0.clone(),
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_a_redacted_url() {
        let url = SecretUrl::new("mysql://expense:ExpenseApp%401@db.example.com:3306/expense");
        assert_eq!(
            url.redacted(),
            "mysql://expense:***@db.example.com:3306/expense"
        );
        assert!(!format!("{url:?}").contains("ExpenseApp"));
    }
}
