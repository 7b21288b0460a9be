//! `platformgen cost`: each environment's estimated monthly cost, as text, Markdown or JSON.

use std::path::Path as FsPath;

use clap::ValueEnum;

use super::report::{EXIT_INVALID, EXIT_OK, Output, load, unknown_environment};
use crate::cost::{self, report};

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

pub(super) fn cost(
    spec: &FsPath,
    env: Option<&str>,
    format: CostFormat,
    output: &mut Output<'_>,
) -> u8 {
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
    let text = match format {
        CostFormat::Text => report::text(&estimate),
        CostFormat::Json => report::json(&estimate),
        CostFormat::Markdown => report::markdown(&estimate),
    };
    output.say(text.trim_end());
    EXIT_OK
}
