//! Go to definition: from a name the spec refers to (a secret, a node group, an alert) to where
//! it is declared, and from a key of an environment to the `[defaults]` key it overrides.

use std::ops::Range;

use super::analysis::Analysis;
use super::hover::in_environment;
use crate::document::Document;
use crate::source::{Path, Segment};

/// The span of the key that declares what is written at byte `offset`.
pub(super) fn definition(analysis: &Analysis, offset: usize) -> Option<Range<usize>> {
    let document = analysis.document.as_ref()?;
    let (path, _) = document.at(offset)?;
    let declared = |target: &Path| document.span(target).and_then(|span| span.key.clone());
    if let Some(target) = referenced(document, &path) {
        return declared(&target);
    }
    let relative = in_environment(&path);
    let in_an_environment =
        matches!(path.0.first(), Some(Segment::Key(first)) if first == "environments");
    if in_an_environment && !relative.is_empty() {
        return declared(&Path::root().child("defaults").join(&relative));
    }
    None
}

/// The declaration a reference at `path` names, where it is written in the spec.
fn referenced(document: &Document, path: &Path) -> Option<Path> {
    let keys: Vec<&str> = path
        .0
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => key.as_str(),
            Segment::Index(_) => "[]",
        })
        .collect();
    let written = |target: Path| document.span(&target).is_some().then_some(target);
    match keys.as_slice() {
        // `secrets = { VARIABLE = "<secret>" }` and `access = { secrets = ["<secret>"] }`.
        ["services", _, "secrets", _] | ["services", _, "access", "secrets", "[]"] => {
            let name = path.lookup(&document.value)?.as_str()?;
            written(Path::root().child("secrets").child(name))
        }
        [.., "node_group"] => {
            let name = path.lookup(&document.value)?.as_str()?;
            let group = Path::root().child("eks").child("node_groups").child(name);
            let own = match keys.as_slice() {
                ["environments", environment, ..] => {
                    Some(Path::root().child("environments").child(environment))
                }
                _ => None,
            };
            let environments = document
                .value
                .get("environments")
                .and_then(serde_json::Value::as_object)
                .into_iter()
                .flat_map(|environments| environments.keys())
                .map(|name| Path::root().child("environments").child(name));
            std::iter::once(Path::root().child("defaults"))
                .chain(own)
                .chain(environments)
                .find_map(|layer| written(layer.join(&group)))
        }
        // A threshold override names an alert: `monitoring.alert_thresholds.<alert>`.
        [.., "monitoring", "alert_thresholds", alert] => {
            let alerts = document.value.get("alerts")?.as_array()?;
            let index = alerts
                .iter()
                .position(|a| a.get("name").and_then(serde_json::Value::as_str) == Some(alert))?;
            written(Path::root().child("alerts").index(index).child("name"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"[services.api]
secrets = { JWT_SECRET = "jwt-secret" }
node_group = "memory"

[secrets.jwt-secret]
description = "signs the tokens"

[defaults.eks.node_groups.memory]
instance_types = ["r6g.large"]

[defaults.database]
multi_az = false

[environments.prod.database]
multi_az = true

[environments.prod.monitoring]
alert_thresholds = { HighErrorRate = 0.1 }

[[alerts]]
name = "HighErrorRate"
"#;

    /// Where go to definition from the first `from` of the spec lands: the line and the text.
    fn jump(from: &str) -> Option<(usize, &'static str)> {
        let analysis = Analysis::of("spec.toml", SPEC);
        let offset = SPEC.find(from).expect("in the spec") + 1;
        let span = definition(&analysis, offset)?;
        let line = SPEC[..span.start].matches('\n').count() + 1;
        Some((line, &SPEC[span]))
    }

    #[test]
    fn references_lead_to_their_declarations() {
        assert_eq!(jump("\"jwt-secret\""), Some((5, "jwt-secret")));
        assert_eq!(jump("\"memory\""), Some((8, "memory")));
        assert_eq!(jump("HighErrorRate ="), Some((21, "name")));
    }

    #[test]
    fn an_environments_key_leads_to_the_default_it_overrides() {
        assert_eq!(jump("multi_az = true"), Some((12, "multi_az")));
        assert_eq!(jump("description"), None);
    }
}
