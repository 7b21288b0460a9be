//! What the generator's tests share: the repository, and its example spec loaded.

use std::path::{Path, PathBuf};

use generator::Model;
use generator::model::Service;

/// The example spec, by its path from the repository root.
pub(crate) const EXAMPLE: &str = "specs/expense.toml";

/// The repository root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A spec of the repository, by its path from the root, loaded (it must be valid).
pub(crate) fn load(spec: &str) -> Model {
    Model::load(&workspace().join(spec)).unwrap_or_else(|error| panic!("{spec} is valid: {error}"))
}

/// The example spec, loaded.
pub(crate) fn example() -> Model {
    load(EXAMPLE)
}

/// The example spec's text.
pub(crate) fn example_text() -> String {
    std::fs::read_to_string(workspace().join(EXAMPLE)).expect("the example spec is readable")
}

/// The service the runtime serves in a spec that has one (the example specs).
pub(crate) fn runtime_service(model: &Model) -> &Service {
    model
        .runtime_service(None)
        .expect("the spec has one runtime-backed service")
        .0
}

/// The example with a second service, `reports`, on its own image beside the runtime's, on its
/// own prefix, and its dashboards and SLOs saying which service they are about.
pub(crate) fn two_service_text() -> String {
    example_text()
        .replacen(
            "shutdown_grace_seconds = 20",
            "shutdown_grace_seconds = 20\ningress_paths = [\"/transaction\", \"/health\", \"/ready\"]",
            1,
        )
        .replace("[[slos]]\n", "[[slos]]\nservice = \"expense-backend\"\n")
        .replace("[[dashboards]]\n", "[[dashboards]]\nservice = \"expense-backend\"\n")
        .replacen(
            "# ---------------------------------------------------------------------------------------------\n# Defaults shared",
            "[services.reports]\nport = 8090\nimage_repository = \"expense-reports\"\n\
             health_path = \"/v1/reports/health\"\nreadiness_path = \"/v1/reports/ready\"\n\
             metrics_path = \"/metrics\"\nshutdown_grace_seconds = 10\n\
             ingress_paths = [\"/v1/reports\"]\nsource = \"services/reports\"\n\n\
             # ---------------------------------------------------------------------------------------------\n# Defaults shared",
            1,
        )
}
