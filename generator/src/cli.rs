//! The `platformgen` command line: parse arguments, run one command, return the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path as FsPath, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{Layer, LoadError, Loaded, load_file};
use crate::output::{self, Scope};
use crate::render::{Request, render_all};
use crate::schema::spec_schema_text;
use crate::source::{Path, Segment, Source};

/// Exit codes, as documented in `--help`.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

pub const DEFAULT_SPEC: &str = "specs/expense.toml";

/// A starter spec that validates, written by `platformgen init`.
pub const STARTER_SPEC: &str = include_str!("starter.toml");

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the spec is invalid, or a check failed
  2  usage or I/O error (bad arguments, unreadable file)

Examples:
  platformgen validate                          # check specs/expense.toml
  platformgen validate specs/other.toml --format json
  platformgen generate                          # render every artifact of specs/expense.toml
  platformgen generate --check                  # CI: fail with a diff if artifacts drifted
  platformgen explain prod database.multi_az    # resolved value and where it was written
  platformgen schema > specs/schema.json        # the JSON Schema editors use
  platformgen init platform.toml                # a commented starter spec";

#[derive(Debug, Parser)]
#[command(
    name = "platformgen",
    version,
    about = "Validate a platform spec and render every deploy artifact from it"
)]
#[command(after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec and print every problem, with file:line:col, the key and a fix.
    Validate {
        /// The spec file.
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// `human` for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Render every artifact (tfvars, Helm values, PrometheusRules, dashboards, workflows).
    Generate {
        /// The spec file.
        #[arg(long, default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// Render only this environment's artifacts (and the global ones).
        #[arg(long)]
        env: Option<String>,
        /// Write nothing; exit 1 with a diff when a file on disk differs from the render.
        #[arg(long)]
        check: bool,
        /// The directory that holds generated/ and .github/ (the repository root).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Print the JSON Schema of spec files (what specs/schema.json holds).
    Schema {
        /// Write it to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Show a resolved value of an environment and where it was written.
    Explain {
        /// Environment name, for example `prod`.
        env: String,
        /// Dotted key path, for example `database.multi_az` or `app` (a whole table).
        key: String,
        /// The spec file.
        #[arg(long, default_value = DEFAULT_SPEC)]
        spec: PathBuf,
    },
    /// Write a commented starter spec that validates.
    Init {
        /// Where to write it.
        #[arg(default_value = "platform.toml")]
        path: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Where a command writes: standard output for results, standard error for diagnostics.
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Whether diagnostics may use colour.
    pub styled: bool,
}

impl Output<'_> {
    fn say(&mut self, text: &str) {
        // A closed pipe (platformgen ... | head) is not an error worth a panic.
        let _ = writeln!(self.out, "{text}");
    }

    fn warn(&mut self, text: &str) {
        let _ = writeln!(self.err, "{text}");
    }
}

/// Runs the command line of this process.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            });
        }
    };
    let styled = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    ExitCode::from(run(
        cli.command,
        &mut Output {
            out: &mut out,
            err: &mut err,
            styled,
        },
    ))
}

/// Runs one command and returns its exit code.
pub fn run(command: Command, output: &mut Output<'_>) -> u8 {
    match command {
        Command::Validate { spec, format } => validate(&spec, format, output),
        Command::Generate {
            spec,
            env,
            check,
            out,
        } => generate(&spec, env.as_deref(), check, &out, output),
        Command::Schema { output: None } => {
            let _ = write!(output.out, "{}", spec_schema_text());
            EXIT_OK
        }
        Command::Schema { output: Some(path) } => write_file(&path, &spec_schema_text(), output),
        Command::Explain { env, key, spec } => explain(&spec, &env, &key, output),
        Command::Init { path, force } => {
            if path.exists() && !force {
                output.warn(&format!(
                    "error: `{}` already exists; pass --force to replace it",
                    path.display()
                ));
                return EXIT_USAGE;
            }
            let code = write_file(&path, STARTER_SPEC, output);
            if code == EXIT_OK {
                output.say(&format!(
                    "wrote {}: edit it, then run `platformgen validate {}`",
                    path.display(),
                    path.display()
                ));
            }
            code
        }
    }
}

fn write_file(path: &FsPath, text: &str, output: &mut Output<'_>) -> u8 {
    match std::fs::write(path, text) {
        Ok(()) => EXIT_OK,
        Err(error) => {
            output.warn(&format!(
                "error: cannot write `{}`: {error}",
                path.display()
            ));
            EXIT_USAGE
        }
    }
}

