//! The spec parsed: TOML to the JSON value the schema check and serde read, plus an index of
//! where every key and value is written, which turns any later stage's [`Path`] into a place in
//! the file. Reading problems (size, encoding) and syntax errors become diagnostics here.
//!
//! Positions stay out of the spec types (schemars has no schema for spans): every later stage
//! reports a problem by its path, and this index locates it.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{MAX_SPEC_BYTES, Path, ReadProblem, Source};

/// Where one key and its value are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The key (for a table defined by a `[header]`, the key inside the header).
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// Which side of a `key = value` a position of the file is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

/// A problem with the spec's bytes, as a diagnostic.
pub fn read_problem(problem: &ReadProblem) -> Diagnostic {
    match problem {
        ReadProblem::TooLarge { bytes } => Diagnostic::error(
            Code::TooLarge,
            format!(
                "the spec is {bytes} bytes; the largest spec accepted is {MAX_SPEC_BYTES} bytes"
            ),
        )
        .help("a platform spec is a few kilobytes; check that this is the right file"),
        ReadProblem::NotUtf8 { at } => {
            Diagnostic::error(Code::Encoding, "the spec is not valid UTF-8")
                .at_span(at.clone())
                .label("this byte is not UTF-8")
                .help("save the file as UTF-8")
        }
    }
}

/// A parsed spec: the data as JSON (the form the schema check and serde use) and the spans.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    spans: HashMap<Path, Span>,
}

impl Document {
    /// Parses TOML, collecting every syntax error and every value JSON cannot hold.
    pub fn parse(source: &Source) -> Result<Document, Vec<Diagnostic>> {
        let (root, errors) = DeTable::parse_recoverable(&source.text);
        if !errors.is_empty() {
            return Err(errors.iter().map(syntax_diagnostic).collect());
        }
        let mut document = Document {
            value: Value::Null,
            spans: HashMap::new(),
        };
        let mut problems = Vec::new();
        let root_span = root.span();
        document.spans.insert(
            Path::root(),
            Span {
                key: None,
                value: root_span,
            },
        );
        let value = convert_table(
            root.get_ref(),
            &Path::root(),
            &mut document.spans,
            &mut problems,
        );
        document.value = Value::Object(value);
        if problems.is_empty() {
            Ok(document)
        } else {
            Err(problems)
        }
    }

    pub fn span(&self, path: &Path) -> Option<&Span> {
        self.spans.get(path)
    }

    /// The best place to point at for `path`: its key, else the nearest written ancestor.
    pub fn locate(&self, path: &Path) -> Range<usize> {
        let mut current = Some(path.clone());
        while let Some(path) = current {
            if let Some(span) = self.spans.get(&path) {
                return span.key.clone().unwrap_or_else(|| span.value.clone());
            }
            current = path.parent();
        }
        0..0
    }

    /// What is written at byte `offset`: the innermost key whose name covers it (a header's too),
    /// else the innermost value that is not a table (whose span may be a whole section).
    pub fn at(&self, offset: usize) -> Option<(Path, Part)> {
        let covers = |range: &Range<usize>| range.start <= offset && offset <= range.end;
        let is_table = |path: &Path| match path.lookup(&self.value) {
            Some(Value::Object(_)) => true,
            Some(Value::Array(items)) => items.first().is_some_and(Value::is_object),
            _ => false,
        };
        let innermost = |part: Part| {
            self.spans
                .iter()
                .filter_map(|(path, span)| match part {
                    Part::Key => span
                        .key
                        .as_ref()
                        .filter(|key| covers(key))
                        .map(|key| (path, key)),
                    Part::Value => {
                        (covers(&span.value) && !is_table(path)).then_some((path, &span.value))
                    }
                })
                .min_by_key(|(path, range)| (range.end - range.start, path.0.len()))
                .map(|(path, _)| (path.clone(), part))
        };
        innermost(Part::Key).or_else(|| innermost(Part::Value))
    }

    /// The span of the value at `path` (or of its nearest written ancestor's key).
    pub fn locate_value(&self, path: &Path) -> Range<usize> {
        match self.spans.get(path) {
            Some(span) => span.value.clone(),
            None => self.locate(path),
        }
    }
}

fn syntax_diagnostic(error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim().to_string();
    let (title, label) = match message.split_once('\n') {
        Some((first, rest)) => (first.to_string(), rest.trim().to_string()),
        None => (message.clone(), message.clone()),
    };
    let diagnostic = Diagnostic::error(Code::Syntax, format!("invalid TOML: {title}")).label(label);
    match error.span() {
        Some(span) => diagnostic.at_span(span),
        None => diagnostic,
    }
}

fn convert_table(
    table: &DeTable<'_>,
    path: &Path,
    spans: &mut HashMap<Path, Span>,
    problems: &mut Vec<Diagnostic>,
) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in table.iter() {
        let child = path.child(key.get_ref());
        spans.insert(
            child.clone(),
            Span {
                key: Some(key.span()),
                value: value.span(),
            },
        );
        map.insert(
            key.get_ref().to_string(),
            convert_value(value, &child, spans, problems),
        );
    }
    map
}

