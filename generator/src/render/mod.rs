//! Rendering: one module per artifact kind builds a plain `Serialize` context from the model, and
//! an embedded minijinja template (`template`) lays it out. Templates hold no logic beyond loops.
//!
//! Every value a template prints is escaped for the file it writes (JSON for `.json`/`.yaml`/
//! `.yml`, HCL for `.tfvars`), so any string, however hostile, comes out as a valid literal.

pub mod addons;
pub mod alertmanager;
pub mod architecture;
mod artifact;
pub mod cost;
pub mod dashboards;
pub mod deployment;
pub mod helm_values;
mod mermaid;
pub mod operations;
pub mod pgbouncer;
pub mod prometheus_rules;
pub mod rotation;
pub mod secret_store;
mod template;
pub mod tfvars;
pub mod workflows;

pub use artifact::{Artifact, RenderError, Request};

/// Renders every artifact of a model.
pub fn render_all(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = Vec::new();
    artifacts.extend(tfvars::render(request)?);
    artifacts.extend(helm_values::render(request)?);
    artifacts.extend(prometheus_rules::render(request)?);
    artifacts.extend(alertmanager::render(request)?);
    artifacts.extend(secret_store::render(request)?);
    artifacts.extend(pgbouncer::render(request)?);
    artifacts.extend(addons::render(request)?);
    artifacts.extend(operations::render(request)?);
    artifacts.extend(architecture::render(request)?);
    artifacts.extend(deployment::render(request)?);
    artifacts.extend(cost::render(request)?);
    artifacts.extend(dashboards::render(request)?);
    artifacts.extend(workflows::render(request)?);
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(artifacts)
}

/// `n` things, in English: `1 replica`, `3 replicas` (the generated docs and the command line's
/// messages both count this way).
pub(crate) fn count(n: impl std::fmt::Display, what: &str) -> String {
    let n = n.to_string();
    let plural = if n == "1" { "" } else { "s" };
    format!("{n} {what}{plural}")
}
