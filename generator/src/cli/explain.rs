//! `platformgen explain`: a resolved value, or every value of an environment, and where each
//! was written, as text for people or JSON for tools (both laid out from one typed report).

use std::path::Path as FsPath;

use serde::Serialize;
use serde_json::Value;

use super::report::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Format, Output, load, unknown_environment};
use crate::diagnostic::did_you_mean;
use crate::document::Document;
use crate::load::Loaded;
use crate::model::{Environment, Layer};
use crate::resolve::Resolved;
use crate::source::{Path, Segment, Source};

/// A resolved key the environment does not hold (never: leaves come from the resolved value).
static NULL: Value = Value::Null;

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

/// `explain <env> <key>`: the value and where each value under it was set.
#[derive(Serialize)]
pub(super) struct KeyReport<'a> {
    spec: &'a str,
    environment: &'a str,
    key: String,
    pub(super) value: &'a Value,
    /// The key itself when it holds a value, else every value under it.
    settings: Vec<Setting<'a>>,
}

/// `explain <env>`: every resolved value, the alert thresholds in effect and the waivers.
#[derive(Serialize)]
struct EnvironmentReport<'a> {
    spec: &'a str,
    environment: &'a str,
    settings: Vec<Setting<'a>>,
    alert_thresholds: Vec<Threshold<'a>>,
    waivers: Vec<WaiverSetting<'a>>,
}

/// One resolved value and where it was written.
#[derive(Serialize)]
struct Setting<'a> {
    /// The key in the environment (`database.multi_az`), or in the spec for a global key.
    key: String,
    value: &'a Value,
    layer: SetIn,
    #[serde(flatten)]
    at: Location<'a>,
}

#[derive(Serialize)]
struct Threshold<'a> {
    alert: &'a str,
    threshold: f64,
    layer: SetIn,
    #[serde(flatten)]
    at: Location<'a>,
}

#[derive(Serialize)]
struct WaiverSetting<'a> {
    rule: String,
    reason: &'a str,
    owner: &'a str,
    expires: &'a str,
    #[serde(flatten)]
    at: Location<'a>,
}

/// Where a key of the spec is written.
#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    /// The key as the spec spells it: `environments.prod.database.multi_az`.
    written_as: String,
}

/// Which part of the spec a value comes from.
#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum SetIn {
    /// `[defaults]`.
    Defaults,
    /// `[environments.<name>]`.
    Environment,
    /// The service's own table, `[services.<name>]`.
    Service,
    /// A key outside the environments: the same in every environment.
    Global,
    /// The alert's own `threshold` (no layer overrides it).
    AlertDefault,
}

impl SetIn {
    fn of(layer: Layer) -> Self {
        match layer {
            Layer::Defaults => Self::Defaults,
            Layer::Environment => Self::Environment,
            Layer::Service => Self::Service,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Self::Defaults => layer_name(Layer::Defaults),
            Self::Environment => layer_name(Layer::Environment),
            Self::Service => layer_name(Layer::Service),
            Self::Global => "set at",
            Self::AlertDefault => "the alert's default",
        }
    }
}

impl Location<'_> {
    fn text(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The spec as `explain` reads it: its text and where every key is written. A spec that parses
/// is enough (the language server explains a spec while it is still invalid).
#[derive(Clone, Copy)]
pub(super) struct Written<'a> {
    pub(super) source: &'a Source,
    pub(super) document: &'a Document,
}

impl<'a> Written<'a> {
    pub(super) fn of(loaded: &'a Loaded) -> Self {
        Written {
            source: &loaded.source,
            document: &loaded.document,
        }
    }
}

pub(super) fn explain(
    spec: &FsPath,
    env: &str,
    key: Option<&str>,
    format: Format,
    output: &mut Output<'_>,
) -> u8 {
    let loaded = match load(spec, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(environment) = loaded.model.environment(env) else {
        output.warn(&unknown_environment(&loaded, env));
        return EXIT_INVALID;
    };
    let Some(key) = key else {
        let report = environment_report(&loaded, environment);
        output.say(&match format {
            Format::Human => environment_text(&report),
            Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default(),
        });
        return EXIT_OK;
    };
    let Some(relative) = Path::parse_dotted(key) else {
        output.warn(&format!("error: `{key}` is not a key path; write it like `database.multi_az` or `services.<name>.routes[0].path`"));
        return EXIT_USAGE;
    };
    let report = match key_report(Written::of(&loaded), &environment.resolved, &relative) {
        Ok(report) => report,
        Err(root) => return unknown_key(&relative, root, output),
    };
    output.say(&match format {
        Format::Human => key_text(&report),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default(),
    });
    EXIT_OK
}

/// The report of one key in one environment; `Err` holds the value the key was looked up in
/// when it is not there.
pub(super) fn key_report<'a>(
    written: Written<'a>,
    resolved: &'a Resolved,
    relative: &Path,
) -> Result<KeyReport<'a>, &'a Value> {
    let spec = &written.document.value;
    // A key of the spec outside the environments, unless the environment resolves it (a
    // service's settings here: `services.<name>.replicas`).
    let global = matches!(relative.0.first(), Some(Segment::Key(first)) if spec.get(first).is_some() && !matches!(first.as_str(), "defaults" | "environments"))
        && relative.lookup(&resolved.value).is_none();
    let report = |value, settings| KeyReport {
        spec: &written.source.name,
        environment: &resolved.name,
        key: relative.to_string(),
        value,
        settings,
    };
    if global {
        let value = relative.lookup(spec).ok_or(spec)?;
        let setting = Setting {
            key: relative.to_string(),
            value,
            layer: SetIn::Global,
            at: location(written, relative),
        };
        return Ok(report(value, vec![setting]));
    }
    let value = relative.lookup(&resolved.value).ok_or(&resolved.value)?;
    let settings = resolved
        .leaves_under(relative)
        .map(|(leaf, origin)| Setting {
            key: leaf.to_string(),
            value: leaf.lookup(&resolved.value).unwrap_or(&NULL),
            layer: SetIn::of(resolved.layer_of(leaf)),
            at: location(written, origin),
        })
        .collect();
    Ok(report(value, settings))
}

