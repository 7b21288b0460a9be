//! Finding tools and services, and proving a tool runs before a test relies on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::{Need, is_executable};

/// How long a tool may take to answer its probe (checkov and the Python wrappers import a lot).
const PROBE_TIMEOUT: Duration = Duration::from_secs(120);

/// The repository root.
pub fn workspace() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// Where the project's installer puts the validators (`$TOOLS_DIR`, by default `.tools/`), and
/// the committed wrappers, searched before `PATH`.
pub fn tool_dirs() -> Vec<PathBuf> {
    let root = workspace();
    let tools = std::env::var_os("TOOLS_DIR").map_or_else(|| root.join(".tools"), PathBuf::from);
    vec![
        root.join("tests/tools/bin"),
        tools.join("bin"),
        tools.join("venv/bin"),
        tools.join("npm/node_modules/.bin"),
    ]
}

/// The first executable called `name` in the tool directories or on `PATH`.
pub(crate) fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    tool_dirs()
        .into_iter()
        .chain(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// A command for a tool, with the tool directories first on `PATH` and Terraform quiet and
/// offline.
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

/// The arguments that make a tool show it runs without doing any work. The wrappers of
/// `tests/tools/bin` all take `--probe`.
fn probe_arguments(name: &str, path: &Path) -> &'static [&'static str] {
    if path.starts_with(workspace().join("tests/tools/bin")) {
        return &["--probe"];
    }
    match name {
        "terraform" => &["version"],
        "actionlint" => &["-version"],
        _ => &["--version"],
    }
}

/// Whether a need is met, and if not why; each need is probed once per test binary, however
/// many tests ask.
pub(crate) fn status(need: Need) -> Result<(), String> {
    /// A need's probe, run by the first test that asks; the others wait for its answer.
    type Probe = Arc<OnceLock<Result<(), String>>>;
    static PROBES: OnceLock<Mutex<BTreeMap<Need, Probe>>> = OnceLock::new();
    let cell = Arc::clone(
        PROBES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(need)
            .or_default(),
    );
    cell.get_or_init(|| check(need)).clone()
}

fn check(need: Need) -> Result<(), String> {
    match need {
        Need::Service(variable) => match std::env::var(variable) {
            Ok(url) if !url.is_empty() => Ok(()),
            _ => Err(format!(
                "`{variable}` is not set to the URL of a running server"
            )),
        },
        Need::Tool(name) => {
            let Some(path) = find(name) else {
                return Err(format!(
                    "the tool `{name}` is not installed (not in tests/tools/bin, .tools or PATH)"
                ));
            };
            runs(name, &path)
        }
    }
}

/// Runs the tool's probe; `Ok` only when it exits 0 in time.
fn runs(name: &str, path: &Path) -> Result<(), String> {
    let arguments = probe_arguments(name, path);
    let shown = format!("`{name} {}`", arguments.join(" "));
    let mut child = tool_command(path)
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            format!(
                "the tool `{name}` does not start ({}): {error}",
                path.display()
            )
        })?;
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the tool `{name}` does not run: {shown} took over {} s",
                    PROBE_TIMEOUT.as_secs()
                ));
            }
            Err(error) => return Err(format!("the tool `{name}` does not run: {error}")),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("the tool `{name}` does not run: {error}"))?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let said = said
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim();
    Err(format!(
        "the tool `{name}` does not run: {shown} failed ({}){}",
        output.status,
        if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        }
    ))
}
