//! The image supply chain of a deploy (`delivery.supply_chain`): the image built once with SLSA
//! provenance, scanned (the results kept for GitHub code scanning), signed keylessly by cosign
//! with the deploy workflow's own OIDC identity with a CycloneDX SBOM attested, and verified
//! against exactly that identity before any `helm` command.

use serde_json::Value;

use super::context::{Job, RUNNER, Step, Variable, checkout, read, variable, write};
use super::image::{Image, on_platform};
use crate::model::{Action, Architecture, DeployTrigger, Environment, Model};

/// The issuer of the tokens GitHub Actions' OIDC provider signs; cosign's keyless certificates
/// name it, and verification requires it.
pub(super) const GITHUB_OIDC_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The job that uploads the scan to code scanning, the only one with `security-events: write`.
pub(super) const CODE_SCANNING_JOB: &str = "code-scanning";
const SARIF_ARTIFACT: &str = "trivy-sarif";

/// An image signed and attested by an earlier run of this workflow is not signed again (ECR
/// keeps signature tags immutable too).
const FIND_SIGNATURE: &[&str] = &[
    r#"image="$REGISTRY/$REPOSITORY@$DIGEST""#,
    r#"if cosign verify --certificate-identity-regexp "$SIGNER" --certificate-oidc-issuer "$OIDC_ISSUER" "$image" > /dev/null 2>&1 \"#,
    r#"  && cosign verify-attestation --type cyclonedx --certificate-identity-regexp "$SIGNER" --certificate-oidc-issuer "$OIDC_ISSUER" "$image" > /dev/null 2>&1; then"#,
    r#"  echo "signed=true" >> "$GITHUB_OUTPUT""#,
    "else",
    r#"  echo "signed=false" >> "$GITHUB_OUTPUT""#,
    "fi",
];
/// Keyless: the certificate names this workflow at this ref; no key exists to leak.
/// The signature covers the image index, so every platform's image; each platform's SBOM is
/// attested on it (`$SBOMS`, comma-separated).
const SIGN: &[&str] = &[
    r#"image="$REGISTRY/$REPOSITORY@$DIGEST""#,
    r#"cosign sign --yes "$image""#,
    r#"IFS=, read -r -a sboms <<< "$SBOMS""#,
    r#"for sbom in "${sboms[@]}"; do"#,
    r#"  cosign attest --yes --type cyclonedx --predicate "$sbom" "$image""#,
    "done",
];
const VERIFY: &[&str] = &[
    r#"image="$REGISTRY/$REPOSITORY@$DIGEST""#,
    r#"cosign verify --certificate-identity-regexp "$SIGNER" --certificate-oidc-issuer "$OIDC_ISSUER" "$image""#,
    r#"cosign verify-attestation --type cyclonedx --certificate-identity-regexp "$SIGNER" --certificate-oidc-issuer "$OIDC_ISSUER" "$image" > /dev/null"#,
];

/// The image as the deploy job's steps name it: the account's registry, by digest.
const REGISTRY: &str = "${{ steps.ecr.outputs.registry }}";
const DIGEST: &str = "${{ steps.image.outputs.digest }}";

/// The scan of `architecture`'s image for code scanning, where the image has `platforms`.
fn sarif_file(architecture: Architecture, platforms: usize) -> String {
    per_platform("trivy-results", ".sarif", architecture, platforms)
}

fn sbom_file(architecture: Architecture, platforms: usize) -> String {
    per_platform("sbom", ".cdx.json", architecture, platforms)
}

/// `<stem><extension>`, or `<stem>-<arch><extension>` where the image has several platforms.
fn per_platform(
    stem: &str,
    extension: &str,
    architecture: Architecture,
    platforms: usize,
) -> String {
    if platforms > 1 {
        format!("{stem}-{}{extension}", architecture.oci_name())
    } else {
        format!("{stem}{extension}")
    }
}

