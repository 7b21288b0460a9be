//! Each environment's settings: sizes in order, features that need each other, values AWS
//! accepts, a deploy trigger and a runner that can reach the cluster, thresholds of real
//! alerts; and, across environments, VPCs and deploy triggers that do not collide.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::datastores;
use super::edge::{edge, waf};
use super::eks::{eks, placement};
use super::network::network;
use super::pooler;
use super::recovery::recovery;
use super::rules::rules;
use super::services::{ingress_paths, ports};
use super::sizing;
use super::strategy::strategy;
use super::values::{cidr_diagnostic, overlaps, parse_cidr, path};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::{
    Bastion, Database, Deploy, DeployTrigger, Environment, ServiceSettings, TRACING_VARIABLES,
    Tracing, addon_versions,
};
use crate::resolve::Resolved;
use crate::spec::{self, Spec};

/// Log retention values CloudWatch accepts.
pub(super) const LOG_RETENTION_DAYS: [u16; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub(super) fn environment(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) -> Option<Environment> {
    let errors_before = out.iter().filter(|d| d.is_error()).count();
    let network = network(resolved, &settings.network, &spec.project.aws_region, out);
    let cluster = format!("{}-{}", spec.project.name, resolved.name);
    let eks = eks(resolved, &cluster, &settings.eks, out);
    let database = datastores::database(
        resolved,
        &settings.database,
        &settings.network.availability_zones,
        out,
    );
    datastores::rotation(
        resolved,
        &settings.database,
        spec.delivery.terraform.enabled,
        out,
    );
    let cache = datastores::cache(resolved, &settings.cache, out);
    let bastion = bastion(resolved, &settings.bastion, out);
    app(resolved, &settings.app, out);
    let services = sizing::services(spec, resolved, settings, out);
    let secret_variables = super::secrets::variables_here(spec, resolved, settings, out);
    let pooler = pooler::pooler(spec, resolved, &settings.database, services.as_ref(), out);
    let database = database.map(|database| Database { pooler, ..database });
    if let Some(services) = &services {
        ports(resolved, services, out);
        ingress_paths(resolved, services, out);
    }
    let placed = match (&eks, &services) {
        (Some(eks), Some(services)) => placement(resolved, eks, services, out),
        _ => false,
    };
    for (index, email) in settings.budget.alert_emails.iter().enumerate() {
        if let Err(reason) = check_email(email) {
            out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::InvalidEmail,
                    format!("`{email}` is not a valid e-mail address: {reason}"),
                ),
                &path("budget.alert_emails").index(index),
            ));
        }
    }
    let amounts = &settings.budget.alert_amounts_usd;
    for (index, pair) in amounts.windows(2).enumerate() {
        if pair[0] >= pair[1] {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::SizeOrder,
                        format!(
                            "budget alert amounts must rise: {} comes after {}",
                            pair[1], pair[0]
                        ),
                    )
                    .help("list each amount once, lowest first"),
                    &path("budget.alert_amounts_usd").index(index + 1),
                ),
            );
        }
    }
    if let Some(index) = amounts.iter().position(|&amount| amount == 0) {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::OutOfRange,
                "a budget alert amount of $0 alerts always",
            ),
            &path("budget.alert_amounts_usd").index(index),
        ));
    }
    edge(spec, resolved, settings, out);
    let waf = waf(resolved, settings, out);
    let deploy = deploy(resolved, settings, out);
    let namespace = namespace(spec, resolved, out);
    let tracing = tracing(spec, resolved, settings, services.as_ref(), out);
    let thresholds = thresholds(spec, resolved, settings, out);
    let recovery = recovery(resolved, settings, &spec.project.aws_region, out);
    if let Ok(recovery) = &recovery {
        rules(resolved, settings, recovery.as_ref(), out);
    }

    let errors = out.iter().filter(|d| d.is_error()).count();
    match (
        network,
        eks,
        database,
        cache,
        bastion,
        waf,
        deploy,
        recovery,
        services,
        namespace,
        secret_variables,
    ) {
        (
            Some(network),
            Some(eks),
            Some(database),
            Some(cache),
            Some(bastion),
            Some(waf),
            Some(deploy),
            Ok(recovery),
            Some(services),
            Some(namespace),
            Some(secret_variables),
        ) if errors == errors_before && placed => Some(Environment {
            name: resolved.name.clone(),
            tier: settings.tier,
            namespace,
            account_id: settings.account_id.clone(),
            network,
            eks,
            database,
            cache,
            bastion,
            app: settings.app.clone(),
            services,
            secret_variables,
            budget: settings.budget.clone(),
            ingress: settings.ingress.clone(),
            waf,
            buckets: settings.buckets.clone(),
            deploy,
            tracing,
            cluster_addons: addon_versions(&settings.cluster_addons),
            thresholds,
            recovery,
            waivers: settings.waivers.clone(),
            resolved: resolved.clone(),
        }),
        _ => None,
    }
}

