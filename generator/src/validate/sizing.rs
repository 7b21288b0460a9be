//! Each service's settings in an environment, and the sizing every one of them (and `app`)
//! must respect: replicas within the autoscaler's bounds, limits at least the requests, a
//! disruption budget below the minimum; probes that answer within their period, a rollout that
//! can make progress.

use std::collections::BTreeMap;

use super::routes::unrouted;
use super::services::unknown_egress;
use super::values::{bytes, millicores, path};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Probes, Rollout, ServiceSettings};
use crate::resolve::{Layer, Resolved};
use crate::source::Path;
use crate::spec::{self, Handler, Spec};

/// Each service's settings in the environment: only the spec's services have any, each sized
/// consistently, its disruption budget leaving a node drainable; its configuration is its own
/// with the environment's additions.
pub(super) fn services(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) -> Option<BTreeMap<String, ServiceSettings>> {
    let mut complete = true;
    for name in settings.services.keys() {
        if !spec.services.contains_key(name) {
            complete = false;
            let known: Vec<String> = spec.services.keys().map(|n| format!("`{n}`")).collect();
            let relative = path("services").child(name);
            let at = resolved
                .written_at(&relative)
                .unwrap_or_else(|| resolved.source_of(&relative));
            out.push(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("`{name}` is not a service of this spec"),
                )
                .at_path(at)
                .help(format!("name one of the services: {}", known.join(", "))),
            );
        }
    }
    let mut built = BTreeMap::new();
    for (name, service) in &spec.services {
        let Some(here) = settings.services.get(name) else {
            continue;
        };
        let at = path("services").child(name);
        sizing(
            resolved,
            &at,
            here.replicas,
            &here.autoscaling,
            &here.resources,
            out,
        );
        disruption_budget(resolved, name, here, out);
        probes(resolved, &at, &here.probes, out);
        rollout(resolved, &at, here.rollout, out);
        let mut config = service.config.clone();
        config.extend(here.config.clone());
        egress_here(spec, resolved, name, here, out);
        if service.runtime.is_some() {
            served_here(resolved, name, service, here, out);
        }
        super::secrets::access_here(spec, resolved, settings, name, here, out);
        let mut egress = here.egress.clone();
        // The runtime reads the database and caches in Redis.
        egress.database |= service.runtime.is_some();
        egress.cache |= service.runtime.is_some();
        built.insert(
            name.clone(),
            ServiceSettings {
                config,
                egress,
                ..here.clone()
            },
        );
    }
    complete.then_some(built)
}

/// The services an environment's layers let `name` reach are the spec's, and not itself (what the
/// service's own table names is checked once, with the services).
fn egress_here(
    spec: &Spec,
    resolved: &Resolved,
    name: &str,
    here: &ServiceSettings,
    out: &mut Vec<Diagnostic>,
) {
    for (index, target) in here.egress.services.iter().enumerate() {
        let at = path("services")
            .child(name)
            .child("egress")
            .child("services")
            .index(index);
        if resolved.layer_of(&at) == Layer::Service {
            continue;
        }
        if let Some(problem) = unknown_egress(spec, name, target) {
            out.push(resolved.diagnostic(problem, &at));
        }
    }
}

/// The probe and metrics paths an environment's layers give a runtime-backed service are routes
/// the runtime serves (the service's own are checked once, with its routes).
fn served_here(
    resolved: &Resolved,
    name: &str,
    service: &spec::Service,
    here: &ServiceSettings,
    out: &mut Vec<Diagnostic>,
) {
    for (key, handler, wanted) in [
        ("health_path", Handler::Health, &here.health_path),
        ("readiness_path", Handler::Ready, &here.readiness_path),
        ("metrics_path", Handler::Metrics, &here.metrics_path),
    ] {
        let at = path("services").child(name).child(key);
        if resolved.layer_of(&at) == Layer::Service {
            continue;
        }
        if let Some(problem) = unrouted(name, service, (key, handler), wanted) {
            out.push(resolved.diagnostic(problem, &at));
        }
    }
}

