//! `generated/COST.md`: what each environment is estimated to cost a month, the very lines
//! `platformgen cost` prints (`crate::cost`), beside its budget, with the price table they come
//! from, the usage they assume, and what the generated cost dashboard can and cannot show. One
//! file for every environment, like ARCHITECTURE.md, so it reads the same with or without
//! `--env`.

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_template;
use crate::cost::{self, Estimate, HOURS_PER_MONTH, PRICES_DIR, PriceTable, Usage, report};
use crate::model::{COST_DASHBOARD_UID, Model, Tier};

pub const PATH: &str = "generated/COST.md";

#[derive(Serialize)]
struct Context {
    project: String,
    region: String,
    prices_dir: &'static str,
    /// The estimate, or why there is none (a region or a type without a price).
    estimate: Option<Priced>,
    unpriced: Option<Unpriced>,
    dashboard: Dashboard,
}

#[derive(Serialize)]
struct Priced {
    region: String,
    as_of: String,
    source: String,
    hours: u64,
    spot_discount_percent: u8,
    environments: Vec<EnvironmentCost>,
    /// Usage no spec states, a row per assumption, a column per tier the spec has.
    tiers: Vec<&'static str>,
    assumptions: Vec<Assumption>,
}

#[derive(Serialize)]
struct EnvironmentCost {
    name: String,
    tier: &'static str,
    total: String,
    budget: String,
    /// `over by $x`, or empty.
    over: String,
    /// item, quantity, unit USD, monthly USD: Markdown table cells.
    lines: Vec<[String; 4]>,
}

#[derive(Serialize)]
struct Assumption {
    what: &'static str,
    values: Vec<u64>,
}

#[derive(Serialize)]
struct Unpriced {
    error: String,
    help: String,
}

/// What the cost dashboard reads, per environment.
#[derive(Serialize)]
struct Dashboard {
    uid: &'static str,
    /// Environments naming their AWS account (`account_id`), and those that do not.
    with_account: Vec<String>,
    without_account: Vec<String>,
}

fn context(model: &Model) -> Context {
    let (estimate, unpriced) = match priced(model) {
        Ok(priced) => (Some(priced), None),
        Err(error) => (
            None,
            Some(Unpriced {
                error: error.to_string(),
                help: error.help(),
            }),
        ),
    };
    let (with, without): (Vec<_>, Vec<_>) = model
        .environments
        .values()
        .partition(|environment| environment.account_id.is_some());
    let names =
        |list: Vec<&crate::model::Environment>| list.iter().map(|e| e.name.clone()).collect();
    Context {
        project: model.project.name.clone(),
        region: model.project.aws_region.clone(),
        prices_dir: PRICES_DIR,
        estimate,
        unpriced,
        dashboard: Dashboard {
            uid: COST_DASHBOARD_UID,
            with_account: names(with),
            without_account: names(without),
        },
    }
}

fn priced(model: &Model) -> Result<Priced, cost::CostError> {
    let estimate: Estimate = cost::estimate(model, None)?;
    let prices = PriceTable::of_region(&model.project.aws_region)?;
    let mut tiers: Vec<Tier> = model.environments.values().map(|e| e.tier).collect();
    tiers.sort_by_key(|tier| *tier as u8);
    tiers.dedup();
    let usage = tiers
        .iter()
        .map(|tier| Usage::of_tier(*tier))
        .collect::<Result<Vec<_>, _>>()?;
    let row = |what, value: fn(&Usage) -> u64| Assumption {
        what,
        values: usage.iter().map(value).collect(),
    };
    let environments = estimate
        .environments
        .iter()
        .map(|(name, cost)| EnvironmentCost {
            name: name.clone(),
            tier: model
                .environment(name)
                .map_or("", |environment| environment.tier.name()),
            total: cost.total().to_string(),
            budget: cost.budget.map(|b| b.to_string()).unwrap_or_default(),
            over: cost
                .over_budget()
                .map(|over| format!("over by ${over}"))
                .unwrap_or_default(),
            lines: cost
                .lines
                .iter()
                .map(|line| {
                    let [item, quantity, unit, monthly] = report::cells(line);
                    [item.replace('|', "\\|"), quantity, unit, monthly]
                })
                .collect(),
        })
        .collect();
    Ok(Priced {
        region: estimate.region,
        as_of: estimate.as_of,
        source: estimate.source,
        hours: HOURS_PER_MONTH,
        spot_discount_percent: prices.ec2.spot_discount_percent,
        environments,
        tiers: tiers.iter().map(|tier| tier.name()).collect(),
        assumptions: vec![
            row("NAT data processed, GB", |u| u.nat_processed_gb),
            row("ALB capacity units (LCUs), average", |u| u.alb_lcus),
            row("WAF requests, millions (where the WAF is on)", |u| {
                u.waf_million_requests
            }),
            row("S3 storage, GB", |u| u.s3_gb),
            row("CloudWatch Logs ingested, GB", |u| u.logs_ingested_gb),
            row("Data transfer out to the internet, GB", |u| {
                u.internet_out_gb
            }),
        ],
    })
}

/// Renders the cost of every environment of the spec.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let body = render_template("COST.md.j2", &context(request.model))?;
    Ok(vec![Artifact {
        path: PATH.to_string(),
        contents: format!("<!--\n{}-->\n{body}", request.header("")),
    }])
}
