//! Semantic checks: rules that relate several values, or that a JSON Schema cannot express
//! (CIDR arithmetic, PromQL, routes against handlers, production rules and their waivers).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::duration;
use crate::model::{Layer, Model, ResolvedEnvironment};
use crate::promql::{self, PromqlError};
use crate::source::Path;
use crate::spec::{CachePolicy, Handler, NatMode, ProductionRule, RouteRateLimit, Tier};

/// Log retention values CloudWatch accepts.
pub const LOG_RETENTION_DAYS: [u16; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Stand-ins substituted for placeholders before PromQL is parsed.
// What `$threshold` and `$window` stand for while an expression is parsed: as long as the
// placeholders, so a position in the parsed text is the same position in the spec's text.
const SAMPLE_THRESHOLD: &str = "1.00000000";
const SAMPLE_WINDOW: &str = "300000s";

/// Every semantic problem of a typed, resolved spec.
pub fn check(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_project(model, &mut out);
    check_routes(model, &mut out);
    check_alerts(model, &mut out);
    check_slos(model, &mut out);
    check_dashboards(model, &mut out);
    for environment in model.environments.values() {
        check_environment(model, environment, &mut out);
    }
    check_across_environments(model, &mut out);
    out
}

fn path(text: &str) -> Path {
    Path::parse_dotted(text).unwrap_or_default()
}

fn check_project(model: &Model, out: &mut Vec<Diagnostic>) {
    for key in model.spec.project.tags.keys() {
        if key.to_ascii_lowercase().starts_with("aws:") {
            out.push(
                Diagnostic::error(
                    Code::BadFormat,
                    format!("the tag `{key}` uses the `aws:` prefix, which AWS reserves"),
                )
                .at_path(Path::root().child("project").child("tags").child(key))
                .help("choose a tag name without the `aws:` prefix"),
            );
        }
    }
    for action in crate::render::workflows::REQUIRED_ACTIONS {
        if !model.spec.delivery.actions.contains_key(*action) {
            out.push(
                Diagnostic::error(
                    Code::MissingKey,
                    format!("the workflows use `{action}`, which [delivery.actions] does not list"),
                )
                .at_path(Path::root().child("delivery").child("actions"))
                .help(format!(
                    "add `\"{action}\" = {{ version = \"vN\" }}` to [delivery.actions]"
                )),
            );
        }
    }
    for action in model.spec.delivery.actions.keys() {
        if !crate::render::workflows::REQUIRED_ACTIONS.contains(&action.as_str()) {
            out.push(
                Diagnostic::warning(Code::Inconsistent, format!("no workflow uses `{action}`"))
                    .at_path(
                        Path::root()
                            .child("delivery")
                            .child("actions")
                            .child(action),
                    )
                    .help(
                        "remove it from [delivery.actions]; the table lists what the workflows run",
                    ),
            );
        }
    }
    let window = &model.spec.service.rate_limit.window;
    if let Err(error) = duration::parse(window) {
        out.push(duration_error(error, path("service.rate_limit.window")));
    }
}

fn duration_error(error: duration::DurationError, at: Path) -> Diagnostic {
    Diagnostic::error(Code::InvalidDuration, error.to_string())
        .at_path(at)
        .help("write a duration such as `30s`, `5m`, `1h30m` or `30d`")
}

fn check_routes(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(crate::spec::Method, String), usize> = BTreeMap::new();
    for (index, route) in model.spec.routes.iter().enumerate() {
        let at = Path::root().child("routes").index(index);
        let shape = normalized_route(&route.path);
        if let Some(first) = seen.insert((route.method, shape), index) {
            let method = route.method.as_str();
            let earlier = &model.spec.routes[first].path;
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
                        Path::root().child("routes").index(first).child("path"),
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
        let parameters: Vec<&str> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
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
        if let Some(RouteRateLimit::Limit(limit)) = &route.rate_limit
            && let Err(error) = duration::parse(&limit.window)
        {
            out.push(duration_error(
                error,
                at.child("rate_limit").child("window"),
            ));
        }
    }
    let service = &model.spec.service;
    for (key, wanted, handler) in [
        ("health_path", &service.health_path, Handler::Health),
        ("readiness_path", &service.readiness_path, Handler::Ready),
        ("metrics_path", &service.metrics_path, Handler::Metrics),
    ] {
        let routed = model
            .spec
            .routes
            .iter()
            .any(|route| route.handler == handler && &route.path == wanted);
        if !routed {
            out.push(
                Diagnostic::error(
                    Code::RouteMismatch,
                    format!("`service.{key}` is `{wanted}`, but no route serves it with the `{}` handler", handler_name(handler)),
                )
                .at_path(Path::root().child("service").child(key))
                .help(format!(
                    "add a route: [[routes]] method = \"GET\", path = \"{wanted}\", handler = \"{}\"",
                    handler_name(handler)
                )),
            );
        }
    }
}

/// Route paths are equal when they differ only in parameter names.
fn normalized_route(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn handler_name(handler: Handler) -> String {
    serde_json::to_value(handler)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn check_alerts(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut names = BTreeMap::new();
    for (index, alert) in model.spec.alerts.iter().enumerate() {
        let at = Path::root().child("alerts").index(index);
        if let Some(first) = names.insert(alert.name.as_str(), index) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the alert `{}` is declared twice", alert.name),
                )
                .at_path(at.child("name"))
                .label(format!("alerts[{index}]"))
                .related(
                    Path::root().child("alerts").index(first).child("name"),
                    format!("alerts[{first}], declared first"),
                    false,
                ),
            );
        }
        if let Err(error) = duration::parse(&alert.for_) {
            out.push(duration_error(error, at.child("for")));
        }
        let uses_threshold = alert.expr.contains("$threshold");
        match (uses_threshold, alert.threshold) {
            (true, None) => out.push(
                Diagnostic::error(Code::Inconsistent, format!("the alert `{}` uses `$threshold` but sets no `threshold`", alert.name))
                    .at_path(at.child("expr"))
                    .help("add `threshold = ...` to the alert"),
            ),
            (false, Some(_)) => out.push(
                Diagnostic::warning(Code::Inconsistent, format!("the alert `{}` sets `threshold` but its expression never uses `$threshold`", alert.name))
                    .at_path(at.child("threshold"))
                    .help("write `$threshold` where the number goes in `expr`, or remove `threshold`"),
            ),
            _ => {}
        }
        let expr = alert.expr.replace("$threshold", SAMPLE_THRESHOLD);
        if let Err(error) = promql::check(&expr) {
            out.push(promql_error(error, at.child("expr")));
        }
        match &alert.test {
            None => out.push(
                Diagnostic::warning(Code::Inconsistent, format!("the alert `{}` has no unit test", alert.name))
                    .at_path(at.child("name"))
                    .help("add `test = { firing = { '<series>' = \"<values>\" }, quiet = { ... } }` so promtool proves it fires"),
            ),
            Some(test) => {
                for (key, series) in [("firing", &test.firing), ("quiet", &test.quiet)] {
                    for selector in series.keys() {
                        let is_selector = matches!(
                            promql_parser::parser::parse(selector),
                            Ok(promql_parser::parser::Expr::VectorSelector(_))
                        );
                        if !is_selector {
                            out.push(
                                Diagnostic::error(Code::InvalidPromql, format!("`{selector}` is not a series selector"))
                                    .at_path(at.child("test").child(key).child(selector))
                                    .help("write a metric name with labels, such as `http_requests_total{status=\"500\"}`"),
                            );
                        }
                    }
                }
                if let Some(when) = &test.at
                    && let Err(error) = duration::parse(when)
                {
                    out.push(duration_error(error, at.child("test").child("at")));
                }
            }
        }
    }
}

/// A PromQL mistake, pointed at inside the expression where the literal allows.
fn promql_error(error: PromqlError, at: Path) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidPromql,
        format!("the PromQL expression does not parse: {}", error.message),
    )
    .at_path(at)
    .within_value(error.at)
    .label(error.label)
    .help("check the expression with `promtool` or the Prometheus expression browser")
}

