//! One open spec, analysed from the editor's text (never the file on disk): its diagnostics as
//! `validate` reports them, its parsed document and resolved environments (for hover and
//! definitions, even while the spec is invalid), and the Model when it is valid.

use std::collections::BTreeMap;

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
    Url,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::document::Document;
use crate::load::{LoadError, check};
use crate::model::Model;
use crate::resolve::{Resolved, resolve};
use crate::source::Source;

/// What the server knows of one open spec.
pub struct Analysis {
    pub(crate) source: Source,
    lines: Lines,
    /// Every problem, errors and warnings, in file order.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// `None` while the text is not TOML.
    pub(crate) document: Option<Document>,
    pub(crate) resolved: BTreeMap<String, Resolved>,
    /// `Some` when the spec is valid.
    pub(crate) model: Option<Model>,
}

impl Analysis {
    /// Runs every check `validate` runs on `text`; `name` is how positions name the file.
    pub fn of(name: &str, text: &str) -> Analysis {
        let source = Source::new(name, text);
        let (diagnostics, model) = match check(source.clone(), None) {
            Ok(loaded) => (loaded.warnings, Some(loaded.model)),
            Err(LoadError::Invalid { diagnostics, .. }) => (diagnostics, None),
            // Text in memory is never unreadable.
            Err(LoadError::Read(_)) => (Vec::new(), None),
        };
        let document = Document::parse(&source).ok();
        let resolved = document
            .as_ref()
            .map(|document| resolve(&document.value))
            .unwrap_or_default();
        Analysis {
            lines: Lines::of(text),
            source,
            diagnostics,
            document,
            resolved,
            model,
        }
    }

    /// The byte offset of an editor position (UTF-16 columns), clamped to its line.
    pub(crate) fn offset(&self, position: Position) -> usize {
        self.lines.offset(&self.source.text, position)
    }

    pub(crate) fn range(&self, span: &std::ops::Range<usize>) -> Range {
        Range::new(
            self.lines.position(&self.source.text, span.start),
            self.lines.position(&self.source.text, span.end),
        )
    }

    /// The diagnostics as the protocol carries them: code, message, label, notes and help in
    /// one message, each related place as related information.
    pub fn lsp_diagnostics(&self, uri: &Url) -> Vec<lsp_types::Diagnostic> {
        self.diagnostics
            .iter()
            .map(|diagnostic| {
                let span = diagnostic.span.clone().unwrap_or(0..0);
                let mut message = diagnostic.message.clone();
                for line in diagnostic.label.iter().chain(&diagnostic.notes) {
                    message.push_str(&format!("\n{line}"));
                }
                if let Some(help) = &diagnostic.help {
                    message.push_str(&format!("\nhelp: {help}"));
                }
                let related: Vec<DiagnosticRelatedInformation> = diagnostic
                    .related
                    .iter()
                    .filter_map(|related| {
                        Some(DiagnosticRelatedInformation {
                            location: Location::new(
                                uri.clone(),
                                self.range(related.span.as_ref()?),
                            ),
                            message: related.label.clone(),
                        })
                    })
                    .collect();
                lsp_types::Diagnostic {
                    range: self.range(&span),
                    severity: Some(match diagnostic.severity {
                        Severity::Error => DiagnosticSeverity::ERROR,
                        Severity::Warning => DiagnosticSeverity::WARNING,
                    }),
                    code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
                    source: Some("platformgen".to_string()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    ..lsp_types::Diagnostic::default()
                }
            })
            .collect()
    }
}

/// Where each line starts, to turn byte offsets into the protocol's line and UTF-16 column.
pub(super) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(super) fn of(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { starts }
    }

    fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&start| start <= offset).max(1) - 1;
        let start = self.starts[line];
        let column = text
            .get(start..offset)
            .map_or(0, |before| before.encode_utf16().count());
        Position::new(saturate(line), saturate(column))
    }

    pub(super) fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let line = text[start..].split('\n').next().unwrap_or_default();
        let mut units = 0;
        for (at, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_both_ways() {
        let text = "a = \"é😀\"\nb = 2\n";
        let lines = Lines::of(text);
        let b = text.find('b').expect("b");
        assert_eq!(lines.position(text, b), Position::new(1, 0));
        let closing = text.rfind('"').expect("quote");
        // é is one unit, the emoji two.
        assert_eq!(lines.position(text, closing), Position::new(0, 8));
        assert_eq!(lines.offset(text, Position::new(0, 8)), closing);
        assert_eq!(lines.offset(text, Position::new(0, 99)), closing + 1);
        assert_eq!(lines.offset(text, Position::new(9, 0)), text.len());
    }
}
