//! Every kind of mistake in a spec gets a located, explained diagnostic: one fixture spec per
//! kind (`specs/mod.rs`: the starter spec with an edit or two), its full rendered diagnostics
//! pinned by a snapshot named after it.
//!
//! The fixtures are not committed as files (sixty copies of the starter, each to edit when it
//! changes), yet every `file:line:col` in a snapshot is a real place: the tests write each fixture
//! to `target/tmp/specs/<kind>/<name>.toml` (cargo's `CARGO_TARGET_TMPDIR`) and load that file
//! under that name, so after a test run a position opens in an editor on the very bytes
//! diagnosed. Naming the starter file instead would point at lines the edits changed or moved.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use generator::LoadError;
use generator::diagnostic::{Code, Diagnostic};
use generator::load::{Loaded, check};
use generator::source::Source;

use crate::specs::{self, Fixture};

/// Writes a fixture to `target/tmp/specs/<kind>/` and loads it from there, named by that path.
fn load_fixture(kind: &str, fixture: &Fixture) -> (Source, Result<Loaded, LoadError>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("specs")
        .join(kind);
    let path = fixture.write_in(&dir);
    let bytes = std::fs::read(&path).expect("fixture is readable");
    load(
        format!("target/tmp/specs/{kind}/{}.toml", fixture.name),
        bytes,
    )
}

fn load(name: String, bytes: Vec<u8>) -> (Source, Result<Loaded, LoadError>) {
    let (source, problem) = Source::from_bytes(name, bytes);
    let result = check(source.clone(), problem);
    (source, result)
}

fn render(source: &Source, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(source, false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `check` on every fixture of a kind, each under a snapshot suffix of its name, then fails
/// naming those that failed: like `insta::glob!`, one run shows every snapshot a change moved.
fn check_each(
    kind: &str,
    fixtures: &[Fixture],
    check: impl Fn(&Fixture, Source, Result<Loaded, LoadError>),
) {
    let failed: Vec<&str> = fixtures
        .iter()
        .filter(|fixture| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_suffix(format!("{}.toml", fixture.name));
            settings.set_description(fixture.says);
            catch_unwind(AssertUnwindSafe(|| {
                let (source, result) = load_fixture(kind, fixture);
                settings.bind(|| check(fixture, source, result));
            }))
            .is_err()
        })
        .map(|fixture| fixture.name)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} {kind} fixture specs failed: {}",
        failed.len(),
        fixtures.len(),
        failed.join(", ")
    );
}

#[test]
fn every_broken_spec_is_rejected_with_a_located_diagnostic() {
    check_each("invalid", specs::INVALID, |fixture, _, result| {
        let Err(LoadError::Invalid {
            source,
            diagnostics,
        }) = result
        else {
            panic!("{} should be rejected", fixture.name);
        };
        assert!(
            diagnostics.iter().any(Diagnostic::is_error),
            "{} has no error",
            fixture.name
        );
        for diagnostic in &diagnostics {
            if diagnostic.code != Code::TooLarge {
                assert!(
                    diagnostic.span.is_some(),
                    "{}: `{}` has no position",
                    fixture.name,
                    diagnostic.message
                );
            }
        }
        insta::assert_snapshot!(render(&source, &diagnostics));
    });
}

#[test]
fn specs_with_warnings_are_valid_and_say_why() {
    check_each("warnings", specs::WARNINGS, |fixture, source, result| {
        let loaded =
            result.unwrap_or_else(|error| panic!("{} should be valid:\n{error}", fixture.name));
        assert!(!loaded.warnings.is_empty(), "{} should warn", fixture.name);
        insta::assert_snapshot!(render(&source, &loaded.warnings));
    });
}

#[test]
fn valid_fixture_specs_load_without_warnings() {
    check_each("valid", specs::VALID, |fixture, _, result| {
        let loaded =
            result.unwrap_or_else(|error| panic!("{} should be valid:\n{error}", fixture.name));
        assert_eq!(loaded.warnings, Vec::new(), "{}", fixture.name);
    });
}

