//! JSON Schemas derived from the spec types, and the schema check that reports every
//! structural problem (unknown keys, wrong types, ranges, enum values, formats) at once.
//!
//! Two schemas come from one set of types: the *file* schema, in which `[defaults]` and each
//! `[environments.<name>]` are partial layers (nothing required), and the *environment* schema,
//! which a merged environment must satisfy (everything required).

mod layers;
mod reference;

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use schemars::generate::SchemaSettings;

use serde_json::Value;

pub use reference::{REFERENCE_PATH, spec_reference_text};

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::source::{Path, Segment};
use crate::spec::{
    CIDR_PATTERN, DURATION_PATTERN, ENVIRONMENT_NAME_PATTERN, Environment, NAME_PATTERN, Spec,
};

fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().for_deserialize()
}

/// The schema of a spec file, as committed in `specs/schema.json`.
pub fn spec_schema() -> Value {
    let mut schema = settings()
        .into_generator()
        .into_root_schema_for::<Spec>()
        .to_value();
    layers::make_environment_layers_partial(&mut schema);
    schema
}

/// The schema a merged environment must satisfy.
pub fn environment_schema() -> Value {
    settings()
        .into_generator()
        .into_root_schema_for::<Environment>()
        .to_value()
}

/// The file schema as committed: pretty JSON with a trailing newline.
pub fn spec_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&spec_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// The compiled schemas; built once per process.
pub struct Schemas {
    pub file: Value,
    pub environment: Value,
    file_validator: Validator,
    environment_validator: Validator,
}

impl Schemas {
    pub fn get() -> &'static Schemas {
        static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
        SCHEMAS.get_or_init(|| {
            let file = spec_schema();
            let environment = environment_schema();
            // The schemas come from our own types; failing to compile them is a bug, caught by tests.
            let compile = |schema: &Value| match jsonschema::validator_for(schema) {
                Ok(validator) => validator,
                Err(error) => panic!("the derived JSON Schema does not compile: {error}"),
            };
            Schemas {
                file_validator: compile(&file),
                environment_validator: compile(&environment),
                file,
                environment,
            }
        })
    }

    /// Every structural problem of a whole spec file.
    pub fn check_file(&self, instance: &Value) -> Vec<Diagnostic> {
        self.file_validator
            .iter_errors(instance)
            .flat_map(|error| describe(&error, instance, &self.file, &Path::root()))
            .collect()
    }

    /// Every key a merged environment still lacks. Other problems were already reported by the
    /// file check, on the layer that wrote them.
    pub fn missing_in_environment(&self, merged: &Value, base: &Path) -> Vec<Diagnostic> {
        self.environment_validator
            .iter_errors(merged)
            .filter(|error| matches!(error.kind(), ValidationErrorKind::Required { .. }))
            .flat_map(|error| describe(&error, merged, &self.environment, base))
            .collect()
    }
}

