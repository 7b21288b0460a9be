//! The monthly cost of each environment, estimated from the Model alone (before any plan):
//! one [`Estimate`] of priced lines, built once, which `report` lays out as text, Markdown or
//! JSON, `compare` sets beside a pull request base's, and `budget` holds against each
//! environment's budget when a spec is loaded.
//!
//! Every line is `quantity x unit price = monthly`, to the cent; hourly prices count 730 hours
//! a month. Prices come from the region's committed table (`prices`), usage a spec cannot state
//! (traffic, logs, stored objects) from the tier's stated assumptions, and each line that rests
//! on an assumption says so in its name; `lines` says what each environment is charged for.

mod budget;
pub mod compare;
mod lines;
mod prices;
pub mod report;
mod usd;

use std::collections::BTreeMap;

use thiserror::Error;

pub use budget::over_budget;
pub use prices::{PRICES_DIR, PriceTable, Usage, regions};
pub use usd::Usd;

use crate::model::{Environment, Model};

/// Hours in the month every hourly price is counted for (365 x 24 / 12).
pub const HOURS_PER_MONTH: u64 = 730;
/// Why an estimate cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CostError {
    #[error("no price table for the region `{region}` ({PRICES_DIR}/ has {})", available.join(", "))]
    NoPrices {
        region: String,
        available: Vec<String>,
    },
    #[error("environment `{environment}`: the {what} `{name}` has no price in {file}")]
    Unpriced {
        environment: String,
        what: &'static str,
        name: String,
        file: String,
    },
    #[error("{file} cannot be read: {message}")]
    Malformed { file: String, message: String },
}

impl CostError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            CostError::NoPrices { region, .. } => format!(
                "add {PRICES_DIR}/{region}.toml (a copy of us-east-1.toml with that region's \
                 prices) and list it in generator/src/cost/prices.rs"
            ),
            CostError::Unpriced { name, file, .. } => {
                format!("add `\"{name}\" = <USD per hour>` to {file}, from its `source`")
            }
            CostError::Malformed { file, .. } => format!("fix {file}"),
        }
    }
}

/// The estimate of a spec's environments at one region's prices.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub project: String,
    pub region: String,
    /// The day the prices were checked, and where.
    pub as_of: String,
    pub source: String,
    /// By environment name.
    pub environments: BTreeMap<String, EnvironmentCost>,
}

/// One environment's estimated monthly cost, line by line, beside its budget.
#[derive(Debug, Clone)]
pub struct EnvironmentCost {
    pub lines: Vec<Line>,
    pub budget: Option<Usd>,
}

impl EnvironmentCost {
    /// The sum of the lines, each to the cent.
    pub fn total(&self) -> Usd {
        self.lines.iter().map(|line| line.monthly).sum()
    }

    /// How far the total exceeds the budget, if it does.
    pub fn over_budget(&self) -> Option<Usd> {
        self.total().above(self.budget?)
    }
}

/// One priced item: `monthly` is `quantity x unit`, rounded to the cent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What is priced, with the assumption it rests on, if any.
    pub item: String,
    pub quantity: u64,
    /// The monthly price of one unit.
    pub unit: Usd,
    pub monthly: Usd,
}

impl Line {
    pub(super) fn new(item: impl Into<String>, quantity: u64, unit: Usd) -> Line {
        Line {
            item: item.into(),
            quantity,
            unit,
            monthly: unit.times(quantity).to_cents(),
        }
    }

    pub(super) fn hourly(item: impl Into<String>, quantity: u64, hour: Usd) -> Line {
        Line::new(item, quantity, hour.times(HOURS_PER_MONTH))
    }
}

/// The estimate of every environment of `model`, or of `only` that one.
pub fn estimate(model: &Model, only: Option<&str>) -> Result<Estimate, CostError> {
    let prices = PriceTable::of_region(&model.project.aws_region)?;
    let mut environments = BTreeMap::new();
    for environment in model.environments.values() {
        if only.is_none_or(|name| name == environment.name) {
            let cost = estimate_environment(model, environment, &prices)?;
            environments.insert(environment.name.clone(), cost);
        }
    }
    Ok(Estimate {
        project: model.project.name.clone(),
        region: prices.region,
        as_of: prices.as_of,
        source: prices.source,
        environments,
    })
}

/// One environment of `model` at `prices`, with the usage its tier is assumed to have.
pub fn estimate_environment(
    model: &Model,
    environment: &Environment,
    prices: &PriceTable,
) -> Result<EnvironmentCost, CostError> {
    let usage = Usage::of_tier(environment.tier)?;
    let declared: Vec<&str> = model.secrets.keys().map(String::as_str).collect();
    let mut lines = lines::lines(environment, &declared, prices, &usage)?;
    lines.retain(|line| line.quantity > 0);
    Ok(EnvironmentCost {
        lines,
        budget: Some(Usd::dollars(environment.budget.monthly_usd)),
    })
}