/// A service's disruption budget leaves a node drainable where the budget applies (more than
/// one replica): it keeps fewer pods up than the autoscaler's minimum.
fn disruption_budget(
    resolved: &Resolved,
    name: &str,
    here: &ServiceSettings,
    out: &mut Vec<Diagnostic>,
) {
    let least = here.autoscaling.min_replicas;
    let kept = here.disruption_budget.min_available;
    if least > 1 && kept >= least {
        let replicas = path("services")
            .child(name)
            .join(&Path::root().child("autoscaling").child("min_replicas"));
        out.push(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "the disruption budget keeps {kept} pods up, but environment `{}` may \
                     run only {least}: no node could ever be drained",
                    resolved.name
                ),
            )
            .at_path(
                resolved.source_of(
                    &path("services")
                        .child(name)
                        .child("disruption_budget")
                        .child("min_available"),
                ),
            )
            .on_value()
            .related(
                resolved.source_of(&replicas),
                format!("`{}` runs at least {least} replicas", resolved.name),
                true,
            )
            .help(format!(
                "keep `min_available` below {least}, or raise the minimum replicas"
            )),
        );
    }
}

/// Whether a rolling update can make progress: with no pod above the count and none missing,
/// Kubernetes refuses the Deployment (`at`: `services.<name>`).
fn rollout(resolved: &Resolved, at: &Path, rollout: Rollout, out: &mut Vec<Diagnostic>) {
    if rollout.max_surge == 0 && rollout.max_unavailable == 0 {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "`max_surge` and `max_unavailable` are both 0: no pod could ever be \
                     replaced, and Kubernetes refuses the Deployment",
                )
                .help("set `max_surge = 1` (a new pod first, capacity never drops)"),
                &at.child("rollout"),
            ),
        );
    }
}

/// Whether every probe answers within its period: a probe still waiting when the next is due
/// makes a slow container look dead.
fn probes(resolved: &Resolved, at: &Path, probes: &Probes, out: &mut Vec<Diagnostic>) {
    for (kind, probe) in [
        ("liveness", &probes.liveness),
        ("readiness", &probes.readiness),
        ("startup", &probes.startup),
    ] {
        if probe.timeout_seconds >= probe.period_seconds {
            // On whichever of the two the nearer layer wrote: that is the change that broke it.
            let written = at.child("probes").child(kind);
            let nearness = |key: &str| match resolved.layer_of(&written.child(key)) {
                Layer::Service => 0,
                Layer::Defaults => 1,
                Layer::Environment => 2,
            };
            let key = if nearness("period_seconds") > nearness("timeout_seconds") {
                "period_seconds"
            } else {
                "timeout_seconds"
            };
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "the {kind} probe waits {} s for an answer but runs every {} s: the \
                             next probe starts before this one can fail",
                            probe.timeout_seconds, probe.period_seconds
                        ),
                    )
                    .on_value()
                    .help(if key == "period_seconds" {
                        format!(
                            "make `period_seconds` longer than `timeout_seconds` ({})",
                            probe.timeout_seconds
                        )
                    } else {
                        format!(
                            "make `timeout_seconds` shorter than `period_seconds` ({})",
                            probe.period_seconds
                        )
                    }),
                    &written.child(key),
                ),
            );
        }
    }
}

/// Replicas within the autoscaler's bounds, limits at least the requests: the sizing of every
/// service (`at`: `app`, or `services.<name>`).
pub(super) fn sizing(
    resolved: &Resolved,
    at: &Path,
    replicas: u32,
    scaling: &spec::Autoscaling,
    resources: &spec::Resources,
    out: &mut Vec<Diagnostic>,
) {
    if !(scaling.min_replicas <= replicas && replicas <= scaling.max_replicas) {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "replicas must satisfy autoscaling.min_replicas <= replicas <= autoscaling.max_replicas, found {} <= {} <= {}",
                    scaling.min_replicas, replicas, scaling.max_replicas
                ),
            ),
            &at.child("replicas"),
        ));
    }
    for (what, request, limit, amount) in [
        (
            "cpu",
            &resources.cpu_request,
            &resources.cpu_limit,
            millicores as fn(&str) -> Option<u64>,
        ),
        (
            "memory",
            &resources.memory_request,
            &resources.memory_limit,
            bytes,
        ),
    ] {
        if let (Some(wanted), Some(allowed)) = (amount(request), amount(limit))
            && allowed < wanted
        {
            out.push(
                resolved.diagnostic(
                    Diagnostic::error(
                        Code::SizeOrder,
                        format!(
                            "the {what} limit `{limit}` is below the {what} request `{request}`: \
                             Kubernetes refuses such a pod"
                        ),
                    )
                    .on_value()
                    .help(format!(
                        "raise `{what}_limit` to at least `{request}`, or lower `{what}_request`"
                    )),
                    &at.child("resources").child(&format!("{what}_limit")),
                ),
            );
        }
    }
}