fn check_slos(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut names = BTreeMap::new();
    for (index, slo) in model.spec.slos.iter().enumerate() {
        let at = Path::root().child("slos").index(index);
        if let Some(first) = names.insert(slo.name.as_str(), index) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the SLO `{}` is declared twice", slo.name),
                )
                .at_path(at.child("name"))
                .label(format!("slos[{index}]"))
                .related(
                    Path::root().child("slos").index(first).child("name"),
                    format!("slos[{first}], declared first"),
                    false,
                ),
            );
        }
        match duration::parse(&slo.window) {
            Err(error) => out.push(duration_error(error, at.child("window"))),
            Ok(window) if window < std::time::Duration::from_secs(24 * 3600) => out.push(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!("the SLO window `{}` is shorter than a day", slo.window),
                )
                .at_path(at.child("window"))
                .help("burn-rate alerts need a window of days, such as `28d` or `30d`"),
            ),
            Ok(_) => {}
        }
        for key in ["bad_events", "total_events"] {
            let expr = if key == "bad_events" {
                &slo.bad_events
            } else {
                &slo.total_events
            };
            if !expr.contains("$window") {
                out.push(
                    Diagnostic::error(Code::Inconsistent, format!("`{key}` of the SLO `{}` does not use `$window`", slo.name))
                        .at_path(at.child(key))
                        .help("write the rate window as `$window`, for example `rate(http_requests_total[$window])`"),
                );
            }
            if let Err(error) = promql::check(&expr.replace("$window", SAMPLE_WINDOW)) {
                out.push(promql_error(error, at.child(key)));
            }
        }
    }
}

