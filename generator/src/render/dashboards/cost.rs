//! `generated/<env>/dashboards/aws-cost.json`: what AWS has billed this month (CloudWatch's
//! `AWS/Billing` `EstimatedCharges`, in total and by service) beside the spec's estimate and
//! budget, as constants and thresholds. Billing metrics are account-wide and live in us-east-1
//! only; the panels say so, and generated/COST.md says what the dashboard cannot show.

use std::collections::BTreeMap;

use serde_json::json;

use super::grafana::{
    CloudWatchTarget, ColorMode, DataSource, FieldConfig, FieldDefaults, GrafanaPanel, GridPos,
    PanelOptions, Query, Threshold, Thresholds, Visualization,
};
use super::{DATASOURCE_VARIABLE, ref_id};
use crate::cost::{self, Usd};
use crate::model::{COST_DASHBOARD_UID, Environment, Model};

/// Where AWS publishes billing metrics, whatever the platform's region.
const BILLING_REGION: &str = "us-east-1";
/// Billing metrics arrive a few times a day: a point every 6 hours.
const BILLING_PERIOD_SECONDS: &str = "21600";

/// What the dashboard compares the bill with: the spec's estimate (when the price tables can
/// make one) and the budget.
struct Figures {
    estimate: Option<Usd>,
    budget: Usd,
    /// The estimate's prices, or why there is none.
    prices: String,
}

fn figures(model: &Model, environment: &Environment) -> Figures {
    let budget = Usd::dollars(environment.budget.monthly_usd);
    match cost::estimate(model, Some(&environment.name)) {
        Ok(estimate) => Figures {
            estimate: estimate
                .environments
                .get(&environment.name)
                .map(cost::EnvironmentCost::total),
            budget,
            prices: format!("{} on-demand prices of {}", estimate.region, estimate.as_of),
        },
        Err(error) => Figures {
            estimate: None,
            budget,
            prices: format!("no estimate: {error}"),
        },
    }
}

