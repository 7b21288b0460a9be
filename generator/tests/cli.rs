//! The `platformgen` binary, driven as users and CI drive it: exit codes, output, bad input.

use crate::support::workspace;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn platformgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(args)
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .output()
        .expect("platformgen runs")
}

/// A fixture spec (`specs/mod.rs`) written to a temporary directory, and the file's path.
pub(crate) fn fixture_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = crate::specs::named(name).write_in(dir.path());
    (dir, path)
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Standard error from its first error on: loading the example spec first prints its warnings
/// (two budgets below their estimates).
fn errors(stderr: &[u8]) -> String {
    let text = text(stderr);
    text.find("error: ")
        .map_or(text.clone(), |at| text[at..].to_string())
}

#[test]
fn the_example_spec_validates_with_exit_code_0() {
    let output = platformgen(&["validate", "specs/expense.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "specs/expense.toml: valid (3 environments: dev, prod, staging; 2 warnings)\n",
        "the warnings: dev's and prod's budgets are below their estimates (tests/cost.rs)"
    );
}

#[test]
fn an_invalid_spec_exits_1_with_every_diagnostic() {
    let (_dir, spec) = fixture_file("several_mistakes_at_once");
    let output = platformgen(&["validate", spec.to_str().expect("utf-8 path")]);
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
    let (_dir, spec) = fixture_file("several_mistakes_at_once");
    let output = platformgen(&[
        "validate",
        spec.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"], 4);
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "wrong-type");
    assert_eq!(first["path"], "services.myapp-backend.port");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(13), Some(8))
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
        ["explain", "prod", "services.expense-backend.port"],
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
fn init_names_the_project_and_region_and_points_editors_at_its_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shop.toml");
    let path = path.to_str().expect("utf-8 path");
    let output = platformgen(&["init", path, "--name", "shop", "--region", "eu-west-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let spec = std::fs::read_to_string(path).expect("written");
    assert!(spec.starts_with("#:schema ./schema.json\n"), "{spec}");
    assert!(spec.contains("name = \"shop\""));
    assert!(spec.contains("aws_region = \"eu-west-1\""));
    assert!(
        !spec.contains("myapp") && !spec.contains("us-east-1"),
        "{spec}"
    );
    let schema = std::fs::read_to_string(dir.path().join("schema.json")).expect("schema beside");
    assert_eq!(schema, generator::schema::spec_schema_text());
    let validate = platformgen(&["validate", path]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        text(&validate.stderr)
    );

    let bad = platformgen(&["init", "x.toml", "--name", "Shop_1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).starts_with("error: `Shop_1` cannot name a project\n"));
    let bad = platformgen(&["init", "x.toml", "--region", "moon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).starts_with("error: `moon` is not an AWS region\n"));
    assert!(
        !workspace().join("x.toml").exists(),
        "nothing written on a refusal"
    );
}

#[test]
fn validate_takes_spec_as_generate_does_several_files_and_standard_input() {
    let option = platformgen(&["validate", "--spec", "specs/ledger.toml"]);
    assert_eq!(option.status.code(), Some(0), "{}", text(&option.stderr));
    assert_eq!(
        text(&option.stdout),
        "specs/ledger.toml: valid (2 environments: prod, staging; 1 warning)\n"
    );

    let (_dir, broken) = fixture_file("several_mistakes_at_once");
    let several = platformgen(&[
        "validate",
        "specs/expense.toml",
        broken.to_str().expect("utf-8 path"),
        "--spec",
        "specs/ledger.toml",
    ]);
    assert_eq!(several.status.code(), Some(1), "the worst of the results");
    assert!(text(&several.stdout).contains("specs/expense.toml: valid"));
    assert!(text(&several.stdout).contains("specs/ledger.toml: valid"));
    assert!(text(&several.stderr).contains("several_mistakes_at_once.toml: 4 errors"));

    let json = platformgen(&[
        "validate",
        "specs/expense.toml",
        "no/such/spec.toml",
        "--format",
        "json",
    ]);
    assert_eq!(
        json.status.code(),
        Some(2),
        "an unreadable file is an I/O error"
    );
    let reports: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(reports[0]["valid"], true);
    assert_eq!(reports[1]["valid"], false);
    assert_eq!(reports[1]["file"], "no/such/spec.toml");

    let mut child = Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(["validate", "-"])
        .current_dir(workspace())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("platformgen runs");
    {
        use std::io::Write as _;
        let text = std::fs::read_to_string(workspace().join("specs/expense.toml")).expect("spec");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(text.replace("multi_az = true", "multi_az = 1").as_bytes())
            .expect("write");
    }
    let stdin = child.wait_with_output().expect("wait");
    assert_eq!(stdin.status.code(), Some(1));
    assert!(
        text(&stdin.stderr).contains(" --> <stdin>:"),
        "diagnostics name standard input:\n{}",
        text(&stdin.stderr)
    );
    let generate = platformgen(&["generate", "--spec", "-"]);
    assert_eq!(generate.status.code(), Some(2));
}

#[test]
fn explain_of_an_unknown_environment_fails_whatever_the_key() {
    for key in ["project.name", "database.multi_az"] {
        let output = platformgen(&["explain", "no-such-env", key]);
        assert_eq!(output.status.code(), Some(1), "{key}");
        assert_eq!(
            text(&output.stderr),
            "error: there is no environment `no-such-env` in specs/expense.toml\n  help: \
             environments: dev, prod, staging\n"
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn explain_without_a_key_shows_every_value_the_thresholds_in_effect_and_the_waivers() {
    let output = platformgen(&["explain", "dev"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    assert!(
        shown.contains(
            "dev.database.multi_az = false\n    set in the environment: specs/expense.toml:"
        ),
        "{shown}"
    );
    assert!(shown.contains("dev.waf.enabled = true\n    from [defaults]: specs/expense.toml:"));
    // A threshold the environment overrides, and one it inherits from the alert.
    assert!(
        shown.contains(
            "    HighResponseTime = 0.5   set in the environment: specs/expense.toml:158:22\n"
        ),
        "{shown}"
    );
    assert!(shown.contains("    HighErrorRate = 0.05   the alert's default: specs/expense.toml:"));
    assert!(
        shown.ends_with("waivers of the production and recovery rules in dev:\n    (none)\n"),
        "{shown}"
    );

    // From the fixture's directory, so the positions shown name it as `<name>.toml`.
    let (dir, _) = fixture_file("waived_production_rule");
    let waived = Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(["explain", "prod", "--spec", "waived_production_rule.toml"])
        .current_dir(dir.path())
        .output()
        .expect("platformgen runs");
    assert_eq!(waived.status.code(), Some(0), "{}", text(&waived.stderr));
    let shown = text(&waived.stdout);
    let thresholds = shown
        .find("\nalert thresholds in effect")
        .expect("thresholds after the values");
    insta::assert_snapshot!("explain_prod_thresholds_and_waivers", &shown[thresholds..]);
}

#[test]
fn the_same_spec_under_two_path_spellings_renders_the_same_bytes() {
    let out = generated_copy();
    let first = generated_files(out.path());
    // From inside the root, with a dotted relative path.
    let output = Command::new(env!("CARGO_BIN_EXE_platformgen"))
        .args(["generate", "--spec", "./specs/../specs/expense.toml"])
        .current_dir(out.path())
        .output()
        .expect("platformgen runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("0 written"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(generated_files(out.path()), first);
    let header = &first["generated/dev/terraform.tfvars"];
    assert!(
        header.starts_with("# Generated by platformgen from specs/expense.toml; do not edit.\n")
    );
}

/// Every file under `generated/` and `.github/` of a root, by relative path.
fn generated_files(root: &Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![root.join("generated"), root.join(".github")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                files.insert(
                    relative.display().to_string(),
                    std::fs::read_to_string(&path).expect("text"),
                );
            }
        }
    }
    files
}

#[test]
fn removing_an_environment_keeps_a_file_a_person_edited_until_forced() {
    let out = generated_copy();
    let spec = out.path().join("specs/expense.toml");
    let edited = out
        .path()
        .join("generated/staging/helm-values/expense-backend.yaml");
    let mut text_of = std::fs::read_to_string(&edited).expect("values");
    text_of.push_str("# a note someone added\n");
    std::fs::write(&edited, text_of).expect("edit");
    // staging leaves the spec (its table is the last environment before prod's comment block).
    let source = std::fs::read_to_string(&spec).expect("spec");
    let start = source.find("[environments.staging]").expect("staging");
    let end = source[start..]
        .find("\n# ---")
        .map_or(source.len(), |e| start + e);
    let without: String = source[..start].to_string() + &source[end..];
    std::fs::write(&spec, without).expect("spec without staging");

    let output = generate_in(out.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(
            "warning: kept generated/staging/helm-values/expense-backend.yaml: the spec no longer renders it, \
             but it was edited since platformgen wrote it"
        ),
        "{}",
        text(&output.stderr)
    );
    assert!(edited.exists());
    assert!(
        !out.path().join("generated/staging/dashboards").exists(),
        "no empty directory"
    );
    assert!(
        !out.path()
            .join("generated/staging/terraform.tfvars")
            .exists()
    );
    let drift = check(out.path());
    assert_eq!(drift.status.code(), Some(1));
    assert!(text(&drift.stdout).contains(
        "stale: generated/staging/helm-values/expense-backend.yaml (the spec no longer renders it, and it was \
         edited"
    ));
    assert!(
        text(&drift.stdout).contains(
            "\n  keep    generated/staging/helm-values/expense-backend.yaml (stale, but edited: \
             `generate --force` removes it)\n"
        ),
        "{}",
        text(&drift.stdout)
    );
    let json = generate_in(out.path(), &["--check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let kept = report["stale"]
        .as_array()
        .expect("stale")
        .iter()
        .find(|file| file["path"] == "generated/staging/helm-values/expense-backend.yaml")
        .expect("the edited file");
    assert_eq!(kept["removed_by"], "generate --force");
    assert!(
        kept["edited"]
            .as_str()
            .is_some_and(|why| why.contains("edited")),
        "{kept}"
    );

    let forced = generate_in(out.path(), &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(
        text(&forced.stdout).contains("removed generated/staging/helm-values/expense-backend.yaml")
    );
    assert!(!out.path().join("generated/staging").exists());
    assert_eq!(check(out.path()).status.code(), Some(0));
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
fn the_committed_spec_reference_is_in_sync_with_the_types() {
    let committed = std::fs::read_to_string(workspace().join(generator::schema::REFERENCE_PATH))
        .expect("generator/SPEC-REFERENCE.md exists");
    let current = generator::schema::spec_reference_text();
    assert!(
        committed == current,
        "generator/SPEC-REFERENCE.md is stale: run `cargo run -p generator --bin platformgen -- schema --format markdown -o generator/SPEC-REFERENCE.md`"
    );
    let output = platformgen(&["schema", "--format", "markdown"]);
    assert_eq!(text(&output.stdout), current);
    // Every key the schema has is in it, down to an environment's probe timings.
    for key in [
        "`project.name`",
        "`services.<name>.probes.liveness.timeout_seconds`",
        "`environments.<env>.database.engine`",
        "`alerts[].expr`",
        "`services.<name>.routes[].rate_limit.requests`",
    ] {
        assert!(current.contains(&format!("| {key} |")), "{key}");
    }
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

/// A fresh output root holding a copy of the example spec at `specs/expense.toml`, with every
/// artifact generated into it.
pub(crate) fn generated_copy() -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(out.path().join("specs")).expect("mkdir");
    std::fs::copy(
        workspace().join("specs/expense.toml"),
        out.path().join("specs/expense.toml"),
    )
    .expect("copy the spec");
    let output = generate_in(out.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    out
}

/// `platformgen generate --spec <out>/specs/expense.toml --out <out> <extra>`.
pub(crate) fn generate_in(out: &Path, extra: &[&str]) -> Output {
    let spec = out.join("specs/expense.toml");
    let mut args = vec![
        "generate",
        "--spec",
        spec.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    platformgen(&args)
}

pub(crate) fn check(out: &Path) -> Output {
    generate_in(out, &["--check"])
}

#[test]
fn generate_check_passes_when_everything_is_in_sync_and_writes_nothing() {
    let out = generated_copy();
    let before =
        std::fs::read_to_string(out.path().join("generated/manifest.txt")).expect("manifest");
    let output = check(out.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).ends_with("artifacts are up to date with specs/expense.toml\n"));
    let again = generate_in(out.path(), &[]);
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
        .replace("cache_ttl_seconds  = 60", "cache_ttl_seconds  = 61");
    std::fs::write(&path, edited).expect("edit");
    let output = check(out.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("changed: generated/dev/terraform.tfvars\n--- a/generated/dev/terraform.tfvars\n+++ b/generated/dev/terraform.tfvars\n"), "{stdout}");
    assert!(
        stdout.contains("-cache_ttl_seconds  = 61\n+cache_ttl_seconds  = 60\n"),
        "{stdout}"
    );
    let root = out.path().display();
    assert_eq!(
        errors(&output.stderr),
        format!(
            "error: 1 generated file is out of date with specs/expense.toml\n  help: run \
             `platformgen generate --spec {root}/specs/expense.toml --out {root}` and commit the \
             result\n"
        ),
        "the fix repeats every option given, so it writes where the check looked"
    );
}

#[test]
fn generate_check_reports_missing_and_stale_files_and_generate_removes_only_owned_stale_files() {
    let out = generated_copy();
    std::fs::remove_file(
        out.path()
            .join("generated/prod/helm-values/expense-backend.yaml"),
    )
    .expect("remove");
    let manifest = out.path().join("generated/manifest.txt");
    let mut listed = std::fs::read_to_string(&manifest).expect("manifest");
    listed.push_str("generated/qa/terraform.tfvars\n");
    std::fs::write(&manifest, listed).expect("manifest");
    std::fs::create_dir_all(out.path().join("generated/qa")).expect("mkdir");
    std::fs::write(
        out.path().join("generated/qa/terraform.tfvars"),
        "# Generated by platformgen from specs/expense.toml; do not edit.\nold",
    )
    .expect("stale file");
    std::fs::write(out.path().join("generated/qa/notes.md"), "mine").expect("unowned file");

    let output = check(out.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "missing: generated/prod/helm-values/expense-backend.yaml (the spec renders it; it is not on disk)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("stale: generated/qa/terraform.tfvars (generated earlier; the spec no longer renders it)\n"), "{stdout}");
    assert!(
        stdout.contains("changed: generated/manifest.txt"),
        "{stdout}"
    );
    assert!(errors(&output.stderr).starts_with("error: 3 generated files are out of date"));

    let write = generate_in(out.path(), &[]);
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
    let output = generate_in(out.path(), &["--env", "dev"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!out.path().join("generated/prod/terraform.tfvars").exists());
    let unknown = generate_in(out.path(), &["--env", "qa"]);
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "an unknown --env is a usage error"
    );
    assert!(errors(&unknown.stderr).starts_with("error: there is no environment `qa`"));
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

/// A waiver warns in the 14 days before it expires and fails validation from its expiry day on,
/// judged on the day `PLATFORMGEN_TODAY` names (the waiver in the fixture expires 2999-01-01).
#[test]
fn a_waiver_warns_before_it_expires_and_fails_from_its_expiry_day() {
    let (_dir, spec) = fixture_file("waived_production_rule");
    let spec = spec.to_str().expect("UTF-8 path");
    let validate_on = |day: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_platformgen"))
            .args(["validate", "--spec", spec])
            .env("NO_COLOR", "1")
            .env(generator::date::TODAY_VARIABLE, day)
            .output()
            .expect("platformgen runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), said)
    };

    let (valid, said) = validate_on("2998-12-01");
    assert!(valid && !said.contains("expire"), "{said}");

    let (valid, said) = validate_on("2998-12-25");
    assert!(valid, "a waiver about to expire still waives: {said}");
    assert!(
        said.contains("warning[expired-waiver]: the waiver of `database-multi-az` expires on 2999-01-01 (in 7 days)"),
        "{said}"
    );
    assert!(said.contains("platform-team should fix"), "{said}");

    let (valid, said) = validate_on("2999-01-01");
    assert!(!valid, "an expired waiver fails validation: {said}");
    assert!(
        said.contains(
            "error[expired-waiver]: the waiver of `database-multi-az` expired on 2999-01-01"
        ),
        "{said}"
    );
}
