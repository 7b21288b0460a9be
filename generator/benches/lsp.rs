//! The language server's answer to a keystroke: the example spec (about 500 lines) analysed
//! from the editor's text after a change, every check `validate` runs, and its diagnostics as
//! the protocol carries them. Run with `cargo bench -p generator --bench lsp`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use generator::cli::lsp::Analysis;
use lsp_types::Url;

const EXAMPLE: &str = include_str!("../../specs/expense.toml");

/// Analyses `text` as the server does on `didChange`; returns how many diagnostics it publishes.
fn diagnostics_after_change(uri: &Url, text: &str) -> usize {
    Analysis::of("specs/expense.toml", text)
        .lsp_diagnostics(uri)
        .len()
}

fn benchmarks(c: &mut Criterion) {
    let uri = Url::parse("file:///work/specs/expense.toml").expect("a file URI");
    // A change that keeps the spec valid (every stage runs), and one that breaks it (an unknown
    // key: the schema check stops it).
    let edited = EXAMPLE.replacen("replicas = 3", "replicas = 4", 1);
    assert_ne!(edited, EXAMPLE);
    let broken = EXAMPLE.replacen(
        "[environments.prod.database]\n",
        "[environments.prod.database]\nmulti_azz = true\n",
        1,
    );
    assert_eq!(
        diagnostics_after_change(&uri, &edited),
        2,
        "the two budget warnings"
    );
    assert!(diagnostics_after_change(&uri, &broken) >= 1);
    c.bench_function(
        "lsp diagnostics of the example spec after a change (valid)",
        |b| {
            b.iter(|| diagnostics_after_change(&uri, black_box(&edited)));
        },
    );
    c.bench_function(
        "lsp diagnostics of the example spec after a change (unknown key)",
        |b| {
            b.iter(|| diagnostics_after_change(&uri, black_box(&broken)));
        },
    );
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
