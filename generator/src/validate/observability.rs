//! Alerts, SLOs and dashboards: unique names, durations, PromQL that parses (pointed at where it
//! goes wrong), thresholds that are used, unit tests that name series.

use std::collections::{BTreeMap, BTreeSet};

use super::services::service_of;
use super::values::duration;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Alert, AlertTest, COST_DASHBOARD_UID, Dashboard, Promql, Slo};
use crate::promql::PromqlError;
use crate::source::Path;
use crate::spec::{self, Panel, Receiver, Severity, Spec};

/// What `$threshold` and `$window` stand for while an expression is parsed: as long as the
/// placeholders, so a position in the parsed text is the same position in the spec's text.
const THRESHOLD: (&str, &str) = ("$threshold", "1.00000000");
const WINDOW: (&str, &str) = ("$window", "300000s");

/// When an alert's unit test looks, unless it says.
const DEFAULT_TEST_AT: &str = "30m";

/// A receiver needs somewhere to deliver: the `email` receiver, used by a severity or an alert,
/// needs `[alerting.email]`.
pub(super) fn alerting(spec: &Spec, out: &mut Vec<Diagnostic>) {
    if spec.alerting.email.is_some() {
        return;
    }
    let alerting = &spec.alerting;
    let by_severity = [
        ("critical", &alerting.critical),
        ("warning", &alerting.warning),
        ("info", &alerting.info),
    ]
    .into_iter()
    .find(|(_, receivers)| receivers.contains(&Receiver::Email))
    .map(|(severity, _)| Path::root().child("alerting").child(severity));
    let by_alert = spec.alerts.iter().enumerate().find_map(|(index, alert)| {
        alert
            .notify
            .as_ref()
            .filter(|notify| notify.contains(&Receiver::Email))
            .map(|_| Path::root().child("alerts").index(index).child("notify"))
    });
    if let Some(at) = by_severity.or(by_alert) {
        out.push(
            Diagnostic::error(
                Code::MissingKey,
                "alerts are routed to `email`, but `[alerting.email]` does not say where to send them",
            )
            .at_path(at)
            .help("add `[alerting.email]` with `to`, `from`, `smarthost` (host:port) and `username`; the SMTP password is key `smtp-password` of the Secret `alertmanager-receivers`"),
        );
    }
}

pub(super) fn alerts(spec: &Spec, out: &mut Vec<Diagnostic>) -> Option<Vec<Alert>> {
    let mut names = BTreeMap::new();
    let mut alerts = Vec::new();
    let mut complete = true;
    for (index, alert) in spec.alerts.iter().enumerate() {
        let at = Path::root().child("alerts").index(index);
        if let Some(first) = names.insert(alert.name.as_str(), index) {
            complete = false;
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the alert `{}` is declared twice", alert.name),
                )
                .at_path(at.child("name"))
                .label(format!("alerts[{index}]"))
                .related(
                    Path::root().child("alerts").index(first).child("name"),
                    format!("alerts[{first}], declared first"),
                    false,
                ),
            );
        }
        let for_ = duration(&alert.for_, at.child("for"), out);
        let uses_threshold = alert.expr.contains("$threshold");
        match (uses_threshold, alert.threshold) {
            (true, None) => {
                complete = false;
                out.push(
                    Diagnostic::error(Code::Inconsistent, format!("the alert `{}` uses `$threshold` but sets no `threshold`", alert.name))
                        .at_path(at.child("expr"))
                        .help("add `threshold = ...` to the alert"),
                );
            }
            (false, Some(_)) => out.push(
                Diagnostic::warning(Code::Inconsistent, format!("the alert `{}` sets `threshold` but its expression never uses `$threshold`", alert.name))
                    .at_path(at.child("threshold"))
                    .help("write `$threshold` where the number goes in `expr`, or remove `threshold`"),
            ),
            _ => {}
        }
        let expr = Promql::parse(&alert.expr, &[THRESHOLD])
            .map_err(|error| out.push(promql_error(error, at.child("expr"))))
            .ok();
        let test = match &alert.test {
            None => {
                out.push(
                    Diagnostic::warning(Code::Inconsistent, format!("the alert `{}` has no unit test", alert.name))
                        .at_path(at.child("name"))
                        .help("add `test = { firing = { '<series>' = \"<values>\" }, quiet = { ... } }` so promtool proves it fires"),
                );
                Some(None)
            }
            Some(test) => alert_test(test, &at.child("test"), out).map(Some),
        };
        let receivers = alert.notify.clone().unwrap_or_else(|| {
            match alert.severity {
                Severity::Critical => &spec.alerting.critical,
                Severity::Warning => &spec.alerting.warning,
                Severity::Info => &spec.alerting.info,
            }
            .clone()
        });
        match (expr, for_, test) {
            (Some(expr), Some(for_), Some(test)) => alerts.push(Alert {
                name: alert.name.clone(),
                expr,
                for_,
                severity: alert.severity,
                summary: alert.summary.clone(),
                description: alert.description.clone(),
                receivers,
                labels: alert.labels.clone(),
                runbook_url: alert.runbook_url.clone(),
                test,
            }),
            _ => complete = false,
        }
    }
    complete.then_some(alerts)
}

