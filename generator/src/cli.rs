//! The `platformgen` command line: parse arguments, run one command, return the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path as FsPath, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::{LoadError, Loaded, load_file};
use crate::model::{Environment, Layer};
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
  platformgen validate specs/*.toml --format json
  cat spec.toml | platformgen validate -        # a spec on standard input
  platformgen generate                          # render every artifact of specs/expense.toml
  platformgen generate --check                  # CI: fail with a diff if artifacts drifted
  platformgen explain prod database.multi_az    # resolved value and where it was written
  platformgen explain prod                      # every value of prod, thresholds, waivers
  platformgen schema > specs/schema.json        # the JSON Schema editors use
  platformgen init platform.toml --name shop --region eu-west-1";

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
    /// Check specs and print every problem, with file:line:col, the key and a fix.
    Validate {
        /// Spec files (`-` reads standard input); `specs/expense.toml` when none is given.
        #[arg(value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// A spec file, as `generate` and `explain` take it (may be repeated).
        #[arg(long = "spec", value_name = "SPEC")]
        spec_options: Vec<PathBuf>,
        /// `human` for people, `json` for tools (one object, or an array for several specs).
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
        /// Also remove files the spec no longer renders that a person edited (kept otherwise).
        #[arg(long, conflicts_with = "check")]
        force: bool,
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
        /// Dotted key path, for example `database.multi_az` or `app` (a whole table). Without
        /// it: every resolved value of the environment, the alert thresholds in effect and the
        /// waivers.
        key: Option<String>,
        /// The spec file.
        #[arg(long, default_value = DEFAULT_SPEC)]
        spec: PathBuf,
    },
    /// Write a commented starter spec that validates, and the schema.json its `#:schema` line
    /// names (beside it) for editors.
    Init {
        /// Where to write it.
        #[arg(default_value = "platform.toml")]
        path: PathBuf,
        /// The project's name: the prefix of every resource, service and repository name.
        #[arg(long, default_value = "myapp")]
        name: String,
        /// The AWS region of every environment.
        #[arg(long, default_value = "us-east-1")]
        region: String,
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
        Command::Validate {
            mut specs,
            spec_options,
            format,
        } => {
            specs.extend(spec_options);
            if specs.is_empty() {
                specs.push(PathBuf::from(DEFAULT_SPEC));
            }
            validate(&specs, format, output)
        }
        Command::Generate {
            spec,
            env,
            check,
            out,
            force,
        } => generate(
            &spec,
            &Destination {
                env: env.as_deref(),
                out: &out,
                check,
                force,
            },
            output,
        ),
        Command::Schema { output: None } => {
            let _ = write!(output.out, "{}", spec_schema_text());
            EXIT_OK
        }
        Command::Schema { output: Some(path) } => write_file(&path, &spec_schema_text(), output),
        Command::Explain { env, key, spec } => explain(&spec, &env, key.as_deref(), output),
        Command::Init {
            path,
            name,
            region,
            force,
        } => init(&path, &name, &region, force, output),
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

/// Loads a spec for a command that needs it valid, printing its diagnostics; `Err` is the
/// command's exit code.
fn load(spec: &FsPath, output: &mut Output<'_>) -> Result<Loaded, u8> {
    match load_file(spec) {
        Ok(loaded) => Ok(loaded),
        Err(LoadError::Read(error)) => {
            output.warn(&format!("error: {error}"));
            Err(EXIT_USAGE)
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            report_human(&source, &diagnostics, false, output);
            Err(EXIT_INVALID)
        }
    }
}

/// `1 error`, `2 warnings`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn report_human(source: &Source, diagnostics: &[Diagnostic], valid: bool, output: &mut Output<'_>) {
    for diagnostic in diagnostics {
        output.warn(&diagnostic.render(source, output.styled));
    }
    if !valid {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        let mut summary = format!("{}: {}", source.name, count(errors, "error"));
        if warnings > 0 {
            summary.push_str(&format!(", {}", count(warnings, "warning")));
        }
        output.warn(&summary);
    }
}

fn report_json(source: &Source, diagnostics: &[Diagnostic], valid: bool) -> Value {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "valid": valid,
        "file": source.name,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "diagnostics": diagnostics.iter().map(|d| d.to_json(source)).collect::<Vec<_>>(),
    })
}

/// Validates every spec given, each reported on its own; the exit code is the worst of them.
fn validate(specs: &[PathBuf], format: Format, output: &mut Output<'_>) -> u8 {
    let mut code = EXIT_OK;
    let mut reports = Vec::new();
    for spec in specs {
        let (one, report) = validate_one(spec, format, output);
        code = code.max(one);
        reports.extend(report);
    }
    if format == Format::Json {
        let report = match reports.len() {
            1 => reports.pop().unwrap_or_default(),
            _ => Value::Array(reports),
        };
        output.say(&serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    code
}

/// Validates one spec: prints it for people, or returns its JSON report.
fn validate_one(spec: &FsPath, format: Format, output: &mut Output<'_>) -> (u8, Option<Value>) {
    let json = format == Format::Json;
    match load_file(spec) {
        Err(LoadError::Read(error)) => {
            if json {
                let report = serde_json::json!({
                    "valid": false,
                    "file": spec.display().to_string(),
                    "error": error.to_string(),
                    "diagnostics": [],
                });
                return (EXIT_USAGE, Some(report));
            }
            output.warn(&format!("error: {error}"));
            (EXIT_USAGE, None)
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            if json {
                return (
                    EXIT_INVALID,
                    Some(report_json(&source, &diagnostics, false)),
                );
            }
            report_human(&source, &diagnostics, false, output);
            (EXIT_INVALID, None)
        }
        Ok(loaded) => {
            if json {
                return (
                    EXIT_OK,
                    Some(report_json(&loaded.source, &loaded.warnings, true)),
                );
            }
            report_human(&loaded.source, &loaded.warnings, true, output);
            let names: Vec<&str> = loaded
                .model
                .environments
                .keys()
                .map(String::as_str)
                .collect();
            let mut summary = format!(
                "{}: valid ({}: {}",
                loaded.source.name,
                count(names.len(), "environment"),
                names.join(", ")
            );
            if !loaded.warnings.is_empty() {
                summary.push_str(&format!("; {}", count(loaded.warnings.len(), "warning")));
            }
            summary.push(')');
            output.say(&summary);
            (EXIT_OK, None)
        }
    }
}

/// Writes the starter spec, named and placed as asked, and the schema its `#:schema` line names.
fn init(path: &FsPath, name: &str, region: &str, force: bool, output: &mut Output<'_>) -> u8 {
    if path.exists() && !force {
        output.warn(&format!(
            "error: `{}` already exists; pass --force to replace it",
            path.display()
        ));
        return EXIT_USAGE;
    }
    let text = match starter_spec(name, region) {
        Ok(text) => text,
        Err(error) => {
            output.warn(&format!("error: {error}"));
            return EXIT_USAGE;
        }
    };
    let code = write_file(path, &text, output);
    if code != EXIT_OK {
        return code;
    }
    let schema = path.with_file_name(SCHEMA_FILE);
    let schema_text = spec_schema_text();
    let note = match std::fs::read_to_string(&schema) {
        Ok(existing) if existing == schema_text => String::new(),
        Ok(_) => format!(
            "; `{}` was left as it was (run `platformgen schema -o {}` to refresh it)",
            schema.display(),
            schema.display()
        ),
        Err(_) => {
            let code = write_file(&schema, &schema_text, output);
            if code != EXIT_OK {
                return code;
            }
            format!(" and {} (its JSON Schema, for editors)", schema.display())
        }
    };
    output.say(&format!(
        "wrote {}{note}: edit it, then run `platformgen validate {}`",
        path.display(),
        path.display()
    ));
    EXIT_OK
}

/// The file name the starter's `#:schema` line points at, beside the spec.
const SCHEMA_FILE: &str = "schema.json";

/// The starter spec for a project `name` in `region`, checked to validate.
fn starter_spec(name: &str, region: &str) -> Result<String, String> {
    // The longest name the starter derives from it is `<name>-backend`, itself a name of at
    // most 32 characters.
    let name_ok = (2..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return Err(format!(
            "`{name}` cannot name a project\n  help: use 2 to 24 lower-case letters, digits and \
             `-`, starting with a letter (for example `shop`)"
        ));
    }
    let parts: Vec<&str> = region.split('-').collect();
    let region_ok = matches!(parts.as_slice(), [area, .., zone] if area.len() == 2
        && zone.len() == 1 && zone.chars().all(|c| c.is_ascii_digit()))
        && parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()));
    if !region_ok {
        return Err(format!(
            "`{region}` is not an AWS region\n  help: write it like `us-east-1` or `eu-west-1`"
        ));
    }
    let text = format!(
        "#:schema ./{SCHEMA_FILE}\n{}",
        STARTER_SPEC
            .replace("myapp", name)
            .replace("us-east-1", region)
    );
    match crate::Model::load_str("the starter spec", &text) {
        Ok(_) => Ok(text),
        Err(error) => Err(format!(
            "a starter spec for project `{name}` in `{region}` would not validate:\n{error}"
        )),
    }
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

fn explain(spec: &FsPath, env: &str, key: Option<&str>, output: &mut Output<'_>) -> u8 {
    let loaded = match load(spec, output) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(environment) = loaded.model.environment(env) else {
        output.warn(&unknown_environment(&loaded, env));
        return EXIT_INVALID;
    };
    let Some(key) = key else {
        explain_environment(&loaded, environment, output);
        return EXIT_OK;
    };
    let Some(relative) = Path::parse_dotted(key) else {
        output.warn(&format!("error: `{key}` is not a key path; write it like `database.multi_az` or `routes[0].path`"));
        return EXIT_USAGE;
    };
    let global = matches!(relative.0.first(), Some(Segment::Key(first)) if loaded.document.value.get(first).is_some() && !matches!(first.as_str(), "defaults" | "environments"));
    if global {
        let Some(value) = relative.lookup(&loaded.document.value) else {
            return unknown_key(&relative, &loaded.document.value, output);
        };
        output.say(&format!("{relative} = {}", toml_inline(value)));
        output.say(&format!(
            "    set at {} (the same in every environment)",
            position(&loaded, &relative)
        ));
        return EXIT_OK;
    }
    let Some(value) = relative.lookup(&environment.resolved.value) else {
        return unknown_key(&relative, &environment.resolved.value, output);
    };
    output.say(&format!("{env}.{relative} = {}", toml_inline(value)));
    for (leaf, origin) in environment.resolved.leaves_under(&relative) {
        let shown = if leaf == &relative {
            String::new()
        } else {
            format!(
                "{env}.{leaf} = {} ",
                toml_inline(
                    leaf.lookup(&environment.resolved.value)
                        .unwrap_or(&Value::Null)
                )
            )
        };
        output.say(&format!(
            "    {shown}{}: {} ({origin})",
            layer_name(environment.resolved.layer_of(leaf)),
            position(&loaded, origin)
        ));
    }
    EXIT_OK
}

/// `file:line:col` of a key of the spec.
fn position(loaded: &Loaded, path: &Path) -> String {
    let (line, column) = loaded.source.line_col(loaded.document.locate(path).start);
    format!("{}:{line}:{column}", loaded.source.name)
}

fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Defaults => "from [defaults]",
        Layer::Environment => "set in the environment",
    }
}

/// Every resolved value of an environment with where it was written, then the threshold of
/// every alert in effect there (its own default or the environment's override), then the
/// environment's waivers.
fn explain_environment(loaded: &Loaded, environment: &Environment, output: &mut Output<'_>) {
    let env = &environment.name;
    for (leaf, origin) in environment.resolved.leaves_under(&Path::root()) {
        let value = leaf
            .lookup(&environment.resolved.value)
            .unwrap_or(&Value::Null);
        output.say(&format!(
            "{env}.{leaf} = {}\n    {}: {}",
            toml_inline(value),
            layer_name(environment.resolved.layer_of(leaf)),
            position(loaded, origin)
        ));
    }
    output.say(&format!("\nalert thresholds in effect in {env}:"));
    let mut any = false;
    for (index, alert) in loaded.model.alerts.iter().enumerate() {
        let Some(value) = environment.thresholds.get(&alert.name) else {
            continue;
        };
        let leaf = Path::root()
            .child("monitoring")
            .child("alert_thresholds")
            .child(&alert.name);
        let (origin, from) = if environment.resolved.leaves_under(&leaf).next().is_some() {
            (
                environment.resolved.source_of(&leaf),
                layer_name(environment.resolved.layer_of(&leaf)),
            )
        } else {
            let origin = Path::root().child("alerts").index(index).child("threshold");
            (origin, "the alert's default")
        };
        any = true;
        output.say(&format!(
            "    {} = {value}   {from}: {}",
            alert.name,
            position(loaded, &origin)
        ));
    }
    if !any {
        output.say("    (no alert has a threshold)");
    }
    output.say(&format!("\nwaivers of the production rules in {env}:"));
    if environment.waivers.is_empty() {
        output.say("    (none)");
    }
    for (index, waiver) in environment.waivers.iter().enumerate() {
        let origin = environment
            .resolved
            .source_of(&Path::root().child("waivers").index(index));
        output.say(&format!(
            "    {}: {}   {}",
            serde_json::to_value(waiver.rule)
                .ok()
                .and_then(|rule| rule.as_str().map(str::to_string))
                .unwrap_or_default(),
            waiver.reason,
            position(loaded, &origin)
        ));
    }
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

/// What `generate` renders and where it writes (or compares).
struct Destination<'a> {
    env: Option<&'a str>,
    out: &'a FsPath,
    check: bool,
    force: bool,
}

fn generate(spec: &FsPath, destination: &Destination<'_>, output: &mut Output<'_>) -> u8 {
    let &Destination {
        env,
        out,
        check,
        force,
    } = destination;
    if spec == FsPath::new("-") {
        output.warn(
            "error: `generate` needs the spec as a file: every artifact's header names it\n  \
             help: write it to a file and pass its path with --spec",
        );
        return EXIT_USAGE;
    }
    let loaded = match load(spec, output) {
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
        return EXIT_USAGE;
    }
    // Headers name the spec as the output root sees it: the same bytes however it was typed.
    let spec_name = output::relative_to_root(out, spec);
    // The generated CI checks this path; GitHub would evaluate an expression in it.
    if spec_name.contains("${{") {
        output.warn(&format!(
            "error: the spec's path `{spec_name}` holds `${{{{`, which the generated workflows \
             would evaluate as an expression\n  help: rename the file"
        ));
        return EXIT_USAGE;
    }
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
    // The command that fixes a drift repeats every option given, so it writes where the check
    // looked, from wherever it is run.
    let mut fix = format!("platformgen generate --spec {}", spec.display());
    if out != FsPath::new(".") {
        fix.push_str(&format!(" --out {}", out.display()));
    }
    if let Some(name) = env {
        fix.push_str(&format!(" --env {name}"));
    }
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
        for stale in &drift.stale {
            output.say(&match stale.edited {
                None => format!(
                    "stale: {} (generated earlier; the spec no longer renders it)",
                    stale.path
                ),
                Some(why) => format!(
                    "stale: {} (the spec no longer renders it, and {why}: `generate` keeps it, \
                     `generate --force` removes it)",
                    stale.path
                ),
            });
        }
        let count = drift.changed.len() + drift.missing.len() + drift.stale.len();
        output.warn(&format!(
            "error: {count} generated file{} out of date with {spec_name}\n  help: run `{fix}` and commit the result",
            if count == 1 { " is" } else { "s are" }
        ));
        return EXIT_INVALID;
    }
    match output::write(out, &artifacts, scope, force) {
        Ok(written) => {
            for path in &written.written {
                output.say(&format!("wrote {path}"));
            }
            for path in &written.removed {
                output.say(&format!("removed {path}"));
            }
            for kept in &written.kept {
                output.warn(&format!(
                    "warning: kept {}: the spec no longer renders it, but {}; delete it, or \
                     run `{fix} --force`",
                    kept.path,
                    kept.edited.unwrap_or("it was edited")
                ));
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
