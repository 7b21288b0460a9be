//! What the estimate becomes besides `platformgen cost`: `generated/COST.md`, the same lines
//! per environment beside the budget, and each environment's cost dashboard, the account's bill
//! (CloudWatch's billing metric) beside the estimate and the budget. The committed files are
//! pinned by `generate --check`; these tests hold them to the estimate and to what CloudWatch
//! offers.

use generator::Model;
use generator::cost::{self, Estimate};
use generator::model::COST_DASHBOARD_UID;
use generator::render::{Artifact, Request, cost as cost_doc, dashboards};
use serde_json::Value;

use crate::support::{load, workspace};

const SPECS: [&str; 2] = ["specs/expense.toml", "specs/money-tracking.toml"];

fn request<'a>(model: &'a Model, spec: &'a str, text: &'a str) -> Request<'a> {
    Request {
        model,
        spec_path: spec,
        spec_text: text,
        only_environment: None,
    }
}

fn spec_text(spec: &str) -> String {
    std::fs::read_to_string(workspace().join(spec)).expect("the spec is readable")
}

fn cost_doc_of(model: &Model, spec: &str) -> String {
    let text = spec_text(spec);
    let artifacts = cost_doc::render(&request(model, spec, &text)).expect("renders");
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0].path, "generated/COST.md");
    artifacts[0].contents.clone()
}

/// Each environment's cost dashboard, parsed, by environment.
fn cost_dashboards(model: &Model, spec: &str) -> Vec<(String, Value)> {
    let text = spec_text(spec);
    let artifacts: Vec<Artifact> =
        dashboards::render(&request(model, spec, &text)).expect("renders");
    artifacts
        .into_iter()
        .filter_map(|artifact| {
            let rest = artifact.path.strip_prefix("generated/")?;
            let (env, file) = rest.split_once("/dashboards/")?;
            (file == format!("{COST_DASHBOARD_UID}.json")).then(|| {
                let json = serde_json::from_str(&artifact.contents).expect("JSON");
                (env.to_string(), json)
            })
        })
        .collect()
}

#[test]
fn the_cost_doc_holds_every_line_total_and_budget_of_the_estimate_and_its_prices() {
    for spec in SPECS {
        let model = load(spec);
        let doc = cost_doc_of(&model, spec);
        let estimate: Estimate = cost::estimate(&model, None).expect("priced");
        assert!(doc.contains(&format!("as of {}", estimate.as_of)), "{spec}");
        assert!(doc.contains(&format!("`{}/{}.toml`", cost::PRICES_DIR, estimate.region)));
        assert!(
            doc.contains("`generator/COST.md`"),
            "the seeds' comparison: {spec}"
        );
        for (name, environment) in &estimate.environments {
            let section = doc
                .split(&format!("\n## {name}\n"))
                .nth(1)
                .unwrap_or_else(|| panic!("{spec}: no section {name}"));
            for line in &environment.lines {
                let row = format!(
                    "| {} | {} | {} | {} |",
                    line.item.replace('|', "\\|"),
                    line.quantity,
                    line.unit.unit(),
                    line.monthly
                );
                assert!(section.contains(&row), "{spec} {name}: {row}");
            }
            assert!(
                section.contains(&format!("| **total** | | | **{}** |", environment.total())),
                "{spec} {name}"
            );
            let budget = environment.budget.expect("a budget");
            let verdict = match environment.over_budget() {
                Some(over) => format!("Budget: ${budget}, **over by ${over}**."),
                None => format!("Budget: ${budget}, within it."),
            };
            assert!(section.contains(&verdict), "{spec} {name}: {verdict}");
        }
    }
}

#[test]
fn the_cost_doc_says_which_environments_name_their_account() {
    let expense = cost_doc_of(&load(SPECS[0]), SPECS[0]);
    assert!(expense.contains("Environments that name no account: `dev`, `prod`, `staging`."));
    assert!(!expense.contains("name their own account"));
    let guide = cost_doc_of(&load(SPECS[1]), SPECS[1]);
    assert!(guide.contains(
        "Environments that name their own account (`account_id`): `dev`, `prod`, `staging`."
    ));
}