fn check_dashboards(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut uids = BTreeMap::new();
    for (index, dashboard) in model.spec.dashboards.iter().enumerate() {
        let at = Path::root().child("dashboards").index(index);
        if let Some(first) = uids.insert(dashboard.uid.as_str(), index) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the dashboard uid `{}` is used twice", dashboard.uid),
                )
                .at_path(at.child("uid"))
                .note(format!("first used by dashboards[{first}]")),
            );
        }
        let mut panels = BTreeSet::new();
        for (panel_index, panel) in dashboard.panels.iter().enumerate() {
            if !panels.insert(*panel) {
                out.push(
                    Diagnostic::warning(
                        Code::DuplicateName,
                        "this panel is already on the dashboard",
                    )
                    .at_path(at.child("panels").index(panel_index)),
                );
            }
            if *panel == crate::spec::Panel::SloErrorBudget && model.spec.slos.is_empty() {
                out.push(
                    Diagnostic::error(
                        Code::Inconsistent,
                        "the `slo_error_budget` panel needs at least one SLO",
                    )
                    .at_path(at.child("panels").index(panel_index))
                    .help("add an [[slos]] entry or remove the panel"),
                );
            }
        }
    }
}

fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not a valid IPv4 CIDR block"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set; the network is `{}`",
            net.trunc()
        ));
    }
    Ok(net)
}

fn cidr_diagnostic(
    environment: &ResolvedEnvironment,
    message: String,
    relative: Path,
) -> Diagnostic {
    let help = match message.split("the network is ").nth(1) {
        Some(network) => format!("did you mean {network}?"),
        None => "write a block such as `10.0.0.0/16`: four numbers from 0 to 255, a slash, and a prefix length from 0 to 32".to_string(),
    };
    environment.diagnostic(
        Diagnostic::error(Code::InvalidCidr, message)
            .help(help)
            .on_value(),
        &relative,
    )
}

