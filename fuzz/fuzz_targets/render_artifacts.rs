//! Any spec that validates renders every artifact, and every artifact parses as the format its
//! consumer reads (HCL, YAML, JSON). Seed the corpus with specs/*.toml: random bytes rarely
//! validate, mutations of a valid spec often do.
#![no_main]

#[allow(dead_code)] // each target runs one of the properties
#[path = "../properties.rs"]
mod properties;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _validated = properties::render_artifacts(data);
});
