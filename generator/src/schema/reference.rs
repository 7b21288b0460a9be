//! `generator/SPEC-REFERENCE.md`: every key a spec may write, read from the same JSON Schema as
//! `specs/schema.json` (its `$ref`s followed, an optional key's `null` dropped), with its type,
//! the values it takes, its default and its description. The keys of an environment come from
//! the schema a merged environment satisfies, so "required" there means `[defaults]` or the
//! environment must write it.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{environment_schema, spec_schema};

/// Where the reference is committed, from the repository's root.
pub const REFERENCE_PATH: &str = "generator/SPEC-REFERENCE.md";

/// One key.
struct Row {
    path: String,
    kind: String,
    allowed: Vec<String>,
    default: Option<String>,
    required: bool,
    description: String,
}

/// Walks one schema, collecting a row per key.
struct Walker<'a> {
    definitions: &'a Map<String, Value>,
    rows: Vec<Row>,
}

/// A schema's definitions (`$defs`).
fn definitions(schema: &Value) -> Map<String, Value> {
    schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

impl Walker<'_> {
    /// The schema `schema` stands for: its `$ref` followed (the reference's own description and
    /// default win over the definition's), an optional value's `null` alternative dropped.
    fn resolve(&self, schema: &Value) -> Value {
        let mut schema = schema.clone();
        for _ in 0..16 {
            let Some(object) = schema.as_object() else {
                break;
            };
            if let Some(target) = object.get("$ref").and_then(Value::as_str) {
                let name = target.trim_start_matches("#/$defs/");
                let mut resolved = self.definitions.get(name).cloned().unwrap_or(Value::Null);
                if let Some(resolved) = resolved.as_object_mut() {
                    for (key, value) in object {
                        if key != "$ref" {
                            resolved.insert(key.clone(), value.clone());
                        }
                    }
                }
                schema = resolved;
                continue;
            }
            let alternatives: Vec<&Value> = object
                .get("anyOf")
                .and_then(Value::as_array)
                .map(|all| all.iter().filter(|one| one["type"] != "null").collect())
                .unwrap_or_default();
            if let [only] = alternatives.as_slice()
                && object["anyOf"].as_array().is_some_and(|all| all.len() == 2)
            {
                let mut resolved = (*only).clone();
                if let Some(resolved) = resolved.as_object_mut() {
                    for (key, value) in object {
                        if key != "anyOf" {
                            resolved.insert(key.clone(), value.clone());
                        }
                    }
                }
                schema = resolved;
                continue;
            }
            break;
        }
        if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
            types.retain(|one| one != "null");
            if let [one] = types.as_slice() {
                let one = one.clone();
                schema["type"] = one;
            }
        }
        schema
    }

    /// The row of `schema` at `path`, and the rows of every key below it.
    fn walk(&mut self, path: &str, schema: &Value, required: bool, placeholder: &str) {
        let schema = self.resolve(schema);
        let row = Row {
            path: path.to_string(),
            kind: self.kind(&schema),
            allowed: self.allowed(&schema),
            default: schema.get("default").map(|default| inline(default, 60)),
            required,
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        };
        self.rows.push(row);
        self.walk_below(path, &schema, placeholder);
    }

    fn walk_below(&mut self, path: &str, schema: &Value, placeholder: &str) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, property) in properties {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                self.walk(&child, property, required.contains(&key.as_str()), "<name>");
            }
        }
        if let Some(values) = schema.get("additionalProperties")
            && values.is_object()
        {
            let values = self.resolve(values);
            if has_keys(&values) {
                self.walk_below(&format!("{path}.{placeholder}"), &values, "<name>");
            }
        }
        if let Some(items) = schema.get("items") {
            let items = self.resolve(items);
            if has_keys(&items) {
                self.walk_below(&format!("{path}[]"), &items, "<name>");
            }
        }
        for alternative in schema
            .get("anyOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let alternative = self.resolve(alternative);
            if has_keys(&alternative) {
                self.walk_below(path, &alternative, placeholder);
            }
        }
    }

    /// What a value of `schema` is, in TOML's words.
    fn kind(&self, schema: &Value) -> String {
        if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
            return alternatives
                .iter()
                .map(|one| self.kind(&self.resolve(one)))
                .collect::<Vec<_>>()
                .join(" or ");
        }
        if let Some(constant) = schema.get("const") {
            return format!("`{}`", inline(constant, 60));
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") if has_keys(schema) => "table".to_string(),
            Some("object") => match schema.get("additionalProperties") {
                Some(values) if values.is_object() => {
                    format!("table of {}", plural(&self.kind(&self.resolve(values))))
                }
                _ => "table".to_string(),
            },
            Some("array") => match schema.get("items") {
                Some(items) => format!("array of {}", plural(&self.kind(&self.resolve(items)))),
                None => "array".to_string(),
            },
            Some(other) => other.to_string(),
            None if schema.get("oneOf").is_some() => "string".to_string(),
            None => "any".to_string(),
        }
    }
}

/// Whether `schema` is a table with keys of its own.
fn has_keys(schema: &Value) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty())
}

fn plural(kind: &str) -> String {
    match kind {
        "table" => "tables".to_string(),
        "string" | "integer" | "number" | "boolean" => format!("{kind}s"),
        other => other.to_string(),
    }
}