/// Turns one validator error into diagnostics located by key path.
fn describe(
    error: &ValidationError<'_>,
    instance: &Value,
    schema: &Value,
    base: &Path,
) -> Vec<Diagnostic> {
    let local = Path::from_pointer(error.instance_path().as_str(), instance);
    let path = base.join(&local);
    let value = local.lookup(instance).unwrap_or(&Value::Null);
    let subschema = schema_at(schema, error.schema_path().as_str());
    let diagnostic = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = subschema
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect::<Vec<_>>())
                .unwrap_or_default();
            return unexpected
                .iter()
                .map(|key| {
                    if path.is_empty()
                        && let Some(diagnostic) = moved_key(key, instance)
                    {
                        return diagnostic;
                    }
                    let diagnostic = Diagnostic::error(
                        Code::UnknownKey,
                        format!("unknown key `{key}` in {}", path.table_header()),
                    )
                    .at_path(path.child(key))
                    .label("not a key of this table");
                    match did_you_mean(key, known.iter().copied()) {
                        Some(suggestion) => {
                            diagnostic.help(format!("did you mean `{suggestion}`?"))
                        }
                        None if known.is_empty() => diagnostic,
                        None => diagnostic.help(format!("known keys here: {}", list(&known))),
                    }
                })
                .collect();
        }
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            if path.is_empty() && key == "services" && instance.get("service").is_some() {
                // `[service]` is reported as moved, with the new form.
                return Vec::new();
            }
            let diagnostic = Diagnostic::error(
                Code::MissingKey,
                format!("missing key `{key}` in {}", path.table_header()),
            )
            .at_path(path.clone())
            .label(format!("`{key}` is required here"));
            match required_hint(&path, key) {
                Some(help) => diagnostic.help(help),
                None => diagnostic.help(format!("add `{key} = ...`")),
            }
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(one) => article(&one.to_string()),
                TypeKind::Multiple(many) => {
                    // An optional key admits null in the schema; TOML cannot write one.
                    let names: Vec<String> = many
                        .iter()
                        .map(|t| t.to_string())
                        .filter(|name| name != "null")
                        .map(|name| article(&name))
                        .collect();
                    names.join(" or ")
                }
            };
            Diagnostic::error(
                Code::WrongType,
                format!("expected {expected}, found {}", describe_value(value)),
            )
            .at_path(path.clone())
            .on_value()
            .label(format!("expected {expected}"))
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|o| o.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            unknown_value(&path, value, &options)
        }
        ValidationErrorKind::Constant { expected_value } => Diagnostic::error(
            Code::UnknownValue,
            format!(
                "expected `{expected_value}`, found {}",
                describe_value(value)
            ),
        )
        .at_path(path.clone()),
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            range_error(&path, value, &format!("at least {limit}"))
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            range_error(&path, value, &format!("at most {limit}"))
        }
        ValidationErrorKind::MinLength { limit } => range_error(
            &path,
            value,
            &format!("at least {limit} character{} long", plural(*limit)),
        ),
        ValidationErrorKind::MaxLength { limit } => range_error(
            &path,
            value,
            &format!("at most {limit} character{} long", plural(*limit)),
        ),
        ValidationErrorKind::MinItems { limit } => range_error(
            &path,
            value,
            &format!("a list of at least {limit} item{}", plural(*limit)),
        ),
        ValidationErrorKind::MaxItems { limit } => range_error(
            &path,
            value,
            &format!("a list of at most {limit} item{}", plural(*limit)),
        ),
        ValidationErrorKind::MinProperties { limit } => range_error(
            &path,
            value,
            &format!(
                "a table with at least {limit} entr{}",
                if *limit == 1 { "y" } else { "ies" }
            ),
        ),
        ValidationErrorKind::Pattern { pattern } => {
            let (what, example) = pattern_meaning(pattern);
            Diagnostic::error(
                Code::BadFormat,
                format!("{} is not {what}", describe_value(value)),
            )
            .at_path(path.clone())
            .on_value()
            .label(format!("expected {what}"))
            .help(example)
        }
        ValidationErrorKind::PropertyNames { error } => {
            let name = error.instance().as_str().unwrap_or_default().to_string();
            return describe(error, instance, schema, base)
                .into_iter()
                .map(|diagnostic| Diagnostic {
                    message: format!(
                        "`{name}` is not allowed as a name in {}",
                        path.table_header()
                    ),
                    path: Some(path.child(&name)),
                    on_value: false,
                    ..diagnostic
                })
                .collect();
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
            if subschema.and_then(constant_alternatives).is_some() =>
        {
            // A documented enum: schemars writes one `const` per variant, to carry each doc.
            let options = subschema
                .and_then(constant_alternatives)
                .unwrap_or_default();
            unknown_value(&path, value, &options)
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            let forms = subschema.map(alternatives).unwrap_or_default();
            Diagnostic::error(
                Code::WrongType,
                format!("{} is not any of the allowed forms", describe_value(value)),
            )
            .at_path(path.clone())
            .on_value()
            .label(format!("expected {forms}"))
        }
        other => Diagnostic::error(
            Code::WrongType,
            format!(
                "{} is not allowed here ({})",
                describe_value(value),
                other.keyword()
            ),
        )
        .at_path(path.clone()),
    };
    vec![diagnostic]
}

fn unknown_value(path: &Path, value: &Value, options: &[&str]) -> Diagnostic {
    let found = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string);
    let diagnostic = Diagnostic::error(
        Code::UnknownValue,
        format!("unknown value `{found}` for `{}`", leaf(path)),
    )
    .at_path(path.clone())
    .on_value()
    .label(format!("expected one of {}", list(options)));
    match did_you_mean(&found, options.iter().copied()) {
        Some(suggestion) => diagnostic.help(format!("did you mean `{suggestion}`?")),
        None => diagnostic,
    }
}

/// The values of an `anyOf`/`oneOf` whose alternatives are all string constants.
fn constant_alternatives(schema: &Value) -> Option<Vec<&str>> {
    let alternatives = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?;
    alternatives
        .iter()
        .map(|alternative| alternative.get("const")?.as_str())
        .collect()
}

fn range_error(path: &Path, value: &Value, bound: &str) -> Diagnostic {
    Diagnostic::error(
        Code::OutOfRange,
        format!(
            "`{}` must be {bound}, found {}",
            leaf(path),
            describe_value(value)
        ),
    )
    .at_path(path.clone())
    .on_value()
    .label(format!("must be {bound}"))
}

