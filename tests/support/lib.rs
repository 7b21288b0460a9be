//! Shared helpers of the cross-crate end-to-end tests in `tests/`.
//!
//! External tools and services are optional on a developer's machine and required in CI: when a
//! test cannot find what it needs it skips with a message, unless `REQUIRE_EXTERNAL=1` is set
//! (as `.ci/run` sets it), in which case it fails. That rule lives here, once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a missing tool or service must fail the test instead of skipping it.
pub fn external_required() -> bool {
    std::env::var("REQUIRE_EXTERNAL").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reports a missing external dependency: panics when it is required, else prints a skip note.
/// Returns `None` so callers can write `let Some(x) = ... else { return };`.
pub fn missing<T>(what: &str, how: &str) -> Option<T> {
    if external_required() {
        panic!("{what} is required (REQUIRE_EXTERNAL=1) but missing: {how}");
    }
    eprintln!("SKIP: {what} is missing ({how}); set REQUIRE_EXTERNAL=1 to make this a failure");
    None
}

/// The directories where the project's installer puts the validators.
fn tool_dirs() -> Vec<PathBuf> {
    let root = workspace();
    let tools = std::env::var_os("TOOLS_DIR").map_or_else(|| root.join(".tools"), PathBuf::from);
    vec![
        root.join("tests/tools/bin"),
        tools.join("bin"),
        tools.join("venv/bin"),
        tools.join("npm/node_modules/.bin"),
    ]
}

/// Finds a validator installed by `tests/tools/install.sh` (or on PATH).
pub fn tool(name: &str) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let found = tool_dirs()
        .into_iter()
        .chain(path_dirs)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate));
    match found {
        Some(path) => Some(path),
        None => missing(&format!("the tool `{name}`"), "run tests/tools/install.sh"),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A command for a validator, with the installed tools first on PATH and Terraform quiet.
pub fn tool_command(path: &Path) -> Command {
    let mut command = Command::new(path);
    let mut dirs = tool_dirs();
    if let Some(existing) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&existing));
    }
    if let Ok(joined) = std::env::join_paths(dirs) {
        command.env("PATH", joined);
    }
    command
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
    command
}

/// Runs a command and returns its output, panicking with the command line if it cannot start.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"))
}

/// Asserts that a validator accepted its input, showing everything it printed if not.
pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The URL of an external service from the environment (`TEST_MYSQL_URL`, ...), or a skip.
pub fn service_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => missing(
            &format!("the service URL `{variable}`"),
            "set it to a running server",
        ),
    }
}

/// Every example spec in `specs/` (the seeds' platform and the second, different example).
pub fn example_specs() -> Vec<PathBuf> {
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
pub fn render_spec(spec: &Path) -> (generator::Model, Vec<generator::render::Artifact>) {
    let model = generator::Model::load(spec)
        .unwrap_or_else(|error| panic!("{} is valid:\n{error}", spec.display()));
    let name = spec
        .strip_prefix(workspace())
        .unwrap_or(spec)
        .display()
        .to_string();
    let request = generator::render::Request {
        model: &model,
        spec_path: &name,
        only_environment: None,
    };
    let artifacts = generator::render::render_all(&request)
        .unwrap_or_else(|error| panic!("{} renders: {error}", spec.display()));
    (model, artifacts)
}

/// Writes artifacts under `root` at their relative paths.
pub fn write_artifacts(root: &Path, artifacts: &[generator::render::Artifact]) {
    for artifact in artifacts {
        let path = root.join(&artifact.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the artifact's directory");
        }
        std::fs::write(&path, &artifact.contents).expect("write the artifact");
    }
}