impl Walker<'_> {
    /// The values `schema` allows: its enum, range, pattern, lengths, key names, and those of
    /// each item of an array.
    fn allowed(&self, schema: &Value) -> Vec<String> {
        let mut values = allowed(schema);
        if let Some(items) = schema.get("items") {
            let items = allowed(&self.resolve(items));
            if !items.is_empty() {
                values.push(format!("each {}", items.join("; ")));
            }
        }
        values
    }
}

/// The values `schema` allows: its enum, range, pattern, lengths, key names.
fn allowed(schema: &Value) -> Vec<String> {
    let mut allowed = Vec::new();
    let values: Vec<String> = match (schema.get("enum"), schema.get("oneOf")) {
        (Some(Value::Array(values)), _) => values.iter().map(|v| inline(v, 60)).collect(),
        (_, Some(Value::Array(alternatives))) => alternatives
            .iter()
            .filter_map(|one| one.get("const"))
            .map(|v| inline(v, 60))
            .collect(),
        _ => Vec::new(),
    };
    if !values.is_empty() {
        allowed.push(
            values
                .iter()
                .map(|value| format!("`{value}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let bound = |key: &str| schema.get(key).map(|bound| inline(bound, 20));
    match (bound("minimum"), bound("maximum")) {
        (Some(min), Some(max)) => allowed.push(format!("{min} to {max}")),
        (Some(min), None) => allowed.push(format!("at least {min}")),
        (None, Some(max)) => allowed.push(format!("at most {max}")),
        (None, None) => {}
    }
    for (min, max, what) in [
        ("minLength", "maxLength", "characters"),
        ("minItems", "maxItems", "items"),
        ("minProperties", "maxProperties", "keys"),
    ] {
        match (bound(min), bound(max)) {
            (Some(min), Some(max)) => allowed.push(format!("{min} to {max} {what}")),
            (Some(min), None) if min == "1" => {
                allowed.push(format!("at least 1 {}", what.trim_end_matches('s')));
            }
            (Some(min), None) => allowed.push(format!("at least {min} {what}")),
            (None, Some(max)) => allowed.push(format!("at most {max} {what}")),
            (None, None) => {}
        }
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
        allowed.push("no repeats".to_string());
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        allowed.push(format!("matches `{pattern}`"));
    }
    if let Some(pattern) = schema
        .pointer("/propertyNames/pattern")
        .and_then(Value::as_str)
    {
        allowed.push(format!("keys match `{pattern}`"));
    }
    allowed
}

/// A JSON value written on one line as TOML would mostly read it, cut at `limit` characters.
fn inline(value: &Value, limit: usize) -> String {
    let text = value.to_string();
    if text.chars().count() > limit {
        let cut: String = text.chars().take(limit).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// A table cell: no line break, no `|` that would end the cell.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// Every key of a spec file, by table.
fn rows() -> Vec<Row> {
    let file = spec_schema();
    let file_definitions = definitions(&file);
    let mut walker = Walker {
        definitions: &file_definitions,
        rows: Vec::new(),
    };
    let mut top = file.clone();
    if let Some(properties) = top.get_mut("properties").and_then(Value::as_object_mut) {
        // An environment's keys come from the merged environment's schema, below.
        properties.remove("environments");
    }
    walker.walk_below("", &top, "<name>");
    let mut rows = walker.rows;
    if let Some(defaults) = rows.iter_mut().find(|row| row.path == "defaults") {
        defaults.kind = "table".to_string();
        defaults.description.push_str(
            " It takes every key of `environments.<env>`, none of them required: each is \
             required of the merged environment.",
        );
    }
    rows.retain(|row| !row.path.starts_with("defaults."));

    let environment = environment_schema();
    let environment_definitions = definitions(&environment);
    let mut walker = Walker {
        definitions: &environment_definitions,
        rows: Vec::new(),
    };
    let mut environments = file["properties"]["environments"].clone();
    environments["additionalProperties"] = environment;
    walker.walk("environments", &environments, true, "<env>");
    rows.extend(walker.rows);
    rows
}

/// The reference, as committed in `generator/SPEC-REFERENCE.md`.
pub fn spec_reference_text() -> String {
    let mut out = String::from(
        "<!-- Generated by platformgen from the spec's JSON Schema; do not edit.\n     \
         Regenerate with: platformgen schema --format markdown -o generator/SPEC-REFERENCE.md -->\n\
         # Spec reference\n\n\
         Every key of a spec file, from the JSON Schema `platformgen schema` prints (and\n\
         `specs/schema.json` holds); how the keys work together is in [SPEC.md](SPEC.md).\n\
         `<name>` and `<env>` stand for a key you choose, `[]` for each entry of an array of\n\
         tables (`[[alerts]]`). An environment's keys are written in `[defaults]` or in\n\
         `[environments.<env>]`, merged key by key: *required* there means one of the two must\n\
         write it. Validation checks more than the schema says (ranges that depend on other\n\
         keys, names that must exist): `platformgen validate` reports both.\n",
    );
    let rows = rows();
    let mut section = String::new();
    for row in &rows {
        let top = row
            .path
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_string();
        if top != section {
            let _ = write!(
                out,
                "\n## `{top}`\n\n| Key | Type | Allowed | Default | Description |\n|---|---|---|---|---|\n"
            );
            section = top;
        }
        let allowed = row.allowed.join("; ");
        let default = match (&row.default, row.required) {
            (Some(default), _) => format!("`{default}`"),
            (None, true) => "required".to_string(),
            (None, false) => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            cell(&row.path),
            cell(&row.kind),
            cell(&allowed),
            cell(&default),
            cell(&row.description)
        );
    }
    out
}