/// Green below the month's estimate, orange above it, red from the budget (a line each on the
/// graph): the month-to-date bill should reach neither before the month ends.
fn thresholds(figures: &Figures) -> Thresholds {
    let mut marks: Vec<(Usd, &'static str)> = vec![(figures.budget, "red")];
    if let Some(estimate) = figures.estimate
        && estimate != figures.budget
    {
        let color = if estimate < figures.budget {
            "orange"
        } else {
            "red"
        };
        marks.push((estimate, color));
    }
    marks.sort();
    let mut steps = vec![Threshold {
        color: "green",
        value: None,
    }];
    steps.extend(marks.into_iter().map(|(value, color)| Threshold {
        color,
        value: Some(value.as_f64()),
    }));
    Thresholds {
        mode: "absolute",
        steps,
    }
}

fn billing_query(index: usize, dimensions: &[(&'static str, &str)], label: &str) -> Query {
    let mut all: BTreeMap<&'static str, String> = BTreeMap::from([("Currency", "USD".into())]);
    all.extend(
        dimensions
            .iter()
            .map(|(name, value)| (*name, value.to_string())),
    );
    Query::CloudWatch(CloudWatchTarget {
        datasource: datasource(),
        dimensions: all,
        expression: "",
        id: "",
        label: label.to_string(),
        match_exact: true,
        metric_editor_mode: 0,
        metric_name: "EstimatedCharges",
        metric_query_type: 0,
        namespace: "AWS/Billing",
        period: BILLING_PERIOD_SECONDS,
        query_mode: "Metrics",
        ref_id: ref_id(index),
        region: BILLING_REGION,
        statistic: "Maximum",
    })
}

fn datasource() -> DataSource {
    DataSource {
        kind: "cloudwatch",
        uid: format!("${{{DATASOURCE_VARIABLE}}}"),
    }
}

/// What the thresholds mark, in words.
fn marks(figures: &Figures) -> String {
    match figures.estimate {
        Some(estimate) if estimate < figures.budget => format!(
            "Orange from the spec's monthly estimate (${estimate}), red from the budget (${}).",
            figures.budget
        ),
        Some(estimate) => format!(
            "Red from the budget (${}); the spec's monthly estimate (${estimate}) is not below it.",
            figures.budget
        ),
        None => format!("Red from the budget (${}).", figures.budget),
    }
}

/// A panel of the bill in USD.
fn billing_panel(
    kind: Visualization,
    (title, description): (String, String),
    grid_pos: GridPos,
    thresholds: Thresholds,
    targets: Vec<Query>,
) -> GrafanaPanel {
    let graph = kind == Visualization::Timeseries;
    GrafanaPanel {
        datasource: Some(datasource()),
        description,
        field_config: FieldConfig {
            defaults: FieldDefaults {
                color: ColorMode {
                    mode: if graph {
                        "palette-classic"
                    } else {
                        "thresholds"
                    },
                },
                custom: graph.then(|| json!({ "thresholdsStyle": { "mode": "line+area" } })),
                max: None,
                min: Some(0),
                thresholds,
                unit: "currencyUSD",
            },
            overrides: [],
        },
        grid_pos,
        id: 0,
        options: PanelOptions::of(kind),
        targets,
        title,
        kind,
    }
}

/// The spec's figures, and what the bill beside them is.
fn estimate_text(environment: &Environment, figures: &Figures) -> String {
    let mut text = match figures.estimate {
        Some(estimate) => format!(
            "**The spec's estimate: ${estimate} a month** (at {}); **budget: ${}**{}.",
            figures.prices,
            figures.budget,
            estimate
                .above(figures.budget)
                .map(|over| format!(", over by ${over}"))
                .unwrap_or_default()
        ),
        None => format!("**Budget: ${}** ({}).", figures.budget, figures.prices),
    };
    text.push_str(
        "\n\nThe panels show what AWS has billed so far this month (`AWS/Billing` \
         `EstimatedCharges`, updated a few times a day, from us-east-1) for the whole account \
         the data source reads: every service and region in it. It meets the monthly \
         estimate at the month's end, not before.",
    );
    match &environment.account_id {
        Some(account) => text.push_str(&format!(
            "\n\nThis environment's account is `{account}` (`account_id`): where it holds this \
             environment only, the bill is the environment's."
        )),
        None => text.push_str(
            "\n\nThe spec names no account for this environment (`account_id`): if it shares \
             its account, the bill is the account's, not the environment's.",
        ),
    }
    text.push_str("\n\n`generated/COST.md` lists every line of the estimate.");
    text
}

/// The panels: the bill this month and the spec's figures side by side, the bill over the
/// month against them, by service, and, where the spec names the account, that account as
/// the organization's payer account sees it.
pub(super) fn panels(model: &Model, environment: &Environment) -> Vec<GrafanaPanel> {
    let figures = figures(model, environment);
    let total = || billing_query(0, &[], "total");
    let at = |x, y, w| GridPos { h: 8, w, x, y };
    let mut panels = vec![
        billing_panel(
            Visualization::Stat,
            (
                "Billed this month".to_string(),
                format!(
                    "EstimatedCharges (USD, Maximum): the account's charges so far this month. {}",
                    marks(&figures)
                ),
            ),
            at(0, 0, 8),
            thresholds(&figures),
            vec![total()],
        ),
        GrafanaPanel {
            datasource: None,
            description: "From the spec: platformgen cost".to_string(),
            field_config: FieldConfig {
                defaults: FieldDefaults {
                    color: ColorMode { mode: "thresholds" },
                    custom: None,
                    max: None,
                    min: None,
                    thresholds: thresholds(&figures),
                    unit: "currencyUSD",
                },
                overrides: [],
            },
            grid_pos: at(8, 0, 16),
            id: 0,
            options: PanelOptions::markdown(estimate_text(environment, &figures)),
            targets: Vec::new(),
            title: "Estimate and budget".to_string(),
            kind: Visualization::Text,
        },
        billing_panel(
            Visualization::Timeseries,
            (
                "Billed this month, against the estimate and the budget".to_string(),
                format!(
                    "The account's charges so far this month, and a line at each threshold. {}",
                    marks(&figures)
                ),
            ),
            at(0, 8, 24),
            thresholds(&figures),
            vec![total()],
        ),
        billing_panel(
            Visualization::Timeseries,
            (
                "Billed this month, by service".to_string(),
                "EstimatedCharges per ServiceName: which AWS service the month's charges come \
                 from."
                    .to_string(),
            ),
            at(0, 16, 24),
            thresholds(&figures),
            vec![billing_query(
                0,
                &[("ServiceName", "*")],
                "${PROP('Dim.ServiceName')}",
            )],
        ),
    ];
    if let Some(account) = &environment.account_id {
        panels.push(billing_panel(
            Visualization::Timeseries,
            (
                format!("Billed this month to account {account}, as the payer account sees it"),
                "EstimatedCharges per LinkedAccount: data only where the data source reads the \
                 organization's management (payer) account under consolidated billing."
                    .to_string(),
            ),
            at(0, 24, 24),
            thresholds(&figures),
            vec![billing_query(0, &[("LinkedAccount", account)], account)],
        ));
    }
    for (index, panel) in panels.iter_mut().enumerate() {
        panel.id = u32::try_from(index + 1).unwrap_or(u32::MAX);
    }
    panels
}

/// The dashboard's uid and title in `environment`.
pub(super) fn identity(environment: &Environment) -> (String, String) {
    (
        COST_DASHBOARD_UID.to_string(),
        format!("AWS cost ({})", environment.name),
    )
}
