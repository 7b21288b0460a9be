//! The generated architecture (`generated/ARCHITECTURE.md`) of every example spec: each
//! flowchart parses with Mermaid's own parser (the generator's tests check the same charts are
//! well formed without it).

use crate::support::{assert_success, example_specs, render_spec, run};
use testkit::{Need, Test, test, tool, tool_command};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![test!(
        every_architecture_flowchart_parses_with_mermaid,
        Need::Tool("mermaid-check")
    )]
}

fn every_architecture_flowchart_parses_with_mermaid() {
    let mermaid_check = tool("mermaid-check");
    for spec in example_specs() {
        let (_, artifacts) = render_spec(&spec);
        let document = artifacts
            .iter()
            .find(|artifact| artifact.path == generator::render::architecture::PATH)
            .unwrap_or_else(|| panic!("{} renders no architecture", spec.display()));
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ARCHITECTURE.md");
        std::fs::write(&file, &document.contents).expect("write the document");
        let output = run(tool_command(&mermaid_check).arg(&file));
        assert_success(
            &output,
            &format!("mermaid-check of {}'s architecture", spec.display()),
        );
    }
}
