//! Validation: the one conversion from the spec as written (typed by serde, its environments
//! resolved) to the [`Model`]. Every rule the JSON Schema cannot state is checked here, each
//! problem located on the key that holds it, all of them reported at once; a value is parsed
//! into its domain type in the same step that checks it, so the Model exists only when nothing
//! is wrong.
//!
//! By concern: `services` (what the services share: ports, the ingress), `routes` (each service
//! and its HTTP routes), `observability` (alerts, SLOs, dashboards), `network` (CIDR
//! arithmetic), `environment` (each environment's settings), `eks` (its cluster, node groups
//! and add-ons, and which group each service runs on), `datastores` (its database and cache),
//! `parameters` (the database's parameters and extensions against its engine), `sizing` (each
//! service's settings there), `strategy` (how its deploys replace a version), `recovery` (its
//! disaster recovery targets), `rules` (the production and recovery rules and their waivers),
//! `secrets` (the declared secrets, the services' reads of them and their roles' access), and
//! here what spans the whole spec.

mod countries;
mod datastores;
mod edge;
mod eks;
mod environment;
mod network;
mod observability;
mod parameters;
mod pooler;
mod recovery;
mod routes;
mod rules;
mod secrets;
mod services;
mod sizing;
mod strategy;
mod values;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use parameters::{known_extensions, known_parameters};
pub use rules::{RuleOnKey, rules_on};

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Action, ActionRef, Delivery, DependencyUpdates, Model, TerraformDelivery};
use crate::resolve::Resolved;
use crate::source::Path;
use crate::spec::{self, Spec};

/// A spec that passed every check, and the warnings it still deserves.
#[derive(Debug)]
pub struct Valid {
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
}

/// Checks a typed spec and its resolved environments and builds the Model from them; on any
/// error, every diagnostic found (warnings included).
pub fn validate(
    spec: &Spec,
    environments: &BTreeMap<String, (Resolved, spec::Environment)>,
) -> Result<Valid, Vec<Diagnostic>> {
    let mut out = Vec::new();
    no_workflow_expressions(spec, &mut out);
    project(spec, &mut out);
    secrets::store(spec, &mut out);
    secrets::declared(spec, &mut out);
    secrets::unused(spec, environments, &mut out);
    let services = services::services(spec, &mut out);
    observability::alerting(spec, &mut out);
    let alerts = observability::alerts(spec, &mut out);
    let slos = observability::slos(spec, &mut out);
    let dashboards = observability::dashboards(spec, &mut out);
    let mut built = BTreeMap::new();
    for (name, (resolved, settings)) in environments {
        if let Some(environment) = environment::environment(spec, resolved, settings, &mut out) {
            built.insert(name.clone(), environment);
        }
    }
    environment::across_environments(environments, &mut out);
    // Whether a deploy may emulate a platform is known once every environment is built.
    let emulation = (built.len() == environments.len()).then(|| {
        built
            .values()
            .any(crate::model::Environment::deploys_emulate)
    });
    let delivery = delivery(&spec.delivery, &spec.project.name, emulation, &mut out);
    if built.len() == environments.len() {
        secrets::access(spec, &built, &mut out);
    }

    let complete = built.len() == environments.len();
    match (services, alerts, slos, dashboards, delivery) {
        (Some(services), Some(alerts), Some(slos), Some(dashboards), Some(delivery))
            if complete && !out.iter().any(Diagnostic::is_error) =>
        {
            Ok(Valid {
                model: Model {
                    project: spec.project.clone(),
                    services,
                    alerts,
                    slos,
                    dashboards,
                    secret_store: spec.secret_store.clone(),
                    secrets: spec.secrets.clone(),
                    alerting: spec.alerting.clone(),
                    delivery,
                    environments: built,
                },
                warnings: out,
            })
        }
        _ => Err(out),
    }
}

/// No value of the spec holds `${{`: GitHub evaluates it wherever it appears in a workflow, so
/// a spec value that reached one would run an expression the spec's author may not control.
fn no_workflow_expressions(spec: &Spec, out: &mut Vec<Diagnostic>) {
    fn walk(value: &Value, at: &Path, out: &mut Vec<Diagnostic>) {
        match value {
            Value::String(text) if text.contains("${{") => out.push(
                Diagnostic::error(
                    Code::BadFormat,
                    "`${{` starts a GitHub Actions expression, which the generated workflows \
                     would evaluate",
                )
                .at_path(at.clone())
                .on_value()
                .help("remove `${{`; a spec value is data, never an expression"),
            ),
            Value::Object(map) => {
                for (key, child) in map {
                    if key.contains("${{") {
                        out.push(
                            Diagnostic::error(
                                Code::BadFormat,
                                "`${{` starts a GitHub Actions expression, which the generated \
                                 workflows would evaluate",
                            )
                            .at_path(at.child(key))
                            .help("remove `${{` from the key"),
                        );
                    }
                    walk(child, &at.child(key), out);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &at.index(index), out);
                }
            }
            _ => {}
        }
    }
    if let Ok(value) = serde_json::to_value(spec) {
        walk(&value, &Path::root(), out);
    }
}

