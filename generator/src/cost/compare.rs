//! A pull request's change of cost: the base's estimate, as the base's own platformgen wrote it
//! (`--format json`), beside the head's, per environment, as Markdown for the pull request's
//! comment. Each side keeps its own price table, so a change of prices shows as well as a change
//! of the spec.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::report::{Report, ReportEnvironment, prices_note};
use super::{EnvironmentCost, Estimate, Usd};

/// The change from `base` to `head`: a row per environment of either (base, head, change,
/// budget), then, folded, the lines whose monthly amount changed.
pub fn markdown(base: &Report, head: &Estimate) -> String {
    let mut out = format!(
        "### Estimated monthly AWS cost of `{}`: base and head of this pull request\n\n\
         | environment | base | head | change | budget |\n|---|---:|---:|---:|---|\n",
        head.project
    );
    let names: BTreeSet<&str> = base
        .environments
        .keys()
        .chain(head.environments.keys())
        .map(String::as_str)
        .collect();
    for name in &names {
        let (before, after) = (base.environments.get(*name), head.environments.get(*name));
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} |",
            before.map_or(String::new(), |b| format!("${}", b.total_monthly_usd)),
            after.map_or(String::new(), |h| format!("${}", h.total())),
            change(before, after),
            budget(before, after),
        );
    }
    for name in &names {
        // An environment of one side only is its row: new or removed, every line with it.
        let (Some(before), Some(after)) =
            (base.environments.get(*name), head.environments.get(*name))
        else {
            continue;
        };
        let rows = changed_lines(before, after);
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n<details><summary>{name}: the lines that changed</summary>\n\n\
             | item | base USD | head USD |\n|---|---:|---:|\n"
        );
        for (item, before, after) in rows {
            let item = item.replace('|', "\\|");
            let amount = |usd: Option<Usd>| usd.map_or(String::new(), |usd| usd.to_string());
            let _ = writeln!(out, "| {item} | {} | {} |", amount(before), amount(after));
        }
        out.push_str("\n</details>\n");
    }
    let _ = writeln!(out, "\n{}", prices_note(head));
    if (base.prices.region.as_str(), base.prices.as_of.as_str())
        != (head.region.as_str(), head.as_of.as_str())
    {
        let _ = writeln!(
            out,
            "\nThe base was priced at its own table: {} as of {}.",
            base.prices.region, base.prices.as_of
        );
    }
    out
}

/// `+$12.51`, `-$3.00`, `$0.00`; `new` or `removed` for an environment of one side only.
fn change(before: Option<&ReportEnvironment>, after: Option<&EnvironmentCost>) -> String {
    match (before, after) {
        (Some(before), Some(after)) => {
            let (was, is) = (before.total_monthly_usd, after.total());
            if let Some(up) = is.above(was) {
                format!("+${up}")
            } else if let Some(down) = was.above(is) {
                format!("-${down}")
            } else {
                "$0.00".to_string()
            }
        }
        (None, Some(_)) => "new".to_string(),
        (Some(_), None) => "removed".to_string(),
        (None, None) => String::new(),
    }
}

/// The head's budget and whether its estimate exceeds it; the base's, where it was another.
fn budget(before: Option<&ReportEnvironment>, after: Option<&EnvironmentCost>) -> String {
    let Some(after) = after else {
        return String::new();
    };
    let Some(budget) = after.budget else {
        return String::new();
    };
    let mut cell = format!("${budget}");
    if let Some(was) = before.and_then(|before| before.budget_usd)
        && was != budget
    {
        let _ = write!(cell, " (was ${was})");
    }
    if let Some(over) = after.over_budget() {
        let _ = write!(cell, ": **over by ${over}**");
    }
    cell
}

/// Each line whose monthly amount differs, by item (an item naming a quantity that changed is
/// one line removed and one added): its amount at the base and at the head (none where the line
/// is on one side only), in the head's order, then the base's lines the head no longer has.
fn changed_lines(
    before: &ReportEnvironment,
    after: &EnvironmentCost,
) -> Vec<(String, Option<Usd>, Option<Usd>)> {
    let was: BTreeMap<&str, Usd> = before
        .lines
        .iter()
        .map(|line| (line.item.as_str(), line.monthly_usd))
        .collect();
    let heads = &after.lines;
    let mut rows: Vec<(String, Option<Usd>, Option<Usd>)> = heads
        .iter()
        .filter(|line| was.get(line.item.as_str()) != Some(&line.monthly))
        .map(|line| {
            let before = was.get(line.item.as_str()).copied();
            (line.item.clone(), before, Some(line.monthly))
        })
        .collect();
    let kept: BTreeSet<&str> = heads.iter().map(|line| line.item.as_str()).collect();
    for line in &before.lines {
        if !kept.contains(line.item.as_str()) {
            rows.push((line.item.clone(), Some(line.monthly_usd), None));
        }
    }
    rows
}
