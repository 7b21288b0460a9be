//! Hover on a key or value: what the schema says of it, its resolved value in each environment
//! and where that was written (`platformgen explain <env> <key>`, from the same report), and
//! the production and recovery rules in force on it, with their waivers.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use super::analysis::Analysis;
use super::completion::{description, schema_of};
use crate::cli::explain::{Written, key_report, key_text, position};
use crate::schema::Schemas;
use crate::source::{Path, Segment};
use crate::validate::rules_on;

/// The hover text of what is written at byte `offset`.
pub(super) fn hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let document = analysis.document.as_ref()?;
    let (path, _) = document.at(offset)?;
    let relative = in_environment(&path);
    if relative.is_empty() {
        return None;
    }
    let written = Written {
        source: &analysis.source,
        document,
    };
    let mut sections = Vec::new();
    let root = &Schemas::get().file;
    if let Some(about) = schema_of(root, &path).and_then(|schema| description(root, schema)) {
        sections.push(format!("`{path}`: {about}"));
    }
    let mut explained = Vec::new();
    for resolved in analysis.resolved.values() {
        let Ok(report) = key_report(written, resolved, &relative) else {
            continue;
        };
        // A table's report lists every value under it: too long to read in a hover.
        if report.value.is_object() {
            sections.push(format!(
                "A table: hover a key under it for its value in each environment, or run \
                 `platformgen explain <environment> {relative}`."
            ));
            break;
        }
        explained.push(key_text(&report));
        if report.is_global() {
            break;
        }
    }
    if !explained.is_empty() {
        sections.push(format!("```text\n{}\n```", explained.join("\n")));
    }
    let mut rules = Vec::new();
    for environment in analysis.model.iter().flat_map(|m| m.environments.values()) {
        for on_key in rules_on(environment, &relative) {
            let rule = on_key.rule.as_str();
            rules.push(format!(
                "- rule `{rule}` holds in {}: {}",
                environment.name, on_key.why
            ));
            let Some(index) = on_key.waiver else {
                continue;
            };
            let waiver = &environment.waivers[index];
            let at = environment
                .resolved
                .source_of(&Path::root().child("waivers").index(index));
            rules.push(format!(
                "- waived in {} at {}: {} (owner {}, until {})",
                environment.name,
                position(written, &at),
                waiver.reason,
                waiver.owner,
                waiver.expires
            ));
        }
    }
    if !rules.is_empty() {
        sections.push(rules.join("\n"));
    }
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n"),
        }),
        range: None,
    })
}

/// The key of an environment that a key of the spec sets: `defaults.<key>` and
/// `environments.<name>.<key>` set `<key>`; a key outside them (`services.<name>.port`) is the
/// same key in every environment.
pub(super) fn in_environment(path: &Path) -> Path {
    let key = |i: usize| match path.0.get(i) {
        Some(Segment::Key(key)) => Some(key.as_str()),
        _ => None,
    };
    match key(0) {
        Some("defaults") => Path(path.0[1..].to_vec()),
        Some("environments") => Path(path.0.get(2..).unwrap_or_default().to_vec()),
        _ => path.clone(),
    }
}
