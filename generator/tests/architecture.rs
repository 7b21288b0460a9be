//! `generated/ARCHITECTURE.md` of every spec of the repository: each Mermaid flowchart is well
//! formed as far as can be told without Mermaid itself (the end-to-end suite parses them with
//! it), and draws what the model holds.

use std::collections::BTreeSet;

use generator::render::{Request, architecture, render_all};

use crate::support::{load, workspace};

const SPECS: [&str; 3] = [
    "specs/expense.toml",
    "specs/money-tracking.toml",
    "specs/ledger.toml",
];

/// The architecture document of a spec of the repository.
fn architecture_of(spec: &str) -> String {
    let model = load(spec);
    let text = std::fs::read_to_string(workspace().join(spec)).expect("the spec is readable");
    render_all(&Request {
        model: &model,
        spec_path: spec,
        spec_text: &text,
        only_environment: None,
    })
    .expect("renders")
    .into_iter()
    .find(|artifact| artifact.path == architecture::PATH)
    .expect("the architecture is rendered")
    .contents
}

/// The ```mermaid blocks of a Markdown text, in order.
fn mermaid_blocks(markdown: &str) -> Vec<&str> {
    markdown
        .split("```mermaid\n")
        .skip(1)
        .map(|rest| rest.split_once("\n```").map_or(rest, |(block, _)| block))
        .collect()
}

/// Mermaid's words that cannot name a node.
const KEYWORDS: [&str; 12] = [
    "end",
    "subgraph",
    "graph",
    "flowchart",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "direction",
    "default",
    "call",
];

fn check_id(id: &str, line: &str) -> Result<(), String> {
    if id.is_empty()
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || KEYWORDS.contains(&id)
        || id.starts_with("end")
    {
        return Err(format!("`{id}` cannot be a node id: {line}"));
    }
    Ok(())
}

/// A quoted label's text: it must hold no quote of its own.
fn check_label<'a>(quoted: &'a str, line: &str) -> Result<&'a str, String> {
    let text = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(|| format!("label not quoted: {line}"))?;
    if text.contains('"') {
        return Err(format!("raw quote in a label: {line}"));
    }
    Ok(text)
}