/// The steps from the ECR login to the verified image, in the deploy job written to `workflow`:
/// build (for each platform of the image), scan each platform's image, keep the scans, sign
/// the index and attest each platform's SBOM (once), verify.
pub(super) fn image_steps(image: &Image<'_>, workflow: &str) -> Vec<Step> {
    let (model, environment, service) = (image.model, image.environment, image.service);
    let repository = environment.settings_of(service).image_repository.clone();
    let by_digest = format!("{REGISTRY}/{repository}@{DIGEST}");
    let signer = signer_identity(model, environment, workflow);
    let not_signed = "steps.signature.outputs.signed != 'true'";
    let several = image.platforms.len();
    let mut steps = image.builder_steps();
    steps.push(image.build_step(true));
    // Every finding, for code scanning; the gate below fails on the fixable serious ones.
    for &architecture in &image.platforms {
        steps.push(on_platform(
            Step::uses(
                "Trivy scan for code scanning (SARIF)",
                model.delivery.action(Action::Trivy),
            )
            .with("image-ref", by_digest.clone())
            .with("format", "sarif")
            .with("output", sarif_file(architecture, several)),
            architecture,
            several,
        ));
    }
    let sarif_files: Vec<String> = image
        .platforms
        .iter()
        .map(|architecture| sarif_file(*architecture, several))
        .collect();
    steps.push(
        Step::uses(
            "Keep the scan for code scanning",
            model.delivery.action(Action::UploadArtifact),
        )
        .id("sarif")
        .with("name", SARIF_ARTIFACT)
        .with("path", sarif_files.join("\n"))
        .with("if-no-files-found", "error")
        .with("retention-days", 7),
    );
    steps.extend(image.scans(&by_digest));
    steps.extend([
        Step::uses(
            "Install cosign",
            model.delivery.action(Action::CosignInstaller),
        ),
        Step::run("Find the image's signature", FIND_SIGNATURE)
            .id("signature")
            .env("REGISTRY", REGISTRY)
            .env("REPOSITORY", repository.clone())
            .env("DIGEST", DIGEST)
            .env("SIGNER", signer.clone())
            .env("OIDC_ISSUER", GITHUB_OIDC_ISSUER),
    ]);
    for &architecture in &image.platforms {
        steps.push(on_platform(
            Step::uses("CycloneDX SBOM", model.delivery.action(Action::Trivy))
                .when(not_signed)
                .with("image-ref", by_digest.clone())
                .with("format", "cyclonedx")
                .with("output", sbom_file(architecture, several)),
            architecture,
            several,
        ));
    }
    let sboms: Vec<String> = image
        .platforms
        .iter()
        .map(|architecture| sbom_file(*architecture, several))
        .collect();
    steps.extend([
        Step::run("Sign the image and attest its SBOM (cosign, keyless)", SIGN)
            .when(not_signed)
            .env("REGISTRY", REGISTRY)
            .env("REPOSITORY", repository.clone())
            .env("DIGEST", DIGEST)
            .env("SBOMS", sboms.join(",")),
        Step::run("Verify the image's signature and SBOM attestation", VERIFY)
            .env("REGISTRY", REGISTRY)
            .env("REPOSITORY", repository)
            .env("DIGEST", DIGEST)
            .env("SIGNER", signer)
            .env("OIDC_ISSUER", GITHUB_OIDC_ISSUER),
    ]);
    steps
}

/// The output of the deploy job that names the kept scan (empty when the scan never ran).
pub(super) fn deploy_outputs() -> Vec<Variable> {
    vec![variable("sarif", "${{ steps.sarif.outputs.artifact-id }}")]
}

/// The image reference helm deploys: the tag, with the verified digest, which Kubernetes pulls.
pub(super) const VERIFIED_IMAGE_TAG: &str = "${{ github.sha }}@${{ steps.image.outputs.digest }}";

/// Uploads the deploy job's scan to GitHub code scanning, also when the scan's gate failed the
/// deploy: the only job allowed to write security events, and it holds no AWS access.
pub(super) fn code_scanning_job(image: &Image<'_>) -> Job {
    let (model, service) = (image.model, image.service);
    let several = image.platforms.len();
    let mut steps = vec![
        checkout(model),
        Step::uses(
            "Download the scan",
            model.delivery.action(Action::DownloadArtifact),
        )
        .with("name", SARIF_ARTIFACT),
    ];
    // One analysis per platform, each a category of its own.
    for &architecture in &image.platforms {
        let category = if several > 1 {
            format!("trivy-{}-{}", service.name, architecture.oci_name())
        } else {
            format!("trivy-{}", service.name)
        };
        let upload = Step::uses(
            "Upload to code scanning",
            model.delivery.action(Action::UploadSarif),
        )
        .with("sarif_file", sarif_file(architecture, several))
        .with("category", category);
        steps.push(if several > 1 {
            let name = format!("{} ({})", upload.name, architecture.linux_platform());
            upload.named(name)
        } else {
            upload
        });
    }
    Job {
        id: CODE_SCANNING_JOB.to_string(),
        name: format!("Upload the scan of {} to code scanning", service.name),
        needs: vec!["deploy".to_string()],
        condition: Some("always() && needs.deploy.outputs.sarif != ''".to_string()),
        runs_on: Value::from(RUNNER),
        timeout_minutes: 10,
        // `actions: read` lets upload-sarif read the run in a private repository.
        permissions: vec![read("actions"), read("contents"), write("security-events")],
        environment: None,
        concurrency: None,
        services: Vec::new(),
        env: Vec::new(),
        outputs: Vec::new(),
        steps,
    }
}

/// The certificate identity a signature of the image must carry: the deploy workflow (its path
/// in the repository) of this repository, run from the ref that deploys this environment.
fn signer_identity(model: &Model, environment: &Environment, workflow: &str) -> String {
    let reference = match &environment.deploy.trigger {
        DeployTrigger::Branch(branch) => format!("refs/heads/{}", regex_escape(branch)),
        DeployTrigger::Tag(glob) => format!("refs/tags/{}", glob_to_regex(glob)),
    };
    format!(
        "^https://github\\.com/{}/{}@{reference}$",
        regex_escape(&model.project.github_repository),
        regex_escape(workflow)
    )
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A GitHub tag filter as a regular expression: `*` matches within one path segment, `**`
/// across segments (the spec allows no other glob character).
fn glob_to_regex(glob: &str) -> String {
    glob.split("**")
        .map(|part| {
            part.split('*')
                .map(regex_escape)
                .collect::<Vec<_>>()
                .join("[^/]*")
        })
        .collect::<Vec<_>>()
        .join(".*")
}

#[cfg(test)]
mod tests {
    use super::glob_to_regex;

    #[test]
    fn a_tag_glob_becomes_an_anchorable_regex() {
        assert_eq!(glob_to_regex("v*-prod"), "v[^/]*-prod");
        assert_eq!(glob_to_regex("release/**"), "release/.*");
        assert_eq!(glob_to_regex("v1.2"), "v1\\.2");
    }
}
