//! Prometheus text exposition of the service's metrics.

use salvo::http::HeaderValue;
use salvo::http::header::CONTENT_TYPE;
use salvo::prelude::*;

use super::state::AppState;

/// Prometheus metrics (text exposition format).
#[endpoint(tags("operations"), responses((status_code = 200, description = "Prometheus text exposition")))]
pub async fn metrics(depot: &mut Depot, res: &mut Response) {
    let Ok(state) = depot.get_typed::<std::sync::Arc<AppState>>().cloned() else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    // The business gauges come from the database, so every replica reports the shared truth;
    // when it is down they keep their last value.
    if let Ok((count, cents)) = state.store.totals().await {
        state
            .metrics
            .set_transaction_totals(count, cents as f64 / 100.0);
    }
    match state.metrics.render() {
        Ok((text, content_type)) => {
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                res.headers_mut().insert(CONTENT_TYPE, value);
            }
            let _ignored = res.write_body(text);
        }
        Err(error) => {
            tracing::error!(%error, "rendering metrics");
            res.status_code(StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
}