/// A spec is valid in any region: where no price table has it, the doc says so and what to
/// add, and the dashboard still sets the bill beside the budget.
#[test]
fn a_region_without_prices_gets_a_cost_doc_saying_what_to_add_and_a_dashboard_of_the_budget() {
    let mut model = load(SPECS[0]);
    model.project.aws_region = "ap-south-1".to_string();
    let doc = cost_doc_of(&model, SPECS[0]);
    assert!(
        doc.contains("No estimate: no price table for the region `ap-south-1`"),
        "{doc}"
    );
    assert!(doc.contains("To price it, add generator/prices/ap-south-1.toml"));
    for (env, dashboard) in cost_dashboards(&model, SPECS[0]) {
        let budget = model.environments[&env].budget.monthly_usd;
        let steps = dashboard["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"]
            .as_array()
            .expect("steps")
            .clone();
        assert_eq!(steps.len(), 2, "{env}: the base and the budget");
        assert_eq!(steps[1]["value"], f64::from(budget));
        let text = dashboard["panels"][1]["options"]["content"]
            .as_str()
            .expect("text");
        assert!(text.contains("no estimate: no price table"), "{text}");
    }
}

#[test]
fn each_environment_s_cost_dashboard_reads_the_billing_metric_beside_its_estimate_and_budget() {
    for spec in SPECS {
        let model = load(spec);
        let estimate = cost::estimate(&model, None).expect("priced");
        let dashboards = cost_dashboards(&model, spec);
        assert_eq!(dashboards.len(), model.environments.len(), "{spec}");
        for (env, dashboard) in dashboards {
            let environment = &model.environments[&env];
            let cost = &estimate.environments[&env];
            let (total, budget) = (cost.total(), cost.budget.expect("budget"));
            assert_eq!(dashboard["uid"], COST_DASHBOARD_UID);
            assert_eq!(dashboard["time"]["from"], "now/M", "this month so far");
            let variable = &dashboard["templating"]["list"][0];
            assert_eq!(variable["type"], "datasource");
            assert_eq!(variable["query"], "cloudwatch");
            let reference = format!("${{{}}}", variable["name"].as_str().expect("name"));
            let panels = dashboard["panels"].as_array().expect("panels");
            let mut queries = 0;
            for panel in panels {
                for target in panel["targets"].as_array().into_iter().flatten() {
                    queries += 1;
                    assert_eq!(target["datasource"]["uid"], reference.as_str());
                    assert_eq!(target["datasource"]["type"], "cloudwatch");
                    assert_eq!(target["namespace"], "AWS/Billing");
                    assert_eq!(target["metricName"], "EstimatedCharges");
                    assert_eq!(
                        target["region"], "us-east-1",
                        "billing metrics live there only"
                    );
                    assert_eq!(target["statistic"], "Maximum");
                    assert_eq!(target["dimensions"]["Currency"], "USD");
                }
                if panel["type"] != "text" {
                    let steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
                        .as_array()
                        .expect("steps");
                    let values: Vec<f64> = steps
                        .iter()
                        .filter_map(|step| step["value"].as_f64())
                        .collect();
                    assert!(
                        values.contains(&budget.as_f64()),
                        "{spec} {env}: {values:?}"
                    );
                    assert!(values.contains(&total.as_f64()), "{spec} {env}: {values:?}");
                    assert!(values.windows(2).all(|w| w[0] < w[1]), "sorted: {values:?}");
                    assert_eq!(panel["fieldConfig"]["defaults"]["unit"], "currencyUSD");
                }
            }
            let by_service = panels
                .iter()
                .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
                .any(|target| target["dimensions"]["ServiceName"] == "*");
            assert!(by_service, "{spec} {env}: a series per service");
            let by_account = panels
                .iter()
                .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
                .find(|target| target["dimensions"].get("LinkedAccount").is_some());
            assert_eq!(
                by_account.map(|target| target["dimensions"]["LinkedAccount"].clone()),
                environment.account_id.clone().map(Value::from),
                "{spec} {env}: the account's panel where the spec names it"
            );
            assert_eq!(queries, 3 + usize::from(environment.account_id.is_some()));
            let text = panels
                .iter()
                .find(|panel| panel["type"] == "text")
                .and_then(|panel| panel["options"]["content"].as_str())
                .expect("the estimate's text");
            assert!(text.contains(&format!("${total} a month")), "{text}");
            assert!(text.contains(&format!("budget: ${budget}")), "{text}");
            let ids: std::collections::BTreeSet<u64> = panels
                .iter()
                .filter_map(|panel| panel["id"].as_u64())
                .collect();
            assert_eq!(ids.len(), panels.len(), "unique panel ids");
        }
    }
}