fn convert_value(
    value: &Spanned<DeValue<'_>>,
    path: &Path,
    spans: &mut HashMap<Path, Span>,
    problems: &mut Vec<Diagnostic>,
) -> Value {
    let unsupported = |code, message: String, help: &str| {
        Diagnostic::error(code, message)
            .at_path(path.clone())
            .at_span(value.span())
            .help(help)
    };
    match value.get_ref() {
        DeValue::String(text) => Value::String(text.to_string()),
        DeValue::Boolean(flag) => Value::Bool(*flag),
        DeValue::Integer(integer) => {
            if let Ok(number) = i64::from_str_radix(integer.as_str(), integer.radix()) {
                Value::Number(number.into())
            } else {
                problems.push(unsupported(
                    Code::OutOfRange,
                    format!("the integer `{integer}` does not fit in 64 bits"),
                    "use a smaller number",
                ));
                Value::Null
            }
        }
        DeValue::Float(float) => {
            if let Some(number) = float
                .as_str()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
            {
                Value::Number(number)
            } else {
                problems.push(unsupported(
                    Code::OutOfRange,
                    format!("`{float}` is not a finite number"),
                    "write a finite number such as 0.5",
                ));
                Value::Null
            }
        }
        DeValue::Datetime(datetime) => {
            problems.push(unsupported(
                Code::WrongType,
                format!("dates and times are not used in a spec, found `{datetime}`"),
                "write a string in quotes if you meant text",
            ));
            Value::Null
        }
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let child = path.index(index);
                    spans.insert(
                        child.clone(),
                        Span {
                            key: None,
                            value: item.span(),
                        },
                    );
                    convert_value(item, &child, spans, problems)
                })
                .collect(),
        ),
        DeValue::Table(table) => Value::Object(convert_table(table, path, spans, problems)),
    }
}

/// Gives every diagnostic that has only a key path the span of that key (or value, or the part
/// of a string value it names), and its related places theirs.
pub fn locate_all(diagnostics: &mut [Diagnostic], document: &Document, source: &Source) {
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.span.is_none()
            && let Some(path) = &diagnostic.path
        {
            let span = if diagnostic.on_value {
                document.locate_value(path)
            } else {
                document.locate(path)
            };
            let inner = diagnostic
                .within
                .clone()
                .and_then(|within| inside_literal(source, document, path, &span, within));
            diagnostic.span = Some(inner.unwrap_or(span));
        }
        for related in &mut diagnostic.related {
            if related.span.is_none() {
                related.span = Some(if related.on_value {
                    document.locate_value(&related.path)
                } else {
                    document.locate(&related.path)
                });
            }
        }
    }
}

/// `within` (a range of the string value at `path`) as a range of the source, when the value's
/// literal holds its text unescaped (`'...'`, `"..."` without escapes, `'''...'''`).
fn inside_literal(
    source: &Source,
    document: &Document,
    path: &Path,
    literal: &Range<usize>,
    within: Range<usize>,
) -> Option<Range<usize>> {
    let text = path.lookup(&document.value)?.as_str()?;
    let raw = source.text.get(literal.clone())?;
    let quote = ["'''", "\"\"\"", "'", "\""]
        .into_iter()
        .find(|quote| raw.starts_with(quote))?;
    let mut start = literal.start + quote.len();
    // A multi-line literal drops the newline right after its opening quotes.
    if quote.len() == 3 && source.text[start..].starts_with('\n') {
        start += 1;
    }
    let body = source.text.get(start..start + text.len())?;
    (body == text && within.end <= text.len()).then(|| {
        // An empty range (the end of the expression) still shows one character.
        let end = (start + within.end).max(start + within.start + 1);
        start + within.start..end.min(literal.end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_round_trip_through_display() {
        let path = Path::parse_dotted("environments.prod.waivers[1].rule").expect("parses");
        assert_eq!(path.to_string(), "environments.prod.waivers[1].rule");
        assert_eq!(path.0.len(), 5);
        assert!(Path::parse_dotted("a..b").is_none());
        assert!(Path::parse_dotted("a[x]").is_none());
    }

    #[test]
    fn keys_that_need_quotes_are_quoted() {
        let path = Path::root()
            .child("delivery")
            .child("actions")
            .child("actions/checkout");
        assert_eq!(path.to_string(), r#"delivery.actions."actions/checkout""#);
    }

    #[test]
    fn spans_point_at_keys_in_headers_and_assignments() {
        let source = Source::new("t.toml", "[a.b]\nc = 1\n");
        let document = Document::parse(&source).expect("valid");
        let c = Path::parse_dotted("a.b.c").expect("path");
        let range = document.locate(&c);
        assert_eq!(&source.text[range], "c");
        assert_eq!(source.line_col(document.locate(&c).start), (2, 1));
    }

    #[test]
    fn a_position_finds_the_key_or_value_written_there() {
        let source = Source::new("t.toml", "[a.b]\nc = [1, 22]\n");
        let document = Document::parse(&source).expect("valid");
        let at = |needle: &str| document.at(source.text.find(needle).expect("in the text"));
        let c = Path::parse_dotted("a.b.c").expect("path");
        assert_eq!(at("c ="), Some((c.clone(), Part::Key)));
        assert_eq!(at("22"), Some((c.index(1), Part::Value)));
        assert_eq!(
            at("b]").map(|(path, _)| path.to_string()),
            Some("a.b".into())
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        let source = Source::new("t.toml", "a = \"é\"\nb = 2");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(source.text.find('b').expect("b")), (2, 1));
        assert_eq!(source.line_col(source.text.len()), (2, 6));
    }
}
