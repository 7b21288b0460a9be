//! The validated, resolved platform: the one thing renderers and the runtime read.
//!
//! Loading runs the whole pipeline: text -> TOML with spans -> JSON Schema check -> typed spec ->
//! per-environment resolution (defaults merged with overrides, every value remembering where it
//! was written) -> semantic checks. Every problem of every stage is collected before giving up.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path as FsPath;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, locate_all, sort_and_dedup};
use crate::schema::Schemas;
use crate::source::{Document, Path, ReadError, Source};
use crate::spec::{Environment, Spec};
use crate::validate;

/// The validated platform.
#[derive(Debug, Clone)]
pub struct Model {
    pub spec: Spec,
    /// Resolved environments, by name.
    pub environments: BTreeMap<String, ResolvedEnvironment>,
}

/// Which layer of the spec a resolved value was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Defaults,
    Environment,
}

/// One environment with its defaults merged in.
#[derive(Debug, Clone)]
pub struct ResolvedEnvironment {
    pub name: String,
    pub settings: Environment,
    /// The merged settings as data, for `explain`.
    pub value: Value,
    /// For every merged leaf (relative to the environment), the key that wrote it.
    origins: BTreeMap<Path, Path>,
}

impl ResolvedEnvironment {
    /// The path in the spec of the environment's own table.
    pub fn table_path(&self) -> Path {
        Path::root().child("environments").child(&self.name)
    }

    /// Where the value at `relative` was written: the key itself, or for a table the first key
    /// under it, or the environment's table when nothing under it was written.
    pub fn source_of(&self, relative: &Path) -> Path {
        if let Some(origin) = self.origins.get(relative) {
            return origin.clone();
        }
        // Inside a list (a leaf of the merge): the list's origin plus the rest of the path.
        let mut ancestor = relative.parent();
        while let Some(path) = ancestor {
            if let Some(origin) = self.origins.get(&path) {
                return origin.join(&Path(relative.0[path.0.len()..].to_vec()));
            }
            ancestor = path.parent();
        }
        let under = self
            .origins
            .range(relative.clone()..)
            .find(|(leaf, _)| leaf.0.starts_with(&relative.0));
        match under {
            Some((leaf, origin)) => {
                let depth = origin.0.len() - (leaf.0.len() - relative.0.len());
                Path(origin.0[..depth].to_vec())
            }
            None => self.table_path().join(relative),
        }
    }

    /// Which layer wrote the value at `relative`.
    pub fn layer_of(&self, relative: &Path) -> Layer {
        match self.source_of(relative).0.first() {
            Some(crate::source::Segment::Key(key)) if key == "defaults" => Layer::Defaults,
            _ => Layer::Environment,
        }
    }

    /// Every merged leaf at or under `relative`, with where it was written.
    pub fn leaves_under<'a>(
        &'a self,
        relative: &'a Path,
    ) -> impl Iterator<Item = (&'a Path, &'a Path)> + 'a {
        self.origins
            .range(relative.clone()..)
            .take_while(move |(leaf, _)| leaf.0.starts_with(&relative.0))
    }

    /// A diagnostic about the value at `relative`, located where that value was written.
    pub fn diagnostic(&self, diagnostic: Diagnostic, relative: &Path) -> Diagnostic {
        let diagnostic = diagnostic.at_path(self.source_of(relative));
        match self.layer_of(relative) {
            Layer::Defaults => diagnostic.note(format!(
                "environment `{}` inherits this value from [defaults]",
                self.name
            )),
            Layer::Environment => diagnostic,
        }
    }
}

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

    pub fn environment(&self, name: &str) -> Option<&ResolvedEnvironment> {
        self.environments.get(name)
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
pub fn check(source: Source, problem: Option<Diagnostic>) -> Result<Loaded, LoadError> {
    let invalid = |source: Source, mut diagnostics: Vec<Diagnostic>| {
        sort_and_dedup(&mut diagnostics);
        LoadError::Invalid {
            source: Box::new(source),
            diagnostics,
        }
    };
    if let Some(problem) = problem {
        return Err(invalid(source, vec![problem]));
    }
    let document = match Document::parse(&source) {
        Ok(document) => document,
        Err(diagnostics) => return Err(invalid(source, diagnostics)),
    };
    let schemas = Schemas::get();
    let mut diagnostics = schemas.check_file(&document.value);

    let environments = document
        .value
        .get("environments")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let defaults = document
        .value
        .get("defaults")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut merged = BTreeMap::new();
    for (name, layer) in &environments {
        let Some(layer) = layer.as_object() else {
            continue;
        };
        let base = Path::root().child("environments").child(name);
        let (value, origins) = merge_layers(&defaults, layer, &base);
        diagnostics.extend(schemas.missing_in_environment(&value, &base));
        merged.insert(name.clone(), (value, origins));
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        locate_all(&mut diagnostics, &document, &source);
        return Err(invalid(source, diagnostics));
    }

    let root = Path::root();
    let spec: Spec = match typed(&document.value, &root) {
        Ok(spec) => spec,
        Err(diagnostic) => {
            let mut diagnostics = vec![*diagnostic];
            locate_all(&mut diagnostics, &document, &source);
            return Err(invalid(source, diagnostics));
        }
    };
    let mut resolved = BTreeMap::new();
    for (name, (value, origins)) in merged {
        let base = Path::root().child("environments").child(&name);
        match typed::<Environment>(&value, &base) {
            Ok(settings) => {
                resolved.insert(
                    name.clone(),
                    ResolvedEnvironment {
                        name,
                        settings,
                        value,
                        origins,
                    },
                );
            }
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    let model = Model {
        spec,
        environments: resolved,
    };
    diagnostics.extend(validate::check(&model));
    locate_all(&mut diagnostics, &document, &source);
    sort_and_dedup(&mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(LoadError::Invalid {
            source: Box::new(source),
            diagnostics,
        });
    }
    Ok(Loaded {
        source,
        document,
        model,
        warnings: diagnostics,
    })
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

/// Merges an environment's layer over the defaults: tables merge key by key, anything else
/// (values, lists, lists of tables) is replaced whole. Records which key wrote every leaf.
fn merge_layers(
    defaults: &Map<String, Value>,
    layer: &Map<String, Value>,
    base: &Path,
) -> (Value, BTreeMap<Path, Path>) {
    let mut merged = Map::new();
    let mut origins = BTreeMap::new();
    overlay(
        &mut merged,
        defaults,
        &Path::root().child("defaults"),
        &Path::root(),
        &mut origins,
    );
    overlay(&mut merged, layer, base, &Path::root(), &mut origins);
    (Value::Object(merged), origins)
}

fn overlay(
    target: &mut Map<String, Value>,
    layer: &Map<String, Value>,
    layer_path: &Path,
    relative: &Path,
    origins: &mut BTreeMap<Path, Path>,
) {
    for (key, value) in layer {
        let relative = relative.child(key);
        let source = layer_path.child(key);
        match (target.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(table)) => {
                overlay(existing, table, &source, &relative, origins);
            }
            _ => {
                origins.retain(|leaf, _| !leaf.0.starts_with(&relative.0));
                record_leaves(value, &source, &relative, origins);
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

fn record_leaves(
    value: &Value,
    source: &Path,
    relative: &Path,
    origins: &mut BTreeMap<Path, Path>,
) {
    match value {
        Value::Object(table) if !table.is_empty() => {
            for (key, child) in table {
                record_leaves(child, &source.child(key), &relative.child(key), origins);
            }
        }
        _ => {
            origins.insert(relative.clone(), source.clone());
        }
    }
}
