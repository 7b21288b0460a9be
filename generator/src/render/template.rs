//! The embedded templates, named after the file they write plus `.j2`, with strict undefined
//! values and every printed value escaped for its file (HCL for tfvars, JSON for YAML and JSON).

use std::fmt::Write as _;
use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, Value};
use serde::Serialize;

use super::artifact::RenderError;

/// Every template, embedded, under its file name in `generator/templates/`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "terraform.tfvars.j2",
        include_str!("../../templates/terraform.tfvars.j2"),
    ),
    (
        "helm-values.yaml.j2",
        include_str!("../../templates/helm-values.yaml.j2"),
    ),
    (
        "prometheus-rules.yaml.j2",
        include_str!("../../templates/prometheus-rules.yaml.j2"),
    ),
    (
        "ARCHITECTURE.md.j2",
        include_str!("../../templates/ARCHITECTURE.md.j2"),
    ),
    ("COST.md.j2", include_str!("../../templates/COST.md.j2")),
    (
        "DEPLOYMENT.md.j2",
        include_str!("../../templates/DEPLOYMENT.md.j2"),
    ),
    (
        "OPERATIONS.md.j2",
        include_str!("../../templates/OPERATIONS.md.j2"),
    ),
    (
        "alertmanager-config.yaml.j2",
        include_str!("../../templates/alertmanager-config.yaml.j2"),
    ),
    (
        "alertmanager.yml.j2",
        include_str!("../../templates/alertmanager.yml.j2"),
    ),
    (
        "cluster-secret-store.yaml.j2",
        include_str!("../../templates/cluster-secret-store.yaml.j2"),
    ),
    (
        "pgbouncer.yaml.j2",
        include_str!("../../templates/pgbouncer.yaml.j2"),
    ),
    (
        "addons/aws-load-balancer-controller-values.yaml.j2",
        include_str!("../../templates/addons/aws-load-balancer-controller-values.yaml.j2"),
    ),
    (
        "addons/prometheus-values.yaml.j2",
        include_str!("../../templates/addons/prometheus-values.yaml.j2"),
    ),
    (
        "addons/external-secrets-values.yaml.j2",
        include_str!("../../templates/addons/external-secrets-values.yaml.j2"),
    ),
    (
        "addons/metrics-server-values.yaml.j2",
        include_str!("../../templates/addons/metrics-server-values.yaml.j2"),
    ),
    (
        "addons/cluster-autoscaler-values.yaml.j2",
        include_str!("../../templates/addons/cluster-autoscaler-values.yaml.j2"),
    ),
    (
        "addons/aws-for-fluent-bit-values.yaml.j2",
        include_str!("../../templates/addons/aws-for-fluent-bit-values.yaml.j2"),
    ),
    (
        "addons/bootstrap.sh.j2",
        include_str!("../../templates/addons/bootstrap.sh.j2"),
    ),
];

/// Workflow templates print with `{= =}` instead of `{{ }}`, so GitHub's `${{ }}` passes
/// through untouched.
const WORKFLOW_TEMPLATES: &[(&str, &str)] = &[
    (
        "workflows/ci.yml.j2",
        include_str!("../../templates/workflows/ci.yml.j2"),
    ),
    (
        "workflows/deploy.yml.j2",
        include_str!("../../templates/workflows/deploy.yml.j2"),
    ),
    (
        "workflows/jobs.yml.j2",
        include_str!("../../templates/workflows/jobs.yml.j2"),
    ),
    (
        "workflows/dependabot.yml.j2",
        include_str!("../../templates/workflows/dependabot.yml.j2"),
    ),
    (
        "workflows/terraform.yml.j2",
        include_str!("../../templates/workflows/terraform.yml.j2"),
    ),
    (
        "workflows/cost.yml.j2",
        include_str!("../../templates/workflows/cost.yml.j2"),
    ),
];

struct Templates {
    standard: Environment<'static>,
    workflows: Environment<'static>,
}

fn templates() -> &'static Templates {
    static TEMPLATES_CELL: OnceLock<Templates> = OnceLock::new();
    TEMPLATES_CELL.get_or_init(|| Templates {
        standard: environment(TEMPLATES, ("{{", "}}")),
        workflows: environment(WORKFLOW_TEMPLATES, ("{=", "=}")),
    })
}

