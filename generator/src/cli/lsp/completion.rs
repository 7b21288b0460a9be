//! Completion from the spec's JSON Schema (what `platformgen schema` prints): the keys of the
//! table at the cursor, or the values an enum key takes. Read from the text around the cursor,
//! so it works while the line being typed is not yet TOML.

use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};
use serde_json::Value;

use super::analysis::Analysis;
use crate::schema::Schemas;
use crate::source::{Path, Segment};

/// What the cursor is about to write.
#[derive(Debug, PartialEq)]
enum Expected {
    /// A key of the table at this path.
    Key(Path),
    /// The value of the key at this path.
    Value(Path),
}

/// The completions at byte `offset`.
pub(super) fn completions(analysis: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let text = &analysis.source.text;
    let offset = floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let prefix = &text[line_start..offset];
    let Some(expected) = expected(table_at(&text[..line_start]), prefix) else {
        return Vec::new();
    };
    let root = &Schemas::get().file;
    match expected {
        Expected::Key(table) => {
            let written = analysis
                .document
                .as_ref()
                .and_then(|document| table.lookup(&document.value))
                .and_then(Value::as_object);
            let Some(schema) = schema_of(root, &table) else {
                return Vec::new();
            };
            forms(root, schema)
                .into_iter()
                .filter_map(|form| form.get("properties").and_then(Value::as_object))
                .flatten()
                .filter(|(key, _)| !written.is_some_and(|table| table.contains_key(*key)))
                .map(|(key, schema)| CompletionItem {
                    label: key.clone(),
                    kind: Some(CompletionItemKind::PROPERTY),
                    detail: type_of(root, schema),
                    documentation: description(root, schema).map(markdown),
                    ..CompletionItem::default()
                })
                .collect()
        }
        Expected::Value(key) => {
            let Some(schema) = schema_of(root, &key) else {
                return Vec::new();
            };
            let quoted = prefix.rsplit('=').next().is_some_and(|v| v.contains('"'));
            values(root, schema)
                .into_iter()
                .map(|(value, about)| {
                    let label = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string);
                    let insert = if value.is_string() && !quoted {
                        value.to_string()
                    } else {
                        label.clone()
                    };
                    CompletionItem {
                        label,
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        insert_text: Some(insert),
                        documentation: about.map(markdown),
                        ..CompletionItem::default()
                    }
                })
                .collect()
        }
    }
}

fn markdown(text: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value: text,
    })
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The table the last `[header]` or `[[header]]` of `before` opens (an array's element for
/// `[[...]]`); the top level when there is none.
fn table_at(before: &str) -> Path {
    for line in before.lines().rev() {
        let line = line.trim_start();
        let (inner, element) = if let Some(rest) = line.strip_prefix("[[") {
            (rest.split("]]").next(), true)
        } else if let Some(rest) = line.strip_prefix('[') {
            (rest.split(']').next(), false)
        } else {
            continue;
        };
        let mut path = dotted(inner.unwrap_or_default());
        if element {
            path = path.index(0);
        }
        return path;
    }
    Path::root()
}

/// A dotted key as TOML writes it (`a."b.c".d`), as a path.
fn dotted(text: &str) -> Path {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => segments.push(Segment::Key(std::mem::take(&mut current))),
            (None, c) if !c.is_whitespace() => current.push(c),
            (None, _) => {}
        }
    }
    segments.push(Segment::Key(current));
    Path(segments)
}

/// What the cursor writes after `prefix` (its line up to the cursor) in `table`: a key, or a
/// value, inside any inline tables the line opens. `None` on a header or in a comment.
fn expected(table: Path, prefix: &str) -> Option<Expected> {
    if prefix.trim_start().starts_with('[') {
        return None;
    }
    let mut enclosing = table;
    let mut key = String::new();
    let mut in_value = false;
    let mut quote = None;
    for c in prefix.chars() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if in_value => quote = Some(c),
            (None, '#') => return None,
            (None, '=') => in_value = true,
            (None, '{') if in_value => {
                enclosing = enclosing.join(&dotted(&key));
                key.clear();
                in_value = false;
            }
            (None, ',') => {
                key.clear();
                in_value = false;
            }
            (None, '}') => {
                enclosing = enclosing.parent().unwrap_or_default();
            }
            (None, c) if !in_value => key.push(c),
            (None, _) => {}
        }
    }
    Some(if in_value {
        Expected::Value(enclosing.join(&dotted(&key)))
    } else {
        Expected::Key(enclosing)
    })
}

