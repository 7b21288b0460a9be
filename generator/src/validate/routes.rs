//! Each service on its own: its configuration, what runs it, and for a runtime-backed service
//! its routes: each route fits its handler (method, path parameter), none is declared twice, the
//! probe paths are routed, and every limit is resolved.

use std::collections::BTreeMap;

use super::values::duration;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{self, Api, Backend, Build, RateLimit, Route, RouteTemplate, Service};
use crate::source::Path;
use crate::spec::{self, CachePolicy, Handler, RouteRateLimit};

pub(super) fn service(
    name: &str,
    service: &spec::Service,
    out: &mut Vec<Diagnostic>,
) -> Option<Service> {
    let config_own = config(name, service, out);
    let backend = backend(name, service, out);
    let build = build(name, service, out);
    if !config_own {
        return None;
    }
    Some(Service {
        name: name.to_string(),
        shutdown_grace_seconds: service.shutdown_grace_seconds,
        config: service.config.clone(),
        // Filled by `secrets::service_secrets`, which knows the declared secrets.
        build: build?,
        backend: backend?,
    })
}

/// What runs the service: the runtime, with its limits and routes, or the service's own image,
/// which has no routes for the spec to give.
fn backend(name: &str, service: &spec::Service, out: &mut Vec<Diagnostic>) -> Option<Backend> {
    let Some(runtime) = &service.runtime else {
        if !service.routes.is_empty() {
            out.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "`{name}` lists routes, but only this repository's runtime serves routes \
                         and `{name}` has no `runtime` table"
                    ),
                )
                .at_path(service_path(name).child("routes"))
                .help(format!(
                    "add [services.{name}.runtime] (rate_limit, body_limit_bytes, \
                     max_page_size) if the runtime serves it, or remove the routes of a service \
                     that runs its own image"
                )),
            );
            return None;
        }
        return Some(Backend::Image);
    };
    if service.routes.is_empty() {
        out.push(
            Diagnostic::error(
                Code::MissingKey,
                format!("the runtime serves `{name}`, but it has no routes"),
            )
            .at_path(service_path(name).child("runtime"))
            .help(format!(
                "add [[services.{name}.routes]] tables (method, path, handler), at least the \
                 probes' and the metrics path"
            )),
        );
        return None;
    }
    let at = service_path(name).child("runtime").child("rate_limit");
    let window = duration(&runtime.rate_limit.window, at.child("window"), out)?;
    let mut api = Api {
        rate_limit: RateLimit {
            requests: runtime.rate_limit.requests,
            window,
        },
        body_limit_bytes: runtime.body_limit_bytes,
        max_page_size: runtime.max_page_size,
        routes: Vec::new(),
    };
    api.routes = routes(name, service, &api, out)?;
    Some(Backend::Runtime(api))
}

/// Where the service's image comes from: the runtime's Dockerfile, or `<source>/Dockerfile` of a
/// service on its own image, which must say where its source is (the schema keeps it inside the
/// repository: no segment starts with a dot).
fn build(name: &str, service: &spec::Service, out: &mut Vec<Diagnostic>) -> Option<Build> {
    let at = service_path(name).child("source");
    match (&service.source, &service.runtime) {
        (None, Some(_)) => Some(Build::runtime()),
        (Some(_), Some(_)) => {
            out.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "`{name}` is served by the runtime, whose image is built from \
                         runtime/Dockerfile, so it has no source of its own"
                    ),
                )
                .at_path(at)
                .help("remove `source`, or the `runtime` table if the service runs its own image"),
            );
            None
        }
        (None, None) => {
            out.push(
                Diagnostic::error(
                    Code::MissingKey,
                    format!(
                        "`{name}` runs its own image, but the spec does not say where its source is"
                    ),
                )
                .at_path(service_path(name))
                .help(format!(
                    "add `source = \"services/{name}\"`: the deploy builds <source>/Dockerfile and \
                     a change under it deploys the service"
                )),
            );
            None
        }
        (Some(source), None) => Some(Build::own(source)),
    }
}

/// Whether the service's own configuration leaves the platform's variables alone: a value the
/// platform sets would be overwritten, silently, by one or the other.
fn config(name: &str, service: &spec::Service, out: &mut Vec<Diagnostic>) -> bool {
    let mut own = true;
    if service.runtime.is_none() {
        return own;
    }
    for key in service.config.keys() {
        if model::PLATFORM_VARIABLES.contains(&key.as_str()) {
            own = false;
            out.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("`{key}` is set by the platform for the runtime of `{name}`"),
                )
                .at_path(service_path(name).child("config").child(key))
                .help(format!(
                    "remove `{key}`: the runtime's settings come from the spec's environment \
                     and database settings"
                )),
            );
        }
    }
    own
}

/// Where a service is written: `services.<name>`.
pub(super) fn service_path(name: &str) -> Path {
    Path::root().child("services").child(name)
}