/// A fixture removed or renamed takes its snapshot with it (insta itself fails a fixture
/// without one).
#[test]
fn every_fixture_snapshot_belongs_to_a_fixture() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let files: Vec<String> = std::fs::read_dir(&snapshots)
        .expect("tests/snapshots exists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for (test, fixtures) in [
        (
            "every_broken_spec_is_rejected_with_a_located_diagnostic",
            specs::INVALID,
        ),
        ("specs_with_warnings_are_valid_and_say_why", specs::WARNINGS),
    ] {
        // insta names a snapshot after the test's module path.
        let prefix = format!("{}__{test}@", module_path!().replace("::", "__"));
        let named = files
            .iter()
            .filter(|file| file.starts_with(&prefix))
            .count();
        assert_eq!(named, fixtures.len(), "one snapshot per fixture of {test}");
        let orphans: Vec<&String> = files
            .iter()
            .filter(|file| {
                file.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(".toml.snap"))
                    .is_some_and(|name| fixtures.iter().all(|f| f.name != name))
            })
            .collect();
        assert!(
            orphans.is_empty(),
            "snapshots of no fixture, to delete: {orphans:?}"
        );
    }
}

#[test]
fn the_example_specs_and_the_starter_spec_are_valid() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&specs).expect("specs/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let bytes = std::fs::read(&path).expect("spec is readable");
            let (_, result) = load(path.display().to_string(), bytes);
            let loaded = result
                .unwrap_or_else(|error| panic!("{} should be valid:\n{error}", path.display()));
            // Budgets below the estimate are the examples' only warnings (`cost` tests them).
            let others: Vec<&Diagnostic> = loaded
                .warnings
                .iter()
                .filter(|warning| warning.code != Code::OverBudget)
                .collect();
            assert_eq!(others, Vec::<&Diagnostic>::new(), "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 1, "no example spec found in {}", specs.display());
    generator::Model::load_str("starter.toml", generator::cli::STARTER_SPEC)
        .expect("the starter spec validates");
}

#[test]
fn a_wrong_value_is_pointed_at_where_it_is_written() {
    let (_, result) = load_fixture("invalid", specs::named("out_of_range_port"));
    let Err(LoadError::Invalid {
        source,
        diagnostics,
    }) = result
    else {
        panic!("should be invalid")
    };
    let span = diagnostics[0].span.clone().expect("located");
    assert_eq!(&source.text[span.clone()], "80");
    let (line, column) = source.line_col(span.start);
    let expected_line = source
        .text
        .lines()
        .position(|l| l == "port = 80")
        .expect("line")
        + 1;
    assert_eq!((line, column), (expected_line, 8));
}

#[test]
fn a_value_inherited_from_defaults_is_reported_at_the_default() {
    let text =
        generator::cli::STARTER_SPEC.replace("log_retention_days = 7", "log_retention_days = 10");
    let Err(LoadError::Invalid {
        source,
        diagnostics,
    }) = check(Source::new("s.toml", text), None)
    else {
        panic!("should be invalid")
    };
    // One default, inherited by two environments: one diagnostic, at the default, naming both.
    let retention: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == Code::OutOfRange)
        .collect();
    assert_eq!(retention.len(), 1);
    let diagnostic = retention[0];
    assert_eq!(
        diagnostic.path.as_ref().map(ToString::to_string).as_deref(),
        Some("defaults.app.log_retention_days")
    );
    assert_eq!(
        diagnostic.notes,
        vec![
            "environment `dev` inherits this value from [defaults]".to_string(),
            "environment `prod` inherits this value from [defaults]".to_string()
        ]
    );
    let span = diagnostic.span.clone().expect("located");
    assert_eq!(&source.text[span], "log_retention_days");
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    let text = format!("x = {}1{}", "[".repeat(5000), "]".repeat(5000));
    let Err(LoadError::Invalid { diagnostics, .. }) = check(Source::new("deep.toml", text), None)
    else {
        panic!("should be invalid")
    };
    assert_eq!(diagnostics[0].code, Code::Syntax);
    let tables = (0..5000)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(".");
    let Err(LoadError::Invalid { diagnostics, .. }) =
        check(Source::new("deep.toml", format!("[{tables}]\n")), None)
    else {
        panic!("should be invalid")
    };
    assert!(!diagnostics.is_empty());
}

#[test]
fn an_oversized_spec_is_refused_before_parsing() {
    let bytes = vec![b'#'; generator::source::MAX_SPEC_BYTES + 1];
    let (source, problem) = Source::from_bytes("huge.toml".into(), bytes);
    let Err(LoadError::Invalid { diagnostics, .. }) = check(source, problem) else {
        panic!("should be refused")
    };
    assert_eq!(diagnostics[0].code, Code::TooLarge);
}

