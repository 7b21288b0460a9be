//! The per-route guard: the route's identity for logs and metrics, and its rate limit.

use std::sync::Arc;

use salvo::http::header::{HeaderName, HeaderValue};
use salvo::prelude::*;

use super::client::client_id;
use super::state::{AppState, MatchedRoute};
use crate::config::{RateLimit, RouteSettings};
use crate::error::ApiError;

/// Rate limit and route identity, applied before the route's handler.
pub(super) struct RouteGuard {
    pub(super) route: RouteSettings,
    pub(super) matched: Arc<MatchedRoute>,
}

#[async_trait]
impl Handler for RouteGuard {
    async fn handle(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        depot.insert_typed(self.matched.clone());
        if let Some(limit) = self.route.rate_limit {
            // Boxed: every request's future would otherwise carry (and be allocated with) the
            // state of a Redis round trip, on routes without a limit too.
            Box::pin(self.limit_rate(limit, req, depot, res, ctrl)).await;
        }
    }
}

impl RouteGuard {
    async fn limit_rate(
        &self,
        limit: RateLimit,
        req: &Request,
        depot: &Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        let Ok(state) = depot.get_typed::<Arc<AppState>>() else {
            return;
        };
        let client = client_id(req, state.settings.trust_forwarded_for);
        let route_key = format!("{}:{}", self.route.method.as_str(), self.route.path);
        let decision = state.limiter.check(&route_key, &client, limit).await;
        let reset_seconds = decision.reset.as_secs() + u64::from(decision.reset.subsec_nanos() > 0);
        let headers = res.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", decision.limit.to_string()),
            ("ratelimit-remaining", decision.remaining.to_string()),
            ("ratelimit-reset", reset_seconds.to_string()),
            (
                "ratelimit-policy",
                format!("{};w={}", limit.requests, limit.window.as_secs().max(1)),
            ),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        if !decision.allowed {
            res.render(ApiError::RateLimited {
                retry_after: std::time::Duration::from_secs(reset_seconds.max(1)),
            });
            ctrl.skip_rest();
        }
    }
}
