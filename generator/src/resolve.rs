//! Resolution: each environment is `[defaults]` with its own `[environments.<name>]` merged over
//! it (tables merge key by key; a value or a list replaces the default), and every merged value
//! remembers the key that wrote it, which `explain` prints and diagnostics point at. Each service
//! of the spec then gets its settings in the environment (`services.<name>`): what the layers
//! say for it, `app`'s replicas, autoscaling and resources for the rest, and the node group,
//! probes, rollout and ingress paths its own table writes where the layers write none of them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::source::{Path, Segment};
use crate::spec::{Probes, Rollout};

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
    let tables = layer("services");
    let services: Vec<String> = tables.keys().cloned().collect();
    environments
        .iter()
        .filter_map(|(name, layer)| Some((name, layer.as_object()?)))
        .map(|(name, layer)| {
            let base = Path::root().child("environments").child(name);
            let (mut value, mut origins) = merge_layers(&defaults, layer, &base);
            // The spec's services, and any other name the layers give settings (which
            // validation then refuses by name, rather than for what it lacks).
            let named: Vec<String> = value
                .get("services")
                .and_then(Value::as_object)
                .map(|named| named.keys().cloned().collect())
                .unwrap_or_default();
            for service in services.iter().chain(&named) {
                inherit_app(&mut value, &mut origins, service);
            }
            for service in &services {
                inherit_service_table(&mut value, &mut origins, service, &tables[service]);
            }
            builtin_strategy(&mut value, &mut origins);
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
    /// A service's own table (`[services.<name>]`), for what it sets in every environment.
    Service,
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

    /// The key of a layer that writes the table at `relative` itself (the environment's, else
    /// `[defaults]`), rather than a value merged into it from elsewhere.
    pub fn written_at(&self, relative: &Path) -> Option<Path> {
        [self.table_path(), Path::root().child("defaults")]
            .into_iter()
            .map(|layer| layer.join(relative))
            .find(|key| {
                self.leaves_under(relative)
                    .any(|(_, origin)| origin.0.starts_with(&key.0))
            })
    }

    /// Which layer wrote the value at `relative`.
    pub fn layer_of(&self, relative: &Path) -> Layer {
        match self.source_of(relative).0.first() {
            Some(Segment::Key(key)) if key == "defaults" => Layer::Defaults,
            Some(Segment::Key(key)) if key == "services" => Layer::Service,
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
            Layer::Service => diagnostic.note(format!(
                "environment `{}` takes this value from the service's own table",
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

/// The settings of `service` that `app` holds for every service, where the layers set none of
/// their own for it: key by key, each keeping where `app`'s value was written.
fn inherit_app(value: &mut Value, origins: &mut BTreeMap<Path, Path>, service: &str) {
    const INHERITED: [&str; 3] = ["replicas", "autoscaling", "resources"];
    let Some(root) = value.as_object_mut() else {
        return;
    };
    let app = root
        .get("app")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let settings = root
        .entry("services")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .map(|services| {
            services
                .entry(service)
                .or_insert_with(|| Value::Object(Map::new()))
        });
    let Some(Value::Object(settings)) = settings else {
        return;
    };
    let from = Path::root().child("app");
    let to = Path::root().child("services").child(service);
    for key in INHERITED {
        if let Some(inherited) = app.get(key) {
            fill(
                settings,
                key,
                inherited,
                (&from.child(key), Origins::Recorded),
                &to.child(key),
                origins,
            );
        }
    }
}

/// What the service's own table (`[services.<name>]`) sets for every environment, where the
/// layers set none of it for the service here: key by key, each leaf keeping the table's key as
/// where it was written.
fn inherit_service_table(
    value: &mut Value,
    origins: &mut BTreeMap<Path, Path>,
    service: &str,
    table: &Value,
) {
    const INHERITED: [&str; 12] = [
        "port",
        "image_repository",
        "health_path",
        "readiness_path",
        "metrics_path",
        "node_group",
        "probes",
        "rollout",
        "ingress_paths",
        "disruption_budget",
        "egress",
        "access",
    ];
    let settings = value
        .get_mut("services")
        .and_then(|services| services.get_mut(service))
        .and_then(Value::as_object_mut);
    let Some(settings) = settings else {
        return;
    };
    // The table's keys and the settings' keys are the same path: `services.<name>.<key>`.
    let at = Path::root().child("services").child(service);
    for key in INHERITED {
        if let Some(written) = table.get(key) {
            let key_path = at.child(key);
            fill(
                settings,
                key,
                written,
                (&key_path, Origins::AtKey),
                &key_path,
                origins,
            );
        }
    }
    // What neither wrote takes the built-in timings and rollout, key by key, so an environment
    // may change one timing of a probe the service's table does not write.
    let builtin = [
        ("probes", serde_json::to_value(Probes::default())),
        ("rollout", serde_json::to_value(Rollout::default())),
    ];
    for (key, default) in builtin {
        if let Ok(default) = default {
            let key_path = at.child(key);
            fill(
                settings,
                key,
                &default,
                (&key_path, Origins::Builtin),
                &key_path,
                origins,
            );
        }
    }
}

/// The deploy strategy where no layer writes one: rolling, the built-in default, so `explain`
/// answers for it in every environment.
fn builtin_strategy(value: &mut Value, origins: &mut BTreeMap<Path, Path>) {
    let Some(Value::Object(deploy)) = value.get_mut("deploy") else {
        return;
    };
    if let Ok(strategy) = serde_json::to_value(crate::spec::DeployStrategy::default()) {
        let at = Path::root().child("deploy").child("strategy");
        fill(
            deploy,
            "strategy",
            &strategy,
            (&at, Origins::Builtin),
            &at,
            origins,
        );
    }
}

/// Where the leaves of a filled value were written: recorded already for a merged value (its
/// path is relative to the environment), or at the spec key it is copied from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origins {
    Recorded,
    AtKey,
    /// The spec's built-in default: written nowhere.
    Builtin,
}

/// Sets `key` of `target` to `value` where it is missing, or fills a table key by key; each leaf
/// set takes the origin of the leaf it copies (`from` -> `to`, relative to the environment).
fn fill(
    target: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    (from, recorded): (&Path, Origins),
    to: &Path,
    origins: &mut BTreeMap<Path, Path>,
) {
    match (target.get_mut(key), value) {
        (Some(Value::Object(existing)), Value::Object(table)) => {
            for (child, inner) in table {
                fill(
                    existing,
                    child,
                    inner,
                    (&from.child(child), recorded),
                    &to.child(child),
                    origins,
                );
            }
        }
        (Some(_), _) => {}
        (None, _) if recorded == Origins::AtKey => {
            record_leaves(value, from, to, origins);
            target.insert(key.to_string(), value.clone());
        }
        (None, _) if recorded == Origins::Builtin => {
            target.insert(key.to_string(), value.clone());
        }
        (None, _) => {
            let copied: Vec<(Path, Path)> = origins
                .range(from.clone()..)
                .take_while(|(leaf, _)| leaf.0.starts_with(&from.0))
                .map(|(leaf, origin)| {
                    let rest = Path(leaf.0[from.0.len()..].to_vec());
                    (to.join(&rest), origin.clone())
                })
                .collect();
            origins.extend(copied);
            target.insert(key.to_string(), value.clone());
        }
    }
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
