//! What `platformgen generate --check` reports: each drifted file with its diff, then a
//! plan-style summary of what `generate` would do; or the same drift as JSON for tools.

use serde::Serialize;

use super::report::{EXIT_INVALID, EXIT_OK, Format, Output};
use crate::output::Drift;
use crate::render::count;

/// How many added or removed lines of each changed file the summary shows.
const PREVIEW_LINES: usize = 4;
/// How many characters of a previewed line the text summary shows (dashboards have long lines).
const PREVIEW_WIDTH: usize = 120;

/// What was checked, beside the drift found.
pub(super) struct Checked<'a> {
    pub(super) drift: &'a Drift,
    /// How many files the spec renders in the scope checked.
    pub(super) rendered: usize,
    /// The spec as the artifacts' headers name it.
    pub(super) spec: &'a str,
    /// The command that brings every file in line.
    pub(super) fix: &'a str,
}

/// `--format json`: `{"spec", "up_to_date", "rendered", "changed", "missing", "stale", "fix"}`.
#[derive(Serialize)]
struct Report<'a> {
    spec: &'a str,
    up_to_date: bool,
    rendered: usize,
    changed: Vec<ChangedFile<'a>>,
    missing: Vec<MissingFile<'a>>,
    stale: Vec<StaleFile<'a>>,
    /// The command that brings every file in line; null when they are.
    fix: Option<&'a str>,
}

/// A file on disk whose bytes differ from the render.
#[derive(Serialize)]
struct ChangedFile<'a> {
    path: &'a str,
    /// Lines `generate` would add and remove.
    added: usize,
    removed: usize,
    /// The first added or removed lines, as the diff shows them (`-` on disk, `+` rendered).
    first_lines: Vec<&'a str>,
    /// The whole unified diff, from the file on disk to the render.
    diff: &'a str,
}

/// A file the spec renders that is not on disk.
#[derive(Serialize)]
struct MissingFile<'a> {
    path: &'a str,
}

/// A file generated earlier that the spec no longer renders.
#[derive(Serialize)]
struct StaleFile<'a> {
    path: &'a str,
    /// Why `generate` keeps it (a person edited it); null when `generate` removes it.
    edited: Option<&'static str>,
    /// `generate`, or `generate --force` for an edited file.
    removed_by: &'static str,
}

/// Prints the check's result and returns its exit code: 0 up to date, 1 drift.
pub(super) fn report(checked: &Checked<'_>, format: Format, output: &mut Output<'_>) -> u8 {
    let report = build(checked);
    match format {
        Format::Json => output.say(&serde_json::to_string_pretty(&report).unwrap_or_default()),
        Format::Human if report.up_to_date => output.say(&format!(
            "{} artifacts are up to date with {}",
            checked.rendered, checked.spec
        )),
        Format::Human => {
            say_each_file(checked.drift, output);
            output.say(&summary(&report));
        }
    }
    if report.up_to_date {
        return EXIT_OK;
    }
    let count = report.changed.len() + report.missing.len() + report.stale.len();
    output.warn(&format!(
        "error: {count} generated file{} out of date with {}\n  help: run `{}` and commit the result",
        if count == 1 { " is" } else { "s are" },
        checked.spec,
        checked.fix
    ));
    EXIT_INVALID
}

fn build<'a>(checked: &Checked<'a>) -> Report<'a> {
    let drift = checked.drift;
    Report {
        spec: checked.spec,
        up_to_date: drift.is_clean(),
        rendered: checked.rendered,
        changed: drift
            .changed
            .iter()
            .map(|(path, diff)| {
                let changes: Vec<&str> = changed_lines(diff).collect();
                ChangedFile {
                    path,
                    added: changes.iter().filter(|l| l.starts_with('+')).count(),
                    removed: changes.iter().filter(|l| l.starts_with('-')).count(),
                    first_lines: changes.into_iter().take(PREVIEW_LINES).collect(),
                    diff,
                }
            })
            .collect(),
        missing: drift
            .missing
            .iter()
            .map(|path| MissingFile { path })
            .collect(),
        stale: drift
            .stale
            .iter()
            .map(|stale| StaleFile {
                path: &stale.path,
                edited: stale.edited,
                removed_by: if stale.edited.is_some() {
                    "generate --force"
                } else {
                    "generate"
                },
            })
            .collect(),
        fix: (!drift.is_clean()).then_some(checked.fix),
    }
}

/// The added and removed lines of a unified diff, without its `---`/`+++` header.
fn changed_lines(diff: &str) -> impl Iterator<Item = &str> {
    diff.lines()
        .skip_while(|line| line.starts_with("--- ") || line.starts_with("+++ "))
        .filter(|line| line.starts_with('+') || line.starts_with('-'))
}

/// Each drifted file in full: the diff of a changed one, why a missing or stale one is listed.
fn say_each_file(drift: &Drift, output: &mut Output<'_>) {
    for (path, diff) in &drift.changed {
        output.say(&format!("changed: {path}"));
        output.say(diff.trim_end());
    }
    for path in &drift.missing {
        output.say(&format!(
            "missing: {path} (the spec renders it; it is not on disk)"
        ));
    }
    for stale in &drift.stale {
        output.say(&match stale.edited {
            None => format!(
                "stale: {} (generated earlier; the spec no longer renders it)",
                stale.path
            ),
            Some(why) => format!(
                "stale: {} (the spec no longer renders it, and {why}: `generate` keeps it, \
                 `generate --force` removes it)",
                stale.path
            ),
        });
    }
}

/// What `generate` would do, file by file, with the first changed lines of each diff, and
/// the counts last (what a CI log shows at its end).
fn summary(report: &Report<'_>) -> String {
    let mut lines = vec![format!(
        "\nsummary: what `generate` would do to bring the files in line with {}",
        report.spec
    )];
    for file in &report.changed {
        lines.push(format!(
            "  change  {} (+{} -{})",
            file.path, file.added, file.removed
        ));
        for line in &file.first_lines {
            lines.push(format!("            {}", shorten(line)));
        }
        let more = file.added + file.removed - file.first_lines.len();
        if more > 0 {
            lines.push(format!(
                "            ({})",
                count(more, "more changed line")
            ));
        }
    }
    for file in &report.missing {
        lines.push(format!("  create  {} (missing)", file.path));
    }
    for file in &report.stale {
        lines.push(match file.edited {
            None => format!("  remove  {} (stale)", file.path),
            Some(_) => format!(
                "  keep    {} (stale, but edited: `generate --force` removes it)",
                file.path
            ),
        });
    }
    lines.push(format!(
        "{} changed, {} missing, {} stale",
        report.changed.len(),
        report.missing.len(),
        report.stale.len()
    ));
    lines.join("\n")
}

/// A line cut to `PREVIEW_WIDTH` characters, marked when cut.
fn shorten(line: &str) -> String {
    match line.char_indices().nth(PREVIEW_WIDTH) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_string(),
    }
}