fn check_environment(model: &Model, environment: &ResolvedEnvironment, out: &mut Vec<Diagnostic>) {
    let settings = &environment.settings;
    let network = &settings.network;
    let region = &model.spec.project.aws_region;

    // Network layout.
    let vpc = match parse_cidr(&network.vpc_cidr) {
        Ok(vpc) => Some(vpc),
        Err(message) => {
            out.push(cidr_diagnostic(
                environment,
                message,
                path("network.vpc_cidr"),
            ));
            None
        }
    };
    let mut zones = BTreeSet::new();
    for (index, zone) in network.availability_zones.iter().enumerate() {
        let relative = path("network.availability_zones").index(index);
        let suffix = zone.strip_prefix(region.as_str());
        let valid =
            suffix.is_some_and(|s| s.len() == 1 && s.bytes().all(|b| b.is_ascii_lowercase()));
        if !valid {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::ZoneOutsideRegion,
                        format!("the zone `{zone}` is not in the region `{region}`"),
                    )
                    .help(format!(
                        "zones of `{region}` are named `{region}a`, `{region}b`, ..."
                    )),
                    &relative,
                ),
            );
        }
        if !zones.insert(zone) {
            out.push(environment.diagnostic(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the zone `{zone}` is listed twice"),
                ),
                &relative,
            ));
        }
    }
    let mut subnets: Vec<(Ipv4Net, Path)> = Vec::new();
    for key in ["public_subnets", "private_subnets", "database_subnets"] {
        let list = match key {
            "public_subnets" => &network.public_subnets,
            "private_subnets" => &network.private_subnets,
            _ => &network.database_subnets,
        };
        let list_path = path("network").child(key);
        if list.len() != network.availability_zones.len() {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::SubnetLayout,
                        format!(
                            "`{key}` has {} subnet{}, but there are {} availability zones",
                            list.len(),
                            if list.len() == 1 { "" } else { "s" },
                            network.availability_zones.len()
                        ),
                    )
                    .help("list one subnet per availability zone, in the same order"),
                    &list_path,
                ),
            );
        }
        for (index, text) in list.iter().enumerate() {
            let relative = list_path.index(index);
            match parse_cidr(text) {
                Err(message) => out.push(cidr_diagnostic(environment, message, relative)),
                Ok(subnet) => {
                    if let Some(vpc) = vpc
                        && !vpc.contains(&subnet)
                    {
                        out.push(
                            environment.diagnostic(
                                Diagnostic::error(
                                    Code::SubnetLayout,
                                    format!("the subnet `{subnet}` is outside the VPC `{vpc}`"),
                                )
                                .help(format!("choose a subnet inside `{vpc}`")),
                                &relative,
                            ),
                        );
                    }
                    if let Some((other, other_path)) =
                        subnets.iter().find(|(other, _)| overlaps(other, &subnet))
                    {
                        out.push(
                            environment.diagnostic(
                                Diagnostic::error(
                                    Code::CidrOverlap,
                                    format!("the subnet `{subnet}` overlaps `{other}`"),
                                )
                                .label(format!("`{subnet}`"))
                                .related(
                                    environment.source_of(other_path),
                                    format!(
                                        "overlaps `{other}` (network.{})",
                                        display_tail(other_path)
                                    ),
                                    true,
                                ),
                                &relative,
                            ),
                        );
                    }
                    subnets.push((subnet, relative));
                }
            }
        }
    }

    // EKS.
    let eks = &settings.eks;
    if !(eks.min_size <= eks.desired_size && eks.desired_size <= eks.max_size) {
        out.push(environment.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "EKS node sizes must satisfy min <= desired <= max, found min {} desired {} max {}",
                    eks.min_size, eks.desired_size, eks.max_size
                ),
            ),
            &path("eks.desired_size"),
        ));
    }
    if !eks.spot && eks.spot_percentage != 0 {
        out.push(
            environment.diagnostic(
                Diagnostic::warning(
                    Code::Inconsistent,
                    format!(
                        "`spot_percentage` is {} but `spot` is off",
                        eks.spot_percentage
                    ),
                )
                .help("set `spot_percentage = 0`, or `spot = true`"),
                &path("eks.spot_percentage"),
            ),
        );
    }
    if !eks.endpoint_private_access && !eks.endpoint_public_access {
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "the EKS API endpoint is neither private nor public, so nothing can reach it",
                )
                .help("set `endpoint_private_access = true`"),
                &path("eks.endpoint_private_access"),
            ),
        );
    }
    if eks.endpoint_public_access && eks.public_access_cidrs.is_empty() {
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "the EKS endpoint is public but `public_access_cidrs` is empty",
                )
                .help("list the CIDRs allowed to reach the endpoint"),
                &path("eks.public_access_cidrs"),
            ),
        );
    }
    for (index, text) in eks.public_access_cidrs.iter().enumerate() {
        if let Err(message) = parse_cidr(text) {
            out.push(cidr_diagnostic(
                environment,
                message,
                path("eks.public_access_cidrs").index(index),
            ));
        }
    }

    // Database and cache.
    let database = &settings.database;
    if database.max_allocated_storage_gb < database.allocated_storage_gb {
        out.push(environment.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "`max_allocated_storage_gb` ({}) is below `allocated_storage_gb` ({})",
                    database.max_allocated_storage_gb, database.allocated_storage_gb
                ),
            ),
            &path("database.max_allocated_storage_gb"),
        ));
    }
    if database.performance_insights
        && database.engine == crate::spec::Engine::Mysql
        && small_burstable_class(&database.instance_class)
    {
        out.push(environment.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                format!("RDS for MySQL does not offer Performance Insights on `{}`", database.instance_class),
            )
            .help("set `performance_insights = false`, or choose a medium or larger instance class"),
            &path("database.performance_insights"),
        ));
    }
    let cache = &settings.cache;
    if cache.automatic_failover && cache.nodes < 2 {
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "automatic failover needs at least 2 cache nodes",
                )
                .help("set `nodes = 2` or more, or `automatic_failover = false`"),
                &path("cache.automatic_failover"),
            ),
        );
    }
    if cache.auth_token && !cache.transit_encryption {
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "an AUTH token needs encryption in transit",
                )
                .help("set `transit_encryption = true`"),
                &path("cache.auth_token"),
            ),
        );
    }

    // Bastion.
    let bastion = &settings.bastion;
    if bastion.enabled && bastion.allowed_cidrs.is_empty() {
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "the bastion is enabled but no CIDR may reach it",
                )
                .help("list the office or VPN CIDRs in `allowed_cidrs`"),
                &path("bastion.allowed_cidrs"),
            ),
        );
    }
    for (index, text) in bastion.allowed_cidrs.iter().enumerate() {
        let relative = path("bastion.allowed_cidrs").index(index);
        match parse_cidr(text) {
            Err(message) => out.push(cidr_diagnostic(environment, message, relative)),
            Ok(net) if net.prefix_len() == 0 => out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        "SSH to the bastion would be open to the whole internet",
                    )
                    .help("allow only office or VPN ranges"),
                    &relative,
                ),
            ),
            Ok(_) => {}
        }
    }

    // Application.
    let app = &settings.app;
    let scaling = &app.autoscaling;
    if !(scaling.min_replicas <= app.replicas && app.replicas <= scaling.max_replicas) {
        out.push(environment.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "replicas must satisfy autoscaling.min_replicas <= replicas <= autoscaling.max_replicas, found {} <= {} <= {}",
                    scaling.min_replicas, app.replicas, scaling.max_replicas
                ),
            ),
            &path("app.replicas"),
        ));
    }
    if !LOG_RETENTION_DAYS.contains(&app.log_retention_days) {
        let nearest = LOG_RETENTION_DAYS
            .iter()
            .min_by_key(|d| d.abs_diff(app.log_retention_days))
            .copied()
            .unwrap_or(7);
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!(
                        "CloudWatch does not accept a retention of {} days",
                        app.log_retention_days
                    ),
                )
                .help(format!(
                    "the nearest accepted value is {nearest}; accepted: {LOG_RETENTION_DAYS:?}"
                )),
                &path("app.log_retention_days"),
            ),
        );
    }

    // Budget.
    for (index, email) in settings.budget.alert_emails.iter().enumerate() {
        if let Err(reason) = check_email(email) {
            out.push(environment.diagnostic(
                Diagnostic::error(
                    Code::InvalidEmail,
                    format!("`{email}` is not a valid e-mail address: {reason}"),
                ),
                &path("budget.alert_emails").index(index),
            ));
        }
    }

    // Delivery.
    let deploy = &settings.deploy;
    if deploy.branch.is_some() == deploy.tag.is_some() {
        out.push(
            environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "a deploy is triggered by a branch or by a tag: set exactly one of them",
                )
                .help("for example `branch = \"main\"` or `tag = \"v*-prod\"`"),
                &path("deploy"),
            ),
        );
    }

    if !settings.eks.endpoint_public_access
        && !deploy.runner.iter().any(|label| label.0 == "self-hosted")
    {
        out.push(environment.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                "the EKS endpoint is private, so a GitHub-hosted runner cannot reach it to deploy",
            )
            .help("run the deploy on a runner inside the VPC: `runner = [\"self-hosted\", \"linux\", \"<label>\"]`"),
            &path("eks.endpoint_public_access"),
        ));
    }

    // Alert thresholds.
    for name in settings.monitoring.alert_thresholds.keys() {
        let alert = model.spec.alerts.iter().find(|alert| &alert.name == name);
        let relative = path("monitoring.alert_thresholds").child(name);
        match alert {
            None => {
                let names = model.spec.alerts.iter().map(|a| a.name.as_str());
                let diagnostic = Diagnostic::error(
                    Code::UnknownKey,
                    format!("there is no alert named `{name}`"),
                );
                let diagnostic = match did_you_mean(name, names) {
                    Some(suggestion) => diagnostic.help(format!("did you mean `{suggestion}`?")),
                    None => diagnostic,
                };
                out.push(environment.diagnostic(diagnostic, &relative));
            }
            Some(alert) if !alert.expr.contains("$threshold") => out.push(environment.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("the alert `{name}` has no `$threshold` to override"),
                ),
                &relative,
            )),
            Some(_) => {}
        }
    }

    check_production_rules(environment, out);
}

