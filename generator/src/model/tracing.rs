//! Distributed tracing in an environment, and the OpenTelemetry variables it gives each
//! service's containers.

use crate::model::format_number;

/// Where an environment's services send their spans, and the share of traces they keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracing {
    /// The OTLP/HTTP collector, `http(s)://<host>:<port>`.
    pub endpoint: String,
    /// The collector's port, which each service's network policy lets it reach.
    pub port: u16,
    /// From 0 to 1.
    pub sample_ratio: f64,
}

/// The variables the platform sets where an environment traces; a service's `config` may not
/// take them.
pub const TRACING_VARIABLES: [&str; 6] = [
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
];

impl Tracing {
    /// The OpenTelemetry SDK's standard variables for `service` in `environment`, in
    /// [`TRACING_VARIABLES`]' order: a root span is kept at the environment's ratio, a span
    /// whose caller traced it keeps the caller's decision.
    pub fn variables(&self, service: &str, environment: &str) -> Vec<(String, String)> {
        let values = [
            service.to_string(),
            format!("deployment.environment={environment}"),
            self.endpoint.clone(),
            "http/protobuf".to_string(),
            "parentbased_traceidratio".to_string(),
            format_number(self.sample_ratio),
        ];
        TRACING_VARIABLES
            .iter()
            .zip(values)
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    }
}
