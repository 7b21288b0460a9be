//! How other tools run platformgen: shells complete its commands, pre-commit runs its check.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use clap::Parser;
use generator::cli::{Cli, Command};

use crate::cli::{check, generated_copy, platformgen, text};
use crate::support::workspace;

#[test]
fn completions_for_each_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = platformgen(&["completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            text(&output.stderr)
        );
        let script = text(&output.stdout);
        for command in [
            "validate", "generate", "explain", "diff", "cost", "schema", "init",
        ] {
            assert!(script.contains(command), "{shell} completes `{command}`");
        }
        assert!(
            script.contains("--check"),
            "{shell} completes generate's flags"
        );
    }
    let bash = text(&platformgen(&["completions", "bash"]).stdout);
    assert!(bash.contains("complete -F _platformgen"), "{bash}");
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    let output = platformgen(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("invalid value 'tcsh'"), "{stderr}");
    assert!(
        stderr.contains("bash") && stderr.contains("powershell"),
        "{stderr}"
    );
}

/// One hook of `.pre-commit-hooks.yaml`, with the keys pre-commit requires and those it must
/// set for a check of the whole repository.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Hook {
    id: String,
    name: String,
    description: String,
    entry: String,
    language: String,
    files: String,
    pass_filenames: bool,
}

fn hooks() -> Vec<Hook> {
    let text = std::fs::read_to_string(workspace().join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml at the root");
    serde_norway::from_str(&text).expect("a list of hooks")
}

#[test]
fn the_pre_commit_hook_runs_generate_check_through_a_script_of_the_repository() {
    let hooks = hooks();
    let [hook] = &hooks[..] else {
        panic!("one hook: {hooks:?}")
    };
    assert_eq!(hook.id, "platformgen-check");
    assert_eq!(hook.name, "platformgen generate --check");
    assert!(!hook.description.is_empty());
    assert_eq!(
        hook.language, "script",
        "the entry is a path in this repository"
    );
    assert!(
        !hook.pass_filenames,
        "the check covers the whole repository"
    );
    let files = regex::Regex::new(&hook.files).expect("`files` is a regular expression");
    let matched: BTreeMap<&str, bool> = [
        "specs/expense.toml",
        "generated/dev/terraform.tfvars",
        ".github/workflows/ci.yml",
        "runtime/src/main.rs",
    ]
    .into_iter()
    .map(|path| (path, files.is_match(path)))
    .collect();
    assert_eq!(
        matched.values().filter(|&&hit| hit).count(),
        3,
        "a spec or an artifact, not the code: {matched:?}"
    );

    let words: Vec<&str> = hook.entry.split_whitespace().collect();
    let [script, args @ ..] = &words[..] else {
        panic!("an empty entry")
    };
    let script_path = workspace().join(script);
    let mode = std::fs::metadata(&script_path)
        .unwrap_or_else(|error| panic!("{script}: {error}"))
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "{script} is executable");
    let source = std::fs::read_to_string(&script_path).expect("the script");
    assert!(source.starts_with("#!/bin/sh\n"), "{source}");
    assert!(
        source.contains("--bin platformgen -- \"$@\""),
        "it passes the entry's arguments, then the hook's `args`, to platformgen:\n{source}"
    );

    // The arguments are a real command of the CLI, also with the `args` a user adds.
    let parsed = Cli::try_parse_from(["platformgen"].iter().chain(args))
        .unwrap_or_else(|error| panic!("{args:?}: {error}"));
    assert!(
        matches!(parsed.command, Command::Generate { check: true, .. }),
        "{parsed:?}"
    );
    let with_spec = ["platformgen"]
        .iter()
        .chain(args)
        .chain(&["--spec", "platform.toml"]);
    assert!(Cli::try_parse_from(with_spec).is_ok());
}

#[test]
fn the_pre_commit_hooks_command_passes_in_sync_and_fails_on_drift() {
    let hooks = hooks();
    let args: Vec<&str> = hooks[0].entry.split_whitespace().skip(1).collect();
    let out = generated_copy();
    let spec = out.path().join("specs/expense.toml");
    let root = out.path().to_str().expect("utf-8");
    let run = || {
        let mut with_options = args.clone();
        with_options.extend(["--spec", spec.to_str().expect("utf-8"), "--out", root]);
        platformgen(&with_options)
    };
    assert_eq!(run().status.code(), Some(0), "{}", text(&run().stderr));
    std::fs::remove_file(out.path().join("generated/dev/terraform.tfvars")).expect("remove");
    assert_eq!(run().status.code(), Some(1));
    assert_eq!(check(out.path()).status.code(), Some(1));
}
