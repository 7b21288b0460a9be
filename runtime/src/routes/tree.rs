//! The router: the spec's routes as a tree of path segments, each route with its guard and
//! its handler's endpoint, and the docs page's files beside it.

use std::sync::Arc;

use generator::spec::{Handler as SpecHandler, Method};
use salvo::prelude::*;
use salvo::routing::filters::MethodFilter;

use super::guard::RouteGuard;
use super::state::MatchedRoute;
use super::{docs, health, metrics, transactions};
use crate::config::{RouteSettings, Settings};
use crate::telemetry::RouteLabels;

/// The docs page's scripts and styles, under its own path, when the spec routes the page: not
/// rate-limited, counted under one template, and absent from the OpenAPI document.
pub(super) fn docs_assets(settings: &Settings) -> Option<Router> {
    let page = settings
        .routes
        .iter()
        .find(|r| r.handler == SpecHandler::Docs)?;
    let openapi = settings
        .routes
        .iter()
        .find(|r| r.handler == SpecHandler::Openapi)
        .map_or("", |r| r.path.as_str());
    let template = format!("{}/{{file}}", docs::assets_path(&page.path));
    let guard = RouteGuard::new(
        &RouteSettings {
            path: template.clone(),
            rate_limit: None,
            cached: false,
            ..page.clone()
        },
        Arc::new(MatchedRoute {
            labels: RouteLabels::new(page.method.as_str(), &template),
            template,
            cached: false,
            body_limit: page.body_limit_bytes,
        }),
        settings.max_replicas,
    );
    let path = format!(
        "{}/{{**}}",
        docs::assets_path(&page.path).trim_start_matches('/')
    );
    Some(
        Router::with_path(path)
            .filter(MethodFilter::new(salvo::http::Method::GET))
            .hoop(guard)
            .goal(docs::assets(openapi)),
    )
}

/// The routes by path segment: a request's path is matched against each segment once, however
/// many routes share it (one router per route, each matching its whole path, made every request
/// pass the routers before its own; BENCHMARKS.md).
#[derive(Default)]
pub(super) struct PathTree<'a> {
    /// The routes whose path ends here, one per method.
    routes: Vec<&'a RouteSettings>,
    /// Static segments before parameters, so `/transaction/id` wins over `/transaction/{id}`;
    /// otherwise in the spec's order.
    children: Vec<(&'a str, PathTree<'a>)>,
}

impl<'a> PathTree<'a> {
    pub(super) fn insert(&mut self, route: &'a RouteSettings) {
        let path = route.path.trim_start_matches('/');
        let mut node = self;
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            let at = match node.children.iter().position(|(of, _)| *of == segment) {
                Some(at) => at,
                None => {
                    let is_parameter = |segment: &str| segment.starts_with('{');
                    let at = if is_parameter(segment) {
                        node.children.len()
                    } else {
                        node.children
                            .iter()
                            .position(|(of, _)| is_parameter(of))
                            .unwrap_or(node.children.len())
                    };
                    node.children.insert(at, (segment, PathTree::default()));
                    at
                }
            };
            node = &mut node.children[at].1;
        }
        node.routes.push(route);
    }

    /// `router` with this node's own routes (a method check each), then its longer paths,
    /// beneath it; rate limits leased for at most `max_replicas` replicas.
    pub(super) fn router(&self, mut router: Router, max_replicas: u32) -> Router {
        for route in &self.routes {
            router = router.push(route_router(route, max_replicas));
        }
        for (segment, child) in &self.children {
            router = router.push(child.router(Router::with_path(*segment), max_replicas));
        }
        router
    }
}

/// One route under its path's router: its guard, then its method's endpoint.
fn route_router(route: &RouteSettings, max_replicas: u32) -> Router {
    let guard = RouteGuard::new(
        route,
        Arc::new(MatchedRoute {
            template: route.path.clone(),
            labels: RouteLabels::new(route.method.as_str(), &route.path),
            cached: route.cached,
            body_limit: route.body_limit_bytes,
        }),
        max_replicas,
    );
    let router = Router::with_filter(MethodFilter::new(http_method(route.method))).hoop(guard);
    endpoint(router, route.method, route.handler)
}

fn http_method(method: Method) -> salvo::http::Method {
    match method {
        Method::Get => salvo::http::Method::GET,
        Method::Post => salvo::http::Method::POST,
        Method::Put => salvo::http::Method::PUT,
        Method::Patch => salvo::http::Method::PATCH,
        Method::Delete => salvo::http::Method::DELETE,
    }
}

/// `router` with the endpoint serving a spec handler as its goal. The settings only hold routes
/// whose method is the handler's own, so a router without a goal does not happen in practice.
fn endpoint(router: Router, method: Method, handler: SpecHandler) -> Router {
    match (method, handler) {
        (Method::Get, SpecHandler::Health) => router.goal(health::health),
        (Method::Get, SpecHandler::Ready) => router.goal(health::ready),
        (Method::Get, SpecHandler::Metrics) => router.goal(metrics::metrics),
        (Method::Get, SpecHandler::Openapi) => router.goal(docs::openapi),
        (Method::Get, SpecHandler::Docs) => router.goal(docs::docs),
        (Method::Get, SpecHandler::ListTransactions) => {
            router.goal(transactions::list_transactions)
        }
        (Method::Get, SpecHandler::GetTransactionByBody) => {
            router.goal(transactions::get_transaction_by_body)
        }
        (Method::Get, SpecHandler::GetTransaction) => router.goal(transactions::get_transaction),
        (Method::Post, SpecHandler::CreateTransaction) => {
            router.goal(transactions::create_transaction)
        }
        (Method::Delete, SpecHandler::DeleteAllTransactions) => {
            router.goal(transactions::delete_all_transactions)
        }
        (Method::Delete, SpecHandler::DeleteTransactionByBody) => {
            router.goal(transactions::delete_transaction_by_body)
        }
        (Method::Delete, SpecHandler::DeleteTransaction) => {
            router.goal(transactions::delete_transaction)
        }
        _ => router,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str, handler: SpecHandler) -> RouteSettings {
        RouteSettings {
            method,
            path: path.to_owned(),
            handler,
            cached: false,
            rate_limit: None,
            body_limit_bytes: 1024,
        }
    }

    fn shape(tree: &PathTree<'_>) -> String {
        let routes: Vec<&str> = tree.routes.iter().map(|r| r.method.as_str()).collect();
        let children: Vec<String> = tree
            .children
            .iter()
            .map(|(segment, child)| format!("{segment}{}", shape(child)))
            .collect();
        format!("[{}]({})", routes.join(" "), children.join(" "))
    }

    #[test]
    fn routes_sharing_a_path_share_its_segments_with_static_ones_before_parameters() {
        // Listed as a spec might: the parameter route first, methods of one path apart.
        let routes = [
            route(
                Method::Get,
                "/transaction/{id}",
                SpecHandler::GetTransaction,
            ),
            route(Method::Get, "/transaction", SpecHandler::ListTransactions),
            route(Method::Get, "/health", SpecHandler::Health),
            route(
                Method::Get,
                "/transaction/id",
                SpecHandler::GetTransactionByBody,
            ),
            route(Method::Post, "/transaction", SpecHandler::CreateTransaction),
            route(
                Method::Delete,
                "/transaction/{id}",
                SpecHandler::DeleteTransaction,
            ),
        ];
        let mut tree = PathTree::default();
        for route in &routes {
            tree.insert(route);
        }
        assert_eq!(
            shape(&tree),
            "[](transaction[GET POST](id[GET]() {id}[GET DELETE]()) health[GET]())"
        );
    }
}