impl KeyReport<'_> {
    /// Whether the key lies outside the environments: the same in each.
    pub(super) fn is_global(&self) -> bool {
        self.settings.iter().any(|s| s.layer == SetIn::Global)
    }
}

pub(super) fn key_text(report: &KeyReport<'_>) -> String {
    let env = report.environment;
    let mut lines = Vec::new();
    if report.is_global() {
        lines.push(format!("{} = {}", report.key, toml_inline(report.value)));
        for setting in &report.settings {
            lines.push(format!(
                "    set at {} (the same in every environment)",
                setting.at.text()
            ));
        }
        return lines.join("\n");
    }
    lines.push(format!(
        "{env}.{} = {}",
        report.key,
        toml_inline(report.value)
    ));
    for setting in &report.settings {
        let shown = if setting.key == report.key {
            String::new()
        } else {
            format!("{env}.{} = {} ", setting.key, toml_inline(setting.value))
        };
        lines.push(format!(
            "    {shown}{}: {} ({})",
            setting.layer.text(),
            setting.at.text(),
            setting.at.written_as
        ));
    }
    lines.join("\n")
}

/// `file:line:col` of a key of the spec.
pub(super) fn position(written: Written<'_>, path: &Path) -> String {
    location(written, path).text()
}

fn location<'a>(written: Written<'a>, path: &Path) -> Location<'a> {
    let (line, column) = written.source.line_col(written.document.locate(path).start);
    Location {
        file: &written.source.name,
        line,
        column,
        written_as: path.to_string(),
    }
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
fn environment_report<'a>(
    loaded: &'a Loaded,
    environment: &'a Environment,
) -> EnvironmentReport<'a> {
    let resolved = &environment.resolved;
    let written = Written::of(loaded);
    let root = Path::root();
    let settings = resolved
        .leaves_under(&root)
        .map(|(leaf, origin)| Setting {
            key: leaf.to_string(),
            value: leaf.lookup(&resolved.value).unwrap_or(&NULL),
            layer: SetIn::of(resolved.layer_of(leaf)),
            at: location(written, origin),
        })
        .collect();
    let mut alert_thresholds = Vec::new();
    for (index, alert) in loaded.model.alerts.iter().enumerate() {
        let Some(&threshold) = environment.thresholds.get(&alert.name) else {
            continue;
        };
        let leaf = Path::root()
            .child("monitoring")
            .child("alert_thresholds")
            .child(&alert.name);
        let (origin, layer) = if resolved.leaves_under(&leaf).next().is_some() {
            (
                resolved.source_of(&leaf),
                SetIn::of(resolved.layer_of(&leaf)),
            )
        } else {
            let origin = Path::root().child("alerts").index(index).child("threshold");
            (origin, SetIn::AlertDefault)
        };
        alert_thresholds.push(Threshold {
            alert: &alert.name,
            threshold,
            layer,
            at: location(written, &origin),
        });
    }
    let waivers = environment
        .waivers
        .iter()
        .enumerate()
        .map(|(index, waiver)| WaiverSetting {
            rule: serde_json::to_value(waiver.rule)
                .ok()
                .and_then(|rule| rule.as_str().map(str::to_string))
                .unwrap_or_default(),
            reason: &waiver.reason,
            owner: &waiver.owner,
            expires: &waiver.expires,
            at: location(
                written,
                &resolved.source_of(&Path::root().child("waivers").index(index)),
            ),
        })
        .collect();
    EnvironmentReport {
        spec: &loaded.source.name,
        environment: &environment.name,
        settings,
        alert_thresholds,
        waivers,
    }
}

fn environment_text(report: &EnvironmentReport<'_>) -> String {
    let env = report.environment;
    let mut lines = Vec::new();
    for setting in &report.settings {
        lines.push(format!(
            "{env}.{} = {}\n    {}: {}",
            setting.key,
            toml_inline(setting.value),
            setting.layer.text(),
            setting.at.text()
        ));
    }
    lines.push(format!("\nalert thresholds in effect in {env}:"));
    if report.alert_thresholds.is_empty() {
        lines.push("    (no alert has a threshold)".to_string());
    }
    for threshold in &report.alert_thresholds {
        lines.push(format!(
            "    {} = {}   {}: {}",
            threshold.alert,
            threshold.threshold,
            threshold.layer.text(),
            threshold.at.text()
        ));
    }
    lines.push(format!(
        "\nwaivers of the production and recovery rules in {env}:"
    ));
    if report.waivers.is_empty() {
        lines.push("    (none)".to_string());
    }
    for waiver in &report.waivers {
        lines.push(format!(
            "    {}: {}   {}",
            waiver.rule,
            waiver.reason,
            waiver.at.text()
        ));
    }
    lines.join("\n")
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
