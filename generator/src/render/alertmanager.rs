//! `generated/<env>/alertmanager/`: where alerts go, from `[alerting]`, as the operator's
//! `AlertmanagerConfig` for the namespace (`alertmanager-config.yaml`) and as a plain
//! `alertmanager.yml`, both laid out from one routing tree. Each severity has its own timing
//! (critical pages at once, warning reaches Slack within 5 minutes, info is a daily e-mail
//! digest) and hands alerts to the receivers their routing labels name (`pagerduty: "yes"`,
//! the labels the generated rules carry). Credentials are read from the Secret
//! `alertmanager-receivers`, never written.

use std::collections::BTreeSet;

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::prometheus_rules::{receiver_name, severity_name};
use super::template::render_template;
use crate::model::{Environment, Model, Receiver, Severity};

/// The Secret holding the receivers' credentials: in the namespace for the AlertmanagerConfig,
/// and mounted into Alertmanager (`alertmanagerSpec.secrets`) for the plain configuration.
pub const RECEIVERS_SECRET: &str = "alertmanager-receivers";
/// The keys of that Secret.
pub const PAGERDUTY_ROUTING_KEY: &str = "pagerduty-routing-key";
pub const SLACK_WEBHOOK_URL: &str = "slack-webhook-url";
pub const SMTP_PASSWORD: &str = "smtp-password";

/// How long Alertmanager waits before the first notification of a group, between
/// notifications of a changing group, and before repeating one: (group_wait, group_interval,
/// repeat_interval) per severity.
pub fn timing(severity: Severity) -> (&'static str, &'static str, &'static str) {
    match severity {
        // The on-call engineer, immediately.
        Severity::Critical => ("10s", "1m", "1h"),
        // Slack within 5 minutes, new alerts of a group included.
        Severity::Warning => ("1m", "5m", "4h"),
        // One digest a day.
        Severity::Info => ("5m", "24h", "24h"),
    }
}

#[derive(Debug, Serialize)]
struct Context {
    name: String,
    namespace: String,
    environment: String,
    secret: &'static str,
    /// Where Alertmanager mounts the Secret (plain configuration).
    secret_dir: String,
    keys: Keys,
    /// Receiver of an alert no severity route takes.
    default_receiver: &'static str,
    group_by: Vec<&'static str>,
    severities: Vec<SeverityRoute>,
    receivers: Vec<ReceiverConfig>,
}

#[derive(Debug, Serialize)]
struct Keys {
    pagerduty: &'static str,
    slack: &'static str,
    smtp_password: &'static str,
}

#[derive(Debug, Serialize)]
struct SeverityRoute {
    severity: &'static str,
    /// Where an alert of this severity without routing labels goes.
    receiver: &'static str,
    group_by: Vec<&'static str>,
    group_wait: &'static str,
    group_interval: &'static str,
    repeat_interval: &'static str,
    /// One child route per receiver: `<receiver>="yes"` -> that receiver, continuing.
    receivers: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
struct ReceiverConfig {
    name: &'static str,
    pagerduty: bool,
    slack_channel: Option<String>,
    email: Option<crate::spec::EmailChannel>,
}

/// Every receiver the spec routes anything to, in a fixed order.
pub fn receivers_used(model: &Model) -> BTreeSet<Receiver> {
    let alerting = &model.alerting;
    alerting
        .critical
        .iter()
        .chain(&alerting.warning)
        .chain(&alerting.info)
        .chain(model.alerts.iter().flat_map(|alert| &alert.receivers))
        .copied()
        .collect()
}

fn context(model: &Model, environment: &Environment) -> Context {
    let used = receivers_used(model);
    let names: Vec<&'static str> = used.iter().map(|r| receiver_name(*r)).collect();
    // An alert of no known severity is shown, not paged: the warning receivers first.
    let default_receiver = [Severity::Warning, Severity::Critical, Severity::Info]
        .into_iter()
        .find_map(|severity| model.receivers(severity).first())
        .map_or("null", |receiver| receiver_name(*receiver));
    let severities = [Severity::Critical, Severity::Warning, Severity::Info]
        .into_iter()
        .map(|severity| {
            let (group_wait, group_interval, repeat_interval) = timing(severity);
            SeverityRoute {
                severity: severity_name(severity),
                receiver: model
                    .receivers(severity)
                    .first()
                    .map_or(default_receiver, |receiver| receiver_name(*receiver)),
                // The digest gathers every info alert of the environment into one mail.
                group_by: match severity {
                    Severity::Info => vec!["environment"],
                    _ => vec!["alertname", "environment"],
                },
                group_wait,
                group_interval,
                repeat_interval,
                receivers: names.clone(),
            }
        })
        .collect();
    let mut receivers: Vec<ReceiverConfig> = used
        .iter()
        .map(|receiver| ReceiverConfig {
            name: receiver_name(*receiver),
            pagerduty: *receiver == Receiver::Pagerduty,
            slack_channel: (*receiver == Receiver::Slack)
                .then(|| model.alerting.slack_channel.clone()),
            email: (*receiver == Receiver::Email)
                .then(|| model.alerting.email.clone())
                .flatten(),
        })
        .collect();
    if default_receiver == "null" {
        receivers.push(ReceiverConfig {
            name: "null",
            pagerduty: false,
            slack_channel: None,
            email: None,
        });
    }
    Context {
        name: format!("{}-alert-routing", model.project.name),
        namespace: environment.namespace.clone(),
        environment: environment.name.clone(),
        secret: RECEIVERS_SECRET,
        secret_dir: format!("/etc/alertmanager/secrets/{RECEIVERS_SECRET}"),
        keys: Keys {
            pagerduty: PAGERDUTY_ROUTING_KEY,
            slack: SLACK_WEBHOOK_URL,
            smtp_password: SMTP_PASSWORD,
        },
        default_receiver,
        group_by: vec!["alertname", "environment"],
        severities,
        receivers,
    }
}

/// Where an environment's routing is written: the AlertmanagerConfig and the plain file.
pub fn paths(environment: &Environment) -> (String, String) {
    let dir = format!("generated/{}/alertmanager", environment.name);
    (
        format!("{dir}/alertmanager-config.yaml"),
        format!("{dir}/alertmanager.yml"),
    )
}

/// Renders both forms of each environment's routing.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = Vec::new();
    for environment in request.environments() {
        let context = context(request.model, environment);
        let (operator, plain) = paths(environment);
        for (path, template) in [
            (operator, "alertmanager-config.yaml.j2"),
            (plain, "alertmanager.yml.j2"),
        ] {
            let body = render_template(template, &context)?;
            artifacts.push(Artifact {
                path,
                contents: format!("{}{body}", request.header("#")),
            });
        }
    }
    Ok(artifacts)
}