/// Loads a spec, printing its diagnostics; `None` means the command is over with that code.
fn load(spec: &FsPath, format: Format, output: &mut Output<'_>) -> Result<Loaded, u8> {
    match load_file(spec) {
        Ok(loaded) => Ok(loaded),
        Err(LoadError::Read(error)) => {
            match format {
                Format::Human => output.warn(&format!("error: {error}")),
                Format::Json => output.say(
                    &serde_json::json!({ "valid": false, "error": error.to_string(), "diagnostics": [] }).to_string(),
                ),
            }
            Err(EXIT_USAGE)
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            report(&source, &diagnostics, false, format, output);
            Err(EXIT_INVALID)
        }
    }
}

fn report(
    source: &Source,
    diagnostics: &[Diagnostic],
    valid: bool,
    format: Format,
    output: &mut Output<'_>,
) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match format {
        Format::Human => {
            for diagnostic in diagnostics {
                output.warn(&diagnostic.render(source, output.styled));
            }
            if !valid {
                output.warn(&format!(
                    "{}: {errors} error{}{}",
                    source.name,
                    if errors == 1 { "" } else { "s" },
                    if warnings > 0 {
                        format!(
                            ", {warnings} warning{}",
                            if warnings == 1 { "" } else { "s" }
                        )
                    } else {
                        String::new()
                    }
                ));
            }
        }
        Format::Json => {
            let report = serde_json::json!({
                "valid": valid,
                "file": source.name,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics.iter().map(|d| d.to_json(source)).collect::<Vec<_>>(),
            });
            output.say(&serde_json::to_string_pretty(&report).unwrap_or_default());
        }
    }
}

