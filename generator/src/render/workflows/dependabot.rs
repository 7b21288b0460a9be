//! `.github/dependabot.yml`: the ecosystems of `[delivery.dependency_updates]`, each where its
//! manifests are.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{DependencyUpdates, Model};
use crate::spec::Ecosystem;

pub(super) const PATH: &str = ".github/dependabot.yml";

#[derive(Debug, Serialize)]
pub(super) struct Dependabot {
    interval: &'static str,
    updates: Vec<Update>,
}

#[derive(Debug, Serialize)]
struct Update {
    ecosystem: &'static str,
    directories: Vec<String>,
}

pub(super) fn dependabot(model: &Model, updates: &DependencyUpdates) -> Dependabot {
    Dependabot {
        interval: updates.interval.name(),
        updates: updates
            .ecosystems
            .iter()
            .map(|ecosystem| Update {
                ecosystem: ecosystem.name(),
                directories: directories(model, *ecosystem),
            })
            .collect(),
    }
}

/// Where Dependabot finds an ecosystem's manifests: the workflows and the workspace at the
/// root, and each service's Dockerfile in its own directory.
fn directories(model: &Model, ecosystem: Ecosystem) -> Vec<String> {
    match ecosystem {
        Ecosystem::GithubActions | Ecosystem::Cargo => vec!["/".to_string()],
        Ecosystem::Docker => model
            .services
            .iter()
            .map(|service| {
                let dockerfile = std::path::Path::new(&service.build.dockerfile);
                let directory = dockerfile
                    .parent()
                    .map(|parent| parent.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("/{directory}")
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}
