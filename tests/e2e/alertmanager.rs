//! Alert routing: every environment's `alertmanager.yml` passes `amtool check-config`; every
//! alert the generated PrometheusRule can raise reaches, by `amtool config routes test` with its
//! own labels, exactly the receivers the spec gives it; each severity alone reaches its
//! receiver; the timing keeps the seeds' promises (warning within 5 minutes, info a daily
//! digest); and the operator's `AlertmanagerConfig` passes the operator's models and routes the
//! same way as the plain file.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{
    assert_success, example_specs, render_spec, run, tool, tool_command, write_artifacts,
};
use generator::model::Severity;
use generator::render::Artifact;
use serde_json::{Value, json};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            amtool_accepts_every_environments_routing,
            Need::Tool("amtool")
        ),
        test!(
            every_generated_alert_reaches_the_receivers_the_spec_gives_it,
            Need::Tool("amtool")
        ),
        test!(
            each_severity_alone_reaches_its_receiver,
            Need::Tool("amtool")
        ),
        test!(warnings_arrive_within_five_minutes_and_info_is_a_daily_digest),
        test!(
            the_alertmanager_config_passes_the_operators_models,
            Need::Tool("promop-check")
        ),
        test!(the_alertmanager_config_routes_as_the_plain_file_does),
    ]
}

/// Every environment of every example spec: (label, model, its artifacts written to a dir).
struct Rendered {
    label: String,
    model: generator::Model,
    environment: String,
    dir: tempfile::TempDir,
    artifacts: Vec<Artifact>,
}

impl Rendered {
    fn plain(&self) -> std::path::PathBuf {
        self.dir.path().join(format!(
            "generated/{}/alertmanager/alertmanager.yml",
            self.environment
        ))
    }

    fn yaml(&self, path: &str) -> Value {
        let artifact = self
            .artifacts
            .iter()
            .find(|a| a.path == path)
            .unwrap_or_else(|| panic!("{}: no {path} rendered", self.label));
        serde_norway::from_str(&artifact.contents)
            .unwrap_or_else(|e| panic!("{}: {path} is YAML: {e}", self.label))
    }

    fn plain_yaml(&self) -> Value {
        self.yaml(&format!(
            "generated/{}/alertmanager/alertmanager.yml",
            self.environment
        ))
    }

    fn operator_yaml(&self) -> Value {
        self.yaml(&format!(
            "generated/{}/alertmanager/alertmanager-config.yaml",
            self.environment
        ))
    }
}

fn rendered() -> Vec<Rendered> {
    let mut all = Vec::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.keys() {
            let dir = tempfile::tempdir().expect("tempdir");
            write_artifacts(dir.path(), &artifacts);
            all.push(Rendered {
                label: format!("{} {environment}", spec.display()),
                model: model.clone(),
                environment: environment.clone(),
                dir,
                artifacts: artifacts.clone(),
            });
        }
    }
    all
}

/// The receivers `amtool config routes test` reaches with `labels`.
fn routes_test(config: &Path, labels: &[(String, String)]) -> BTreeSet<String> {
    let mut command = tool_command(&tool("amtool"));
    command
        .arg("config")
        .arg("routes")
        .arg("test")
        .arg(format!("--config.file={}", config.display()));
    for (name, value) in labels {
        command.arg(format!("{name}={value}"));
    }
    let output = run(&mut command);
    assert_success(&output, &format!("amtool config routes test {labels:?}"));
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .split(',')
        .map(str::to_string)
        .collect()
}

fn amtool_accepts_every_environments_routing() {
    for rendered in rendered() {
        let output = run(tool_command(&tool("amtool"))
            .arg("check-config")
            .arg(rendered.plain()));
        assert_success(
            &output,
            &format!("amtool check-config ({})", rendered.label),
        );
    }
}

fn every_generated_alert_reaches_the_receivers_the_spec_gives_it() {
    let mut checked = 0;
    for rendered in rendered() {
        let rules = rendered.yaml(&format!(
            "generated/{}/prometheus-rules.yaml",
            rendered.environment
        ));
        let alerts = rules["spec"]["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .flat_map(|group| group["rules"].as_array().expect("rules").iter())
            .filter(|rule| rule.get("alert").is_some());
        for rule in alerts {
            let name = rule["alert"].as_str().expect("alert name");
            let labels: Vec<(String, String)> = rule["labels"]
                .as_object()
                .expect("an alert has labels")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("a label value").to_string()))
                .chain([("alertname".to_string(), name.to_string())])
                .collect();
            // The spec's receivers: the alert's own, or for an SLO alert its severity's.
            let severity = match rule["labels"]["severity"].as_str() {
                Some("critical") => Severity::Critical,
                Some("warning") => Severity::Warning,
                _ => Severity::Info,
            };
            let expected: BTreeSet<String> = rendered
                .model
                .alerts
                .iter()
                .find(|alert| alert.name == name)
                .map_or_else(
                    || rendered.model.receivers(severity).to_vec(),
                    |a| a.receivers.clone(),
                )
                .into_iter()
                .map(|receiver| format!("{receiver:?}").to_lowercase())
                .collect();
            // The operator matches the namespace's AlertmanagerConfig on this label only.
            assert_eq!(
                rule["labels"]["namespace"],
                json!(rendered.model.environments[&rendered.environment].namespace),
                "{}: alert {name} must carry the namespace its AlertmanagerConfig matches",
                rendered.label
            );
            let reached = routes_test(&rendered.plain(), &labels);
            assert_eq!(
                reached, expected,
                "{}: alert {name} with labels {labels:?}",
                rendered.label
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} alerts were routed");
}

fn each_severity_alone_reaches_its_receiver() {
    for rendered in rendered() {
        for (severity, name) in [
            (Severity::Critical, "critical"),
            (Severity::Warning, "warning"),
            (Severity::Info, "info"),
        ] {
            let Some(first) = rendered.model.receivers(severity).first() else {
                continue;
            };
            let reached = routes_test(
                &rendered.plain(),
                &[("severity".to_string(), name.to_string())],
            );
            assert_eq!(
                reached,
                BTreeSet::from([format!("{first:?}").to_lowercase()]),
                "{}: severity={name}",
                rendered.label
            );
        }
    }
}

/// Seconds of an Alertmanager duration such as `30s`, `5m`, `24h`.
fn seconds(duration: &str) -> u64 {
    let (number, unit) = duration.split_at(duration.len() - 1);
    let number: u64 = number.parse().expect("a whole number");
    number
        * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            other => panic!("unexpected unit {other}"),
        }
}

