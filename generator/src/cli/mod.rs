//! The `platformgen` command line: parse arguments, run one command, return the exit code.

mod check;
mod cost;
mod diff;
mod explain;
mod generate;
mod init;
pub mod lsp;
mod report;
mod validate;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::schema::{spec_reference_text, spec_schema_text};
pub use cost::CostFormat;
pub use report::{DEFAULT_SPEC, EXIT_INVALID, EXIT_OK, EXIT_USAGE, Format, Output, STARTER_SPEC};

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
  platformgen generate --check --format json    # the same drift, for tools
  platformgen explain prod database.multi_az    # resolved value and where it was written
  platformgen explain prod                      # every value of prod, thresholds, waivers
  platformgen explain prod --format json        # the same, for tools
  platformgen diff staging prod                 # every value that differs, and where each was set
  platformgen cost                              # monthly estimate of each environment, per line
  platformgen cost --env prod --format markdown # the same for a pull request comment
  platformgen cost --compare base.json          # the change from a base's `cost --format json`
  platformgen schema > specs/schema.json        # the JSON Schema editors use
  platformgen schema --format markdown -o generator/SPEC-REFERENCE.md  # every key, for people
  platformgen init platform.toml --name shop --region eu-west-1
  platformgen lsp                               # language server for editors (generator/LSP.md)
  platformgen completions bash > ~/.local/share/bash-completion/completions/platformgen";

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
        /// Write nothing; exit 1 when files on disk differ from the render, with each file's diff
        /// and a summary.
        #[arg(long)]
        check: bool,
        /// The directory that holds generated/ and .github/ (the repository root).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Also remove files the spec no longer renders that a person edited (kept otherwise).
        #[arg(long, conflicts_with = "check")]
        force: bool,
        /// With --check: `text` (or `human`) for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = Format::Human, requires = "check")]
        format: Format,
    },
    /// Print the JSON Schema of spec files (what specs/schema.json holds), or the reference of
    /// every key drawn from it (what generator/SPEC-REFERENCE.md holds).
    Schema {
        /// Write it to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// `json`: the JSON Schema; `markdown`: every key with its type, allowed values,
        /// default and description.
        #[arg(long, value_enum, default_value_t = SchemaFormat::Json)]
        format: SchemaFormat,
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
        /// `text` (or `human`) for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Estimate each environment's monthly AWS cost from the spec alone, line by line, beside
    /// its budget (prices: generator/prices/<region>.toml).
    Cost {
        /// The spec file.
        #[arg(long, default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// Only this environment.
        #[arg(long)]
        env: Option<String>,
        /// `text` for a terminal, `markdown` for a pull request comment, `json` for tools.
        #[arg(long, value_enum, default_value_t = CostFormat::Text)]
        format: CostFormat,
        /// Print, as Markdown, the change from this estimate (`cost --format json` of a pull
        /// request's base) to the spec's: base, head, change and budget per environment, and
        /// the lines that changed.
        #[arg(long, value_name = "BASE.json", conflicts_with = "format")]
        compare: Option<PathBuf>,
    },
    /// Show every resolved value that differs between two environments, and where each side
    /// was written.
    Diff {
        /// An environment, for example `staging`.
        a: String,
        /// The environment to compare it with, for example `prod`.
        b: String,
        /// The spec file.
        #[arg(long, default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// `text` (or `human`) for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
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
    /// Serve editors as a language server over standard input and output: diagnostics as you
    /// type, hover with each environment's value and where it was set, completion from the
    /// schema, go to definition (setup: generator/LSP.md).
    Lsp,
    /// Print the completion script of a shell, for its completion directory or startup file.
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// What `platformgen schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    /// The JSON Schema (draft 2020-12).
    Json,
    /// The reference of every key, as Markdown.
    Markdown,
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
    // Standard output is not held locked: `lsp`'s writer thread writes the protocol to it.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr().lock());
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
            validate::validate(&specs, format, output)
        }
        Command::Generate {
            spec,
            env,
            check,
            out,
            force,
            format,
        } => generate::generate(
            &spec,
            &generate::Destination {
                env: env.as_deref(),
                out: &out,
                check,
                force,
                format,
            },
            output,
        ),
        Command::Schema {
            output: destination,
            format,
        } => {
            let text = match format {
                SchemaFormat::Json => spec_schema_text(),
                SchemaFormat::Markdown => spec_reference_text(),
            };
            match destination {
                Some(path) => report::write_file(&path, &text, output),
                None => {
                    let _ = write!(output.out, "{text}");
                    EXIT_OK
                }
            }
        }
        Command::Explain {
            env,
            key,
            spec,
            format,
        } => explain::explain(&spec, &env, key.as_deref(), format, output),
        Command::Cost {
            spec,
            env,
            format,
            compare,
        } => cost::cost(
            &spec,
            &cost::CostRequest {
                env: env.as_deref(),
                format,
                compare: compare.as_deref(),
            },
            output,
        ),
        Command::Diff { a, b, spec, format } => diff::diff(&spec, [&a, &b], format, output),
        Command::Init {
            path,
            name,
            region,
            force,
        } => init::init(&path, &name, &region, force, output),
        Command::Lsp => lsp::serve(output),
        Command::Completions { shell } => {
            // Rendered first: clap_complete panics on a closed pipe (`... | head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "platformgen", &mut script);
            let _ = output.out.write_all(&script);
            EXIT_OK
        }
    }
}