/// The namespace the services are deployed to here: `delivery.namespace` filled in, a name
/// Kubernetes accepts (a DNS label).
fn namespace(spec: &Spec, resolved: &Resolved, out: &mut Vec<Diagnostic>) -> Option<String> {
    let namespace = spec
        .delivery
        .namespace
        .replace("{project}", &spec.project.name)
        .replace("{environment}", &resolved.name);
    let label = namespace.len() <= 63
        && namespace.starts_with(|c: char| c.is_ascii_alphanumeric())
        && namespace.ends_with(|c: char| c.is_ascii_alphanumeric());
    if label {
        return Some(namespace);
    }
    out.push(
        Diagnostic::error(
            Code::BadFormat,
            format!(
                "in environment `{}` the namespace is `{namespace}`, which Kubernetes refuses: \
                 a namespace is at most 63 characters, starting and ending with a letter or digit",
                resolved.name
            ),
        )
        .at_path(path("delivery.namespace"))
        .on_value()
        .help("shorten it, or start and end it with a letter or digit (`{project}-{environment}`)"),
    );
    None
}

/// Where the services send their spans here: a collector at a port the network policies can
/// open, and no service configuring a variable the platform sets for tracing.
fn tracing(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    services: Option<&BTreeMap<String, ServiceSettings>>,
    out: &mut Vec<Diagnostic>,
) -> Option<Tracing> {
    let tracing = settings.tracing.as_ref()?;
    for (name, service) in services.into_iter().flatten() {
        for key in service.config.keys() {
            if !TRACING_VARIABLES.contains(&key.as_str()) {
                continue;
            }
            let diagnostic = Diagnostic::error(
                Code::Inconsistent,
                format!("`{key}` is set by the platform wherever `tracing` is on"),
            )
            .help(format!(
                "remove `{key}`: every service's tracing comes from `tracing` (the collector \
                 and the sample ratio)"
            ));
            let relative = path("services").child(name).child("config").child(key);
            let written_here = settings
                .services
                .get(name)
                .is_some_and(|here| here.config.contains_key(key));
            out.push(if written_here || !spec.services.contains_key(name) {
                resolved.diagnostic(diagnostic, &relative)
            } else {
                diagnostic.at_path(relative)
            });
        }
    }
    // The schema holds the endpoint to `http(s)://<host>:<digits>`.
    let port = tracing
        .endpoint
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok())
        .filter(|port| *port > 0);
    if port.is_none() {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!("`{}` has no valid port (1 to 65535)", tracing.endpoint),
                )
                .on_value()
                .help("name the collector's OTLP/HTTP port (4318 unless it says otherwise)"),
                &path("tracing.endpoint"),
            ),
        );
    }
    Some(Tracing {
        endpoint: tracing.endpoint.clone(),
        port: port?,
        sample_ratio: tracing.sample_ratio,
    })
}

fn bastion(
    resolved: &Resolved,
    bastion: &spec::Bastion,
    out: &mut Vec<Diagnostic>,
) -> Option<Bastion> {
    if bastion.enabled && bastion.allowed_cidrs.is_empty() {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "the bastion is enabled but no CIDR may reach it",
                )
                .help("list the office or VPN CIDRs in `allowed_cidrs`"),
                &path("bastion.allowed_cidrs"),
            ),
        );
    }
    let at = path("bastion.allowed_cidrs");
    let mut allowed_cidrs = Vec::new();
    let mut open = false;
    for (index, text) in bastion.allowed_cidrs.iter().enumerate() {
        let relative = at.index(index);
        match parse_cidr(text) {
            Err(message) => {
                open = true;
                out.push(cidr_diagnostic(resolved, message, &relative));
            }
            Ok(net) if net.prefix_len() == 0 => {
                open = true;
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::Inconsistent,
                            "SSH to the bastion would be open to the whole internet",
                        )
                        .help("allow only office or VPN ranges"),
                        &relative,
                    ),
                );
            }
            Ok(net) => allowed_cidrs.push(net),
        }
    }
    (!open).then(|| Bastion {
        enabled: bastion.enabled,
        instance_type: bastion.instance_type.clone(),
        allowed_cidrs,
    })
}