fn project(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for key in spec.project.tags.keys() {
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
}

/// Every action the workflows use, pinned as `[delivery.actions]` says; a pin by tag only is
/// a warning, because a tag can be moved to other code after the review. `emulation`: whether
/// a deploy sets QEMU up (`None` while an environment is invalid: QEMU's entry is then neither
/// required nor unused).
fn delivery(
    delivery: &spec::Delivery,
    project: &str,
    emulation: Option<bool>,
    out: &mut Vec<Diagnostic>,
) -> Option<Delivery> {
    let at = Path::root().child("delivery").child("actions");
    let mut actions = BTreeMap::new();
    let mut complete = true;
    let comments = delivery.terraform.enabled || delivery.cost_comment;
    let emulation =
        emulation.unwrap_or_else(|| delivery.actions.contains_key(Action::SetupQemu.name()));
    let used: Vec<Action> = Action::used(delivery.supply_chain, comments, emulation).collect();
    for &action in &used {
        match delivery.actions.get(action.name()) {
            Some(version) => {
                let reference = ActionRef::new(action, &version.version, version.sha.as_deref());
                if version.sha.is_none() {
                    out.push(
                        Diagnostic::warning(
                            Code::UnpinnedAction,
                            format!(
                                "`{}` is pinned by its tag `{}` only, which its publisher can \
                                 move to other code",
                                action.name(),
                                version.version
                            ),
                        )
                        .at_path(at.child(action.name()))
                        .help(format!(
                            "add `sha = \"<the 40-character commit of {}>\"`; the workflows then \
                             pin the commit with the tag in a comment",
                            version.version
                        )),
                    );
                }
                actions.insert(action, reference);
            }
            None => {
                complete = false;
                out.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        format!(
                            "the workflows use `{}`, which [delivery.actions] does not list",
                            action.name()
                        ),
                    )
                    .at_path(at.clone())
                    .help(format!(
                        "add `\"{}\" = {{ version = \"vN\", sha = \"<commit>\" }}` to \
                         [delivery.actions]",
                        action.name()
                    )),
                );
            }
        }
    }
    for name in delivery.actions.keys() {
        if !Action::named(name).is_some_and(|action| used.contains(&action)) {
            out.push(
                Diagnostic::warning(Code::Inconsistent, format!("no workflow uses `{name}`"))
                    .at_path(at.child(name))
                    .help(
                        "remove it from [delivery.actions]; the table lists what the workflows run",
                    ),
            );
        }
    }
    let dependency_updates = delivery
        .dependency_updates
        .as_ref()
        .map(|updates| dependency_updates(updates, out));
    complete.then(|| Delivery {
        aws_role_name: delivery.aws_role_name.clone(),
        min_coverage_percent: delivery.min_coverage_percent,
        actions,
        supply_chain: delivery.supply_chain,
        dependency_updates,
        cargo_deny: delivery.cargo_deny,
        cost_comment: delivery.cost_comment,
        terraform: terraform_roles(delivery, project, out),
    })
}

/// The Terraform workflow's two roles, by the spec's names or `<project>-terraform-plan|apply`;
/// each environment's account holds them beside the deploy role, so the three names differ.
fn terraform_roles(
    delivery: &spec::Delivery,
    project: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<TerraformDelivery> {
    let terraform = &delivery.terraform;
    if !terraform.enabled {
        return None;
    }
    let at = Path::root().child("delivery").child("terraform");
    let roles = TerraformDelivery {
        plan_role_name: terraform
            .plan_role_name
            .clone()
            .unwrap_or_else(|| format!("{project}-terraform-plan")),
        apply_role_name: terraform
            .apply_role_name
            .clone()
            .unwrap_or_else(|| format!("{project}-terraform-apply")),
    };
    let named = [
        ("plan_role_name", &roles.plan_role_name),
        ("apply_role_name", &roles.apply_role_name),
    ];
    for (index, (key, name)) in named.iter().enumerate() {
        let taken = *name == &delivery.aws_role_name
            || named[..index].iter().any(|(_, earlier)| earlier == name);
        if taken {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the role name `{name}` is already another delivery role's"),
                )
                .at_path(at.child(key))
                .help(
                    "the deploy, plan and apply roles live in the same account: give each its \
                     own name",
                ),
            );
        }
    }
    Some(roles)
}

/// Each ecosystem once: a second entry would be a second, conflicting Dependabot update.
fn dependency_updates(
    updates: &spec::DependencyUpdates,
    out: &mut Vec<Diagnostic>,
) -> DependencyUpdates {
    let at = Path::root()
        .child("delivery")
        .child("dependency_updates")
        .child("ecosystems");
    let mut ecosystems = BTreeSet::new();
    for (index, ecosystem) in updates.ecosystems.iter().enumerate() {
        if !ecosystems.insert(*ecosystem) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the ecosystem `{}` is listed twice", ecosystem.name()),
                )
                .at_path(at.index(index))
                .on_value()
                .help("list each ecosystem once"),
            );
        }
    }
    DependencyUpdates {
        interval: updates.interval,
        ecosystems,
    }
}
