//! The per-route guard: the route's identity for logs and metrics, and its rate limit.

use std::sync::Arc;

use salvo::http::header::{HeaderName, HeaderValue};
use salvo::prelude::*;

use super::client::client_id;
use super::state::{AppState, MatchedRoute};
use crate::config::RouteSettings;
use crate::error::ApiError;
use crate::rate_limit::RouteBudget;

/// Rate limit and route identity, applied before the route's handler.
pub(super) struct RouteGuard {
    matched: Arc<MatchedRoute>,
    limit: Option<Limit>,
}

/// A limited route's budget, and its `RateLimit-Policy` header, written once.
struct Limit {
    budget: RouteBudget,
    policy: HeaderValue,
}

impl RouteGuard {
    /// The guard of `route`, its budget's leases sized for `max_replicas` replicas.
    pub(super) fn new(
        route: &RouteSettings,
        matched: Arc<MatchedRoute>,
        max_replicas: u32,
    ) -> Self {
        let limit = route.rate_limit.map(|limit| {
            let policy = format!("{};w={}", limit.requests, limit.window.as_secs().max(1));
            Limit {
                budget: RouteBudget::new(
                    format!("{}:{}", route.method.as_str(), route.path),
                    limit,
                    max_replicas,
                ),
                // Digits and `;w=`: always a valid header value.
                policy: HeaderValue::from_str(&policy)
                    .unwrap_or_else(|_| HeaderValue::from_static("")),
            }
        });
        Self { matched, limit }
    }
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
        if let Some(limit) = &self.limit {
            // Boxed: every request's future would otherwise carry (and be allocated with) the
            // state of a Redis round trip, on routes without a limit too.
            Box::pin(limit.apply(req, depot, res, ctrl)).await;
        }
    }
}

impl Limit {
    async fn apply(&self, req: &Request, depot: &Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let Ok(state) = depot.get_typed::<Arc<AppState>>() else {
            return;
        };
        let client = client_id(req, state.settings.trust_forwarded_for);
        let decision = state.limiter.check(&self.budget, &client).await;
        let reset_seconds = decision.reset.as_secs() + u64::from(decision.reset.subsec_nanos() > 0);
        let headers = res.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", HeaderValue::from(decision.limit)),
            ("ratelimit-remaining", HeaderValue::from(decision.remaining)),
            ("ratelimit-reset", HeaderValue::from(reset_seconds)),
            ("ratelimit-policy", self.policy.clone()),
        ] {
            headers.insert(HeaderName::from_static(name), value);
        }
        if !decision.allowed {
            res.render(ApiError::RateLimited {
                retry_after: std::time::Duration::from_secs(reset_seconds.max(1)),
            });
            ctrl.skip_rest();
        }
    }
}