fn warnings_arrive_within_five_minutes_and_info_is_a_daily_digest() {
    for rendered in rendered() {
        let plain = rendered.plain_yaml();
        let route = |severity: &str| {
            plain["route"]["routes"]
                .as_array()
                .expect("severity routes")
                .iter()
                .find(|route| route["matchers"][0] == json!(format!("severity=\"{severity}\"")))
                .cloned()
                .unwrap_or_else(|| panic!("{}: no {severity} route", rendered.label))
        };
        let warning = route("warning");
        for key in ["group_wait", "group_interval"] {
            let value = warning[key].as_str().expect("a duration");
            assert!(
                seconds(value) <= 300,
                "{}: warning {key} {value}",
                rendered.label
            );
        }
        let info = route("info");
        for key in ["group_interval", "repeat_interval"] {
            assert_eq!(info[key], json!("24h"), "{}: info {key}", rendered.label);
        }
        let critical = route("critical");
        let wait = critical["group_wait"].as_str().expect("a duration");
        assert!(
            seconds(wait) <= 30,
            "{}: critical waits {wait}",
            rendered.label
        );
    }
}

fn the_alertmanager_config_passes_the_operators_models() {
    for rendered in rendered() {
        let path = rendered.dir.path().join(format!(
            "generated/{}/alertmanager/alertmanager-config.yaml",
            rendered.environment
        ));
        let output = run(tool_command(&tool("promop-check")).arg(&path));
        assert_success(&output, &format!("promop-check ({})", rendered.label));
        let all = String::from_utf8_lossy(&output.stderr);
        assert!(
            !all.contains("skipped"),
            "{}: not checked:\n{all}",
            rendered.label
        );
    }
}

/// The operator's route tree in the plain file's form (`matchers` as `name="value"` strings).
fn plain_route(route: &Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("receiver".into(), route["receiver"].clone());
    if let Some(matchers) = route.get("matchers").and_then(Value::as_array) {
        let matchers: Vec<Value> = matchers
            .iter()
            .map(|m| {
                assert_eq!(m["matchType"], json!("="), "only equality matchers");
                json!(format!(
                    "{}=\"{}\"",
                    m["name"].as_str().expect("name"),
                    m["value"].as_str().expect("value")
                ))
            })
            .collect();
        out.insert("matchers".into(), Value::Array(matchers));
    }
    for (from, to) in [
        ("groupBy", "group_by"),
        ("groupWait", "group_wait"),
        ("groupInterval", "group_interval"),
        ("repeatInterval", "repeat_interval"),
        ("continue", "continue"),
    ] {
        if let Some(value) = route.get(from) {
            out.insert(to.into(), value.clone());
        }
    }
    if let Some(routes) = route.get("routes").and_then(Value::as_array) {
        out.insert(
            "routes".into(),
            Value::Array(routes.iter().map(plain_route).collect()),
        );
    }
    Value::Object(out)
}

fn the_alertmanager_config_routes_as_the_plain_file_does() {
    for rendered in rendered() {
        let operator = rendered.operator_yaml();
        let plain = rendered.plain_yaml();
        assert_eq!(
            operator["metadata"]["namespace"],
            json!(rendered.model.environments[&rendered.environment].namespace),
            "{}",
            rendered.label
        );
        assert_eq!(
            plain_route(&operator["spec"]["route"]),
            plain["route"],
            "{}: the AlertmanagerConfig routes differently from alertmanager.yml",
            rendered.label
        );
        let names = |receivers: &Value| -> Vec<Value> {
            receivers
                .as_array()
                .expect("receivers")
                .iter()
                .map(|r| r["name"].clone())
                .collect()
        };
        assert_eq!(
            names(&operator["spec"]["receivers"]),
            names(&plain["receivers"]),
            "{}",
            rendered.label
        );
    }
}
