//! Any bytes given to the spec loader produce a model or diagnostics, never a panic, and every
//! diagnostic renders.
#![no_main]

#[allow(dead_code)] // each target runs one of the properties
#[path = "../properties.rs"]
mod properties;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| properties::load_spec(data));