/// The routes of the service `name` (validated from `written`, with the defaults of `api`).
fn routes(
    name: &str,
    written: &spec::Service,
    api: &Api,
    out: &mut Vec<Diagnostic>,
) -> Option<Vec<Route>> {
    let errors_before = out.iter().filter(|d| d.is_error()).count();
    let mut seen: BTreeMap<(spec::Method, String), usize> = BTreeMap::new();
    let mut routes = Vec::new();
    let routes_path = service_path(name).child("routes");
    for (index, route) in written.routes.iter().enumerate() {
        let at = routes_path.index(index);
        let template = RouteTemplate::new(&route.path);
        if let Some(first) = seen.insert((route.method, template.shape()), index) {
            let method = route.method.as_str();
            let earlier = &written.routes[first].path;
            let message = if *earlier == route.path {
                format!("the route `{method} {}` is declared twice", route.path)
            } else {
                format!(
                    "`{method} {earlier}` and `{method} {}` are the same route (parameter names \
                     do not tell paths apart)",
                    route.path
                )
            };
            out.push(
                Diagnostic::error(Code::DuplicateName, message)
                    .at_path(at.child("path"))
                    .on_value()
                    .label(format!("routes[{index}]: {method} {}", route.path))
                    .related(
                        routes_path.index(first).child("path"),
                        format!("routes[{first}]: {method} {earlier}, declared first"),
                        true,
                    )
                    .help("remove one of the two routes"),
            );
        }
        if route.method != route.handler.method() {
            out.push(
                Diagnostic::error(
                    Code::RouteMismatch,
                    format!(
                        "the handler `{}` answers {}, but the route says {}",
                        handler_name(route.handler),
                        route.handler.method().as_str(),
                        route.method.as_str()
                    ),
                )
                .at_path(at.child("method"))
                .help(format!(
                    "write `method = \"{}\"`",
                    route.handler.method().as_str()
                )),
            );
        }
        let parameters: Vec<&str> = template.parameters().collect();
        let wanted: Vec<&str> = route.handler.path_parameter().into_iter().collect();
        if parameters != wanted {
            let help = match route.handler.path_parameter() {
                Some(name) => format!(
                    "the path must contain the parameter `{{{name}}}`, for example `/transaction/{{{name}}}`"
                ),
                None => {
                    "this handler reads no path parameter; remove the `{...}` segment".to_string()
                }
            };
            out.push(
                Diagnostic::error(
                    Code::RouteMismatch,
                    format!(
                        "the path `{}` does not fit the handler `{}`",
                        route.path,
                        handler_name(route.handler)
                    ),
                )
                .at_path(at.child("path"))
                .help(help),
            );
        }
        if route.cache == CachePolicy::CacheAside && !route.handler.is_cacheable() {
            out.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "the handler `{}` does not read transactions, so it cannot be cached",
                        handler_name(route.handler)
                    ),
                )
                .at_path(at.child("cache"))
                .help("remove `cache`, or set it to \"none\""),
            );
        }
        let rate_limit = match &route.rate_limit {
            None if route.handler.is_operational() => None,
            None => Some(api.rate_limit.clone()),
            Some(RouteRateLimit::Disabled(_)) => None,
            Some(RouteRateLimit::Limit(limit)) => {
                let at = at.child("rate_limit").child("window");
                duration(&limit.window, at, out).map(|window| RateLimit {
                    requests: limit.requests,
                    window,
                })
            }
        };
        routes.push(Route {
            method: route.method,
            path: template,
            handler: route.handler,
            cached: route.cache == CachePolicy::CacheAside,
            rate_limit,
            body_limit_bytes: route.body_limit_bytes.unwrap_or(api.body_limit_bytes),
        });
    }
    for (key, handler, wanted) in [
        ("health_path", Handler::Health, &written.health_path),
        ("readiness_path", Handler::Ready, &written.readiness_path),
        ("metrics_path", Handler::Metrics, &written.metrics_path),
    ] {
        if let Some(problem) = unrouted(name, written, (key, handler), wanted) {
            out.push(problem.at_path(service_path(name).child(key)));
        }
    }
    let errors = out.iter().filter(|d| d.is_error()).count();
    (errors == errors_before).then_some(routes)
}

/// The error, unlocated, when the runtime serving `name` has no route with `handler` for the
/// path `key` (`health_path`, `readiness_path` or `metrics_path`) says it answers on.
pub(super) fn unrouted(
    name: &str,
    written: &spec::Service,
    (key, handler): (&str, Handler),
    wanted: &str,
) -> Option<Diagnostic> {
    let routed = written
        .routes
        .iter()
        .any(|route| route.handler == handler && route.path == wanted);
    (!routed).then(|| {
        Diagnostic::error(
            Code::RouteMismatch,
            format!(
                "`{key}` is `{wanted}`, but no route of `{name}` serves it with the `{}` handler",
                handler_name(handler)
            ),
        )
        .help(format!(
            "add a route: [[services.{name}.routes]] method = \"GET\", path = \"{wanted}\", \
             handler = \"{}\"",
            handler_name(handler)
        ))
    })
}

pub(super) fn handler_name(handler: Handler) -> String {
    serde_json::to_value(handler)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
