//! The `platformgen` binary, driven as users and CI drive it: exit codes, output, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn platformgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(args)
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .output()
        .expect("platformgen runs")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_example_spec_validates_with_exit_code_0() {
    let output = platformgen(&["validate", "specs/expense.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "specs/expense.toml: valid (3 environments: dev, prod, staging)\n"
    );
}

#[test]
fn an_invalid_spec_exits_1_with_every_diagnostic() {
    let output = platformgen(&[
        "validate",
        "generator/tests/specs/invalid/several_mistakes_at_once.toml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.matches("error[").count(), 4, "{stderr}");
    assert!(
        stderr.ends_with("several_mistakes_at_once.toml: 4 errors\n"),
        "{stderr}"
    );
}

#[test]
fn json_output_lists_every_diagnostic_with_its_position() {
    let output = platformgen(&[
        "validate",
        "generator/tests/specs/invalid/several_mistakes_at_once.toml",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"], 4);
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "wrong-type");
    assert_eq!(first["path"], "service.port");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(14), Some(8))
    );
    let valid = platformgen(&["validate", "--format", "json"]);
    assert_eq!(valid.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&valid.stdout).expect("stdout is JSON");
    assert_eq!(report["valid"], true);
}

#[test]
fn a_missing_file_or_a_directory_is_a_usage_error() {
    let missing = platformgen(&["validate", "specs/nope.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).starts_with("error: cannot read `specs/nope.toml`: No such file")
    );
    let directory = platformgen(&["validate", "specs"]);
    assert_eq!(directory.status.code(), Some(2));
    assert_eq!(
        text(&directory.stderr),
        "error: cannot read `specs`: it is a directory, not a spec file\n"
    );
}

#[test]
fn unknown_arguments_are_usage_errors() {
    let output = platformgen(&["validate", "--formt", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--format"),
        "clap suggests the flag"
    );
    assert_eq!(platformgen(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn hostile_files_get_a_clear_error_never_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.toml", Vec::new(), "missing key `project`"),
        (
            "binary.toml",
            vec![0xff, 0xfe, 0x00, 0x41],
            "not valid UTF-8",
        ),
        (
            "huge.toml",
            vec![b'#'; 10 * 1024 * 1024],
            "the largest spec accepted is",
        ),
        (
            "deep.toml",
            format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            "invalid TOML",
        ),
        ("nul.toml", b"a = \"\0\"".to_vec(), "invalid TOML"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let output = platformgen(&["validate", path.to_str().expect("utf-8 path")]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{name}: expected `{expected}` in\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

#[test]
fn explain_shows_the_resolved_value_and_where_it_was_written() {
    let cases = [
        ["explain", "prod", "database.multi_az"],
        ["explain", "dev", "database.pool"],
        ["explain", "staging", "app.autoscaling"],
        ["explain", "dev", "network.availability_zones"],
        ["explain", "prod", "service.port"],
    ];
    let mut shown = String::new();
    for args in cases {
        let output = platformgen(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
        shown.push_str(&format!(
            "$ platformgen {}\n{}\n",
            args.join(" "),
            text(&output.stdout)
        ));
    }
    insta::assert_snapshot!(shown);
}

#[test]
fn explain_suggests_the_environment_or_key_meant() {
    let env = platformgen(&["explain", "prd", "database.multi_az"]);
    assert_eq!(env.status.code(), Some(1));
    assert_eq!(
        text(&env.stderr),
        "error: there is no environment `prd` in specs/expense.toml\n  help: did you mean `prod`?\n"
    );
    let key = platformgen(&["explain", "prod", "database.multiaz"]);
    assert_eq!(key.status.code(), Some(1));
    assert_eq!(
        text(&key.stderr),
        "error: there is no key `multiaz` under `database`\n  help: did you mean `multi_az`?\n"
    );
}

#[test]
fn init_writes_a_starter_spec_that_validates_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("platform.toml");
    let path = path.to_str().expect("utf-8 path");
    let output = platformgen(&["init", path]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let validate = platformgen(&["validate", path]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        text(&validate.stderr)
    );
    let again = platformgen(&["init", path]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists; pass --force"));
    assert_eq!(
        platformgen(&["init", path, "--force"]).status.code(),
        Some(0)
    );
}

#[test]
fn the_committed_schema_is_in_sync_with_the_types() {
    let committed = std::fs::read_to_string(workspace().join("specs/schema.json"))
        .expect("specs/schema.json exists");
    let current = generator::schema::spec_schema_text();
    assert!(
        committed == current,
        "specs/schema.json is stale: run `cargo run -p generator --bin platformgen -- schema -o specs/schema.json`"
    );
    let output = platformgen(&["schema"]);
    assert_eq!(text(&output.stdout), current);
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema_that_accepts_the_example() {
    let schema = generator::schema::spec_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(
        jsonschema::meta::is_valid(&schema),
        "the schema is valid against its meta-schema"
    );
    let text = std::fs::read_to_string(workspace().join("specs/expense.toml")).expect("example");
    let value: serde_json::Value = toml::from_str(&text).expect("TOML");
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn help_documents_commands_exit_codes_and_examples() {
    let output = platformgen(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(text(&output.stdout));
}

/// Generates the example spec's artifacts into a fresh directory and returns it.
fn generated_copy() -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    let output = platformgen(&["generate", "--out", out.path().to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    out
}

fn check(out: &Path) -> Output {
    platformgen(&["generate", "--check", "--out", out.to_str().expect("utf-8")])
}

#[test]
fn generate_check_passes_when_everything_is_in_sync_and_writes_nothing() {
    let out = generated_copy();
    let before =
        std::fs::read_to_string(out.path().join("generated/manifest.txt")).expect("manifest");
    let output = check(out.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).ends_with("artifacts are up to date with specs/expense.toml\n"));
    let again = platformgen(&["generate", "--out", out.path().to_str().expect("utf-8")]);
    assert!(
        text(&again.stdout).contains("0 written"),
        "a second generate rewrites nothing"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("generated/manifest.txt")).expect("manifest"),
        before
    );
}

#[test]
fn generate_check_reports_a_changed_file_with_a_diff() {
    let out = generated_copy();
    let path = out.path().join("generated/dev/terraform.tfvars");
    let edited = std::fs::read_to_string(&path)
        .expect("tfvars")
        .replace("cache_ttl_seconds   = 60", "cache_ttl_seconds   = 61");
    std::fs::write(&path, edited).expect("edit");
    let output = check(out.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("changed: generated/dev/terraform.tfvars\n--- a/generated/dev/terraform.tfvars\n+++ b/generated/dev/terraform.tfvars\n"), "{stdout}");
    assert!(
        stdout.contains("-cache_ttl_seconds   = 61\n+cache_ttl_seconds   = 60\n"),
        "{stdout}"
    );
    assert_eq!(
        text(&output.stderr),
        "error: 1 generated file is out of date with specs/expense.toml\n  help: run `platformgen generate --spec specs/expense.toml` and commit the result\n"
    );
}

#[test]
fn generate_check_reports_missing_and_stale_files_and_generate_removes_only_owned_stale_files() {
    let out = generated_copy();
    std::fs::remove_file(out.path().join("generated/prod/helm-values.yaml")).expect("remove");
    let manifest = out.path().join("generated/manifest.txt");
    let mut listed = std::fs::read_to_string(&manifest).expect("manifest");
    listed.push_str("generated/qa/terraform.tfvars\n");
    std::fs::write(&manifest, listed).expect("manifest");
    std::fs::create_dir_all(out.path().join("generated/qa")).expect("mkdir");
    std::fs::write(out.path().join("generated/qa/terraform.tfvars"), "old").expect("stale file");
    std::fs::write(out.path().join("generated/qa/notes.md"), "mine").expect("unowned file");

    let output = check(out.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "missing: generated/prod/helm-values.yaml (the spec renders it; it is not on disk)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("stale: generated/qa/terraform.tfvars (generated earlier; the spec no longer renders it)\n"), "{stdout}");
    assert!(
        stdout.contains("changed: generated/manifest.txt"),
        "{stdout}"
    );
    assert!(text(&output.stderr).starts_with("error: 3 generated files are out of date"));

    let write = platformgen(&["generate", "--out", out.path().to_str().expect("utf-8")]);
    assert!(text(&write.stdout).contains("removed generated/qa/terraform.tfvars\n"));
    assert!(!out.path().join("generated/qa/terraform.tfvars").exists());
    assert!(
        out.path().join("generated/qa/notes.md").exists(),
        "files the generator does not own are never touched"
    );
    assert_eq!(check(out.path()).status.code(), Some(0));
}

#[test]
fn generate_for_one_environment_leaves_the_others_alone() {
    let out = generated_copy();
    std::fs::remove_file(out.path().join("generated/prod/terraform.tfvars")).expect("remove");
    let output = platformgen(&[
        "generate",
        "--env",
        "dev",
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!out.path().join("generated/prod/terraform.tfvars").exists());
    let unknown = platformgen(&[
        "generate",
        "--env",
        "qa",
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).starts_with("error: there is no environment `qa`"));
}

#[test]
fn the_committed_artifacts_are_in_sync_with_the_example_spec() {
    let output = platformgen(&["generate", "--check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
