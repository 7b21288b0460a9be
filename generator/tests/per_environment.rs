//! A service's port, image repository and probe and metrics paths set per environment: each
//! artifact of that environment follows the override, the others keep the service's own, and
//! `explain` names the key that wrote it.

use std::process::Command;

use generator::Model;
use generator::render::{Request, helm_values, render_all, tfvars};

use crate::cli::text;
use crate::support::two_service_text;

/// The example with a second service, `reports` ([`two_service_text`]), that the runtime
/// reaches, and staging moving `reports` to another port, repository and metrics path.
fn spec_text() -> String {
    two_service_text()
        .replacen(
            "ingress_paths = [\"/transaction\", \"/health\", \"/ready\"]",
            "ingress_paths = [\"/transaction\", \"/health\", \"/ready\"]\n\
             egress = { services = [\"reports\"] }",
            1,
        )
        .replacen(
            "[environments.staging]\ntier = \"staging\"\n",
            "[environments.staging]\ntier = \"staging\"\n\n\
             [environments.staging.services.reports]\nport = 9090\n\
             image_repository = \"staging/expense-reports\"\nmetrics_path = \"/internal/metrics\"\n\
             readiness_path = \"/v1/reports/ready-staging\"\n",
            1,
        )
}

#[test]
fn an_environment_moves_a_service_to_its_own_port_repository_and_paths() {
    let text = spec_text();
    let model = Model::load_str("per-environment.toml", &text).expect("valid");
    let artifacts = render_all(&Request {
        model: &model,
        spec_path: "specs/per-environment.toml",
        spec_text: &text,
        only_environment: None,
    })
    .expect("renders");
    let contents = |path: &str| -> &str {
        &artifacts
            .iter()
            .find(|a| a.path == path)
            .unwrap_or_else(|| panic!("{path} is rendered"))
            .contents
    };
    let reports = model.service("reports").expect("reports");
    let backend = model
        .service("expense-backend")
        .expect("the runtime's service");
    for environment in model.environments.values() {
        let staging = environment.name == "staging";
        let (port, repository, metrics, readiness) = if staging {
            (
                9090,
                "staging/expense-reports",
                "/internal/metrics",
                "/v1/reports/ready-staging",
            )
        } else {
            (8090, "expense-reports", "/metrics", "/v1/reports/ready")
        };
        let values: helm_values::HelmValues =
            serde_norway::from_str(contents(&helm_values::path(environment, reports)))
                .expect("values parse");
        let name = &environment.name;
        assert_eq!(values.container_port, port, "{name}");
        assert_eq!(values.service.port, port, "{name}");
        assert_eq!(values.image.repository, repository, "{name}");
        assert_eq!(values.service_monitor.path, metrics, "{name}");
        assert_eq!(
            values.pod_annotations["prometheus.io/port"],
            port.to_string()
        );
        assert_eq!(values.pod_annotations["prometheus.io/path"], metrics);
        assert_eq!(values.probes.readiness.path, readiness, "{name}");
        // The health path is not overridden: the service's own everywhere.
        assert_eq!(values.probes.liveness.path, "/v1/reports/health", "{name}");
        // The runtime's pods reach `reports` on the port it listens on here.
        let caller: helm_values::HelmValues =
            serde_norway::from_str(contents(&helm_values::path(environment, backend)))
                .expect("values parse");
        let egress = &caller.network_policy.egress_services;
        assert!(
            egress
                .iter()
                .any(|to| to.name == "reports" && to.port == port),
            "{name}: {egress:?}"
        );
        // Terraform makes the repository the workflow pushes to.
        let vars = contents(&tfvars::path(environment));
        assert!(
            vars.contains(&format!("ecr_repository = \"{repository}\"")),
            "{name}: {vars}"
        );
        let workflow = contents(&format!(".github/workflows/deploy-reports-{name}.yml"));
        assert!(
            workflow.contains(&format!("REPOSITORY: \"{repository}\"")),
            "{name}"
        );
    }
}

#[test]
fn explain_names_the_environment_key_that_moved_the_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("platform.toml"), spec_text()).expect("spec");
    let explain = |environment: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_platformgen"))
            .args(["explain", environment, "services.reports.port"])
            .args(["--spec", "platform.toml"])
            .current_dir(dir.path())
            .output()
            .expect("platformgen runs");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let staging = explain("staging");
    assert!(
        staging.contains("staging.services.reports.port = 9090"),
        "{staging}"
    );
    assert!(
        staging.contains("(environments.staging.services.reports.port)"),
        "{staging}"
    );
    let prod = explain("prod");
    assert!(prod.contains("prod.services.reports.port = 8090"), "{prod}");
    assert!(prod.contains("(services.reports.port)"), "{prod}");
}
