//! The file schema's environment layers made partial: `[defaults]` and each
//! `[environments.<name>]` may set any part of an environment, which only merged must be complete.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The suffix of a definition's copy without required keys, for the layers' use of a definition
/// that is also used outside them (a service's `probes`, which an environment's service settings
/// override key by key).
const IN_LAYER: &str = "InLayer";

/// Removes `required` from the definitions used only by environment layers, so that a layer may
/// set any part. A definition also used outside the layers keeps its required keys there, and
/// the layers refer to a copy without them.
pub(super) fn make_environment_layers_partial(schema: &mut Value) {
    let Some(definitions) = schema.get("$defs").and_then(Value::as_object).cloned() else {
        return;
    };
    let mut from_layers = BTreeSet::from(["Environment".to_string()]);
    collect_refs(
        definitions.get("Environment").unwrap_or(&Value::Null),
        &definitions,
        &mut from_layers,
    );
    let mut outside = Value::Object(schema.as_object().cloned().unwrap_or_default());
    if let Some(properties) = outside.get_mut("properties").and_then(Value::as_object_mut) {
        properties.remove("defaults");
        properties.remove("environments");
    }
    if let Some(root) = outside.as_object_mut() {
        root.remove("$defs");
    }
    let mut from_outside = BTreeSet::new();
    collect_refs(&outside, &definitions, &mut from_outside);
    let copied = needing_copies(&definitions, &from_layers, &from_outside);
    if let Some(definitions) = schema.get_mut("$defs").and_then(Value::as_object_mut) {
        for name in from_layers.difference(&from_outside) {
            if let Some(Value::Object(definition)) = definitions.get_mut(name) {
                definition.remove("required");
                refer_to_copies(definition, &copied);
            }
        }
        for name in &copied {
            if let Some(Value::Object(definition)) = definitions.get(name) {
                let mut copy = definition.clone();
                copy.remove("required");
                refer_to_copies(&mut copy, &copied);
                definitions.insert(format!("{name}{IN_LAYER}"), Value::Object(copy));
            }
        }
    }
}

/// The definitions both the layers and the rest use that have required keys, or lead to one
/// that has.
fn needing_copies(
    definitions: &Map<String, Value>,
    from_layers: &BTreeSet<String>,
    from_outside: &BTreeSet<String>,
) -> BTreeSet<String> {
    let shared: BTreeSet<&String> = from_layers.intersection(from_outside).collect();
    let mut copied: BTreeSet<String> = BTreeSet::new();
    loop {
        let more: Vec<String> = shared
            .iter()
            .filter(|name| !copied.contains(**name))
            .filter(|name| {
                let definition = &definitions[name.as_str()];
                let mut reached = BTreeSet::new();
                collect_refs(definition, definitions, &mut reached);
                definition.get("required").is_some() || !reached.is_disjoint(&copied)
            })
            .map(|name| (*name).clone())
            .collect();
        if more.is_empty() {
            return copied;
        }
        copied.extend(more);
    }
}

/// Points every reference to a copied definition at its copy.
fn refer_to_copies(node: &mut Map<String, Value>, copied: &BTreeSet<String>) {
    for (key, value) in node.iter_mut() {
        match value {
            Value::String(reference) if key == "$ref" => {
                let name = reference.strip_prefix("#/$defs/").unwrap_or_default();
                if copied.contains(name) {
                    *reference = format!("{reference}{IN_LAYER}");
                }
            }
            Value::Object(child) => refer_to_copies(child, copied),
            Value::Array(items) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    refer_to_copies(item, copied);
                }
            }
            _ => {}
        }
    }
}

fn collect_refs(node: &Value, definitions: &Map<String, Value>, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                && found.insert(name.to_string())
                && let Some(definition) = definitions.get(name)
            {
                collect_refs(definition, definitions, found);
            }
            for value in map.values() {
                collect_refs(value, definitions, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_refs(item, definitions, found)),
        _ => {}
    }
}
