//! Resolution: each environment is `[defaults]` with its own `[environments.<name>]` merged over
//! it (tables merge key by key; a value or a list replaces the default), and every merged value
//! remembers the key that wrote it, which `explain` prints and diagnostics point at.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::source::{Path, Segment};

/// Every environment of a parsed spec, resolved, by name.
pub fn resolve(document: &Value) -> BTreeMap<String, Resolved> {
    let layer = |key: &str| {
        document
            .get(key)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (defaults, environments) = (layer("defaults"), layer("environments"));
    environments
        .iter()
        .filter_map(|(name, layer)| Some((name, layer.as_object()?)))
        .map(|(name, layer)| {
            let base = Path::root().child("environments").child(name);
            let (value, origins) = merge_layers(&defaults, layer, &base);
            let resolved = Resolved {
                name: name.clone(),
                value,
                origins,
            };
            (name.clone(), resolved)
        })
        .collect()
}

/// Which layer of the spec a resolved value was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Defaults,
    Environment,
}

/// One environment with its defaults merged in, as data, knowing where every value was written.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: String,
    /// The merged settings.
    pub value: Value,
    /// For every merged leaf (relative to the environment), the key that wrote it.
    origins: BTreeMap<Path, Path>,
}

impl Resolved {
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
            Some(Segment::Key(key)) if key == "defaults" => Layer::Defaults,
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

    /// Every merged leaf whose value differs between this environment and `other`, in key
    /// order, with where each side wrote it.
    pub fn differences<'a>(&'a self, other: &'a Resolved) -> Vec<Difference<'a>> {
        let keys: BTreeSet<&Path> = self.origins.keys().chain(other.origins.keys()).collect();
        keys.into_iter()
            .filter_map(|key| {
                let sides = [self, other].map(|resolved| {
                    Some(Side {
                        value: key.lookup(&resolved.value)?,
                        origin: resolved.origins.get(key)?,
                    })
                });
                let [a, b] = sides
                    .each_ref()
                    .map(|side| side.as_ref().map(|side| side.value));
                (a != b).then_some(Difference { key, sides })
            })
            .collect()
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

/// A merged value that differs between two environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference<'a> {
    /// The key, relative to an environment.
    pub key: &'a Path,
    /// Each environment's value and where it was written; `None` where it sets none.
    pub sides: [Option<Side<'a>>; 2],
}

/// One environment's value of a key, and the key of the spec that wrote it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Side<'a> {
    pub value: &'a Value,
    pub origin: &'a Path,
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
        if let (Some(Value::Object(existing)), Value::Object(table)) = (target.get_mut(key), value)
        {
            overlay(existing, table, &source, &relative, origins);
        } else {
            origins.retain(|leaf, _| !leaf.0.starts_with(&relative.0));
            record_leaves(value, &source, &relative, origins);
            target.insert(key.clone(), value.clone());
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
