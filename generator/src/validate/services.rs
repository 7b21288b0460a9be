//! The services together: each is checked on its own (`routes`), then what they share: in each
//! environment no two listen on the same port, and no two claim the same ingress path prefix or
//! shadow another's.

use std::collections::BTreeMap;

use super::routes::{self, service_path};
use super::secrets;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Service, ServiceSettings, prefix_holds};
use crate::resolve::Resolved;
use crate::source::Path;
use crate::spec::Spec;

/// Every service of the spec, in name order; none if any is wrong.
pub(super) fn services(spec: &Spec, out: &mut Vec<Diagnostic>) -> Option<Vec<Service>> {
    let built: Vec<Option<Service>> = spec
        .services
        .iter()
        .map(|(name, written)| {
            let variables = secrets::variables(spec, name, written, out);
            routes::service(name, written, out).filter(|_| variables)
        })
        .collect();
    egress(spec, out);
    built.into_iter().collect()
}

/// The service an SLO or a dashboard at `at` is about: the one it names, or the spec's only one.
pub(super) fn service_of(
    spec: &Spec,
    named: Option<&String>,
    at: &Path,
    what: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<String> {
    let names = || {
        spec.services
            .keys()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match named {
        Some(name) if spec.services.contains_key(name) => Some(name.clone()),
        Some(name) => {
            out.push(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("{what} is about `{name}`, which is not a service of this spec"),
                )
                .at_path(at.child("service"))
                .on_value()
                .help(format!("name one of the services: {}", names())),
            );
            None
        }
        None => {
            let mut services = spec.services.keys();
            match (services.next(), services.next()) {
                (Some(only), None) => Some(only.clone()),
                _ => {
                    out.push(
                        Diagnostic::error(
                            Code::MissingKey,
                            format!("{what} does not say which service it is about"),
                        )
                        .at_path(at.clone())
                        .help(format!("add `service = \"<name>\"`, one of {}", names())),
                    );
                    None
                }
            }
        }
    }
}

/// Every service a service may reach is another service of the spec.
fn egress(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, service) in &spec.services {
        for (index, target) in service.egress.services.iter().enumerate() {
            let at = service_path(name)
                .child("egress")
                .child("services")
                .index(index);
            if let Some(problem) = unknown_egress(spec, name, target) {
                out.push(problem.at_path(at));
            }
        }
    }
}

/// The error, unlocated, when `name` may not reach `target`: itself, or no service of the spec.
pub(super) fn unknown_egress(spec: &Spec, name: &str, target: &str) -> Option<Diagnostic> {
    let problem = if target == name {
        format!("`{name}` lists itself as a service it reaches")
    } else if !spec.services.contains_key(target) {
        format!("`{name}` reaches `{target}`, which is not a service of this spec")
    } else {
        return None;
    };
    let others: Vec<String> = spec
        .services
        .keys()
        .filter(|other| *other != name)
        .map(|other| format!("`{other}`"))
        .collect();
    let help = if others.is_empty() {
        "remove it: the spec has no other service".to_string()
    } else {
        format!("name one of {}", others.join(", "))
    };
    Some(
        Diagnostic::error(Code::UnknownValue, problem)
            .on_value()
            .help(help),
    )
}

/// Two services on one port cannot run side by side where they share a network namespace (a
/// developer's machine, one compose file), and their metrics scrape configs would collide.
/// Checked in each environment, on the key that wrote each port (the service's table where no
/// layer did).
pub(super) fn ports(
    resolved: &Resolved,
    services: &BTreeMap<String, ServiceSettings>,
    out: &mut Vec<Diagnostic>,
) {
    let ports: Vec<(&String, u16)> = services
        .iter()
        .map(|(name, settings)| (name, settings.port))
        .collect();
    let key = |name: &str| Path::root().child("services").child(name).child("port");
    for (index, (name, port)) in ports.iter().enumerate() {
        if let Some((first, _)) = ports[..index].iter().find(|(_, other)| other == port) {
            let diagnostic = Diagnostic::error(
                Code::DuplicateName,
                format!("`{name}` and `{first}` both listen on port {port}"),
            )
            .on_value()
            .related(
                resolved.source_of(&key(first)),
                format!("`{first}` listens on {port}"),
                true,
            )
            .help("give each service a port of its own");
            out.push(resolved.diagnostic(diagnostic, &key(name)));
        }
    }
}

/// The ALB matches each request against the prefixes of every service on the host: two services
/// with one prefix, or one prefix inside another's (`/v1` and `/v1/users`), leave which service
/// answers to rule order rather than to the spec. Checked in each environment, on the key that
/// wrote the prefix (the service's table where nothing did: the default `["/"]`).
pub(super) fn ingress_paths(
    resolved: &Resolved,
    services: &BTreeMap<String, ServiceSettings>,
    out: &mut Vec<Diagnostic>,
) {
    let claims: Vec<(&String, usize, &String)> = services
        .iter()
        .flat_map(|(name, settings)| {
            settings
                .ingress_paths
                .iter()
                .enumerate()
                .map(move |(index, path)| (name, index, path))
        })
        .collect();
    let written_at = |name: &str, index: usize| {
        let relative = Path::root()
            .child("services")
            .child(name)
            .child("ingress_paths");
        if resolved.leaves_under(&relative).next().is_some() {
            (resolved.source_of(&relative.index(index)), Some(relative))
        } else {
            (service_path(name).child("ingress_paths").index(index), None)
        }
    };
    for (position, (name, index, path)) in claims.iter().enumerate() {
        let (at, relative) = written_at(name, *index);
        for (other, other_index, other_path) in &claims[..position] {
            let relation = if path == other_path {
                format!("`{name}` and `{other}` both claim the ingress prefix `{path}`")
            } else if prefix_holds(other_path, path) {
                format!("`{other}` claims `{other_path}`, which holds `{name}`'s `{path}`")
            } else if prefix_holds(path, other_path) {
                format!("`{name}` claims `{path}`, which holds `{other}`'s `{other_path}`")
            } else {
                continue;
            };
            let same = name == other;
            let help = if same {
                "remove the narrower prefix: the wider one already routes it".to_string()
            } else {
                "give each service prefixes that do not contain each other (`/v1/users`, \
                 `/v1/banks`) in `ingress_paths` (`[\"/\"]` unless the service sets it; `[]` \
                 keeps a service off the ingress)"
                    .to_string()
            };
            let diagnostic = Diagnostic::error(Code::Inconsistent, relation)
                .on_value()
                .related(
                    written_at(other, *other_index).0,
                    format!("`{other}` claims `{other_path}` here"),
                    true,
                )
                .help(help);
            out.push(match &relative {
                Some(relative) => resolved.diagnostic(diagnostic, &relative.index(*index)),
                None => diagnostic.at_path(at.clone()),
            });
        }
    }
}
