//! `platformgen explain`: a resolved value, or every value of an environment, and where each
//! was written.

use std::path::Path as FsPath;

use serde_json::Value;

use super::report::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Output, load, unknown_environment};
use crate::diagnostic::did_you_mean;
use crate::load::Loaded;
use crate::model::{Environment, Layer};
use crate::source::{Path, Segment};

/// The value as TOML would write it inline.
pub(super) fn toml_inline(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", Path::root().child(k), toml_inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(toml_inline).collect::<Vec<_>>().join(", ")
        ),
        Value::String(text) => Value::String(text.clone()).to_string(),
        other => other.to_string(),
    }
}

pub(super) fn explain(spec: &FsPath, env: &str, key: Option<&str>, output: &mut Output<'_>) -> u8 {
    let loaded = match load(spec, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(environment) = loaded.model.environment(env) else {
        output.warn(&unknown_environment(&loaded, env));
        return EXIT_INVALID;
    };
    let Some(key) = key else {
        explain_environment(&loaded, environment, output);
        return EXIT_OK;
    };
    let Some(relative) = Path::parse_dotted(key) else {
        output.warn(&format!("error: `{key}` is not a key path; write it like `database.multi_az` or `services.<name>.routes[0].path`"));
        return EXIT_USAGE;
    };
    // A key of the spec outside the environments, unless the environment resolves it (a
    // service's settings here: `services.<name>.replicas`).
    let global = matches!(relative.0.first(), Some(Segment::Key(first)) if loaded.document.value.get(first).is_some() && !matches!(first.as_str(), "defaults" | "environments"))
        && relative.lookup(&environment.resolved.value).is_none();
    if global {
        let Some(value) = relative.lookup(&loaded.document.value) else {
            return unknown_key(&relative, &loaded.document.value, output);
        };
        output.say(&format!("{relative} = {}", toml_inline(value)));
        output.say(&format!(
            "    set at {} (the same in every environment)",
            position(&loaded, &relative)
        ));
        return EXIT_OK;
    }
    let Some(value) = relative.lookup(&environment.resolved.value) else {
        return unknown_key(&relative, &environment.resolved.value, output);
    };
    output.say(&format!("{env}.{relative} = {}", toml_inline(value)));
    for (leaf, origin) in environment.resolved.leaves_under(&relative) {
        let shown = if leaf == &relative {
            String::new()
        } else {
            format!(
                "{env}.{leaf} = {} ",
                toml_inline(
                    leaf.lookup(&environment.resolved.value)
                        .unwrap_or(&Value::Null)
                )
            )
        };
        output.say(&format!(
            "    {shown}{}: {} ({origin})",
            layer_name(environment.resolved.layer_of(leaf)),
            position(&loaded, origin)
        ));
    }
    EXIT_OK
}

/// `file:line:col` of a key of the spec.
pub(super) fn position(loaded: &Loaded, path: &Path) -> String {
    let (line, column) = loaded.source.line_col(loaded.document.locate(path).start);
    format!("{}:{line}:{column}", loaded.source.name)
}

pub(super) fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Defaults => "from [defaults]",
        Layer::Environment => "set in the environment",
        Layer::Service => "from the service's own table",
    }
}

/// Every resolved value of an environment with where it was written, then the threshold of
/// every alert in effect there (its own default or the environment's override), then the
/// environment's waivers.
pub(super) fn explain_environment(
    loaded: &Loaded,
    environment: &Environment,
    output: &mut Output<'_>,
) {
    let env = &environment.name;
    for (leaf, origin) in environment.resolved.leaves_under(&Path::root()) {
        let value = leaf
            .lookup(&environment.resolved.value)
            .unwrap_or(&Value::Null);
        output.say(&format!(
            "{env}.{leaf} = {}\n    {}: {}",
            toml_inline(value),
            layer_name(environment.resolved.layer_of(leaf)),
            position(loaded, origin)
        ));
    }
    output.say(&format!("\nalert thresholds in effect in {env}:"));
    let mut any = false;
    for (index, alert) in loaded.model.alerts.iter().enumerate() {
        let Some(value) = environment.thresholds.get(&alert.name) else {
            continue;
        };
        let leaf = Path::root()
            .child("monitoring")
            .child("alert_thresholds")
            .child(&alert.name);
        let (origin, from) = if environment.resolved.leaves_under(&leaf).next().is_some() {
            (
                environment.resolved.source_of(&leaf),
                layer_name(environment.resolved.layer_of(&leaf)),
            )
        } else {
            let origin = Path::root().child("alerts").index(index).child("threshold");
            (origin, "the alert's default")
        };
        any = true;
        output.say(&format!(
            "    {} = {value}   {from}: {}",
            alert.name,
            position(loaded, &origin)
        ));
    }
    if !any {
        output.say("    (no alert has a threshold)");
    }
    output.say(&format!(
        "\nwaivers of the production and recovery rules in {env}:"
    ));
    if environment.waivers.is_empty() {
        output.say("    (none)");
    }
    for (index, waiver) in environment.waivers.iter().enumerate() {
        let origin = environment
            .resolved
            .source_of(&Path::root().child("waivers").index(index));
        output.say(&format!(
            "    {}: {}   {}",
            serde_json::to_value(waiver.rule)
                .ok()
                .and_then(|rule| rule.as_str().map(str::to_string))
                .unwrap_or_default(),
            waiver.reason,
            position(loaded, &origin)
        ));
    }
}

pub(super) fn unknown_key(path: &Path, root: &Value, output: &mut Output<'_>) -> u8 {
    let mut known_prefix = Path::root();
    let mut node = root;
    for segment in &path.0 {
        let next = match (segment, node) {
            (Segment::Key(key), Value::Object(map)) => map.get(key),
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        };
        if let Some(child) = next {
            node = child;
            known_prefix.0.push(segment.clone());
        } else {
            let missing = match segment {
                Segment::Key(key) => key.clone(),
                Segment::Index(index) => format!("[{index}]"),
            };
            let keys: Vec<&str> = node
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let hint = match did_you_mean(&missing, keys.iter().copied()) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None if keys.is_empty() => "this value has no keys under it".to_string(),
                None => format!("keys here: {}", keys.join(", ")),
            };
            let place = if known_prefix.is_empty() {
                "the top level".to_string()
            } else {
                format!("`{known_prefix}`")
            };
            output.warn(&format!(
                "error: there is no key `{missing}` under {place}\n  help: {hint}"
            ));
            return EXIT_INVALID;
        }
    }
    EXIT_INVALID
}
