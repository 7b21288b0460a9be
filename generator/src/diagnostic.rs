//! Problems found in a spec: what, where (file:line:col and key path), and what to write instead.

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde::Serialize;

use crate::source::{Path, Source};

/// Another place a diagnostic points at, with what to say there (the first of two duplicates,
/// the range a CIDR overlaps).
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub path: Path,
    pub label: String,
    /// Point at the value rather than the key.
    pub on_value: bool,
    /// Filled from `path` by `document::locate_all`.
    pub span: Option<Range<usize>>,
}

/// Stable diagnostic codes; tools and docs may rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    Syntax,
    Encoding,
    TooLarge,
    UnknownKey,
    MissingKey,
    WrongType,
    UnknownValue,
    OutOfRange,
    BadFormat,
    InvalidCidr,
    CidrOverlap,
    SubnetLayout,
    ZoneOutsideRegion,
    SizeOrder,
    DuplicateName,
    RouteMismatch,
    InvalidDuration,
    InvalidPromql,
    InvalidEmail,
    Inconsistent,
    ProductionRule,
    RecoveryRule,
    UnusedWaiver,
    UnusedSecret,
    ExpiredWaiver,
    OverBudget,
    UnpinnedAction,
    EngineMismatch,
    UnknownParameter,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::Encoding => "encoding",
            Code::TooLarge => "too-large",
            Code::UnknownKey => "unknown-key",
            Code::MissingKey => "missing-key",
            Code::WrongType => "wrong-type",
            Code::UnknownValue => "unknown-value",
            Code::OutOfRange => "out-of-range",
            Code::BadFormat => "bad-format",
            Code::InvalidCidr => "invalid-cidr",
            Code::CidrOverlap => "cidr-overlap",
            Code::SubnetLayout => "subnet-layout",
            Code::ZoneOutsideRegion => "zone-outside-region",
            Code::SizeOrder => "size-order",
            Code::DuplicateName => "duplicate-name",
            Code::RouteMismatch => "route-mismatch",
            Code::InvalidDuration => "invalid-duration",
            Code::InvalidPromql => "invalid-promql",
            Code::InvalidEmail => "invalid-email",
            Code::Inconsistent => "inconsistent",
            Code::ProductionRule => "production-rule",
            Code::RecoveryRule => "recovery-rule",
            Code::UnusedWaiver => "unused-waiver",
            Code::UnusedSecret => "unused-secret",
            Code::ExpiredWaiver => "expired-waiver",
            Code::OverBudget => "over-budget",
            Code::UnpinnedAction => "unpinned-action",
            Code::EngineMismatch => "engine-mismatch",
            Code::UnknownParameter => "unknown-parameter",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Key path of the offending key or value.
    pub path: Option<Path>,
    /// Byte range in the source; filled from `path` by `document::locate_all` when not set
    /// directly.
    pub span: Option<Range<usize>>,
    pub label: Option<String>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// Point at the value rather than the key when locating by path.
    pub on_value: bool,
    /// A byte range inside the string value at `path` (a PromQL expression's mistake): located
    /// inside the literal when the literal is written without escapes.
    pub within: Option<Range<usize>>,
    /// Other places to show, each labelled.
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            path: None,
            span: None,
            label: None,
            help: None,
            notes: Vec::new(),
            on_value: false,
            within: None,
            related: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at_path(mut self, path: Path) -> Self {
        self.path = Some(path);
        self
    }

    /// Locate this diagnostic on the value at its path, not on the key.
    pub fn on_value(mut self) -> Self {
        self.on_value = true;
        self
    }

    /// Locate this diagnostic on `range` of the string value at its path.
    pub fn within_value(mut self, range: Range<usize>) -> Self {
        self.on_value = true;
        self.within = Some(range);
        self
    }

    /// Also point at the key (or, with `on_value`, the value) at `path`, labelled.
    pub fn related(mut self, path: Path, label: impl Into<String>, on_value: bool) -> Self {
        self.related.push(Related {
            path,
            label: label.into(),
            on_value,
            span: None,
        });
        self
    }

    pub fn at_span(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic the way rustc and cargo do, with a snippet of the spec.
    pub fn render(&self, source: &Source, styled: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut group = Group::with_title(
            level
                .primary_title(self.message.as_str())
                .id(self.code.as_str()),
        );
        match &self.span {
            Some(span) if !source.text.is_empty() => {
                let (lines, first_line) = source.lines_around(span);
                let relative = (span.start - lines.start)
                    ..(span.end.min(lines.end).max(span.start) - lines.start);
                let mut annotation = AnnotationKind::Primary.span(relative);
                if let Some(label) = &self.label {
                    annotation = annotation.label(label.as_str());
                }
                let mut snippet = Snippet::source(&source.text[lines.clone()])
                    .line_start(first_line)
                    .path(source.name.as_str())
                    .annotation(annotation);
                let mut elsewhere = Vec::new();
                for related in &self.related {
                    let Some(other) = related.span.clone() else {
                        continue;
                    };
                    if other.start >= lines.start && other.end <= lines.end {
                        snippet = snippet.annotation(
                            AnnotationKind::Context
                                .span(other.start - lines.start..other.end - lines.start)
                                .label(related.label.as_str()),
                        );
                    } else {
                        elsewhere.push((other, related.label.as_str()));
                    }
                }
                group = group.element(snippet);
                for (other, label) in elsewhere {
                    let (lines, first_line) = source.lines_around(&other);
                    let relative = (other.start - lines.start)
                        ..(other.end.min(lines.end).max(other.start) - lines.start);
                    group = group.element(
                        Snippet::source(&source.text[lines])
                            .line_start(first_line)
                            .path(source.name.as_str())
                            .annotation(AnnotationKind::Context.span(relative).label(label)),
                    );
                }
            }
            _ => group = group.element(Origin::path(source.name.as_str())),
        }
        let key_note = self
            .path
            .as_ref()
            .filter(|path| !path.is_empty())
            .map(|path| format!("key: {path}"));
        let notes: Vec<String> = key_note
            .into_iter()
            .chain(self.notes.iter().cloned())
            .collect();
        for note in &notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group]).to_string()
    }

    /// The diagnostic as plain data, for `--format json`.
    pub fn to_json(&self, source: &Source) -> serde_json::Value {
        let (line, column) = self.span.as_ref().map_or((None, None), |span| {
            let (line, column) = source.line_col(span.start);
            (Some(line), Some(column))
        });
        serde_json::json!({
            "severity": self.severity,
            "code": self.code.as_str(),
            "message": self.message,
            "file": source.name,
            "line": line,
            "column": column,
            "path": self.path.as_ref().map(std::string::ToString::to_string),
            "label": self.label,
            "help": self.help,
            "notes": self.notes,
            "related": self.related.iter().map(|related| {
                let (line, column) = related.span.as_ref().map_or((None, None), |span| {
                    let (line, column) = source.line_col(span.start);
                    (Some(line), Some(column))
                });
                serde_json::json!({
                    "line": line,
                    "column": column,
                    "path": related.path.to_string(),
                    "label": related.label,
                })
            }).collect::<Vec<_>>(),
        })
    }
}

/// Sorts diagnostics by position, errors before warnings at one place, and drops repeats.
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let start = |d: &Diagnostic| d.span.as_ref().map_or(0, |s| s.start);
        start(a)
            .cmp(&start(b))
            .then_with(|| (a.severity == Severity::Warning).cmp(&(b.severity == Severity::Warning)))
            .then_with(|| a.code.as_str().cmp(b.code.as_str()))
            .then_with(|| a.message.cmp(&b.message))
    });
    // One value inherited by several environments is one problem: report it once, naming each.
    diagnostics.dedup_by(|later, first| {
        let same =
            later.code == first.code && later.message == first.message && later.span == first.span;
        if same {
            for note in later.notes.drain(..) {
                if !first.notes.contains(&note) {
                    first.notes.push(note);
                }
            }
        }
        same
    });
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_near_misses_only() {
        let keys = ["multi_az", "instance_class", "engine"];
        assert_eq!(did_you_mean("multi_azz", keys), Some("multi_az"));
        assert_eq!(did_you_mean("instanse_class", keys), Some("instance_class"));
        assert_eq!(did_you_mean("colour", keys), None);
    }
}