/// Checks a flowchart the way `generate` writes it: one statement a line, subgraphs closed,
/// every node declared once, every edge between declared nodes, every label quoted and escaped.
fn check_flowchart(chart: &str) -> Result<(), String> {
    let mut lines = chart.lines();
    if lines.next() != Some("flowchart LR") {
        return Err("does not start with `flowchart LR`".to_string());
    }
    let mut open: Vec<&str> = Vec::new();
    let mut declared = BTreeSet::new();
    let mut edges = Vec::new();
    for raw in lines {
        let line = raw.trim();
        if line == "end" {
            open.pop()
                .ok_or_else(|| format!("`end` closes nothing: {raw}"))?;
        } else if let Some(rest) = line.strip_prefix("subgraph ") {
            let (id, title) = rest
                .split_once(' ')
                .ok_or_else(|| format!("subgraph without title: {line}"))?;
            check_id(id, line)?;
            let title = title
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .ok_or_else(|| format!("subgraph title not bracketed: {line}"))?;
            check_label(title, line)?;
            if !declared.insert(id.to_string()) {
                return Err(format!("`{id}` declared twice"));
            }
            open.push(id);
        } else {
            let split = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .ok_or_else(|| format!("neither node, edge nor subgraph: {line}"))?;
            let (id, rest) = line.split_at(split);
            check_id(id, line)?;
            if let Some(rest) = rest.strip_prefix(' ') {
                let (arrow, after) = ["-.->", "-->", "-.-"]
                    .iter()
                    .find_map(|arrow| Some((*arrow, rest.strip_prefix(arrow)?)))
                    .ok_or_else(|| format!("unknown arrow: {line}"))?;
                let to = match after.strip_prefix('|') {
                    Some(labelled) => {
                        let (label, to) = labelled
                            .split_once("| ")
                            .ok_or_else(|| format!("edge label not closed: {line}"))?;
                        check_label(label, line)?;
                        to
                    }
                    None => after
                        .strip_prefix(' ')
                        .ok_or_else(|| format!("no space after `{arrow}`: {line}"))?,
                };
                check_id(to, line)?;
                edges.push((id.to_string(), to.to_string()));
            } else {
                let label = [("([", "])"), ("[(", ")]"), ("[", "]"), ("(", ")")]
                    .iter()
                    .find_map(|(open, close)| rest.strip_prefix(open)?.strip_suffix(close))
                    .ok_or_else(|| format!("unknown shape: {line}"))?;
                check_label(label, line)?;
                if !declared.insert(id.to_string()) {
                    return Err(format!("`{id}` declared twice"));
                }
            }
        }
    }
    if let Some(id) = open.last() {
        return Err(format!("subgraph `{id}` is never closed"));
    }
    for (from, to) in edges {
        for id in [from, to] {
            if !declared.contains(&id) {
                return Err(format!("an edge ends at `{id}`, which is not declared"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_architecture_flowchart_is_well_formed() {
    for spec in SPECS {
        let document = architecture_of(spec);
        let model = load(spec);
        let charts = mermaid_blocks(&document);
        assert_eq!(charts.len(), model.environments.len(), "{spec}");
        for (chart, environment) in charts.iter().zip(model.environments.keys()) {
            if let Err(problem) = check_flowchart(chart) {
                panic!("{spec}, {environment}: {problem}\n{chart}");
            }
        }
    }
}

#[test]
fn the_well_formedness_check_catches_what_mermaid_would_reject() {
    let good =
        "flowchart LR\n  a[\"A\"]\n  subgraph s [\"S\"]\n    b[(\"B\")]\n  end\n  a -->|\"x\"| b";
    assert_eq!(check_flowchart(good), Ok(()));
    for bad in [
        "flowchart LR\n  a[\"A\"]\n  subgraph s [\"S\"]\n  a --> a",
        "flowchart LR\n  a[\"A\"]\n  a --> b",
        "flowchart LR\n  a[\"say \"hi\"\"]",
        "flowchart LR\n  end[\"A\"]",
        "flowchart LR\n  a[\"A\"]\n  end\n  end",
        "flowchart LR\n  a-b[\"A\"]",
    ] {
        assert!(check_flowchart(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_guides_prod_draws_its_services_reach_and_sizes() {
    let document = architecture_of("specs/money-tracking.toml");
    let prod = document
        .split("\n## prod\n")
        .nth(1)
        .expect("a prod section");
    let prod = mermaid_blocks(prod)[0];
    // The way in: the internet, the WAF, the load balancer on the host.
    assert!(prod.contains("internet -->|\"HTTPS\"| waf"), "{prod}");
    assert!(prod.contains("waf --> alb"), "{prod}");
    // The analytics service is pinned to the memory-optimized group, reads its buckets through
    // its own role, and every zone has its three subnets.
    assert!(
        prod.contains("svc_analytics_service -.-|\"runs on\"| ng_memory_optimized"),
        "{prod}"
    );
    assert!(prod.contains("-.->|\"IRSA "), "{prod}");
    let model = load("specs/money-tracking.toml");
    let environment = model.environment("prod").expect("prod");
    // The services reach Postgres through PgBouncer, which holds the guide's pools: 20 per
    // service on each of its 3 replicas, for the 5 services that read the database.
    let pooler = environment
        .database
        .pooler
        .as_ref()
        .expect("prod runs PgBouncer");
    assert_eq!(pooler.replicas, 3);
    assert!(
        prod.contains("transaction pool mode<br/>3 replicas, 20 per service, 100 clients each"),
        "{prod}"
    );
    assert!(
        prod.contains("pgbouncer -->|\"300 connections at most\"| rds"),
        "{prod}"
    );
    for service in &model.services {
        let id = service.name.replace('-', "_");
        assert!(prod.contains(&format!("svc_{id} --> pgbouncer")), "{id}");
        assert!(!prod.contains(&format!("svc_{id} --> rds")), "{id}");
    }
    for zone in &environment.network.availability_zones {
        let id = zone.replace('-', "_");
        for kind in ["public", "private", "database"] {
            assert!(prod.contains(&format!("{kind}_{id}[")), "{kind} {zone}");
        }
    }
    // The sizes table names only what differs, and every environment as a column.
    let sizes = document
        .split("## Sizes that differ")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a sizes table");
    assert!(sizes.contains("| | dev | prod | staging |"), "{sizes}");
    assert!(sizes.contains("| database class |"), "{sizes}");
}