/// db.t2, db.t3 and db.t4g micro and small classes.
fn small_burstable_class(class: &str) -> bool {
    let mut parts = class.split('.');
    let (_, family, size) = (
        parts.next(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    matches!(family, "t2" | "t3" | "t4g") && matches!(size, "micro" | "small")
}

fn display_tail(path: &Path) -> String {
    let text = path.to_string();
    text.strip_prefix("network.")
        .map_or(text.clone(), str::to_string)
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    let (local, domain) = email.rsplit_once('@').ok_or("it has no `@`")?;
    if local.is_empty() || local.contains('@') {
        return Err("the part before `@` must be a single non-empty name");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces or control characters");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels
            .iter()
            .any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-'))
    {
        return Err("the domain must be a dotted name such as `example.com`");
    }
    if !labels
        .iter()
        .all(|label| label.chars().all(|c| c.is_alphanumeric() || c == '-'))
    {
        return Err("the domain may only hold letters, digits, dashes and dots");
    }
    Ok(())
}

/// Whether an environment breaks a production rule, with the key to point at.
fn violation(environment: &ResolvedEnvironment, rule: ProductionRule) -> Option<(String, Path)> {
    let settings = &environment.settings;
    let (broken, message, at) = match rule {
        ProductionRule::DatabaseMultiAz => (
            !settings.database.multi_az,
            "the production database must run in several zones",
            "database.multi_az",
        ),
        ProductionRule::CacheFailover => (
            !settings.cache.automatic_failover,
            "the production cache must fail over automatically",
            "cache.automatic_failover",
        ),
        ProductionRule::BackupRetention => (
            settings.database.backup_retention_days < 7,
            "production backups must be kept at least 7 days",
            "database.backup_retention_days",
        ),
        ProductionRule::PrivateEksEndpoint => (
            settings.eks.endpoint_public_access,
            "the production EKS API endpoint must be private",
            "eks.endpoint_public_access",
        ),
        ProductionRule::DeletionProtection => (
            !settings.database.deletion_protection,
            "the production database must have deletion protection",
            "database.deletion_protection",
        ),
        ProductionRule::NatPerAz => (
            settings.network.nat != NatMode::PerAz,
            "production needs one NAT gateway per zone",
            "network.nat",
        ),
        ProductionRule::ApprovalRequired => (
            !settings.deploy.approval_required,
            "production deploys must wait for an approval",
            "deploy.approval_required",
        ),
    };
    broken.then(|| (message.to_string(), path(at)))
}

const PRODUCTION_RULES: [ProductionRule; 7] = [
    ProductionRule::DatabaseMultiAz,
    ProductionRule::CacheFailover,
    ProductionRule::BackupRetention,
    ProductionRule::PrivateEksEndpoint,
    ProductionRule::DeletionProtection,
    ProductionRule::NatPerAz,
    ProductionRule::ApprovalRequired,
];

/// What a waiver's reason starts with until someone writes the real one.
const REASON_PLACEHOLDER: &str = "TODO";

/// How to waive `rule` in `environment`, as TOML to paste: a `[[...waivers]]` table, or an
/// entry for the `waivers` list the environment already writes.
fn waiver_hint(environment: &ResolvedEnvironment, rule: ProductionRule) -> String {
    let name = &environment.name;
    let reason = format!("{REASON_PLACEHOLDER}: why {name} may break this rule, and until when");
    let what = "the reason is at least 10 characters saying why the rule does not apply here; \
                reviews show it, and validation refuses it while it starts with `TODO`";
    if environment.layer_of(&path("waivers")) == Layer::Environment
        && !environment.settings.waivers.is_empty()
    {
        format!(
            "fix the value, or waive the rule visibly by adding this entry to the `waivers` list \
             of [environments.{name}] ({what}):\n{{ rule = \"{}\", reason = \"{reason}\" }}",
            rule.as_str()
        )
    } else {
        format!(
            "fix the value, or waive the rule visibly by adding this to the spec ({what}):\n\
             [[environments.{name}.waivers]]\nrule = \"{}\"\nreason = \"{reason}\"",
            rule.as_str()
        )
    }
}

fn check_production_rules(environment: &ResolvedEnvironment, out: &mut Vec<Diagnostic>) {
    for (index, waiver) in environment.settings.waivers.iter().enumerate() {
        if waiver.reason.trim_start().starts_with(REASON_PLACEHOLDER) {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "the waiver of `{}` still has the placeholder reason",
                            waiver.rule.as_str()
                        ),
                    )
                    .on_value()
                    .label("write why the rule does not apply")
                    .help("replace it with the real reason, which reviews will read"),
                    &path("waivers").index(index).child("reason"),
                ),
            );
        }
    }
    let production = environment.settings.tier == Tier::Production;
    let waived: BTreeMap<ProductionRule, usize> = environment
        .settings
        .waivers
        .iter()
        .enumerate()
        .map(|(index, waiver)| (waiver.rule, index))
        .collect();
    for rule in PRODUCTION_RULES {
        let broken = violation(environment, rule);
        let waiver = waived.get(&rule);
        match (production, broken, waiver) {
            (true, Some((message, at)), None) => out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::ProductionRule,
                        format!("{message} (rule `{}`)", rule.as_str()),
                    )
                    .note(format!(
                        "environment `{}` has tier = \"production\"",
                        environment.name
                    ))
                    .help(waiver_hint(environment, rule)),
                    &at,
                ),
            ),
            (true, None, Some(index)) => out.push(
                environment.diagnostic(
                    Diagnostic::warning(
                        Code::UnusedWaiver,
                        format!(
                            "the waiver of `{}` is not needed: the rule holds",
                            rule.as_str()
                        ),
                    )
                    .help("remove the waiver"),
                    &path("waivers").index(*index),
                ),
            ),
            (false, _, Some(index)) => out.push(
                environment.diagnostic(
                    Diagnostic::warning(
                        Code::UnusedWaiver,
                        format!(
                            "waivers only matter in production-tier environments; `{}` is not one",
                            environment.name
                        ),
                    )
                    .help("remove the waiver"),
                    &path("waivers").index(*index),
                ),
            ),
            _ => {}
        }
    }
}