fn alert_test(test: &spec::AlertTest, at: &Path, out: &mut Vec<Diagnostic>) -> Option<AlertTest> {
    let mut complete = true;
    for (key, series) in [("firing", &test.firing), ("quiet", &test.quiet)] {
        for selector in series.keys() {
            let is_selector = matches!(
                promql_parser::parser::parse(selector),
                Ok(promql_parser::parser::Expr::VectorSelector(_))
            );
            if !is_selector {
                complete = false;
                out.push(
                    Diagnostic::error(Code::InvalidPromql, format!("`{selector}` is not a series selector"))
                        .at_path(at.child(key).child(selector))
                        .help("write a metric name with labels, such as `http_requests_total{status=\"500\"}`"),
                );
            }
        }
    }
    let when = match &test.at {
        Some(when) => duration(when, at.child("at"), out),
        None => crate::duration::PromDuration::parse(DEFAULT_TEST_AT).ok(),
    };
    match when {
        Some(when) if complete => Some(AlertTest {
            firing: test.firing.clone(),
            quiet: test.quiet.clone(),
            at: when,
        }),
        _ => None,
    }
}

/// A PromQL mistake, pointed at inside the expression where the literal allows.
fn promql_error(error: PromqlError, at: Path) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidPromql,
        format!("the PromQL expression does not parse: {}", error.message),
    )
    .at_path(at)
    .within_value(error.at)
    .label(error.label)
    .help("check the expression with `promtool` or the Prometheus expression browser")
}

pub(super) fn slos(spec: &Spec, out: &mut Vec<Diagnostic>) -> Option<Vec<Slo>> {
    let mut names = BTreeMap::new();
    let mut built = Vec::new();
    let mut complete = true;
    for (index, slo) in spec.slos.iter().enumerate() {
        let at = Path::root().child("slos").index(index);
        if let Some(first) = names.insert(slo.name.as_str(), index) {
            complete = false;
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the SLO `{}` is declared twice", slo.name),
                )
                .at_path(at.child("name"))
                .label(format!("slos[{index}]"))
                .related(
                    Path::root().child("slos").index(first).child("name"),
                    format!("slos[{first}], declared first"),
                    false,
                ),
            );
        }
        let window = duration(&slo.window, at.child("window"), out).filter(|window| {
            let long_enough = window.value() >= std::time::Duration::from_secs(24 * 3600);
            if !long_enough {
                out.push(
                    Diagnostic::error(
                        Code::OutOfRange,
                        format!("the SLO window `{}` is shorter than a day", slo.window),
                    )
                    .at_path(at.child("window"))
                    .help("burn-rate alerts need a window of days, such as `28d` or `30d`"),
                );
            }
            long_enough
        });
        let mut events = Vec::new();
        for (key, expr) in [
            ("bad_events", &slo.bad_events),
            ("total_events", &slo.total_events),
        ] {
            if !expr.contains("$window") {
                complete = false;
                out.push(
                    Diagnostic::error(Code::Inconsistent, format!("`{key}` of the SLO `{}` does not use `$window`", slo.name))
                        .at_path(at.child(key))
                        .help("write the rate window as `$window`, for example `rate(http_requests_total[$window])`"),
                );
            }
            events.push(
                Promql::parse(expr, &[WINDOW])
                    .map_err(|error| out.push(promql_error(error, at.child(key))))
                    .ok(),
            );
        }
        let what = format!("the SLO `{}`", slo.name);
        let service = service_of(spec, slo.service.as_ref(), &at, &what, out);
        match (
            window,
            events.pop().flatten(),
            events.pop().flatten(),
            service,
        ) {
            (Some(window), Some(total_events), Some(bad_events), Some(service)) => {
                built.push(Slo {
                    name: slo.name.clone(),
                    objective: slo.objective,
                    window,
                    description: slo.description.clone(),
                    bad_events,
                    total_events,
                    service,
                });
            }
            _ => complete = false,
        }
    }
    complete.then_some(built)
}

pub(super) fn dashboards(spec: &Spec, out: &mut Vec<Diagnostic>) -> Option<Vec<Dashboard>> {
    let mut uids = BTreeMap::new();
    let mut built = Vec::new();
    let mut complete = true;
    for (index, dashboard) in spec.dashboards.iter().enumerate() {
        let at = Path::root().child("dashboards").index(index);
        if let Some(first) = uids.insert(dashboard.uid.as_str(), index) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the dashboard uid `{}` is used twice", dashboard.uid),
                )
                .at_path(at.child("uid"))
                .note(format!("first used by dashboards[{first}]")),
            );
        }
        if dashboard.uid == COST_DASHBOARD_UID {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("the dashboard uid `{COST_DASHBOARD_UID}` is the cost dashboard's"),
                )
                .at_path(at.child("uid"))
                .note("every environment gets a generated cost dashboard under this uid")
                .help("choose another uid"),
            );
        }
        let mut panels = BTreeSet::new();
        for (panel_index, panel) in dashboard.panels.iter().enumerate() {
            if !panels.insert(*panel) {
                out.push(
                    Diagnostic::warning(
                        Code::DuplicateName,
                        "this panel is already on the dashboard",
                    )
                    .at_path(at.child("panels").index(panel_index)),
                );
            }
            if *panel == Panel::SloErrorBudget && spec.slos.is_empty() {
                out.push(
                    Diagnostic::error(
                        Code::Inconsistent,
                        "the `slo_error_budget` panel needs at least one SLO",
                    )
                    .at_path(at.child("panels").index(panel_index))
                    .help("add an [[slos]] entry or remove the panel"),
                );
            }
        }
        let what = format!("the dashboard `{}`", dashboard.uid);
        match service_of(spec, dashboard.service.as_ref(), &at, &what, out) {
            Some(service) => built.push(Dashboard {
                uid: dashboard.uid.clone(),
                title: dashboard.title.clone(),
                panels: dashboard.panels.clone(),
                service,
            }),
            None => complete = false,
        }
    }
    complete.then_some(built)
}
