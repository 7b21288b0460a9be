//! The HTTP surface: one router built from the spec's route list (a handler the spec does not
//! route is not served), the request context around every request (correlation id, JSON logs,
//! metrics), and the per-route guard (rate limit, body limit).

mod docs;
mod health;
mod metrics;
mod transactions;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use generator::spec::{Handler as SpecHandler, Method};
use salvo::catcher::Catcher;
use salvo::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use salvo::oapi::{Components, EndpointOutRegister, OpenApi, Operation, ToResponse, ToSchema};
use salvo::prelude::*;
use salvo::routing::filters::MethodFilter;
use serde::Serialize;

use crate::cache::Cache;
use crate::config::{RateLimit, RouteSettings, Settings};
use crate::error::{ApiError, status_body};
use crate::logging;
use crate::rate_limit::RateLimiter;
use crate::redis_client::RedisClient;
use crate::store::Store;
use crate::telemetry::{Metrics, RouteLabels};

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Everything a handler needs, shared by every request of one server.
#[derive(Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub cache: Cache,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
    pub redis: Option<RedisClient>,
    /// The OpenAPI document of exactly the routes served, built once with the router.
    pub openapi: OnceLock<OpenApi>,
}

/// The route that matched, shared by its requests: its template (for logs and rate-limit
/// keys), its metric labels, whether it reads through the cache, and its body limit.
#[derive(Debug)]
pub struct MatchedRoute {
    pub template: String,
    pub labels: RouteLabels,
    pub cached: bool,
    /// The largest body the route accepts.
    pub body_limit: u64,
}

/// Builds the service: the spec's routes, the request context and the JSON error catcher.
pub fn service(state: Arc<AppState>) -> Service {
    let mut tree = PathTree::default();
    for route in &state.settings.routes {
        tree.insert(route);
    }
    let mut router = tree.router(Router::new());
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

/// The docs page's scripts and styles, under its own path, when the spec routes the page: not
/// rate-limited, counted under one template, and absent from the OpenAPI document.
fn docs_assets(settings: &Settings) -> Option<Router> {
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
    let guard = RouteGuard {
        route: RouteSettings {
            path: template.clone(),
            rate_limit: None,
            cached: false,
            ..page.clone()
        },
        matched: Arc::new(MatchedRoute {
            labels: RouteLabels::new(page.method.as_str(), &template),
            template,
            cached: false,
            body_limit: page.body_limit_bytes,
        }),
    };
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
/// many routes share it. (One router per route, each matching its whole path, made routing a
/// tenth of the instructions of a `GET /transaction/id`, which passed seven routers first.)
#[derive(Default)]
struct PathTree<'a> {
    /// The routes whose path ends here, one per method.
    routes: Vec<&'a RouteSettings>,
    /// Static segments before parameters, so `/transaction/id` wins over `/transaction/{id}`;
    /// otherwise in the spec's order.
    children: Vec<(&'a str, PathTree<'a>)>,
}

impl<'a> PathTree<'a> {
    fn insert(&mut self, route: &'a RouteSettings) {
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
    /// beneath it.
    fn router(&self, mut router: Router) -> Router {
        for route in &self.routes {
            router = router.push(route_router(route));
        }
        for (segment, child) in &self.children {
            router = router.push(child.router(Router::with_path(*segment)));
        }
        router
    }
}

/// One route under its path's router: its guard, then its method's endpoint.
fn route_router(route: &RouteSettings) -> Router {
    let guard = RouteGuard {
        route: route.clone(),
        matched: Arc::new(MatchedRoute {
            template: route.path.clone(),
            labels: RouteLabels::new(route.method.as_str(), &route.path),
            cached: route.cached,
            body_limit: route.body_limit_bytes,
        }),
    };
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

/// Correlation id, request logs and request metrics around every request, matched or not.
struct RequestContext(Arc<AppState>);

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
        // Every line logged while handling the request (a Redis fallback, a database error)
        // carries its correlation id.
        logging::with_correlation_id(correlation_id.clone(), ctrl.call_next(req, depot, res)).await;
        let status = res.status_code.map_or(200, |s| s.as_u16());
        let matched = depot.get_typed::<Arc<MatchedRoute>>().ok();
        let elapsed = started.elapsed();
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

/// The TCP peer's address as text for logs (empty when it is not an IP connection). A thread
/// keeps the last one it wrote: behind a load balancer (or a benchmark) requests come from a
/// handful of peers, so it is formatted once, not once per request.
fn with_client_ip<R>(req: &Request, log: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static LAST: RefCell<Option<(IpAddr, String)>> = const { RefCell::new(None) };
    }
    let Some(ip) = peer_ip(req) else {
        return log("");
    };
    LAST.with(|last| match last.try_borrow_mut() {
        Ok(mut last) => {
            if last.as_ref().is_none_or(|(of, _)| *of != ip) {
                *last = Some((ip, ip.to_string()));
            }
            log(last.as_ref().map_or("", |(_, text)| text.as_str()))
        }
        Err(_) => log(&ip.to_string()),
    })
}

/// Rate limit and route identity, applied before the route's handler.
struct RouteGuard {
    route: RouteSettings,
    matched: Arc<MatchedRoute>,
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

fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.remote_addr().ip()
}

/// Who a request counts against: the TCP peer, or the last `X-Forwarded-For` hop (the address
/// the load balancer saw) when the deployment says the header can be trusted.
fn client_id(req: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(hop) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|hop| hop.parse::<IpAddr>().is_ok())
    {
        return hop.to_owned();
    }
    peer_ip(req).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Turns every error the framework produces (404, 405, ...) into the API's JSON error shape.
struct JsonCatcher;

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

/// A JSON body already serialized (from the cache or just now), documented as `T`.
pub struct JsonText<T>(pub Bytes, PhantomData<T>);

impl<T> JsonText<T> {
    pub fn new(text: impl Into<Bytes>) -> Self {
        Self(text.into(), PhantomData)
    }
}

impl<T: Serialize> JsonText<T> {
    pub fn of(value: &T) -> Result<Self, ApiError> {
        Ok(Self::new(
            serde_json::to_vec(value).map_err(ApiError::Encode)?,
        ))
    }
}

impl<T: Send> Scribe for JsonText<T> {
    fn render(self, res: &mut Response) {
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        let _ignored = res.write_body(self.0);
    }
}

/// Documented exactly as salvo documents `Json<T>`.
impl<T: ToSchema> EndpointOutRegister for JsonText<T> {
    fn register(components: &mut Components, operation: &mut Operation) {
        operation
            .responses
            .insert("200", Json::<T>::to_response(components));
    }
}

/// Maps of JSON fields by name, kept as their literal text.
pub type JsonFields = BTreeMap<String, Box<serde_json::value::RawValue>>;

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
