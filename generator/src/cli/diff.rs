//! `platformgen diff`: every resolved value that differs between two environments, with the
//! `file:line:col` that set each side (what `explain` prints for one).

use std::path::Path as FsPath;

use serde::Serialize;
use serde_json::Value;

use super::explain::{Written, layer_name, position, toml_inline};
use super::report::{EXIT_INVALID, EXIT_OK, Format, Output, load, unknown_environment};
use crate::load::Loaded;
use crate::model::Layer;
use crate::resolve::{Difference, Resolved};

pub(super) fn diff(spec: &FsPath, names: [&str; 2], format: Format, output: &mut Output<'_>) -> u8 {
    let loaded = match load(spec, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut environments = Vec::new();
    for name in names {
        match loaded.model.environment(name) {
            Some(environment) => environments.push(&environment.resolved),
            None => {
                output.warn(&unknown_environment(&loaded, name));
                return EXIT_INVALID;
            }
        }
    }
    let [a, b] = [environments[0], environments[1]];
    let differences = a.differences(b);
    match format {
        Format::Human => output.say(&text(&loaded, [a, b], &differences)),
        Format::Json => output.say(&json(&loaded, [a, b], &differences)),
    }
    EXIT_OK
}

/// Each differing key, then each side's value and where it was set.
fn text(loaded: &Loaded, environments: [&Resolved; 2], differences: &[Difference<'_>]) -> String {
    let [a, b] = environments.map(|resolved| resolved.name.as_str());
    if differences.is_empty() {
        return format!("{a} and {b} resolve to the same values");
    }
    let width = a.len().max(b.len());
    let mut lines = vec![format!(
        "{a} and {b} differ in {} (of {}):",
        crate::render::count(differences.len(), "value"),
        loaded.source.name
    )];
    for difference in differences {
        lines.push(format!("\n{}", difference.key));
        let shown = difference
            .sides
            .map(|side| side.map_or_else(String::new, |side| toml_inline(side.value)));
        let value_width = shown.iter().map(|v| v.chars().count()).max().unwrap_or(0);
        for ((resolved, side), value) in environments.iter().zip(difference.sides).zip(&shown) {
            let name = &resolved.name;
            lines.push(match side {
                Some(side) => format!(
                    "    {name:<width$} = {value:<value_width$}   {}: {}",
                    layer_name(resolved.layer_of(difference.key)),
                    position(Written::of(loaded), side.origin)
                ),
                None => format!("    {name:<width$}   (not set)"),
            });
        }
    }
    lines.join("\n")
}

/// `{"spec", "environments": [a, b], "differences": [{"key", "values": [..]}]}`.
fn json(loaded: &Loaded, environments: [&Resolved; 2], differences: &[Difference<'_>]) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        spec: &'a str,
        environments: [&'a str; 2],
        differences: Vec<JsonDifference<'a>>,
    }
    #[derive(Serialize)]
    struct JsonDifference<'a> {
        key: String,
        values: Vec<JsonSide<'a>>,
    }
    /// `value` and the rest are null where the environment does not set the key.
    #[derive(Serialize)]
    struct JsonSide<'a> {
        environment: &'a str,
        value: Option<&'a Value>,
        /// `file:line:col`, as `explain` prints it.
        set_at: Option<String>,
        /// The key of the spec that wrote it, `defaults.` or `environments.<name>.`.
        written_as: Option<String>,
        /// `defaults` or `environment`.
        layer: Option<&'static str>,
    }
    let report = Report {
        spec: &loaded.source.name,
        environments: environments.map(|resolved| resolved.name.as_str()),
        differences: differences
            .iter()
            .map(|difference| JsonDifference {
                key: difference.key.to_string(),
                values: environments
                    .iter()
                    .zip(difference.sides)
                    .map(|(resolved, side)| JsonSide {
                        environment: &resolved.name,
                        value: side.map(|side| side.value),
                        set_at: side.map(|side| position(Written::of(loaded), side.origin)),
                        written_as: side.map(|side| side.origin.to_string()),
                        layer: side.map(|_| match resolved.layer_of(difference.key) {
                            Layer::Defaults => "defaults",
                            Layer::Environment => "environment",
                            Layer::Service => "service",
                        }),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}
