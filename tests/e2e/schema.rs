//! The committed JSON Schema of specs is what editors and other tools use: an independent
//! validator (check-jsonschema, the tool VALIDATORS.md names) accepts it as a schema, accepts the
//! example spec, and rejects a broken one.

use crate::support::{assert_success, run, tool, tool_command, workspace};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![test!(
        check_jsonschema_accepts_the_schema_and_the_example_spec_and_rejects_a_broken_spec,
        Need::Tool("check-jsonschema")
    )]
}

fn check_jsonschema_accepts_the_schema_and_the_example_spec_and_rejects_a_broken_spec() {
    let checker = tool("check-jsonschema");
    let schema = workspace().join("specs/schema.json");

    let metaschema = run(tool_command(&checker)
        .arg("--check-metaschema")
        .arg(&schema));
    assert_success(
        &metaschema,
        "check-jsonschema --check-metaschema specs/schema.json",
    );

    let example = run(tool_command(&checker)
        .arg("--schemafile")
        .arg(&schema)
        .arg(workspace().join("specs/expense.toml")));
    assert_success(&example, "check-jsonschema on specs/expense.toml");

    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.toml");
    let text = std::fs::read_to_string(workspace().join("specs/expense.toml")).expect("example");
    std::fs::write(
        &broken,
        text.replace("engine = \"mysql\"", "engine = \"oracle\""),
    )
    .expect("write");
    let rejected = run(tool_command(&checker)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&broken));
    assert!(
        !rejected.status.success(),
        "an unknown engine must be rejected"
    );
    assert!(String::from_utf8_lossy(&rejected.stdout).contains("oracle"));
}
