//! The image the chart runs (`runtime/Dockerfile`, `.dockerignore`) matches what the chart
//! expects of it.

use super::expense;
use crate::support::workspace;
use serde_json::Value;

/// The image the chart runs: built from the repository root in stages, as the numeric user the
/// chart's securityContext names, exposing the spec's port, with no HEALTHCHECK (the probes are
/// Kubernetes'), and without sending build output or tools to the Docker daemon.
pub(super) fn the_runtime_image_matches_what_the_chart_expects_of_it() {
    let root = workspace();
    let dockerfile =
        std::fs::read_to_string(root.join("runtime/Dockerfile")).expect("runtime/Dockerfile");
    let instructions: Vec<(String, String)> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (word, rest) = line.split_once(' ')?;
            Some((word.to_ascii_uppercase(), rest.trim().to_string()))
        })
        .collect();
    let all = |word: &str| -> Vec<&str> {
        instructions
            .iter()
            .filter(|(w, _)| w == word)
            .map(|(_, rest)| rest.as_str())
            .collect()
    };
    assert!(all("FROM").len() >= 2, "multi-stage");
    assert!(
        all("HEALTHCHECK").is_empty(),
        "Kubernetes probes check health"
    );
    assert!(dockerfile.contains("cargo build --release --locked -p runtime"));
    assert!(
        dockerfile.contains("cargo chef cook"),
        "a cached dependency layer"
    );

    let values: Value = serde_norway::from_str(
        &std::fs::read_to_string(root.join("generated/prod/helm-values/expense-backend.yaml"))
            .expect("values"),
    )
    .expect("values YAML");
    let runtime_stage = dockerfile.rsplit_once("\nFROM ").expect("a final stage").1;
    let user = runtime_stage
        .lines()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("the final stage sets USER");
    let (uid, gid) = user.trim().split_once(':').expect("USER uid:gid");
    assert_eq!(
        uid,
        values["securityContext"]["runAsUser"].to_string(),
        "USER is the chart's runAsUser"
    );
    assert_eq!(gid, values["securityContext"]["runAsGroup"].to_string());
    assert_ne!(uid, "0");
    let expense = expense();
    let model = &expense.model;
    // The image exposes the port the runtime's service listens on in every environment.
    let (service, _) = model
        .runtime_service(None)
        .expect("the runtime serves a service");
    for environment in model.environments.values() {
        let port = environment.settings_of(service).port.to_string();
        assert_eq!(all("EXPOSE"), vec![port.as_str()], "{}", environment.name);
    }

    let ignore = std::fs::read_to_string(root.join(".dockerignore")).expect(".dockerignore");
    let ignored: Vec<&str> = ignore.lines().map(str::trim).collect();
    for path in ["target/", ".tools/", ".git/", "fuzz/target/"] {
        assert!(ignored.contains(&path), ".dockerignore leaves out {path}");
    }
}
