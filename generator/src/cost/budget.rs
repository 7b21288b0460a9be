//! Each environment's estimate held against its `budget.monthly_usd`: a warning on that key
//! where the estimate exceeds it.

use super::{PriceTable, estimate_environment};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Model;
use crate::source::Path;

/// A warning, located on the budget, for each environment estimated above its budget.
///
/// An environment the price tables cannot price (its region, an instance type) is skipped:
/// a spec is valid in any region, and `platformgen cost` names what is missing.
pub fn over_budget(model: &Model) -> Vec<Diagnostic> {
    let Ok(prices) = PriceTable::of_region(&model.project.aws_region) else {
        return Vec::new();
    };
    let budget = Path::root().child("budget").child("monthly_usd");
    model
        .environments
        .values()
        .filter_map(|environment| {
            let cost = estimate_environment(model, environment, &prices).ok()?;
            let over = cost.over_budget()?;
            let name = &environment.name;
            let diagnostic = Diagnostic::warning(
                Code::OverBudget,
                format!(
                    "`{name}` is estimated at ${} a month, ${over} above its budget",
                    cost.total()
                ),
            )
            .on_value()
            .label(format!("estimated ${} a month", cost.total()))
            .note(format!(
                "at {} prices of {} ({}), with the usage assumed for its tier",
                prices.region,
                prices.as_of,
                prices.file()
            ))
            .help(format!(
                "`platformgen cost --env {name}` lists every line; raise the budget or shrink \
                 what costs most"
            ));
            Some(environment.resolved.diagnostic(diagnostic, &budget))
        })
        .collect()
}