/// The TOML in a production rule's help, pasted as it is at the end of the spec, waives the
/// rule; its placeholder reason, owner and expiry are refused until the real ones are written.
#[test]
fn a_waiver_hint_pasted_as_it_is_waives_the_rule_and_asks_for_the_reason() {
    let text = String::from_utf8(specs::named("production_rule_multi_az").bytes()).expect("UTF-8");
    let Err(LoadError::Invalid { diagnostics, .. }) = generator::Model::load_str("spec", &text)
    else {
        panic!("the fixture breaks a production rule");
    };
    let help = diagnostics
        .iter()
        .find(|d| d.code == Code::ProductionRule)
        .and_then(|d| d.help.clone())
        .expect("a production-rule error with help");
    let (_, toml) = help
        .split_once(":\n")
        .expect("the TOML after the explanation");
    assert!(
        toml.starts_with("[[environments.prod.waivers]]\n"),
        "{toml}"
    );

    let pasted = format!("{text}\n{toml}\n");
    let Err(LoadError::Invalid { diagnostics, .. }) = generator::Model::load_str("spec", &pasted)
    else {
        panic!("the placeholder reason is refused");
    };
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "the waiver of `database-multi-az` still has the placeholder reason",
            "the waiver of `database-multi-az` still has the placeholder owner",
            "the waiver of `database-multi-az` still has the placeholder expires"
        ]
    );

    let reasoned = pasted
        .replace(
            "TODO: why prod may break this rule",
            "pilot customers only until GA in March",
        )
        .replace("TODO: who answers for it", "platform-team")
        .replace("TODO: the day it ends, YYYY-MM-DD", "2999-01-01");
    generator::Model::load_str("spec", &reasoned)
        .unwrap_or_else(|error| panic!("the waiver with a reason validates:\n{error}"));
}

/// A Model exists only for a spec every stage accepts: a spec that one stage refuses (its TOML,
/// the schema, an environment merged from its layers, the semantic checks) gets no Model, and
/// every diagnostic of that stage reaches the user located in the file.
#[test]
fn no_model_is_built_from_a_spec_any_stage_refuses() {
    for (stage, fixture) in [
        ("document", "syntax_unclosed_string"),
        ("schema", "unknown_key_in_defaults"),
        ("resolution", "missing_key_after_merge"),
        ("validation", "cidr_with_host_bits"),
        ("validation", "invalid_promql"),
        ("validation", "route_missing_path_parameter"),
    ] {
        let bytes = specs::named(fixture).bytes();
        let text = String::from_utf8(bytes).expect("UTF-8");
        let Err(LoadError::Invalid { diagnostics, .. }) =
            generator::Model::load_str(fixture, &text)
        else {
            panic!("{stage}: `{fixture}` built a Model");
        };
        assert!(!diagnostics.is_empty(), "{stage}: {fixture}");
        for diagnostic in &diagnostics {
            assert!(
                diagnostic.span.is_some(),
                "{stage}: `{}` of {fixture} has no position",
                diagnostic.message
            );
        }
    }
    assert!(generator::Model::load_str("starter", generator::cli::STARTER_SPEC).is_ok());
}

/// generator/SPEC.md prints the parameters and extensions validation knows, each parameter with
/// the kind of value RDS takes and each extension with the library it preloads: exactly the
/// lists `validate` checks against.
#[test]
fn the_spec_reference_lists_the_parameters_and_extensions_validation_knows() {
    use generator::spec::Engine;
    use generator::validate::{known_extensions, known_parameters};

    let reference = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("SPEC.md"))
        .expect("SPEC.md");
    let start = reference
        .find("<!-- known-parameters")
        .expect("the lists' start marker");
    let end = reference
        .find("<!-- /known-parameters -->")
        .expect("the lists' end marker");
    let printed = reference[start..end]
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ");
    let parameters = |engine: Engine| {
        known_parameters(engine)
            .iter()
            .map(|(name, unit)| format!("`{name}` ({unit})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let extensions = known_extensions()
        .iter()
        .map(|(name, library)| match library {
            Some(library) => format!("`{name}` (preloads `{library}`)"),
            None => format!("`{name}`"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let expected = format!(
        "PostgreSQL parameters: {}.  MySQL parameters: {}.  PostgreSQL extensions RDS offers: {extensions}.",
        parameters(Engine::Postgres),
        parameters(Engine::Mysql)
    );
    let squeeze = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(squeeze(&printed), squeeze(&expected));
}
