//! Every environment's PrometheusRule is accepted by the tools that consume it: promtool (the
//! rules themselves, PromQL included) and the prometheus-operator CRD models.

use crate::support::{assert_success, example_specs, render_spec, run, tool, tool_command};
use generator::render::Artifact;
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            promtool_accepts_every_environments_rules,
            Need::Tool("promtool")
        ),
        test!(
            promtool_rejects_a_rule_that_does_not_parse,
            Need::Tool("promtool")
        ),
        test!(
            the_prometheus_operator_models_accept_every_environments_rule,
            Need::Tool("promop-check")
        ),
        test!(
            promtool_proves_every_alert_and_slo_burn_rate_alert_fires_when_it_must_and_only_then,
            Need::Tool("promtool")
        ),
        test!(
            the_slo_unit_tests_fail_when_a_burn_rate_threshold_is_wrong,
            Need::Tool("promtool")
        ),
        test!(
            the_alert_unit_tests_fail_when_an_environments_threshold_is_wrong,
            Need::Tool("promtool")
        ),
        test!(
            the_pgbouncer_unit_tests_fail_when_a_pool_alert_is_weakened,
            Need::Tool("promtool")
        ),
    ]
}

/// The PrometheusRule of every environment of every example spec.
fn rule_files() -> Vec<Artifact> {
    example_specs()
        .iter()
        .flat_map(|spec| render_spec(spec).1)
        .filter(|artifact| artifact.path.ends_with("prometheus-rules.yaml"))
        .collect()
}

fn promtool_accepts_every_environments_rules() {
    let promtool = tool("promtool");
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rule_files();
    let environments: usize = example_specs()
        .iter()
        .map(|spec| render_spec(spec).0.environments.len())
        .sum();
    assert_eq!(
        rules.len(),
        environments,
        "one rule file per environment of every example"
    );
    for (index, artifact) in rules.into_iter().enumerate() {
        let resource: serde_json::Value = serde_norway::from_str(&artifact.contents).expect("YAML");
        let path = dir
            .path()
            .join(format!("{index}-{}", artifact.path.replace('/', "_")));
        std::fs::write(
            &path,
            serde_norway::to_string(&resource["spec"]).expect("rules file"),
        )
        .expect("write");
        let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&path));
        assert_success(
            &output,
            &format!("promtool check rules ({})", artifact.path),
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("SUCCESS"));
    }
}

fn promtool_rejects_a_rule_that_does_not_parse() {
    let promtool = tool("promtool");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m])\n",
    )
    .expect("write");
    let output = run(tool_command(&promtool).arg("check").arg("rules").arg(&path));
    assert!(!output.status.success());
}

fn the_prometheus_operator_models_accept_every_environments_rule() {
    let checker = tool("promop-check");
    let dir = tempfile::tempdir().expect("tempdir");
    for (index, artifact) in rule_files().into_iter().enumerate() {
        let path = dir
            .path()
            .join(format!("{index}-{}", artifact.path.replace('/', "_")));
        std::fs::write(&path, &artifact.contents).expect("write");
        let output = run(tool_command(&checker).arg(&path));
        assert_success(&output, &format!("promop-check ({})", artifact.path));
    }
}

/// Writes an environment's rules (the PrometheusRule's `spec`) and the generated SLO unit tests
/// into `dir`; returns the test file.
fn write_rule_tests(
    dir: &std::path::Path,
    rules: &serde_json::Value,
    tests: &serde_json::Value,
) -> std::path::PathBuf {
    std::fs::write(
        dir.join("rules.yaml"),
        serde_norway::to_string(rules).expect("rules"),
    )
    .expect("write");
    let path = dir.join("rules.test.yaml");
    std::fs::write(&path, serde_norway::to_string(tests).expect("tests")).expect("write");
    path
}

