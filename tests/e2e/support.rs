//! Helpers shared by the end-to-end tests: the example specs, rendering them, running the
//! validators. Finding a tool, and what happens when it is missing, is the harness's (`testkit`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hcl::eval::{Context, Evaluate};
use hcl::{Body, Expression, Value};

pub(crate) use testkit::{tool, tool_command, workspace};

/// Runs a command and returns its output, panicking with the command line if it cannot start.
pub(crate) fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"))
}

/// Asserts that a validator accepted its input, showing everything it printed if not.
pub(crate) fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every example spec in `specs/` (the seeds' platform and the second, different example).
pub(crate) fn example_specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(workspace().join("specs"))
        .expect("specs/ exists")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    assert!(
        specs.len() >= 2,
        "expected at least two example specs in specs/"
    );
    specs
}

/// Loads a spec and renders every artifact of it, as `platformgen generate` would.
pub(crate) fn render_spec(spec: &Path) -> (generator::Model, Vec<generator::render::Artifact>) {
    let model = generator::Model::load(spec)
        .unwrap_or_else(|error| panic!("{} is valid:\n{error}", spec.display()));
    let name = spec
        .strip_prefix(workspace())
        .unwrap_or(spec)
        .display()
        .to_string();
    let text = std::fs::read_to_string(spec)
        .unwrap_or_else(|error| panic!("{} is readable: {error}", spec.display()));
    let request = generator::render::Request {
        model: &model,
        spec_path: &name,
        spec_text: &text,
        only_environment: None,
    };
    let artifacts = generator::render::render_all(&request)
        .unwrap_or_else(|error| panic!("{} renders: {error}", spec.display()));
    (model, artifacts)
}

/// Writes artifacts under `root` at their relative paths.
pub(crate) fn write_artifacts(root: &Path, artifacts: &[generator::render::Artifact]) {
    for artifact in artifacts {
        let path = root.join(&artifact.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the artifact's directory");
        }
        std::fs::write(&path, &artifact.contents).expect("write the artifact");
    }
}

/// The service the runtime serves in a spec that has one (the example specs).
pub(crate) fn runtime_service(model: &generator::Model) -> &generator::model::Service {
    model
        .runtime_service(None)
        .expect("the spec has one runtime-backed service")
        .0
}

/// A copy of `terraform/modules` in a temporary directory (`<dir>/modules/<name>`), where
/// `terraform init` and `terraform test` may write without touching the tree.
pub(crate) fn terraform_modules_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("tempdir");
    assert_success(
        &run(Command::new("cp")
            .arg("-R")
            .arg(workspace().join("terraform/modules"))
            .arg(copy.path())),
        "copying terraform/modules",
    );
    copy
}

/// The ```sh blocks of a Markdown text, in order.
pub(crate) fn shell_blocks(markdown: &str) -> Vec<&str> {
    markdown
        .split("```sh\n")
        .skip(1)
        .map(|rest| rest.split_once("\n```").map_or(rest, |(block, _)| block))
        .collect()
}

/// A Terraform file of the repository, parsed.
pub(crate) fn terraform_file(path: &str) -> Body {
    let text = std::fs::read_to_string(workspace().join(path))
        .unwrap_or_else(|error| panic!("{path}: {error}"));
    hcl::from_str(&text).unwrap_or_else(|error| panic!("{path} is not HCL: {error}"))
}

/// The expression of `attribute` in the block `kind "labels"...` of `body` (`locals` has none).
pub(crate) fn attribute<'a>(
    body: &'a Body,
    kind: &str,
    labels: &[&str],
    attribute: &str,
) -> &'a Expression {
    body.blocks()
        .filter(|block| block.identifier() == kind)
        .find(|block| {
            block
                .labels()
                .iter()
                .map(hcl::BlockLabel::as_str)
                .eq(labels.iter().copied())
        })
        .and_then(|block| {
            block
                .body()
                .attributes()
                .find(|candidate| candidate.key() == attribute)
        })
        .map(hcl::Attribute::expr)
        .unwrap_or_else(|| panic!("no `{attribute}` in {kind} {labels:?}"))
}

/// An expression's value with `var` and `local` bound as given.
pub(crate) fn evaluate(
    expression: &Expression,
    var: &[(&str, &str)],
    local: &[(&str, &str)],
) -> String {
    let object = |pairs: &[(&str, &str)]| {
        Value::Object(
            pairs
                .iter()
                .map(|(key, value)| ((*key).to_string(), Value::from(*value)))
                .collect(),
        )
    };
    let mut context = Context::new();
    context.declare_var("var", object(var));
    context.declare_var("local", object(local));
    match expression.evaluate(&context) {
        Ok(Value::String(text)) => text,
        other => panic!("{expression} does not evaluate to a string: {other:?}"),
    }
}
