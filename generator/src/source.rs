//! The spec's text and name, with a line index, and paths into the spec: the bottom of the
//! pipeline, which every later stage uses to say where something is.

use std::fmt;
use std::ops::Range;
use std::path::Path as FsPath;

use serde_json::Value;

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
                Some(Value::Array(items)) => {
                    if let Ok(index) = token.parse::<usize>() {
                        node = items.get(index);
                        segments.push(Segment::Index(index));
                    } else {
                        node = None;
                        segments.push(Segment::Key(token));
                    }
                }
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

/// What is wrong with a spec's bytes before they are even TOML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    /// Larger than [`MAX_SPEC_BYTES`].
    TooLarge { bytes: u64 },
    /// Not UTF-8 at this byte range (of the text, where the bad bytes became U+FFFD).
    NotUtf8 { at: Range<usize> },
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

    /// Reads a spec file. Content problems (size, encoding) come back beside the source, so that
    /// they are reported like any other problem in the file.
    pub fn read(path: &FsPath) -> Result<(Source, Option<ReadProblem>), ReadError> {
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
            let problem = ReadProblem::TooLarge {
                bytes: metadata.len(),
            };
            return Ok((Source::new(name, ""), Some(problem)));
        }
        let bytes = std::fs::read(path).map_err(io_error)?;
        Ok(Source::from_bytes(name, bytes))
    }

    /// Reads a spec from standard input (the path `-`), named `<stdin>` in diagnostics; reads at
    /// most one byte past the size limit.
    pub fn read_stdin() -> Result<(Source, Option<ReadProblem>), ReadError> {
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
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> (Source, Option<ReadProblem>) {
        if bytes.len() > MAX_SPEC_BYTES {
            let problem = ReadProblem::TooLarge {
                bytes: bytes.len() as u64,
            };
            return (Source::new(name, ""), Some(problem));
        }
        match String::from_utf8(bytes) {
            Ok(text) => (Source::new(name, text), None),
            Err(error) => {
                let at = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                // The lossy text has the same bytes up to `at`, so the offset stays valid.
                let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                (
                    Source::new(name, text),
                    Some(ReadProblem::NotUtf8 { at: at..end }),
                )
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