fn promtool_proves_every_alert_and_slo_burn_rate_alert_fires_when_it_must_and_only_then() {
    let promtool = tool("promtool");
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.values() {
            let path = format!("generated/{}/prometheus-rules.yaml", environment.name);
            let rule = artifacts
                .iter()
                .find(|a| a.path == path)
                .expect("rules rendered");
            let resource: serde_json::Value = serde_norway::from_str(&rule.contents).expect("YAML");
            let tests =
                generator::render::prometheus_rules::rule_tests(&model, environment, "rules.yaml");
            let tested = model.alerts.iter().filter(|a| a.test.is_some()).count();
            assert_eq!(
                tested,
                model.alerts.len(),
                "every alert of the example specs has a test"
            );
            // Two per PgBouncer alert where the environment runs PgBouncer.
            let pooler = environment.database.pooler.as_ref().map_or(0, |pooler| {
                2 * generator::render::prometheus_rules::pooler_alerts(&model, environment, pooler)
                    .len()
            });
            assert_eq!(
                tests["tests"].as_array().map(Vec::len),
                Some(2 * tested + 3 * model.slos.len() + pooler)
            );
            let dir = tempfile::tempdir().expect("tempdir");
            let file = write_rule_tests(dir.path(), &resource["spec"], &tests);
            let output = run(tool_command(&promtool).arg("test").arg("rules").arg(&file));
            assert_success(
                &output,
                &format!(
                    "promtool test rules ({} {})",
                    spec.display(),
                    environment.name
                ),
            );
        }
    }
}

/// Runs the generated rule unit tests of `environment` (of the example `spec`) against its rules
/// with `from` replaced by `to`: what promtool printed.
fn rule_tests_on_weakened_rules(
    promtool: &std::path::Path,
    (spec, environment): (&str, &str),
    from: &str,
    to: &str,
) -> std::process::Output {
    let (model, artifacts) = render_spec(&crate::support::workspace().join(spec));
    let rule = artifacts
        .iter()
        .find(|a| a.path == format!("generated/{environment}/prometheus-rules.yaml"))
        .expect("rules");
    let weakened = rule.contents.replace(from, to);
    assert_ne!(
        weakened, rule.contents,
        "{from} is in the {environment} rules"
    );
    let resource: serde_json::Value = serde_norway::from_str(&weakened).expect("YAML");
    let environment = model.environment(environment).expect("environment");
    let tests = generator::render::prometheus_rules::rule_tests(&model, environment, "rules.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_rule_tests(dir.path(), &resource["spec"], &tests);
    run(tool_command(promtool).arg("test").arg("rules").arg(&file))
}

fn the_slo_unit_tests_fail_when_a_burn_rate_threshold_is_wrong() {
    let promtool = tool("promtool");
    // The 1x ticket threshold of the availability SLO is 0.001; make it 3x too lax.
    let output = rule_tests_on_weakened_rules(
        &promtool,
        ("specs/expense.toml", "prod"),
        "> 0.001 and",
        "> 0.003 and",
    );
    assert!(
        !output.status.success(),
        "a weakened threshold must fail the generated unit tests"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("slow burn"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn the_alert_unit_tests_fail_when_an_environments_threshold_is_wrong() {
    let promtool = tool("promtool");
    // HighErrorRate at 50 % instead of 5 %: its firing series (10 % errors) no longer fire it.
    let output = rule_tests_on_weakened_rules(
        &promtool,
        ("specs/expense.toml", "staging"),
        "sum(rate(http_requests_total[5m])) > 0.05",
        "sum(rate(http_requests_total[5m])) > 0.5",
    );
    assert!(
        !output.status.success(),
        "a weakened alert must fail its unit test"
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        printed.contains(
            r#"alertname=\"HighErrorRate\",alertstate=\"firing\",environment=\"staging\""#
        ) && printed.contains("got: nil"),
        "{printed}"
    );
}

fn the_pgbouncer_unit_tests_fail_when_a_pool_alert_is_weakened() {
    let promtool = tool("promtool");
    let money_tracking = ("specs/money-tracking.toml", "prod");
    // Each weakened PgBouncer alert misses its firing pool; the spec's pool alert, which reads
    // PgBouncer's exporter too, likewise.
    for (from, to, alert) in [
        (
            r#"database!=\"pgbouncer\"}) > 0""#,
            r#"database!=\"pgbouncer\"}) > 5""#,
            "PgBouncerClientsWaiting",
        ),
        (
            r#"database!=\"pgbouncer\"}) >= 1""#,
            r#"database!=\"pgbouncer\"}) >= 5""#,
            "PgBouncerClientWaitTooLong",
        ),
        (
            r#"database!=\"pgbouncer\"}) >= on"#,
            r#"database!=\"pgbouncer\"}) > on"#,
            "PgBouncerPoolSaturated",
        ),
        (
            r#"\"(.*)\")) > 0.9""#,
            r#"\"(.*)\")) > 0.96""#,
            "DatabaseConnectionPoolExhausted",
        ),
    ] {
        let output = rule_tests_on_weakened_rules(&promtool, money_tracking, from, to);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{alert} weakened: {printed}");
        assert!(printed.contains(alert), "{alert}: {printed}");
    }
}
