//! `platformgen cost`: each environment's estimated monthly cost, as text, Markdown or JSON, or
//! its change from a pull request's base (`--compare`).

use std::path::Path as FsPath;

use clap::ValueEnum;

use super::report::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Output, load, unknown_environment};
use crate::cost::report::Report;
use crate::cost::{self, compare, report};

/// How `cost` prints its estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostFormat {
    /// A table per environment, for a terminal.
    Text,
    /// `{"environments": {...}, "prices": {...}}`, for tools.
    Json,
    /// A summary and a table per environment, for a pull request comment.
    Markdown,
}

/// What `cost` estimates and how it prints it.
pub(super) struct CostRequest<'a> {
    pub(super) env: Option<&'a str>,
    pub(super) format: CostFormat,
    /// The base's estimate (`--format json` of the base's spec), to print the change from.
    pub(super) compare: Option<&'a FsPath>,
}

pub(super) fn cost(spec: &FsPath, request: &CostRequest<'_>, output: &mut Output<'_>) -> u8 {
    let env = request.env;
    // Read first: a missing base is a usage error whatever the spec says.
    let base = match request.compare.map(read_base).transpose() {
        Ok(base) => base,
        Err(message) => {
            output.warn(&message);
            return EXIT_USAGE;
        }
    };
    let loaded = match load(spec, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if let Some(name) = env
        && loaded.model.environment(name).is_none()
    {
        output.warn(&unknown_environment(&loaded, name));
        return EXIT_INVALID;
    }
    let estimate = match cost::estimate(&loaded.model, env) {
        Ok(estimate) => estimate,
        Err(error) => {
            output.warn(&format!("error: {error}\n  help: {}", error.help()));
            return EXIT_INVALID;
        }
    };
    let text = match (base, request.format) {
        (Some(mut base), _) => {
            if let Some(name) = env {
                base.environments.retain(|other, _| other == name);
            }
            compare::markdown(&base, &estimate)
        }
        (None, CostFormat::Text) => report::text(&estimate),
        (None, CostFormat::Json) => report::json(&estimate),
        (None, CostFormat::Markdown) => report::markdown(&estimate),
    };
    output.say(text.trim_end());
    EXIT_OK
}

/// The base's estimate, as `platformgen cost --format json` wrote it.
fn read_base(path: &FsPath) -> Result<Report, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("error: cannot read `{}`: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| {
        format!(
            "error: `{}` is not an estimate: {error}\n  help: write it with `platformgen cost \
             --format json --spec <the base's spec>`",
            path.display()
        )
    })
}
