//! The per-route guard: the route's identity for logs and metrics, and its rate limit.

use std::sync::Arc;

use salvo::http::header::{HeaderName, HeaderValue};
use salvo::prelude::*;

use super::client::client_id;
use super::state::{AppState, MatchedRoute};
use crate::config::RouteSettings;
use crate::error::ApiError;
use crate::rate_limit::{Decision, RouteBudget};

/// Rate limit and route identity, applied before the route's handler.
pub(super) struct RouteGuard {
    matched: Arc<MatchedRoute>,
    limit: Option<Limit>,
}

/// A limited route's budget, and its `RateLimit-Limit` and `RateLimit-Policy` headers, written
/// once.
struct Limit {
    budget: RouteBudget,
    limit: HeaderValue,
    policy: HeaderValue,
}

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

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
                limit: HeaderValue::from(limit.requests),
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
        if let Some(limit) = &self.limit
            && let Ok(state) = depot.get_typed::<Arc<AppState>>()
        {
            let client = client_id(req, state.settings.trust_forwarded_for);
            let decision = state.limiter.check(&limit.budget, client).await;
            limit.apply(decision, res, ctrl);
        }
    }
}

impl Limit {
    /// The `RateLimit-*` headers of `decision`, and a 429 when it refuses.
    fn apply(&self, decision: Decision, res: &mut Response, ctrl: &mut FlowCtrl) {
        let reset_seconds = decision.reset.as_secs() + u64::from(decision.reset.subsec_nanos() > 0);
        let headers = res.headers_mut();
        headers.insert(RATELIMIT_LIMIT, self.limit.clone());
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
        headers.insert(RATELIMIT_RESET, HeaderValue::from(reset_seconds));
        headers.insert(RATELIMIT_POLICY, self.policy.clone());
        if !decision.allowed {
            res.render(ApiError::RateLimited {
                retry_after: std::time::Duration::from_secs(reset_seconds.max(1)),
            });
            ctrl.skip_rest();
        }
    }
}
