//! The HTTP surface: one router built from the spec's route list (a handler the spec does not
//! route is not served), the request context around every request (correlation id, JSON logs,
//! metrics), and the per-route guard (rate limit, body limit).

mod body;
mod client;
mod context;
mod docs;
mod guard;
mod health;
mod metrics;
mod state;
mod transactions;
mod tree;

use std::sync::Arc;

use salvo::catcher::Catcher;
use salvo::oapi::OpenApi;
use salvo::prelude::*;

pub use body::{JsonFields, JsonText};
pub use context::CORRELATION_HEADER;
use context::{JsonCatcher, RequestContext};
pub use state::{AppState, MatchedRoute};
use tree::{PathTree, docs_assets};

/// Builds the service: the spec's routes, the request context and the JSON error catcher.
pub fn service(state: &Arc<AppState>) -> Service {
    let mut tree = PathTree::default();
    for route in &state.settings.routes {
        tree.insert(route);
    }
    let mut router = tree.router(Router::new(), state.settings.max_replicas);
    if let Some(assets) = docs_assets(&state.settings) {
        router = router.push(assets);
    }
    let openapi = crate::domain::document_limits(
        OpenApi::new(
            format!("{} API", state.settings.service_name),
            env!("CARGO_PKG_VERSION"),
        )
        .merge_router(&router),
    );
    let _already_set = state.openapi.set(openapi);
    // A service hoop (not a router hoop) so that unmatched requests (404, 405) are logged,
    // counted and get a correlation id too.
    Service::new(router)
        .hoop(RequestContext(state.clone()))
        .catcher(Catcher::default().hoop(JsonCatcher))
}
