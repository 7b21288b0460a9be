//! The fuzz targets' properties (`fuzz/fuzz_targets/`), replayed on stable by `cargo test` over
//! every input kept in `fuzz/regressions/<target>/` (crashes found by a fuzz run, copied there
//! from `fuzz/artifacts/`) and over the example and fixture specs the corpora are seeded with.
//! A crash once found stays fixed.

use std::path::{Path, PathBuf};

use crate::support::workspace;

// The properties themselves, shared with the fuzz targets.
#[path = "../../fuzz/properties.rs"]
mod properties;

// The generator's fixture specs, the starter spec edited; `named` is for the tests there.
#[allow(dead_code)]
#[path = "../../generator/tests/specs/mod.rs"]
mod fixture_specs;

use properties::{load_spec, render_artifacts};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(every_kept_load_spec_input_and_seed_loads_without_a_panic),
        test!(every_kept_render_artifacts_input_and_valid_seed_renders_parseable_artifacts),
        test!(a_failing_input_is_reported_with_its_file),
    ]
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.file_name().is_none_or(|n| n != "README.md"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `property` on each file, naming the file that panics.
fn replay(files: &[PathBuf], property: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    for file in files {
        let data = std::fs::read(file).expect("read the input");
        if let Err(panic) = std::panic::catch_unwind(|| property(&data)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("{} fails its fuzz property: {message}", file.display());
        }
    }
}

fn example_specs() -> Vec<PathBuf> {
    let mut files = files_in(&workspace().join("specs"));
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files
}

/// The seeds: the example specs and every fixture spec (valid, invalid, warnings), the fixtures
/// written into `dir`.
fn seeds(dir: &Path) -> Vec<PathBuf> {
    let mut files = example_specs();
    let fixtures = [
        fixture_specs::VALID,
        fixture_specs::INVALID,
        fixture_specs::WARNINGS,
    ];
    files.extend(fixtures.into_iter().flatten().map(|f| f.write_in(dir)));
    files
}

fn every_kept_load_spec_input_and_seed_loads_without_a_panic() {
    let kept = files_in(&workspace().join("fuzz/regressions/load_spec"));
    replay(&kept, load_spec);
    let dir = tempfile::tempdir().expect("tempdir");
    let seeds = seeds(dir.path());
    assert!(seeds.len() > 10, "only {} seeds", seeds.len());
    replay(&seeds, load_spec);
    // Hostile bytes the loader must survive: invalid UTF-8, NUL, a huge line, deep nesting.
    for data in [
        b"\xff\xfe[project]\n".to_vec(),
        b"name = \"\0\"\n".to_vec(),
        vec![b'a'; 2 << 20],
        format!("a = {}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        format!("{}= 1", "a.".repeat(5000)).into_bytes(),
    ] {
        load_spec(&data);
    }
}

fn every_kept_render_artifacts_input_and_valid_seed_renders_parseable_artifacts() {
    let kept = files_in(&workspace().join("fuzz/regressions/render_artifacts"));
    replay(&kept, |data| {
        render_artifacts(data);
    });
    for example in &example_specs() {
        let data = std::fs::read(example).expect("read");
        assert!(
            render_artifacts(&data),
            "{} does not validate",
            example.display()
        );
    }
}

/// The replay is not vacuous: a property that panics on an input is reported with its file.
fn a_failing_input_is_reported_with_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("crash-1");
    std::fs::write(&file, b"boom").expect("write");
    let result = std::panic::catch_unwind(|| {
        replay(std::slice::from_ref(&file), |data| {
            assert_ne!(data, b"boom", "planted crash");
        });
    });
    let message = result
        .expect_err("the planted crash is reported")
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("crash-1") && message.contains("planted crash"),
        "{message}"
    );
}
