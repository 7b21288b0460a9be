//! Around every request, matched or not: its correlation id, its log line, its metrics, and the
//! API's JSON shape for the framework's own errors (404, 405, ...).

use std::sync::Arc;
use std::time::Instant;

use salvo::http::header::{HeaderName, HeaderValue};
use salvo::prelude::*;

use super::client::with_client_ip;
use super::state::{AppState, MatchedRoute};
use crate::error::status_body;
use crate::{logging, traces};

/// The header that carries a request's correlation id, in and out.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Correlation id, request logs and request metrics around every request, matched or not.
pub(super) struct RequestContext(pub(super) Arc<AppState>);

#[async_trait]
impl Handler for RequestContext {
    async fn handle(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        let started = Instant::now();
        let correlation_id = correlation_id(req);
        let correlation = correlation_id.to_str().unwrap_or_default();
        // One line per request at `info` (`request_completed`, below); the seed's second line,
        // when the request starts, costs as much again under load, so it is for `debug`.
        with_client_ip(req, |client_ip| {
            tracing::debug!(
                correlation_id = correlation,
                method = req.method().as_str(),
                path = req.uri().path(),
                client_ip,
                user_agent = user_agent(req),
                "request_started"
            );
        });
        depot.insert_typed(self.0.clone());
        let span = self
            .0
            .traces
            .as_ref()
            .map(|traces| traces.request_span(req.method(), req.headers()));
        // Every line logged while handling the request (a Redis fallback, a database error)
        // carries its correlation id.
        logging::with_correlation_id(correlation_id.clone(), ctrl.call_next(req, depot, res)).await;
        let status = res.status_code.map_or(200, |s| s.as_u16());
        let matched = depot.get_typed::<Arc<MatchedRoute>>().ok();
        let elapsed = started.elapsed();
        if let Some(span) = span {
            traces::finish(
                span,
                req.method(),
                matched.map(|route| route.template.as_str()),
                status,
            );
        }
        self.0.metrics.http_request(
            matched.map(|route| &route.labels),
            req.method(),
            status,
            elapsed,
        );
        with_client_ip(req, |client_ip| {
            tracing::info!(
                correlation_id = correlation,
                method = req.method().as_str(),
                path = req.uri().path(),
                client_ip,
                user_agent = user_agent(req),
                endpoint = matched.map_or("unmatched", |route| route.template.as_str()),
                status = status,
                status_code = status,
                duration_ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0,
                "request_completed"
            );
        });
        let headers = res.headers_mut();
        headers.insert(HeaderName::from_static(CORRELATION_HEADER), correlation_id);
        // Account data must not be cached by intermediaries or sniffed into another type.
        headers
            .entry(HeaderName::from_static("cache-control"))
            .or_insert(HeaderValue::from_static("no-store"));
        headers.insert(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        );
    }
}

/// The caller's correlation id if it is usable (1 to 128 visible ASCII characters), else a
/// new UUID.
fn correlation_id(req: &Request) -> HeaderValue {
    let given = req.headers().get(CORRELATION_HEADER).filter(|v| {
        let v = v.as_bytes();
        !v.is_empty() && v.len() <= 128 && v.iter().all(u8::is_ascii_graphic)
    });
    if let Some(given) = given {
        return given.clone();
    }
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("-"))
}

fn user_agent(req: &Request) -> &str {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Turns every error the framework produces (404, 405, ...) into the API's JSON error shape.
pub(super) struct JsonCatcher;

#[async_trait]
impl Handler for JsonCatcher {
    async fn handle(
        &self,
        _req: &mut Request,
        _depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        let status = res.status_code.unwrap_or(StatusCode::NOT_FOUND);
        res.render(Json(status_body(status)));
        ctrl.skip_rest();
    }
}
