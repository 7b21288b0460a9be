//! Loading: a spec file through every stage of the pipeline, each problem of each stage
//! collected before giving up: bytes -> [`Document`] (TOML with spans) -> JSON Schema ->
//! [`resolve`](crate::resolve) -> typed [`Spec`] -> [`validate`](crate::validate) -> [`Model`];
//! then each environment's estimated cost against its budget (a warning).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path as FsPath;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::cost::over_budget;
use crate::diagnostic::{Code, Diagnostic, sort_and_dedup};
use crate::document::{Document, locate_all, read_problem};
use crate::model::Model;
use crate::resolve::resolve;
use crate::schema::Schemas;
use crate::source::{Path, ReadError, ReadProblem, Source};
use crate::spec::{Environment, Spec};
use crate::validate::{Valid, validate};

/// A spec that was read and checked.
#[derive(Debug)]
pub struct Loaded {
    pub source: Source,
    pub document: Document,
    pub model: Model,
    /// Problems that do not stop rendering.
    pub warnings: Vec<Diagnostic>,
}

/// Why a spec could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read at all.
    Read(ReadError),
    /// The spec has errors; every one of them, in file order.
    Invalid {
        source: Box<Source>,
        diagnostics: Vec<Diagnostic>,
    },
}

impl LoadError {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Read(_) => &[],
            LoadError::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read(error) => write!(f, "{error}"),
            LoadError::Invalid {
                source,
                diagnostics,
            } => {
                for diagnostic in diagnostics {
                    writeln!(f, "{}", diagnostic.render(source, false))?;
                }
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                write!(
                    f,
                    "{}: {errors} error{} in the spec",
                    source.name,
                    if errors == 1 { "" } else { "s" }
                )
            }
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read(error) => Some(error),
            LoadError::Invalid { .. } => None,
        }
    }
}

impl Model {
    /// Loads and checks a spec file.
    pub fn load(path: &FsPath) -> Result<Model, LoadError> {
        load_file(path).map(|loaded| loaded.model)
    }

    /// Loads and checks spec text; `name` is how diagnostics refer to it.
    pub fn load_str(name: &str, text: &str) -> Result<Model, LoadError> {
        check(Source::new(name, text), None).map(|loaded| loaded.model)
    }
}

/// Reads and checks a spec file (`-`: standard input), keeping the source for diagnostics and
/// `explain`.
pub fn load_file(path: &FsPath) -> Result<Loaded, LoadError> {
    let (source, problem) = if path == FsPath::new("-") {
        Source::read_stdin()
    } else {
        Source::read(path)
    }
    .map_err(LoadError::Read)?;
    check(source, problem)
}

/// Runs every check on a spec. `problem` is a reading problem already found (encoding, size).
pub fn check(source: Source, problem: Option<ReadProblem>) -> Result<Loaded, LoadError> {
    let invalid = |source: Source, mut diagnostics: Vec<Diagnostic>| {
        sort_and_dedup(&mut diagnostics);
        LoadError::Invalid {
            source: Box::new(source),
            diagnostics,
        }
    };
    if let Some(problem) = problem {
        return Err(invalid(source, vec![read_problem(&problem)]));
    }
    let document = match Document::parse(&source) {
        Ok(document) => document,
        Err(diagnostics) => return Err(invalid(source, diagnostics)),
    };
    let schemas = Schemas::get();
    let mut diagnostics = schemas.check_file(&document.value);
    let resolved = resolve(&document.value);
    for environment in resolved.values() {
        diagnostics
            .extend(schemas.missing_in_environment(&environment.value, &environment.table_path()));
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        locate_all(&mut diagnostics, &document, &source);
        return Err(invalid(source, diagnostics));
    }

    let spec: Spec = match typed(&document.value, &Path::root()) {
        Ok(spec) => spec,
        Err(diagnostic) => {
            let mut diagnostics = vec![*diagnostic];
            locate_all(&mut diagnostics, &document, &source);
            return Err(invalid(source, diagnostics));
        }
    };
    let mut environments = BTreeMap::new();
    for (name, resolved) in resolved {
        match typed::<Environment>(&resolved.value, &resolved.table_path()) {
            Ok(settings) => {
                environments.insert(name, (resolved, settings));
            }
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        locate_all(&mut diagnostics, &document, &source);
        return Err(invalid(source, diagnostics));
    }
    match validate(&spec, &environments) {
        Ok(Valid {
            model,
            mut warnings,
        }) => {
            warnings.extend(over_budget(&model));
            locate_all(&mut warnings, &document, &source);
            sort_and_dedup(&mut warnings);
            Ok(Loaded {
                source,
                document,
                model,
                warnings,
            })
        }
        Err(mut diagnostics) => {
            locate_all(&mut diagnostics, &document, &source);
            Err(invalid(source, diagnostics))
        }
    }
}

/// Deserializes data that passed the schema check. A failure here means the schema and the types
/// disagree; it is still reported as a diagnostic rather than a panic.
fn typed<T: DeserializeOwned>(value: &Value, path: &Path) -> Result<T, Box<Diagnostic>> {
    serde_json::from_value(value.clone()).map_err(|error| {
        Box::new(
            Diagnostic::error(
                Code::WrongType,
                format!("cannot read {}: {error}", path.table_header()),
            )
            .at_path(path.clone()),
        )
    })
}
