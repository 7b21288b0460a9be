//! `platformgen generate`: render every artifact, then write it, or compare it (`--check`).

use std::path::Path as FsPath;

use super::check::{self, Checked};
use super::report::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Format, Output, load, unknown_environment};
use crate::output::{self, Scope};
use crate::render::{Request, render_all};

/// What `generate` renders and where it writes (or compares).
pub(super) struct Destination<'a> {
    pub(super) env: Option<&'a str>,
    pub(super) out: &'a FsPath,
    pub(super) check: bool,
    pub(super) force: bool,
    /// How `--check` reports.
    pub(super) format: Format,
}

pub(super) fn generate(
    spec: &FsPath,
    destination: &Destination<'_>,
    output: &mut Output<'_>,
) -> u8 {
    let &Destination {
        env,
        out,
        check,
        force,
        format,
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
        spec_text: &loaded.source.text,
        only_environment: env,
    };
    let mut artifacts = match render_all(&request) {
        Ok(artifacts) => artifacts,
        Err(error) => {
            output.warn(&format!("error: {error}"));
            return EXIT_INVALID;
        }
    };
    let scope = if let Some(name) = env {
        Scope::Environment(name)
    } else {
        artifacts.push(output::manifest(&artifacts, &request.header("#")));
        Scope::All
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
        return check::report(
            &Checked {
                drift: &drift,
                rendered: artifacts.len(),
                spec: &spec_name,
                fix: &fix,
            },
            format,
            output,
        );
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