/// A top-level key of an earlier form of the spec, and how to write it now.
fn moved_key(key: &str, instance: &Value) -> Option<Diagnostic> {
    let name = instance
        .get("service")
        .and_then(|service| service.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("<name>");
    let (message, help) = match key {
        "service" => (
            "`[service]` is now a table of services, `[services.<name>]`".to_string(),
            format!(
                "rename `[service]` to `[services.{name}]` and drop its `name`; move \
                 `rate_limit`, `body_limit_bytes` and `max_page_size` into \
                 `runtime = {{ ... }}` under it"
            ),
        ),
        "routes" => (
            "`[[routes]]` now belong to the service that serves them".to_string(),
            format!("write each `[[routes]]` as `[[services.{name}.routes]]`"),
        ),
        _ => return None,
    };
    Some(
        Diagnostic::error(Code::UnknownKey, message)
            .at_path(Path::root().child(key))
            .label("the earlier form of the spec")
            .help(help),
    )
}

fn required_hint(path: &Path, key: &str) -> Option<String> {
    match path.0.as_slice() {
        [Segment::Key(environments), Segment::Key(name), rest @ ..]
            if environments == "environments" =>
        {
            let section = Path(rest.to_vec());
            let inner = if section.is_empty() {
                String::new()
            } else {
                format!(".{section}")
            };
            Some(format!(
                "set `{key}` in [environments.{name}{inner}] or in [defaults{inner}]"
            ))
        }
        _ => None,
    }
}

/// The name of the key a value belongs to (for a list item, the list's key).
fn leaf(path: &Path) -> String {
    path.0
        .iter()
        .rev()
        .find_map(|segment| match segment {
            Segment::Key(key) => Some(key.clone()),
            Segment::Index(_) => None,
        })
        .unwrap_or_else(|| path.to_string())
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn article(type_name: &str) -> String {
    match type_name {
        "integer" => "an integer".into(),
        "object" => "a table".into(),
        "array" => "a list".into(),
        "null" => "nothing".into(),
        other => format!("a {other}"),
    }
}

/// How a user would describe a TOML value.
pub fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("the float `{n}`"),
        Value::Number(n) => format!("the integer `{n}`"),
        Value::String(s) => format!("the string {}", Value::String(s.clone())),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a pattern means in words, with an example to write.
fn pattern_meaning(pattern: &str) -> (String, String) {
    let (what, example) = match pattern {
        DURATION_PATTERN => (
            "a duration",
            "write a duration such as `30s`, `5m`, `1h30m` or `30d`",
        ),
        CIDR_PATTERN => ("an IPv4 CIDR block", "write a block such as `10.0.0.0/16`"),
        NAME_PATTERN => (
            "a valid name",
            "use 2 to 32 lower-case letters, digits and dashes, starting with a letter",
        ),
        ENVIRONMENT_NAME_PATTERN => (
            "a valid environment name",
            "use up to 16 lower-case letters, digits and dashes, starting with a letter",
        ),
        _ => {
            return (
                "in the expected format".into(),
                format!("it must match the pattern `{pattern}`"),
            );
        }
    };
    (what.into(), example.into())
}

/// A short description of the alternatives of an `anyOf`/`oneOf` schema.
fn alternatives(schema: &Value) -> String {
    let forms: Vec<String> = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .map(|alternative| {
            if let Some(constant) = alternative.get("const") {
                format!("`{constant}`")
            } else if alternative.get("$ref").is_some() {
                "a table".to_string()
            } else {
                alternative
                    .get("type")
                    .and_then(Value::as_str)
                    .map_or_else(|| "a value".to_string(), article)
            }
        })
        .collect();
    forms.join(" or ")
}

/// The schema object that a validator error's schema path points into (its parent keyword's
/// object), following `$ref`s into `$defs`.
fn schema_at<'s>(root: &'s Value, schema_path: &str) -> Option<&'s Value> {
    let tokens: Vec<String> = schema_path
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let (_, parents) = tokens.split_last()?;
    let mut node = root;
    for token in parents {
        if token == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix("#/")?;
            node = target.split('/').try_fold(root, |n, part| n.get(part))?;
            continue;
        }
        node = match node {
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            other => other.get(token.as_str())?,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_schemas_compile() {
        let schemas = Schemas::get();
        assert!(schemas.file.get("$defs").is_some());
        assert!(schemas.environment.get("required").is_some());
    }

    #[test]
    fn environment_layers_require_nothing_but_global_tables_still_do() {
        let schema = spec_schema();
        let defs = &schema["$defs"];
        assert!(defs["Environment"].get("required").is_none());
        assert!(defs["Network"].get("required").is_none());
        assert!(defs["Project"].get("required").is_some());
        assert!(defs["Route"].get("required").is_some());
    }

    #[test]
    fn schema_paths_resolve_through_refs() {
        let schema = serde_json::json!({
            "properties": { "a": { "$ref": "#/$defs/A" } },
            "$defs": { "A": { "properties": { "x": {} }, "additionalProperties": false } }
        });
        let found =
            schema_at(&schema, "/properties/a/$ref/additionalProperties").expect("resolves");
        assert!(found.get("properties").is_some());
    }
}