fn validate(spec: &FsPath, format: Format, output: &mut Output<'_>) -> u8 {
    let loaded = match load(spec, format, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    report(&loaded.source, &loaded.warnings, true, format, output);
    if format == Format::Human {
        let names: Vec<&str> = loaded
            .model
            .environments
            .keys()
            .map(String::as_str)
            .collect();
        let warnings = loaded.warnings.len();
        output.say(&format!(
            "{}: valid ({} environment{}: {}{})",
            loaded.source.name,
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            if warnings > 0 {
                format!(
                    "; {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        ));
    }
    EXIT_OK
}

/// The value as TOML would write it inline.
fn toml_inline(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", Path::root().child(k), toml_inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(toml_inline).collect::<Vec<_>>().join(", ")
        ),
        Value::String(text) => Value::String(text.clone()).to_string(),
        other => other.to_string(),
    }
}

fn explain(spec: &FsPath, env: &str, key: &str, output: &mut Output<'_>) -> u8 {
    let loaded = match load(spec, Format::Human, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(relative) = Path::parse_dotted(key) else {
        output.warn(&format!("error: `{key}` is not a key path; write it like `database.multi_az` or `routes[0].path`"));
        return EXIT_USAGE;
    };
    let position = |path: &Path| {
        let (line, column) = loaded.source.line_col(loaded.document.locate(path).start);
        format!("{}:{line}:{column}", loaded.source.name)
    };
    let global = matches!(relative.0.first(), Some(Segment::Key(first)) if loaded.document.value.get(first).is_some() && !matches!(first.as_str(), "defaults" | "environments"));
    if global {
        let Some(value) = relative.lookup(&loaded.document.value) else {
            return unknown_key(&relative, &loaded.document.value, output);
        };
        output.say(&format!("{relative} = {}", toml_inline(value)));
        output.say(&format!(
            "    set at {} (the same in every environment)",
            position(&relative)
        ));
        return EXIT_OK;
    }
    let Some(environment) = loaded.model.environment(env) else {
        output.warn(&unknown_environment(&loaded, env));
        return EXIT_INVALID;
    };
    let Some(value) = relative.lookup(&environment.value) else {
        return unknown_key(&relative, &environment.value, output);
    };
    output.say(&format!("{env}.{relative} = {}", toml_inline(value)));
    let leaves: Vec<_> = environment.leaves_under(&relative).collect();
    for (leaf, origin) in leaves {
        let from = match environment.layer_of(leaf) {
            Layer::Defaults => "from [defaults]",
            Layer::Environment => "set in the environment",
        };
        let shown = if leaf == &relative {
            String::new()
        } else {
            format!(
                "{env}.{leaf} = {} ",
                toml_inline(leaf.lookup(&environment.value).unwrap_or(&Value::Null))
            )
        };
        output.say(&format!(
            "    {shown}{from}: {} ({origin})",
            position(origin)
        ));
    }
    EXIT_OK
}

/// The error for an environment the spec does not define, with the closest name or the list.
fn unknown_environment(loaded: &Loaded, name: &str) -> String {
    let names = loaded.model.environments.keys().map(String::as_str);
    let hint = did_you_mean(name, names.clone()).map_or_else(
        || format!("environments: {}", names.collect::<Vec<_>>().join(", ")),
        |s| format!("did you mean `{s}`?"),
    );
    format!(
        "error: there is no environment `{name}` in {}\n  help: {hint}",
        loaded.source.name
    )
}

fn unknown_key(path: &Path, root: &Value, output: &mut Output<'_>) -> u8 {
    let mut known_prefix = Path::root();
    let mut node = root;
    for segment in &path.0 {
        let next = match (segment, node) {
            (Segment::Key(key), Value::Object(map)) => map.get(key),
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(child) => {
                node = child;
                known_prefix.0.push(segment.clone());
            }
            None => {
                let missing = match segment {
                    Segment::Key(key) => key.clone(),
                    Segment::Index(index) => format!("[{index}]"),
                };
                let keys: Vec<&str> = node
                    .as_object()
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = match did_you_mean(&missing, keys.iter().copied()) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None if keys.is_empty() => "this value has no keys under it".to_string(),
                    None => format!("keys here: {}", keys.join(", ")),
                };
                let place = if known_prefix.is_empty() {
                    "the top level".to_string()
                } else {
                    format!("`{known_prefix}`")
                };
                output.warn(&format!(
                    "error: there is no key `{missing}` under {place}\n  help: {hint}"
                ));
                return EXIT_INVALID;
            }
        }
    }
    EXIT_INVALID
}

fn generate(
    spec: &FsPath,
    env: Option<&str>,
    check: bool,
    out: &FsPath,
    output: &mut Output<'_>,
) -> u8 {
    let loaded = match load(spec, Format::Human, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    for warning in &loaded.warnings {
        output.warn(&warning.render(&loaded.source, output.styled));
    }
    if let Some(name) = env
        && loaded.model.environment(name).is_none()
    {
        output.warn(&unknown_environment(&loaded, name));
        return EXIT_INVALID;
    }
    let spec_name = spec.display().to_string();
    let request = Request {
        model: &loaded.model,
        spec_path: &spec_name,
        only_environment: env,
    };
    let mut artifacts = match render_all(&request) {
        Ok(artifacts) => artifacts,
        Err(error) => {
            output.warn(&format!("error: {error}"));
            return EXIT_INVALID;
        }
    };
    let scope = match env {
        Some(name) => Scope::Environment(name),
        None => {
            artifacts.push(output::manifest(&artifacts, &request.header("#")));
            Scope::All
        }
    };
    let fix = match env {
        Some(name) => format!("platformgen generate --spec {spec_name} --env {name}"),
        None => format!("platformgen generate --spec {spec_name}"),
    };
    if check {
        let drift = match output::check(out, &artifacts, scope) {
            Ok(drift) => drift,
            Err(error) => {
                output.warn(&format!(
                    "error: cannot read the generated files under `{}`: {error}",
                    out.display()
                ));
                return EXIT_USAGE;
            }
        };
        if drift.is_clean() {
            output.say(&format!(
                "{} artifacts are up to date with {spec_name}",
                artifacts.len()
            ));
            return EXIT_OK;
        }
        for (path, diff) in &drift.changed {
            output.say(&format!("changed: {path}"));
            output.say(diff.trim_end());
        }
        for path in &drift.missing {
            output.say(&format!(
                "missing: {path} (the spec renders it; it is not on disk)"
            ));
        }
        for path in &drift.stale {
            output.say(&format!(
                "stale: {path} (generated earlier; the spec no longer renders it)"
            ));
        }
        let count = drift.changed.len() + drift.missing.len() + drift.stale.len();
        output.warn(&format!(
            "error: {count} generated file{} out of date with {spec_name}\n  help: run `{fix}` and commit the result",
            if count == 1 { " is" } else { "s are" }
        ));
        return EXIT_INVALID;
    }
    match output::write(out, &artifacts, scope) {
        Ok(written) => {
            for path in &written.written {
                output.say(&format!("wrote {path}"));
            }
            for path in &written.removed {
                output.say(&format!("removed {path}"));
            }
            output.say(&format!(
                "{} written, {} unchanged, {} removed",
                written.written.len(),
                written.unchanged,
                written.removed.len()
            ));
            EXIT_OK
        }
        Err(error) => {
            output.warn(&format!(
                "error: cannot write under `{}`: {error}",
                out.display()
            ));
            EXIT_USAGE
        }
    }
}