fn app(resolved: &Resolved, app: &spec::App, out: &mut Vec<Diagnostic>) {
    sizing::sizing(
        resolved,
        &path("app"),
        app.replicas,
        &app.autoscaling,
        &app.resources,
        out,
    );
    if !LOG_RETENTION_DAYS.contains(&app.log_retention_days) {
        let nearest = LOG_RETENTION_DAYS
            .iter()
            .min_by_key(|d| d.abs_diff(app.log_retention_days))
            .copied()
            .unwrap_or(7);
        out.push(
            resolved.diagnostic(
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
}

/// The trigger (a branch or a tag, exactly one), the runner, which must reach the cluster, and
/// the strategy.
fn deploy(
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) -> Option<Deploy> {
    let deploy = &settings.deploy;
    let trigger = match (&deploy.branch, &deploy.tag) {
        (Some(branch), None) => Some(DeployTrigger::Branch(branch.clone())),
        (None, Some(tag)) => Some(DeployTrigger::Tag(tag.clone())),
        _ => {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        "a deploy is triggered by a branch or by a tag: set exactly one of them",
                    )
                    .help("for example `branch = \"main\"` or `tag = \"v*-prod\"`"),
                    &path("deploy"),
                ),
            );
            None
        }
    };
    if !settings.eks.endpoint_public_access
        && !deploy.runner.iter().any(|label| label.0 == "self-hosted")
    {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                "the EKS endpoint is private, so a GitHub-hosted runner cannot reach it to deploy",
            )
            .help("run the deploy on a runner inside the VPC: `runner = [\"self-hosted\", \"linux\", \"<label>\"]`"),
            &path("eks.endpoint_public_access"),
        ));
    }
    // GitHub's hosted runners leave from addresses spread over Azure's ranges, which change; only
    // an endpoint open to every address lets them in.
    let open_to_all = |cidr: &String| cidr == "0.0.0.0/0";
    if settings.eks.endpoint_public_access
        && !deploy.runner.iter().any(|label| label.0 == "self-hosted")
        && !settings.eks.public_access_cidrs.iter().any(open_to_all)
    {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::Inconsistent,
                format!(
                    "the deploy runs on a GitHub-hosted runner, but the EKS endpoint is public only to {}, which GitHub's hosted runners are not in",
                    settings.eks.public_access_cidrs.join(", ")
                ),
            )
            .help("run the deploy on a runner inside the VPC: `deploy.runner = [\"self-hosted\", \"linux\", \"<label>\"]`; or open the endpoint to the hosted runners with `public_access_cidrs = [\"0.0.0.0/0\"]` (the API still requires IAM authentication, and the cluster is then reachable from anywhere)"),
            &path("eks.public_access_cidrs"),
        ));
    }
    let strategy = strategy(resolved, deploy, out);
    Some(Deploy {
        trigger: trigger?,
        approval_required: deploy.approval_required,
        runner: deploy.runner.clone(),
        strategy: strategy?,
    })
}

/// The threshold in effect of every alert that has one; an override must name an alert that
/// uses `$threshold`.
fn thresholds(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<String, f64> {
    let overrides = &settings.monitoring.alert_thresholds;
    for name in overrides.keys() {
        let alert = spec.alerts.iter().find(|alert| &alert.name == name);
        let relative = path("monitoring.alert_thresholds").child(name);
        match alert {
            None => {
                let names = spec.alerts.iter().map(|a| a.name.as_str());
                let diagnostic = Diagnostic::error(
                    Code::UnknownKey,
                    format!("there is no alert named `{name}`"),
                );
                let diagnostic = match did_you_mean(name, names) {
                    Some(suggestion) => diagnostic.help(format!("did you mean `{suggestion}`?")),
                    None => diagnostic,
                };
                out.push(resolved.diagnostic(diagnostic, &relative));
            }
            Some(alert) if !alert.expr.contains("$threshold") => out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("the alert `{name}` has no `$threshold` to override"),
                ),
                &relative,
            )),
            Some(_) => {}
        }
    }
    spec.alerts
        .iter()
        .filter_map(|alert| {
            let value = overrides.get(&alert.name).copied().or(alert.threshold)?;
            Some((alert.name.clone(), value))
        })
        .collect()
}

/// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub(super) fn check_email(email: &str) -> Result<(), &'static str> {
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

/// Environments whose VPCs overlap, or whom one trigger would deploy together.
pub(super) fn across_environments(
    environments: &BTreeMap<String, (Resolved, spec::Environment)>,
    out: &mut Vec<Diagnostic>,
) {
    let mut vpcs: Vec<(&Resolved, Ipv4Net)> = Vec::new();
    let mut triggers: BTreeMap<String, &str> = BTreeMap::new();
    for (resolved, settings) in environments.values() {
        if let Ok(vpc) = parse_cidr(&settings.network.vpc_cidr) {
            if let Some((other, other_vpc)) = vpcs.iter().find(|(_, other)| overlaps(*other, vpc)) {
                out.push(resolved.diagnostic(
                    Diagnostic::error(
                        Code::CidrOverlap,
                        format!("the VPC `{vpc}` of `{}` overlaps the VPC `{other_vpc}` of `{}`", resolved.name, other.name),
                    )
                    .on_value()
                    .label(format!("`{vpc}` ({})", resolved.name))
                    .related(
                        other.source_of(&path("network.vpc_cidr")),
                        format!("overlaps `{other_vpc}` ({})", other.name),
                        true,
                    )
                    .help("give each environment its own range, for example 10.0.0.0/16, 10.1.0.0/16, 10.2.0.0/16"),
                    &path("network.vpc_cidr"),
                ));
            }
            vpcs.push((resolved, vpc));
        }
        let deploy = &settings.deploy;
        let trigger = match (&deploy.branch, &deploy.tag) {
            (Some(branch), None) => format!("a push to the branch `{branch}`"),
            (None, Some(tag)) => format!("a tag matching `{tag}`"),
            _ => continue,
        };
        if let Some(other) = triggers.insert(trigger.clone(), &resolved.name) {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "{trigger} would deploy both `{other}` and `{}`",
                            resolved.name
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
}
