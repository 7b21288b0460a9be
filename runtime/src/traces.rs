//! Distributed tracing: one server span per request, sampled as the environment says and sent
//! in batches to the OTLP/HTTP collector from a thread of their own, so a slow or absent
//! collector never holds a request. Off (no span, no cost) without a collector.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider, Span};
use salvo::http::{HeaderMap, Method};

use crate::config::TracingSettings;

/// How long the last batch may take to reach the collector at shutdown.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The tracer of the process and where its spans go.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    propagator: TraceContextPropagator,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot export traces to {endpoint}: {source}")]
pub struct TracesError {
    endpoint: String,
    #[source]
    source: opentelemetry_otlp::ExporterBuildError,
}

impl Traces {
    /// The exporter and its batching thread. Its HTTP client blocks, so this runs outside the
    /// async runtime's worker threads.
    pub async fn start(settings: TracingSettings) -> Result<Self, TracesError> {
        tokio::task::spawn_blocking(move || Self::start_blocking(&settings))
            .await
            .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
    }

    fn start_blocking(settings: &TracingSettings) -> Result<Self, TracesError> {
        let endpoint = format!("{}/v1/traces", settings.endpoint);
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|source| TracesError { endpoint, source })?;
        let root = if settings.sampling.ratio >= 1.0 {
            Sampler::AlwaysOn
        } else if settings.sampling.ratio <= 0.0 {
            Sampler::AlwaysOff
        } else {
            Sampler::TraceIdRatioBased(settings.sampling.ratio)
        };
        let sampler = if settings.sampling.parent_based {
            Sampler::ParentBased(Box::new(root))
        } else {
            root
        };
        let resource = Resource::builder_empty()
            .with_service_name(settings.service_name.clone())
            .with_attributes(
                settings
                    .resource
                    .iter()
                    .map(|(key, value)| KeyValue::new(key.clone(), value.clone())),
            )
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_sampler(sampler)
            .with_resource(resource)
            .build();
        let tracer = provider.tracer("expense-backend");
        Ok(Self {
            provider,
            tracer,
            propagator: TraceContextPropagator::new(),
        })
    }

    /// The server span of a request, a child of the caller's span where `traceparent` names one.
    pub fn request_span(&self, method: &Method, headers: &HeaderMap) -> Span {
        let parent = self.propagator.extract(&Headers(headers));
        self.tracer
            .span_builder(method.as_str().to_owned())
            .with_kind(SpanKind::Server)
            .with_attributes([KeyValue::new(
                "http.request.method",
                method.as_str().to_owned(),
            )])
            .start_with_context(&self.tracer, &parent)
    }

    /// Sends what is waiting, then stops the exporter's thread.
    pub async fn shutdown(&self) {
        let provider = self.provider.clone();
        let flushed =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(FLUSH_TIMEOUT))
                .await;
        if let Ok(Err(error)) = flushed {
            tracing::warn!(%error, "the last spans did not reach the collector");
        }
    }
}

/// Ends a request's span: named by the route that matched (`GET /transaction/{id}`), with its
/// status; a 5xx marks it failed.
pub fn finish(mut span: Span, method: &Method, route: Option<&str>, status: u16) {
    if let Some(route) = route {
        span.update_name(format!("{} {route}", method.as_str()));
        span.set_attribute(KeyValue::new("http.route", route.to_owned()));
    }
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 500 {
        span.set_status(Status::error(format!("HTTP {status}")));
    }
    span.end();
}

/// The request's headers, as the W3C trace-context propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(salvo::http::HeaderName::as_str).collect()
    }
}
