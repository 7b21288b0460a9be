//! A Mermaid flowchart, written line by line: node ids made of letters, digits and `_` only,
//! every label quoted with the characters Mermaid would read escaped as its entity codes, so
//! any name from a spec draws as written and cannot end a label or a statement.

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// A rectangle: a resource.
    Box,
    /// A stadium: something outside the platform (the internet).
    Stadium,
    /// A cylinder: a data store.
    Cylinder,
    /// Rounded corners: a workload.
    Rounded,
}

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Line {
    /// Traffic: a solid arrow.
    Traffic,
    /// Access granted by a role (IRSA), or replication: a dotted arrow.
    Access,
    /// Placement: a dotted line without an arrow.
    Placement,
}

/// A flowchart being written: its lines, indented by subgraph depth.
#[derive(Debug, Clone)]
pub(super) struct Flowchart {
    lines: Vec<String>,
    depth: usize,
}

impl Flowchart {
    /// A flowchart drawn left to right.
    pub(super) fn new() -> Self {
        Self {
            lines: vec!["flowchart LR".to_string()],
            depth: 1,
        }
    }

    fn push(&mut self, line: &str) {
        self.lines
            .push(format!("{}{line}", "  ".repeat(self.depth)));
    }

    /// Declares a node whose label is `label`'s lines, one under the other.
    pub(super) fn node(&mut self, id: &str, shape: Shape, label: &[String]) {
        let text = label_text(label);
        let (open, close) = match shape {
            Shape::Box => ("[", "]"),
            Shape::Stadium => ("([", "])"),
            Shape::Cylinder => ("[(", ")]"),
            Shape::Rounded => ("(", ")"),
        };
        self.push(&format!("{id}{open}\"{text}\"{close}"));
    }

    /// Draws the nodes and subgraphs `body` declares inside a subgraph titled `title`.
    pub(super) fn subgraph(&mut self, id: &str, title: &str, body: impl FnOnce(&mut Self)) {
        self.push(&format!("subgraph {id} [\"{}\"]", escape(title)));
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.push("end");
    }

    /// Draws an edge from `from` to `to`, labelled when `label` is not empty.
    pub(super) fn edge(&mut self, from: &str, to: &str, line: Line, label: &str) {
        let arrow = match line {
            Line::Traffic => "-->",
            Line::Access => "-.->",
            Line::Placement => "-.-",
        };
        if label.is_empty() {
            self.push(&format!("{from} {arrow} {to}"));
        } else {
            self.push(&format!("{from} {arrow}|\"{}\"| {to}", escape(label)));
        }
    }

    /// The flowchart's lines.
    pub(super) fn into_lines(self) -> Vec<String> {
        self.lines
    }
}

/// A node id for `name` under `kind` (`svc`, `bucket`, ...): lowercase letters and digits
/// kept, `-` written `_`, any other character as `X`, its code point in hex and `X` again, so
/// two names never share an id and no id is one of Mermaid's keywords (`end`, `graph`, ...).
pub(super) fn node_id(kind: &str, name: &str) -> String {
    let mut id = format!("{kind}_");
    for c in name.chars() {
        match c {
            'a'..='z' | '0'..='9' => id.push(c),
            '-' => id.push('_'),
            c => id.push_str(&format!("X{:x}X", u32::from(c))),
        }
    }
    id
}

/// Lines of a label, joined by Mermaid's line break.
fn label_text(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| escape(line))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// Text as Mermaid prints it inside a quoted label: the quote, `#` (which starts an entity
/// code), markup, backquote (which starts Markdown text) and `|` as entity codes; line breaks
/// as spaces.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_plain_and_never_shared_by_two_names() {
        assert_eq!(node_id("svc", "expense-api"), "svc_expense_api");
        assert_eq!(node_id("svc", "end"), "svc_end");
        assert_ne!(node_id("bucket", "a-b"), node_id("bucket", "a_b"));
        assert_ne!(node_id("bucket", "a.b"), node_id("bucket", "a-2e-b"));
        assert_ne!(node_id("bucket", "A"), node_id("bucket", "X41X"));
        assert!(
            node_id("x", "a b\"c<d")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        );
    }

    #[test]
    fn labels_keep_no_character_that_would_end_them() {
        assert_eq!(
            escape(r#"say "hi" <b>#1</b> | `x`"#),
            "say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; #124; #96;x#96;"
        );
        let mut chart = Flowchart::new();
        chart.node("a", Shape::Cylinder, &["one".into(), "t\"wo".into()]);
        chart.subgraph("s", "a \"group\"", |chart| {
            chart.edge("a", "b", Line::Access, "read");
        });
        assert_eq!(
            chart.into_lines(),
            [
                "flowchart LR",
                "  a[(\"one<br/>t#quot;wo\")]",
                "  subgraph s [\"a #quot;group#quot;\"]",
                "    a -.->|\"read\"| b",
                "  end",
            ]
        );
    }
}
