//! PromQL in a spec: parsed with `promql-parser`, and when it does not parse, the place in the
//! expression where it goes wrong (the parser's messages carry no position, so it is found here).

use std::ops::Range;

/// A PromQL expression that does not parse: the parser's message, and the byte range of the
/// expression where it went wrong, with what to say there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromqlError {
    pub message: String,
    pub at: Range<usize>,
    pub label: String,
}

/// A PromQL expression that parses once its placeholders (`$threshold`, `$window`) are filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promql {
    text: String,
}

impl Promql {
    /// Checks `text` with each placeholder replaced by a stand-in as long as itself, so a
    /// position in the parsed text is the same in the spec's.
    pub fn parse(text: &str, placeholders: &[(&str, &str)]) -> Result<Self, PromqlError> {
        let mut filled = text.to_string();
        for (placeholder, stand_in) in placeholders {
            debug_assert_eq!(placeholder.len(), stand_in.len(), "{placeholder}");
            filled = filled.replace(placeholder, stand_in);
        }
        check(&filled)?;
        Ok(Promql {
            text: text.to_string(),
        })
    }

    /// As the spec writes it, placeholders included.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Parses an expression; on failure, says where.
pub fn check(expr: &str) -> Result<(), PromqlError> {
    let Err(message) = promql_parser::parser::parse(expr) else {
        return Ok(());
    };
    let message = message
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let (at, label) = locate(expr, &message);
    Err(PromqlError { message, at, label })
}

fn parses(expr: &str) -> bool {
    promql_parser::parser::parse(expr).is_ok()
}

/// Where `expr` goes wrong: an unbalanced bracket, the fragment the message quotes, or else the
/// first token after which no completion of the expression parses.
fn locate(expr: &str, message: &str) -> (Range<usize>, String) {
    let tokens = tokens(expr);
    if let Some(found) = unbalanced(&tokens, expr) {
        return found;
    }
    if let Some(fragment) = quoted_fragment(message)
        && let Some(start) = expr.find(fragment)
    {
        return (start..start + fragment.len(), "here".to_string());
    }
    for (index, token) in tokens.iter().enumerate() {
        let prefix = &expr[..token.end];
        if !completes(prefix, &tokens[..=index], expr) {
            return (
                token.clone(),
                "the expression cannot go on like this".to_string(),
            );
        }
    }
    let end = expr.trim_end().len();
    (end..end, "the expression ends too early".to_string())
}

/// The part of the parser's message that quotes the expression: `bad number or duration
/// syntax: 5mm`, `... in call to 'abs', got 2`.
fn quoted_fragment(message: &str) -> Option<&str> {
    if let Some(start) = message.find("call to '") {
        let rest = &message[start + "call to '".len()..];
        return rest.split('\'').next().filter(|name| !name.is_empty());
    }
    let (_, fragment) = message.rsplit_once(": ")?;
    let fragment = fragment.trim().trim_matches(|c| c == '\'' || c == '"');
    (!fragment.is_empty() && !fragment.contains(' ')).then_some(fragment)
}

/// A bracket never closed, or one closed without being opened.
fn unbalanced(tokens: &[Range<usize>], expr: &str) -> Option<(Range<usize>, String)> {
    let mut open: Vec<Range<usize>> = Vec::new();
    for token in tokens {
        let text = &expr[token.clone()];
        match text {
            "(" | "{" | "[" => open.push(token.clone()),
            ")" | "}" | "]" => {
                let opener = match text {
                    ")" => "(",
                    "}" => "{",
                    _ => "[",
                };
                match open.pop() {
                    Some(last) if &expr[last.clone()] == opener => {}
                    Some(last) => {
                        return Some((
                            token.clone(),
                            format!("this `{text}` closes the `{}` before it", &expr[last]),
                        ));
                    }
                    None => return Some((token.clone(), format!("nothing opened this `{text}`"))),
                }
            }
            _ => {}
        }
    }
    open.pop().map(|last| {
        (
            last.clone(),
            format!("this `{}` is never closed", &expr[last]),
        )
    })
}

/// Whether some short ending turns `prefix` (its tokens given) into an expression that parses.
fn completes(prefix: &str, tokens: &[Range<usize>], expr: &str) -> bool {
    let mut closers = String::new();
    let mut open = Vec::new();
    for token in tokens {
        match &expr[token.clone()] {
            "(" => open.push(')'),
            "{" => open.push('}'),
            "[" => open.push(']'),
            ")" | "}" | "]" => {
                open.pop();
            }
            _ => {}
        }
    }
    closers.extend(open.iter().rev());
    // Enough to finish any prefix of the expressions specs hold: a value, a range, a label
    // matcher, a duration, grouping, and the remaining arguments of a call (a test holds every
    // prefix of every example expression to this).
    const ENDINGS: [&str; 22] = [
        "",
        " 1",
        " x",
        " x[5m]",
        "[5m]",
        "\"\"",
        "=\"\"",
        " 5m",
        "5m",
        "(x)",
        " (x) (x)",
        " (x) (x[5m])",
        "1, x",
        ", x",
        ", x[5m]",
        ", 1",
        "x, 1",
        "x[5m], 1",
        "x[5m])[5m:1m",
        "x, \"a\", \"b\", \"c\", \"d\"",
        ", \"a\", \"b\", \"c\", \"d\"",
        ", \"a\", \"b\", \"c\"",
    ];
    // A range may be due after any of the closing brackets (`rate(x{a="b"` needs `}[5m])`).
    let closings: Vec<String> = std::iter::once(closers.clone())
        .chain((1..=closers.len()).map(|at| format!("{}[5m]{}", &closers[..at], &closers[at..])))
        .collect();
    ENDINGS.iter().any(|ending| {
        closings
            .iter()
            .any(|closing| parses(&format!("{prefix}{ending}{closing}")))
    })
}

/// Token boundaries, close enough to PromQL's own for cutting prefixes: quoted strings,
/// words (names, numbers, durations), two-character operators, and single characters.
fn tokens(expr: &str) -> Vec<Range<usize>> {
    let bytes = expr.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.');
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let byte = bytes[at];
        if byte.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        if byte == b'#' {
            // A comment runs to the end of the line.
            while at < bytes.len() && bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        if matches!(byte, b'"' | b'\'' | b'`') {
            at += 1;
            while at < bytes.len() && bytes[at] != byte {
                at += if bytes[at] == b'\\' && byte != b'`' {
                    2
                } else {
                    1
                };
            }
            at = (at + 1).min(bytes.len());
        } else if word(byte) {
            while at < bytes.len() && word(bytes[at]) {
                at += 1;
            }
        } else if at + 1 < bytes.len()
            && matches!(
                &bytes[at..at + 2],
                b"==" | b"!=" | b">=" | b"<=" | b"=~" | b"!~"
            )
        {
            at += 2;
        } else {
            at += expr[at..].chars().next().map_or(1, char::len_utf8);
        }
        tokens.push(start..at);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointed(expr: &str) -> (&str, String) {
        let error = check(expr).expect_err("does not parse");
        (&expr[error.at.clone()], error.label)
    }

    #[test]
    fn a_valid_expression_parses() {
        assert_eq!(
            check(r#"sum(rate(x{a=~"5.."}[5m])) / sum(rate(x[5m])) > 0.1"#),
            Ok(())
        );
    }

    /// The locator must never call a good prefix bad: every prefix of every expression the
    /// example specs hold can be completed.
    #[test]
    fn every_prefix_of_the_example_expressions_can_be_completed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        for spec in ["specs/expense.toml", "specs/ledger.toml"] {
            let text = std::fs::read_to_string(root.join(spec)).expect("spec");
            let value: toml::Value = toml::from_str(&text).expect("TOML");
            let mut expressions: Vec<String> = Vec::new();
            for alert in value["alerts"].as_array().into_iter().flatten() {
                expressions.push(alert["expr"].as_str().expect("expr").to_string());
            }
            for slo in value["slos"].as_array().into_iter().flatten() {
                for key in ["bad_events", "total_events"] {
                    expressions.push(slo[key].as_str().expect("events").to_string());
                }
            }
            for expr in expressions {
                let expr = expr.replace("$threshold", "1").replace("$window", "5m");
                let tokens = tokens(&expr);
                for index in 0..tokens.len() {
                    let prefix = &expr[..tokens[index].end];
                    assert!(
                        completes(prefix, &tokens[..=index], &expr),
                        "`{prefix}` of `{expr}`"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn each_kind_of_mistake_is_pointed_at_where_it_is() {
        let unclosed = "sum(rate(x[5m])) / sum(rate(x[5m]) > 1";
        let error = check(unclosed).expect_err("unclosed");
        assert_eq!(error.message, "unclosed left parenthesis");
        assert_eq!(
            error.at,
            22..23,
            "the `(` of the second `sum` is never closed: {error:?}"
        );
        assert_eq!(
            pointed("rate(x[5m]))"),
            (")", "nothing opened this `)`".to_string())
        );
        assert_eq!(pointed("rate(x[5mm])").0, "5mm");
        assert_eq!(pointed("abs(x, y)").0, "abs");
        assert_eq!(
            pointed("sum(x) +* 3"),
            ("*", "the expression cannot go on like this".to_string())
        );
        assert_eq!(pointed("foo{a=}").0, "}");
        assert_eq!(
            pointed("rate(x[5m]) > "),
            ("", "the expression ends too early".to_string())
        );
    }
}
