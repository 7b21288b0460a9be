//! What every command shares: where it writes, its exit codes, and how it reports a spec that
//! does not load.

use std::io::Write;
use std::path::Path as FsPath;

use clap::ValueEnum;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::{LoadError, Loaded, load_file};
use crate::render::count;
use crate::source::Source;

/// Exit codes, as documented in `--help`.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

pub const DEFAULT_SPEC: &str = "specs/expense.toml";

/// A starter spec that validates, written by `platformgen init`.
pub const STARTER_SPEC: &str = include_str!("starter.toml");

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[value(alias = "text")]
    Human,
    Json,
}

/// Where a command writes: standard output for results, standard error for diagnostics.
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Whether diagnostics may use colour.
    pub styled: bool,
}

impl Output<'_> {
    pub(super) fn say(&mut self, text: &str) {
        // A closed pipe (platformgen ... | head) is not an error worth a panic.
        let _ = writeln!(self.out, "{text}");
    }

    pub(super) fn warn(&mut self, text: &str) {
        let _ = writeln!(self.err, "{text}");
    }
}

pub(super) fn write_file(path: &FsPath, text: &str, output: &mut Output<'_>) -> u8 {
    match std::fs::write(path, text) {
        Ok(()) => EXIT_OK,
        Err(error) => {
            output.warn(&format!(
                "error: cannot write `{}`: {error}",
                path.display()
            ));
            EXIT_USAGE
        }
    }
}

/// Loads a spec for a command that needs it valid, printing its diagnostics; `Err` is the
/// command's exit code.
pub(super) fn load(spec: &FsPath, output: &mut Output<'_>) -> Result<Loaded, u8> {
    match load_file(spec) {
        Ok(loaded) => Ok(loaded),
        Err(LoadError::Read(error)) => {
            output.warn(&format!("error: {error}"));
            Err(EXIT_USAGE)
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            report_human(&source, &diagnostics, false, output);
            Err(EXIT_INVALID)
        }
    }
}

/// `1 error`, `2 warnings`.
pub(super) fn report_human(
    source: &Source,
    diagnostics: &[Diagnostic],
    valid: bool,
    output: &mut Output<'_>,
) {
    for diagnostic in diagnostics {
        output.warn(&diagnostic.render(source, output.styled));
    }
    if !valid {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        let mut summary = format!("{}: {}", source.name, count(errors, "error"));
        if warnings > 0 {
            summary.push_str(&format!(", {}", count(warnings, "warning")));
        }
        output.warn(&summary);
    }
}

/// The error for an environment the spec does not define, with the closest name or the list.
pub(super) fn unknown_environment(loaded: &Loaded, name: &str) -> String {
    let names = loaded.model.environments.keys().map(String::as_str);
    let hint = did_you_mean(name, names.clone()).map_or_else(
        || format!("environments: {}", names.collect::<Vec<_>>().join(", ")),
        |s| format!("did you mean `{s}`?"),
    );
    format!(
        "error: there is no environment `{name}` in {}\n  help: {hint}",
        loaded.source.name
    )
}
