//! `platformgen validate`: every spec given, each reported for people or as JSON.

use std::path::{Path as FsPath, PathBuf};

use serde_json::Value;

use super::report::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Format, Output, report_human};
use crate::diagnostic::Diagnostic;
use crate::load::{LoadError, load_file};
use crate::render::count;
use crate::source::Source;

pub(super) fn report_json(source: &Source, diagnostics: &[Diagnostic], valid: bool) -> Value {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "valid": valid,
        "file": source.name,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "diagnostics": diagnostics.iter().map(|d| d.to_json(source)).collect::<Vec<_>>(),
    })
}

/// Validates every spec given, each reported on its own; the exit code is the worst of them.
pub(super) fn validate(specs: &[PathBuf], format: Format, output: &mut Output<'_>) -> u8 {
    let mut code = EXIT_OK;
    let mut reports = Vec::new();
    for spec in specs {
        let (one, report) = validate_one(spec, format, output);
        code = code.max(one);
        reports.extend(report);
    }
    if format == Format::Json {
        let report = match reports.len() {
            1 => reports.pop().unwrap_or_default(),
            _ => Value::Array(reports),
        };
        output.say(&serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    code
}

/// Validates one spec: prints it for people, or returns its JSON report.
pub(super) fn validate_one(
    spec: &FsPath,
    format: Format,
    output: &mut Output<'_>,
) -> (u8, Option<Value>) {
    let json = format == Format::Json;
    match load_file(spec) {
        Err(LoadError::Read(error)) => {
            if json {
                let report = serde_json::json!({
                    "valid": false,
                    "file": spec.display().to_string(),
                    "error": error.to_string(),
                    "diagnostics": [],
                });
                return (EXIT_USAGE, Some(report));
            }
            output.warn(&format!("error: {error}"));
            (EXIT_USAGE, None)
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            if json {
                return (
                    EXIT_INVALID,
                    Some(report_json(&source, &diagnostics, false)),
                );
            }
            report_human(&source, &diagnostics, false, output);
            (EXIT_INVALID, None)
        }
        Ok(loaded) => {
            if json {
                return (
                    EXIT_OK,
                    Some(report_json(&loaded.source, &loaded.warnings, true)),
                );
            }
            report_human(&loaded.source, &loaded.warnings, true, output);
            let names: Vec<&str> = loaded
                .model
                .environments
                .keys()
                .map(String::as_str)
                .collect();
            let mut summary = format!(
                "{}: valid ({}: {}",
                loaded.source.name,
                count(names.len(), "environment"),
                names.join(", ")
            );
            if !loaded.warnings.is_empty() {
                summary.push_str(&format!("; {}", count(loaded.warnings.len(), "warning")));
            }
            summary.push(')');
            output.say(&summary);
            (EXIT_OK, None)
        }
    }
}
