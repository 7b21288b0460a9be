//! Spec text, parsed once into a JSON value plus an index of where every key and value sits.
//!
//! Positions stay out of the spec types (schemars has no schema for spans): every later stage
//! reports a problem by its [`Path`], and the span index turns that path into a place in the file.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path as FsPath;

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic};

/// Largest spec accepted; real specs are a few kilobytes.
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;

/// How diagnostics name a spec read from standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// One step of a path into the spec: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a key or value in the spec, such as `environments.prod.database.multi_az`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// Parses a dotted path as users type it (`database.multi_az`, `routes[2].path`).
    pub fn parse_dotted(text: &str) -> Option<Self> {
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(at) => part.split_at(at),
                None => (part, ""),
            };
            if key.is_empty() && rest.is_empty() {
                return None;
            }
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_string()));
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']')?;
                segments.push(Segment::Index(inner[..end].parse().ok()?));
                rest = &inner[end + 1..];
            }
            if !rest.is_empty() {
                return None;
            }
        }
        Some(Path(segments))
    }

    /// Parses an RFC 6901 JSON pointer, as the JSON Schema validator reports instance paths.
    /// Array indices and all-digit keys are ambiguous in a pointer; `value` disambiguates.
    pub fn from_pointer(pointer: &str, value: &Value) -> Self {
        let mut segments = Vec::new();
        let mut node = Some(value);
        for raw in pointer.split('/').skip(1) {
            let token = raw.replace("~1", "/").replace("~0", "~");
            match node {
                Some(Value::Array(items)) => match token.parse::<usize>() {
                    Ok(index) => {
                        node = items.get(index);
                        segments.push(Segment::Index(index));
                    }
                    Err(_) => {
                        node = None;
                        segments.push(Segment::Key(token));
                    }
                },
                Some(Value::Object(map)) => {
                    node = map.get(&token);
                    segments.push(Segment::Key(token));
                }
                _ => {
                    node = None;
                    segments.push(Segment::Key(token));
                }
            }
        }
        Path(segments)
    }

    pub fn child(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        Path(segments)
    }

    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Path(segments)
    }

    pub fn join(&self, other: &Path) -> Self {
        let mut segments = self.0.clone();
        segments.extend(other.0.iter().cloned());
        Path(segments)
    }

    pub fn parent(&self) -> Option<Self> {
        let (_, rest) = self.0.split_last()?;
        Some(Path(rest.to_vec()))
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value at this path, if any.
    pub fn lookup<'v>(&self, mut value: &'v Value) -> Option<&'v Value> {
        for segment in &self.0 {
            value = match (segment, value) {
                (Segment::Key(key), Value::Object(map)) => map.get(key)?,
                (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// The table header a user would look for, such as `[environments.prod.database]`.
    pub fn table_header(&self) -> String {
        if self.is_empty() {
            "the top level".to_string()
        } else {
            format!("[{self}]")
        }
    }
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare_key(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{}", Value::String(key.clone()))?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Where one key and its value are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The key (for a table defined by a `[header]`, the key inside the header).
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// The spec text and its name as given by the user.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// Why a spec file could not be read at all (usage or I/O errors, exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read `{path}`: it is a directory, not a spec file")]
    Directory { path: String },
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// Reads a spec file. Content problems (size, encoding) come back as a source holding a
    /// diagnostic, so that they are reported like any other problem in the file.
    pub fn read(path: &FsPath) -> Result<(Source, Option<Diagnostic>), ReadError> {
        let name = path.display().to_string();
        let io_error = |source| ReadError::Io {
            path: name.clone(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(io_error)?;
        if metadata.is_dir() {
            return Err(ReadError::Directory { path: name });
        }
        if metadata.len() > MAX_SPEC_BYTES as u64 {
            let diagnostic = too_large(metadata.len());
            return Ok((Source::new(name, ""), Some(diagnostic)));
        }
        let bytes = std::fs::read(path).map_err(io_error)?;
        Ok(Source::from_bytes(name, bytes))
    }

    /// Reads a spec from standard input (the path `-`), named `<stdin>` in diagnostics; reads at
    /// most one byte past the size limit.
    pub fn read_stdin() -> Result<(Source, Option<Diagnostic>), ReadError> {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_SPEC_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| ReadError::Io {
                path: STDIN_NAME.to_string(),
                source,
            })?;
        Ok(Source::from_bytes(STDIN_NAME.to_string(), bytes))
    }

    /// Builds a source from raw bytes, reporting non-UTF-8 input and oversized input.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> (Source, Option<Diagnostic>) {
        if bytes.len() > MAX_SPEC_BYTES {
            return (Source::new(name, ""), Some(too_large(bytes.len() as u64)));
        }
        match String::from_utf8(bytes) {
            Ok(text) => (Source::new(name, text), None),
            Err(error) => {
                let at = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                // The lossy text has the same bytes up to `at`, so the offset stays valid.
                let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                let diagnostic = Diagnostic::error(Code::Encoding, "the spec is not valid UTF-8")
                    .at_span(at..end)
                    .label("this byte is not UTF-8")
                    .help("save the file as UTF-8");
                (Source::new(name, text), Some(diagnostic))
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// Byte range of the whole lines that contain `span`, and the number of the first one.
    pub fn lines_around(&self, span: &Range<usize>) -> (Range<usize>, usize) {
        let (first, _) = self.line_col(span.start);
        let (last, _) = self.line_col(span.end.saturating_sub(1).max(span.start));
        let start = self.line_starts[first - 1];
        let end = self
            .line_starts
            .get(last)
            .map_or(self.text.len(), |&next| next.saturating_sub(1));
        (start..end.max(start), first)
    }
}

fn too_large(len: u64) -> Diagnostic {
    Diagnostic::error(
        Code::TooLarge,
        format!("the spec is {len} bytes; the largest spec accepted is {MAX_SPEC_BYTES} bytes"),
    )
    .help("a platform spec is a few kilobytes; check that this is the right file")
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
        DeValue::Integer(integer) => match i64::from_str_radix(integer.as_str(), integer.radix()) {
            Ok(number) => Value::Number(number.into()),
            Err(_) => {
                problems.push(unsupported(
                    Code::OutOfRange,
                    format!("the integer `{integer}` does not fit in 64 bits"),
                    "use a smaller number",
                ));
                Value::Null
            }
        },
        DeValue::Float(float) => match float
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
        {
            Some(number) => Value::Number(number),
            None => {
                problems.push(unsupported(
                    Code::OutOfRange,
                    format!("`{float}` is not a finite number"),
                    "write a finite number such as 0.5",
                ));
                Value::Null
            }
        },
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
    fn line_and_column_count_characters() {
        let source = Source::new("t.toml", "a = \"é\"\nb = 2");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(source.text.find('b').expect("b")), (2, 1));
        assert_eq!(source.line_col(source.text.len()), (2, 6));
    }
}