/// A template environment: strict undefined, block tags on their own lines leave no trace, and
/// every printed value escaped for the file being written.
fn environment(
    sources: &'static [(&'static str, &'static str)],
    variables: (&str, &str),
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .variable_delimiters(variables.0.to_string(), variables.1.to_string())
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    // The syntax and the templates are fixed at compile time; a failure is a bug in this crate,
    // caught by every render test.
    match syntax {
        Ok(syntax) => env.set_syntax(syntax),
        Err(error) => panic!("template syntax: {error}"),
    }
    env.set_auto_escape_callback(|name| {
        let name = name.strip_suffix(".j2").unwrap_or(name);
        if name.ends_with(".tfvars") {
            AutoEscape::Custom("hcl".into())
        } else if name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml") {
            AutoEscape::Json
        } else if name.ends_with(".sh") {
            AutoEscape::Custom("sh".into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(format_value);
    env.add_filter("key", yaml_key);
    for (name, source) in sources {
        if let Err(error) = env.add_template(name, source) {
            panic!("template {name} does not parse: {error}");
        }
    }
    env
}

fn format_value(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "hcl") && !value.is_safe()
    {
        let json = serde_json::to_value(value).map_err(|error| {
            minijinja::Error::new(minijinja::ErrorKind::BadSerialization, error.to_string())
        })?;
        return out.write_str(&hcl(&json)).map_err(minijinja::Error::from);
    }
    if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "sh") && !value.is_safe() {
        return out
            .write_str(&shell_word(&value.to_string()))
            .map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

/// A shell word that is exactly `text`: bare when no character is special, single-quoted
/// otherwise, a `$` (PromQL's `$1`, say) escaped between the quotes, where no reader (shellcheck
/// included) can take it for an expansion.
pub(super) fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''").replace('$', "'\\$'"))
    }
}

/// A YAML mapping key: bare when plain text cannot be misread, JSON-quoted otherwise.
fn yaml_key(key: &str) -> Value {
    const AMBIGUOUS: [&str; 11] = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", "",
    ];
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !AMBIGUOUS.contains(&key.to_ascii_lowercase().as_str());
    if plain {
        Value::from_safe_string(key.to_string())
    } else {
        Value::from_safe_string(serde_json::Value::String(key.to_string()).to_string())
    }
}

/// Renders a template of the standard set.
pub(crate) fn render_template(name: &str, context: &impl Serialize) -> Result<String, RenderError> {
    Ok(templates()
        .standard
        .get_template(name)?
        .render(Value::from(minijinja::value::Serde(context)))?)
}

/// Renders a workflow template.
pub(crate) fn render_workflow(name: &str, context: &impl Serialize) -> Result<String, RenderError> {
    Ok(templates()
        .workflows
        .get_template(name)?
        .render(Value::from(minijinja::value::Serde(context)))?)
}

/// An HCL literal for a JSON value: strings quoted with every escape HCL needs (including `${`
/// and `%{`, which would otherwise start a template), lists and objects inline.
pub(super) fn hcl(value: &serde_json::Value) -> String {
    use serde_json::Value as Json;
    match value {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => hcl_string(s),
        Json::Array(items) => format!("[{}]", items.iter().map(hcl).collect::<Vec<_>>().join(", ")),
        Json::Object(map) if map.is_empty() => "{}".to_string(),
        Json::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl_key(k), hcl(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

/// A map key as HCL writes it: bare when it is an identifier, quoted otherwise.
pub(super) fn hcl_key(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        key.to_string()
    } else {
        hcl_string(key)
    }
}

fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_escape_everything_that_would_change_their_meaning() {
        assert_eq!(hcl_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(hcl_string("x${var.y}%{if}"), r#""x$${var.y}%%{if}""#);
        assert_eq!(
            hcl_string("line\nnext\ttab\u{1}"),
            r#""line\nnext\ttab\u0001""#
        );
        assert_eq!(hcl_string("$5 and 100%"), r#""$5 and 100%""#);
    }

    #[test]
    fn shell_words_quote_whatever_the_shell_would_read() {
        assert_eq!(
            shell_word("eks/aws-load-balancer-controller"),
            "eks/aws-load-balancer-controller"
        );
        assert_eq!(shell_word("it's $HOME"), "'it'\\''s '\\$'HOME'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn hcl_collections_are_inline_literals() {
        let value = serde_json::json!({ "Owner": "devops", "cost center": "x", "list": [1, true] });
        assert_eq!(
            hcl(&value),
            r#"{ Owner = "devops", "cost center" = "x", list = [1, true] }"#
        );
    }
}
