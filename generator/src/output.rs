//! Writing rendered artifacts, or comparing them with what is on disk (`generate --check`).
//!
//! The generator owns exactly the files listed in `generated/manifest.txt`, which it writes with
//! every full run. A file it owned and no longer renders is removed; a file it never listed is
//! never touched. Writing is `--check` without the comparison: both start from the same render.

use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path};

use similar::TextDiff;

use crate::render::Artifact;

/// The list of files the generator owns, relative to the output root.
pub const MANIFEST: &str = "generated/manifest.txt";

/// Which owned files a run is responsible for.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every artifact: the manifest is rewritten and any owned file not rendered is stale.
    All,
    /// One environment's artifacts (and the global ones): only owned files under
    /// `generated/<env>/` can be stale, and the manifest is left alone.
    Environment(&'a str),
}

/// The manifest artifact listing `artifacts`.
pub fn manifest(artifacts: &[Artifact], header: &str) -> Artifact {
    let mut contents = header.to_string();
    for artifact in artifacts {
        contents.push_str(&artifact.path);
        contents.push('\n');
    }
    Artifact {
        path: MANIFEST.to_string(),
        contents,
    }
}

/// The owned paths listed in the manifest on disk; entries that could escape the root are
/// ignored, so a tampered manifest cannot make the generator delete anything outside it.
fn owned_paths(root: &Path) -> io::Result<BTreeSet<String>> {
    let text = match std::fs::read_to_string(root.join(MANIFEST)) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(error) => return Err(error),
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| {
            Path::new(line)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
        })
        .map(str::to_string)
        .collect())
}

fn stale_paths(root: &Path, artifacts: &[Artifact], scope: Scope<'_>) -> io::Result<Vec<String>> {
    let rendered: BTreeSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    let prefix = match scope {
        Scope::All => String::new(),
        Scope::Environment(name) => format!("generated/{name}/"),
    };
    Ok(owned_paths(root)?
        .into_iter()
        .filter(|path| {
            path.starts_with(&prefix) && !rendered.contains(path.as_str()) && path != MANIFEST
        })
        .filter(|path| root.join(path).is_file())
        .collect())
}

/// What a write did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub written: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
}

/// Writes the artifacts under `root`, touching only files whose bytes change, and removes owned
/// files that are no longer rendered.
pub fn write(root: &Path, artifacts: &[Artifact], scope: Scope<'_>) -> io::Result<Written> {
    let mut outcome = Written {
        removed: stale_paths(root, artifacts, scope)?,
        ..Written::default()
    };
    for artifact in artifacts {
        let path = root.join(&artifact.path);
        match std::fs::read(&path) {
            Ok(existing) if existing == artifact.contents.as_bytes() => {
                outcome.unchanged += 1;
                continue;
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Write beside the target, then rename: a reader never sees half a file.
        let temporary = path.with_extension("platformgen-tmp");
        std::fs::write(&temporary, &artifact.contents)?;
        std::fs::rename(&temporary, &path)?;
        outcome.written.push(artifact.path.clone());
    }
    for stale in &outcome.removed {
        std::fs::remove_file(root.join(stale))?;
    }
    Ok(outcome)
}

/// How the files on disk differ from the render.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Path and unified diff (from the file on disk to the render).
    pub changed: Vec<(String, String)>,
    pub missing: Vec<String>,
    pub stale: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.stale.is_empty()
    }
}

/// Compares the artifacts with the files under `root`; writes nothing.
pub fn check(root: &Path, artifacts: &[Artifact], scope: Scope<'_>) -> io::Result<Drift> {
    let mut drift = Drift {
        stale: stale_paths(root, artifacts, scope)?,
        ..Drift::default()
    };
    for artifact in artifacts {
        match std::fs::read(root.join(&artifact.path)) {
            Ok(existing) if existing == artifact.contents.as_bytes() => {}
            Ok(existing) => {
                let existing = String::from_utf8_lossy(&existing);
                let diff = TextDiff::from_lines(existing.as_ref(), artifact.contents.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("a/{}", artifact.path),
                        &format!("b/{}", artifact.path),
                    )
                    .to_string();
                drift.changed.push((artifact.path.clone(), diff));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                drift.missing.push(artifact.path.clone())
            }
            Err(error) => return Err(error),
        }
    }
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, contents: &str) -> Artifact {
        Artifact {
            path: path.to_string(),
            contents: contents.to_string(),
        }
    }

    #[test]
    fn only_changed_files_are_rewritten_and_stale_owned_files_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        let first = vec![
            artifact("generated/a.txt", "a\n"),
            artifact("generated/b.txt", "b\n"),
        ];
        let mut all = first.clone();
        all.push(manifest(&first, "# owned\n"));
        let outcome = write(root.path(), &all, Scope::All).expect("write");
        assert_eq!(outcome.written.len(), 3);
        std::fs::write(root.path().join("generated/mine.txt"), "not owned").expect("write");

        let second = vec![artifact("generated/a.txt", "a\n")];
        let mut all = second.clone();
        all.push(manifest(&second, "# owned\n"));
        let outcome = write(root.path(), &all, Scope::All).expect("write");
        assert_eq!(outcome.written, vec![MANIFEST.to_string()]);
        assert_eq!(outcome.unchanged, 1);
        assert_eq!(outcome.removed, vec!["generated/b.txt".to_string()]);
        assert!(
            root.path().join("generated/mine.txt").exists(),
            "unowned files are never touched"
        );
    }

    #[test]
    fn a_manifest_cannot_point_outside_the_root() {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("generated")).expect("mkdir");
        std::fs::write(
            root.path().join(MANIFEST),
            "../outside.txt\n/etc/passwd\ngenerated/../x\n",
        )
        .expect("write");
        assert!(owned_paths(root.path()).expect("read").is_empty());
    }
}