fn check_across_environments(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut vpcs: Vec<(&ResolvedEnvironment, Ipv4Net)> = Vec::new();
    let mut triggers: BTreeMap<String, &str> = BTreeMap::new();
    for environment in model.environments.values() {
        if let Ok(vpc) = parse_cidr(&environment.settings.network.vpc_cidr) {
            if let Some((other, other_vpc)) = vpcs.iter().find(|(_, other)| overlaps(other, &vpc)) {
                out.push(environment.diagnostic(
                    Diagnostic::error(
                        Code::CidrOverlap,
                        format!("the VPC `{vpc}` of `{}` overlaps the VPC `{other_vpc}` of `{}`", environment.name, other.name),
                    )
                    .on_value()
                    .label(format!("`{vpc}` ({})", environment.name))
                    .related(
                        other.source_of(&path("network.vpc_cidr")),
                        format!("overlaps `{other_vpc}` ({})", other.name),
                        true,
                    )
                    .help("give each environment its own range, for example 10.0.0.0/16, 10.1.0.0/16, 10.2.0.0/16"),
                    &path("network.vpc_cidr"),
                ));
            }
            vpcs.push((environment, vpc));
        }
        let deploy = &environment.settings.deploy;
        let trigger = match (&deploy.branch, &deploy.tag) {
            (Some(branch), None) => format!("a push to the branch `{branch}`"),
            (None, Some(tag)) => format!("a tag matching `{tag}`"),
            _ => continue,
        };
        if let Some(other) = triggers.insert(trigger.clone(), &environment.name) {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "{trigger} would deploy both `{other}` and `{}`",
                            environment.name
                        ),
                    )
                    .help("give each environment its own branch or tag pattern"),
                    &path("deploy"),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_pragmatically() {
        assert!(check_email("devops@example.com").is_ok());
        assert!(check_email("first.last+tag@sub.example.co.uk").is_ok());
        for bad in [
            "devops",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@exa_mple.com",
            "a@.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn cidrs_with_host_bits_suggest_the_network() {
        assert_eq!(
            parse_cidr("10.0.1.5/24"),
            Err("`10.0.1.5/24` has host bits set; the network is `10.0.1.0/24`".into())
        );
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("300.0.0.0/8").is_err());
    }

    #[test]
    fn routes_differing_only_in_parameter_names_collide() {
        assert_eq!(
            normalized_route("/transaction/{id}"),
            normalized_route("/transaction/{tx}")
        );
        assert_ne!(
            normalized_route("/transaction/id"),
            normalized_route("/transaction/{id}")
        );
    }
}