/// The schema of the value at `path` in a spec file, through `$ref`s, maps and lists.
pub(super) fn schema_of<'s>(root: &'s Value, path: &Path) -> Option<&'s Value> {
    let mut node = root;
    for segment in &path.0 {
        node = forms(root, node)
            .into_iter()
            .find_map(|form| match segment {
                Segment::Key(key) => form
                    .get("properties")
                    .and_then(|properties| properties.get(key))
                    .or_else(|| form.get("additionalProperties").filter(|s| s.is_object())),
                Segment::Index(_) => form.get("items"),
            })?;
    }
    Some(node)
}

/// The forms a value of `schema` may take: itself after its `$ref`, and each alternative of an
/// `anyOf`, `oneOf` or `allOf` (how schemars writes an optional value or a documented enum).
fn forms<'s>(root: &'s Value, schema: &'s Value) -> Vec<&'s Value> {
    let mut found = Vec::new();
    let mut pending = vec![schema];
    while let Some(node) = pending.pop() {
        if found.len() > 64 {
            break;
        }
        let node = match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .strip_prefix("#/")
                .and_then(|target| target.split('/').try_fold(root, |n, part| n.get(part)))
                .unwrap_or(&Value::Null),
            None => node,
        };
        for keyword in ["allOf", "oneOf", "anyOf"] {
            if let Some(alternatives) = node.get(keyword).and_then(Value::as_array) {
                pending.extend(alternatives.iter().rev());
            }
        }
        found.push(node);
    }
    found
}

/// Every value an enum-like schema allows, with what each means: `enum`, `const`s, booleans.
fn values<'s>(root: &'s Value, schema: &'s Value) -> Vec<(Value, Option<String>)> {
    let mut found = Vec::new();
    for form in forms(root, schema) {
        if let Some(constant) = form.get("const") {
            found.push((constant.clone(), description(root, form)));
        }
        for item in form
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            found.push((item.clone(), None));
        }
        if form.get("type").and_then(Value::as_str) == Some("boolean") {
            found.extend([(Value::Bool(true), None), (Value::Bool(false), None)]);
        }
    }
    found.retain(|(value, _)| !value.is_null());
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

/// The schema's description, or that of what it refers to.
pub(super) fn description(root: &Value, schema: &Value) -> Option<String> {
    forms(root, schema)
        .into_iter()
        .find_map(|form| form.get("description").and_then(Value::as_str))
        .map(str::to_string)
}

/// A short name of the schema's type: `string`, `integer`, `table`, `list`.
fn type_of(root: &Value, schema: &Value) -> Option<String> {
    forms(root, schema).into_iter().find_map(|form| {
        let name = match form.get("type")? {
            Value::String(name) => name.as_str(),
            Value::Array(names) => names
                .iter()
                .find_map(|n| n.as_str().filter(|n| *n != "null"))?,
            _ => return None,
        };
        Some(match name {
            "object" => "table".to_string(),
            "array" => "list".to_string(),
            other => other.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Path {
        Path::parse_dotted(text).expect("path")
    }

    #[test]
    fn the_cursor_expects_a_key_or_a_value_of_the_table_it_is_in() {
        let table = table_at("[project]\nname = 1\n[environments.prod.database]\n");
        assert_eq!(table, path("environments.prod.database"));
        assert_eq!(table_at("[[alerts]]\n"), path("alerts[0]"));
        assert_eq!(
            expected(table.clone(), "multi"),
            Some(Expected::Key(table.clone()))
        );
        assert_eq!(
            expected(table.clone(), "engine = "),
            Some(Expected::Value(table.child("engine")))
        );
        assert_eq!(
            expected(table.clone(), "pool = { size = 1, pre"),
            Some(Expected::Key(table.child("pool")))
        );
        assert_eq!(expected(table, "[environ"), None);
    }

    #[test]
    fn the_schema_gives_the_keys_of_a_layer_and_the_values_of_an_enum() {
        let root = &Schemas::get().file;
        let database = schema_of(root, &path("environments.prod.database")).expect("database");
        let keys: Vec<&String> = forms(root, database)
            .into_iter()
            .filter_map(|form| form.get("properties").and_then(Value::as_object))
            .flat_map(|properties| properties.keys())
            .collect();
        assert!(keys.iter().any(|key| *key == "multi_az"), "{keys:?}");
        let engine = schema_of(root, &path("defaults.database.engine")).expect("engine");
        let engines: Vec<Value> = values(root, engine).into_iter().map(|(v, _)| v).collect();
        assert!(engines.contains(&Value::from("postgres")), "{engines:?}");
    }
}
