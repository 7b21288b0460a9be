//! Any bytes given to the spec loader produce a model or diagnostics, never a panic, and every
//! diagnostic renders.
#![no_main]

use generator::model::{LoadError, check};
use generator::source::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, problem) = Source::from_bytes("fuzz.toml".into(), data.to_vec());
    if let Err(LoadError::Invalid { source, diagnostics }) = check(source, problem) {
        for diagnostic in &diagnostics {
            let _ = diagnostic.render(&source, false);
            let _ = diagnostic.to_json(&source);
        }
    }
});
