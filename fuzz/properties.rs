//! The fuzz targets' properties, written once: the targets in `fuzz_targets/` run them on
//! libFuzzer's inputs, and `tests/e2e/fuzz_regressions.rs` replays them on stable over the kept
//! inputs. Both include this file by path.

use generator::load::{LoadError, check};
use generator::render::{Request, render_all};
use generator::source::Source;

/// `load_spec`: any bytes give a model or located diagnostics that render; never a panic.
pub(super) fn load_spec(data: &[u8]) {
    let (source, problem) = Source::from_bytes("fuzz.toml".into(), data.to_vec());
    if let Err(LoadError::Invalid {
        source,
        diagnostics,
    }) = check(source, problem)
    {
        assert!(!diagnostics.is_empty(), "invalid without a diagnostic");
        for diagnostic in &diagnostics {
            let _ = diagnostic.render(&source, false);
            let _ = diagnostic.to_json(&source);
        }
    }
}

/// `render_artifacts`: a spec that validates renders, and every artifact parses as the format
/// its consumer reads (HCL, YAML, JSON). Returns whether the input validated.
pub(super) fn render_artifacts(data: &[u8]) -> bool {
    let (source, problem) = Source::from_bytes("fuzz.toml".into(), data.to_vec());
    let Ok(loaded) = check(source, problem) else {
        return false;
    };
    let request = Request {
        model: &loaded.model,
        spec_path: "fuzz.toml",
        spec_text: &loaded.source.text,
        only_environment: None,
    };
    // The validator must refuse whatever a renderer cannot write.
    let artifacts = render_all(&request)
        .unwrap_or_else(|error| panic!("a valid spec failed to render: {error}"));
    for artifact in artifacts {
        let path = artifact.path.as_str();
        let text = artifact.contents.as_str();
        if path.ends_with(".tfvars") {
            hcl::from_str::<hcl::Body>(text).unwrap_or_else(|e| panic!("{path} is not HCL: {e}"));
        } else if path.ends_with(".yaml") || path.ends_with(".yml") {
            // A manifest file may hold several documents (`---` lines): each must parse.
            for document in text.split("\n---\n") {
                serde_norway::from_str::<serde_norway::Value>(document)
                    .unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
            }
        } else if path.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        }
    }
    true
}
