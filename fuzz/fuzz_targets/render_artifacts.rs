//! Any spec that validates renders every artifact, and every artifact parses as the format its
//! consumer reads (HCL, YAML, JSON). Seed the corpus with specs/*.toml: random bytes rarely
//! validate, mutations of a valid spec often do.
#![no_main]

use generator::model::check;
use generator::render::{Request, render_all};
use generator::source::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, problem) = Source::from_bytes("fuzz.toml".into(), data.to_vec());
    let Ok(loaded) = check(source, problem) else { return };
    let request = Request { model: &loaded.model, spec_path: "fuzz.toml", only_environment: None };
    let artifacts = match render_all(&request) {
        Ok(artifacts) => artifacts,
        // The validator must refuse whatever a renderer cannot write.
        Err(error) => panic!("a valid spec failed to render: {error}"),
    };
    for artifact in artifacts {
        let path = artifact.path.as_str();
        let text = artifact.contents.as_str();
        if path.ends_with(".tfvars") {
            hcl::from_str::<hcl::Body>(text).unwrap_or_else(|e| panic!("{path} is not HCL: {e}"));
        } else if path.ends_with(".yaml") || path.ends_with(".yml") {
            serde_norway::from_str::<serde_norway::Value>(text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
        } else if path.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        }
    }
});
