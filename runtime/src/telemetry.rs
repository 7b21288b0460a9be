//! Metrics (OpenTelemetry, exported in Prometheus text by opentelemetry-prometheus). All
//! exporter code lives here, so changing the exporter touches this file only.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::metrics::{Counter, Gauge, Histogram, MeterProvider as _};
use opentelemetry::{KeyValue, StringValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder, TextEncoder};
use salvo::http::Method;

/// Buckets for request and query durations, in seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot build the Prometheus exporter: {0}")]
    Exporter(#[source] opentelemetry_sdk::error::OTelSdkError),
    #[error("cannot encode metrics: {0}")]
    Encode(#[source] prometheus::Error),
    #[error("metrics text is not UTF-8: {0}")]
    Utf8(#[source] std::string::FromUtf8Error),
}

/// The service's metrics. Each server owns its own registry, so two servers in one process
/// (as in tests) never mix their numbers.
#[derive(Clone)]
pub struct Metrics(Arc<Instruments>);

struct Instruments {
    registry: prometheus::Registry,
    provider: SdkMeterProvider,
    http_requests: Counter<u64>,
    http_duration: Histogram<f64>,
    cache_hits: Counter<u64>,
    cache_misses: Counter<u64>,
    redis_errors: Counter<u64>,
    rate_limit_leases: Counter<u64>,
    db_query_duration: Histogram<f64>,
    transactions: Gauge<u64>,
    transactions_amount: Gauge<f64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Result<Self, TelemetryError> {
        let registry = prometheus::Registry::new();
        // Names are exported exactly as written: no `_total` or unit suffixes, no scope labels,
        // no `target_info`, so dashboards and alerts can name them literally.
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_counter_suffixes()
            .without_units()
            .without_target_info()
            .scope_info_enabled(false)
            .build()
            .map_err(TelemetryError::Exporter)?;
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        let meter = provider.meter("expense-backend");
        let instruments = Instruments {
            http_requests: meter
                .u64_counter("http_requests_total")
                .with_description("HTTP requests by method, route template and status")
                .build(),
            http_duration: meter
                .f64_histogram("http_request_duration_seconds")
                .with_description("HTTP request duration in seconds, by method and route template")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            cache_hits: meter
                .u64_counter("cache_hits_total")
                .with_description("Reads answered from the cache")
                .build(),
            cache_misses: meter
                .u64_counter("cache_misses_total")
                .with_description("Reads that went to the database")
                .build(),
            redis_errors: meter
                .u64_counter("redis_errors_total")
                .with_description("Redis calls that failed or timed out")
                .build(),
            rate_limit_leases: meter
                .u64_counter("rate_limit_leases_total")
                .with_description(
                    "Slices of a client's rate-limit budget asked of Redis (granted or refused)",
                )
                .build(),
            db_query_duration: meter
                .f64_histogram("db_query_duration_seconds")
                .with_description("Database query duration in seconds, by operation")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            transactions: meter
                .u64_gauge("transactions_total")
                .with_description("Transactions stored")
                .build(),
            transactions_amount: meter
                .f64_gauge("transactions_amount_total")
                .with_description("Sum of the stored amounts")
                .build(),
            registry,
            provider,
        };
        // Counters appear (at zero) from the first scrape, so rate() works from the start.
        instruments.cache_hits.add(0, &[]);
        instruments.cache_misses.add(0, &[]);
        instruments.redis_errors.add(0, &[]);
        instruments.rate_limit_leases.add(0, &[]);
        Ok(Self(Arc::new(instruments)))
    }

    /// One served request: `route`'s labels (built once per route, so the common case clones
    /// nothing), or `unmatched` and the request's method.
    pub fn http_request(
        &self,
        route: Option<&RouteLabels>,
        method: &Method,
        status: u16,
        duration: Duration,
    ) {
        let other;
        let route = match route {
            Some(route) if route.method == method.as_str() => route,
            // No route matched, or one answered for a method it does not name (HEAD for GET).
            _ => {
                let endpoint = route.map_or("unmatched", |route| &*route.endpoint);
                other = RouteLabels::new(method.as_str(), endpoint);
                &other
            }
        };
        self.0
            .http_duration
            .record(duration.as_secs_f64(), &route.duration);
        if status == 200 {
            self.0.http_requests.add(1, &route.ok);
        } else {
            let [method, endpoint, _] = route.ok.clone();
            let status = KeyValue::new("status", status_label(status));
            self.0.http_requests.add(1, &[method, endpoint, status]);
        }
    }

    pub fn cache_hit(&self) {
        self.0.cache_hits.add(1, &[]);
    }

    pub fn cache_miss(&self) {
        self.0.cache_misses.add(1, &[]);
    }

    pub fn redis_error(&self) {
        self.0.redis_errors.add(1, &[]);
    }

    pub fn rate_limit_lease(&self) {
        self.0.rate_limit_leases.add(1, &[]);
    }

    pub fn db_query(&self, operation: &'static str, duration: Duration) {
        self.0.db_query_duration.record(
            duration.as_secs_f64(),
            &[KeyValue::new("operation", operation)],
        );
    }

    /// Records the stored totals; read from the database at each scrape, so every replica
    /// reports the shared truth.
    pub fn set_transaction_totals(&self, count: u64, amount: f64) {
        self.0.transactions.record(count, &[]);
        self.0.transactions_amount.record(amount, &[]);
    }

    /// The Prometheus text exposition and its content type.
    pub fn render(&self) -> Result<(String, String), TelemetryError> {
        let encoder = TextEncoder::new();
        let mut buffer = Vec::new();
        encoder
            .encode(&self.0.registry.gather(), &mut buffer)
            .map_err(TelemetryError::Encode)?;
        let text = String::from_utf8(buffer).map_err(TelemetryError::Utf8)?;
        Ok((text, encoder.format_type().to_owned()))
    }

    pub fn shutdown(&self) {
        if let Err(error) = self.0.provider.shutdown() {
            tracing::debug!(%error, "meter provider shutdown");
        }
    }
}

/// The labels of a route's request metrics: `[method, endpoint]` for the duration, and with
/// `status="200"` for the count.
#[derive(Clone, Debug)]
pub struct RouteLabels {
    method: String,
    endpoint: Arc<str>,
    duration: [KeyValue; 2],
    ok: [KeyValue; 3],
}

impl RouteLabels {
    pub fn new(method: &str, endpoint: &str) -> Self {
        let endpoint = Arc::<str>::from(endpoint);
        let method_label = KeyValue::new("method", method_label(method));
        let endpoint_label = KeyValue::new("endpoint", StringValue::from(endpoint.clone()));
        Self {
            method: method.to_owned(),
            endpoint,
            ok: [
                method_label.clone(),
                endpoint_label.clone(),
                KeyValue::new("status", "200"),
            ],
            duration: [method_label, endpoint_label],
        }
    }
}

fn method_label(method: &str) -> StringValue {
    match method {
        "GET" => "GET".into(),
        "POST" => "POST".into(),
        "DELETE" => "DELETE".into(),
        "HEAD" => "HEAD".into(),
        "PUT" => "PUT".into(),
        "PATCH" => "PATCH".into(),
        "OPTIONS" => "OPTIONS".into(),
        other => other.to_owned().into(),
    }
}

/// The status codes the service answers with, as static labels; any other is spelled out.
fn status_label(status: u16) -> StringValue {
    match status {
        200 => "200".into(),
        201 => "201".into(),
        204 => "204".into(),
        400 => "400".into(),
        404 => "404".into(),
        405 => "405".into(),
        408 => "408".into(),
        413 => "413".into(),
        415 => "415".into(),
        422 => "422".into(),
        429 => "429".into(),
        500 => "500".into(),
        503 => "503".into(),
        other => other.to_string().into(),
    }
}
