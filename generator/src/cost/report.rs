//! An [`Estimate`] laid out three ways: a text table for a terminal, Markdown for a pull
//! request comment, JSON for tools. Each reads the same lines; none computes anything.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{EnvironmentCost, Estimate, Line, Usd};

/// The estimate as `--format json` writes it, and `--compare` reads it back (the base of a pull
/// request, estimated by the base's own platformgen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub environments: BTreeMap<String, ReportEnvironment>,
    pub prices: ReportPrices,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportEnvironment {
    pub total_monthly_usd: Usd,
    pub budget_usd: Option<Usd>,
    pub lines: Vec<ReportLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLine {
    pub item: String,
    pub quantity: u64,
    pub unit_usd: Usd,
    pub monthly_usd: Usd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportPrices {
    pub region: String,
    pub as_of: String,
}

impl Report {
    pub fn of(estimate: &Estimate) -> Report {
        let environment = |cost: &EnvironmentCost| ReportEnvironment {
            total_monthly_usd: cost.total(),
            budget_usd: cost.budget,
            lines: cost
                .lines
                .iter()
                .map(|line| ReportLine {
                    item: line.item.clone(),
                    quantity: line.quantity,
                    unit_usd: line.unit,
                    monthly_usd: line.monthly,
                })
                .collect(),
        };
        Report {
            environments: estimate
                .environments
                .iter()
                .map(|(name, cost)| (name.clone(), environment(cost)))
                .collect(),
            prices: ReportPrices {
                region: estimate.region.clone(),
                as_of: estimate.as_of.clone(),
            },
        }
    }
}

/// The estimate as tools read it: `{"environments": {...}, "prices": {"region", "as_of"}}`.
pub fn json(estimate: &Estimate) -> String {
    serde_json::to_string_pretty(&Report::of(estimate)).unwrap_or_default()
}

/// The estimate as a text table per environment, for a terminal.
pub fn text(estimate: &Estimate) -> String {
    let mut out = String::new();
    for (name, cost) in &estimate.environments {
        let _ = writeln!(
            out,
            "{name}: ${} a month{}",
            cost.total(),
            budget_note(cost)
        );
        let rows: Vec<[String; 4]> = cost.lines.iter().map(cells).collect();
        let header = ["item", "quantity", "unit USD", "monthly USD"].map(str::to_string);
        let total = [
            "total".to_string(),
            String::new(),
            String::new(),
            cost.total().to_string(),
        ];
        let widths = (0..4).map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .chain(std::iter::once(&total))
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or_default()
        });
        let widths: Vec<usize> = widths.collect();
        for row in std::iter::once(&header)
            .chain(&rows)
            .chain(std::iter::once(&total))
        {
            let _ = writeln!(
                out,
                "  {:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", prices_note(estimate));
    out
}

/// The estimate as Markdown: a summary table, then each environment's lines (folded), for a
/// pull request comment.
pub fn markdown(estimate: &Estimate) -> String {
    let mut out = format!(
        "### Estimated monthly AWS cost of `{}`\n\n\
         | environment | estimate | budget | |\n|---|---:|---:|---|\n",
        estimate.project
    );
    for (name, cost) in &estimate.environments {
        let budget = cost.budget.map(|b| format!("${b}")).unwrap_or_default();
        let verdict = match cost.over_budget() {
            Some(over) => format!("**over by ${over}**"),
            None if cost.budget.is_some() => "within".to_string(),
            None => String::new(),
        };
        let _ = writeln!(out, "| {name} | ${} | {budget} | {verdict} |", cost.total());
    }
    for (name, cost) in &estimate.environments {
        let _ = write!(
            out,
            "\n<details><summary>{name}: ${} a month</summary>\n\n\
             | item | quantity | unit USD | monthly USD |\n|---|---:|---:|---:|\n",
            cost.total()
        );
        for [item, quantity, unit, monthly] in cost.lines.iter().map(cells) {
            let item = item.replace('|', "\\|");
            let _ = writeln!(out, "| {item} | {quantity} | {unit} | {monthly} |");
        }
        let _ = writeln!(
            out,
            "| **total** | | | **{}** |\n\n</details>",
            cost.total()
        );
    }
    let _ = writeln!(out, "\n{}", prices_note(estimate));
    out
}

pub(crate) fn cells(line: &Line) -> [String; 4] {
    [
        line.item.clone(),
        line.quantity.to_string(),
        line.unit.unit(),
        line.monthly.to_string(),
    ]
}

fn budget_note(cost: &EnvironmentCost) -> String {
    match (cost.budget, cost.over_budget()) {
        (Some(budget), Some(over)) => format!(" (budget ${budget}: over by ${over})"),
        (Some(budget), None) => format!(" (budget ${budget})"),
        (None, _) => String::new(),
    }
}

pub(crate) fn prices_note(estimate: &Estimate) -> String {
    format!(
        "Prices: {} on-demand as of {} ({}), {} hours a month; usage no spec states is assumed \
         per tier, as each such line says ({}/usage.toml).",
        estimate.region,
        estimate.as_of,
        estimate.source,
        super::HOURS_PER_MONTH,
        super::PRICES_DIR
    )
}
