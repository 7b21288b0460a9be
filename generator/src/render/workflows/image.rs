//! The image a deploy ships: built by BuildKit for exactly the platforms of the nodes the
//! service's pods may be scheduled on in the environment (`Environment::architectures_of`), with
//! QEMU set up where the runner may have to emulate one of them, reused when an earlier deploy
//! of the commit already pushed it for every one of them, and scanned on each.
//!
//! One image per commit and account (ECR tags are immutable, terraform/modules/ecr): an image
//! already in ECR that lacks one of the platforms cannot be rebuilt under its tag, so the deploy
//! fails and says so rather than ship an image some nodes cannot run (`exec format error`).

use super::ci::trivy_scan;
use super::context::Step;
use crate::model::{Action, Architecture, Environment, Model, Service};

/// Finds the image of the commit in ECR, if an earlier deploy pushed it, and fails unless it
/// holds every platform of `$PLATFORMS` (comma-separated): an image index lists its platforms
/// (attestation manifests are `unknown/unknown`), a single image's configuration names its own.
const FIND_EXISTING: &[&str] = &[
    r#"image="$REGISTRY/$REPOSITORY:$IMAGE_TAG""#,
    r#"if found="$(docker buildx imagetools inspect "$image" --format '{{json .}}' 2> /dev/null)"; then"#,
    r#"  built="$(jq --raw-output 'if .manifest.manifests then [.manifest.manifests[].platform | select(. != null and .os != "unknown") | "\(.os)/\(.architecture)"] else ["\(.image.os)/\(.image.architecture)"] end | unique | join(",")' <<< "$found")""#,
    r#"  IFS=, read -r -a wanted <<< "$PLATFORMS""#,
    r#"  for platform in "${wanted[@]}"; do"#,
    r#"    if [[ ",$built," != *",$platform,"* ]]; then"#,
    r#"      echo "::error::$image is already in ECR for ${built:-no known platform}, not for $platform: ECR tags are immutable, so deploy a new commit (or delete the tag to rebuild it)""#,
    "      exit 1",
    "    fi",
    "  done",
];
/// Without the supply chain: the image pushed as BuildKit builds it.
const BUILD_AND_PUSH: &[&str] = &[
    r#"  echo "$image is already in ECR ($built); deploying that image""#,
    "else",
    r#"  docker buildx build --platform "$PLATFORMS" --file "$DOCKERFILE" --tag "$image" --push "$CONTEXT""#,
    "fi",
];
/// With the supply chain: provenance (mode=max) and an SBOM attached, and the digest (of the
/// image index) every later step names.
const BUILD_WITH_PROVENANCE: &[&str] = &[
    r#"  digest="$(jq --raw-output .manifest.digest <<< "$found")""#,
    r#"  echo "$image is already in ECR ($digest, $built); deploying that image""#,
    "else",
    r#"  docker buildx build --platform "$PLATFORMS" --file "$DOCKERFILE" --tag "$image" \"#,
    r#"    --provenance=mode=max --sbom=true \"#,
    r#"    --metadata-file "$RUNNER_TEMP/build-metadata.json" --push "$CONTEXT""#,
    r#"  digest="$(jq --raw-output '."containerimage.digest"' "$RUNNER_TEMP/build-metadata.json")""#,
    "fi",
    r#"if [[ "$digest" != sha256:* ]]; then"#,
    r#"  echo "no digest for $image" >&2"#,
    "  exit 1",
    "fi",
    r#"echo "digest=$digest" >> "$GITHUB_OUTPUT""#,
];

/// The image of `service` in `environment`, as the deploy's steps build and name it.
pub(super) struct Image<'a> {
    pub(super) model: &'a Model,
    pub(super) environment: &'a Environment,
    pub(super) service: &'a Service,
    /// The architectures it is built for, in order (never empty).
    pub(super) platforms: Vec<Architecture>,
}

impl<'a> Image<'a> {
    pub(super) fn new(
        model: &'a Model,
        environment: &'a Environment,
        service: &'a Service,
    ) -> Self {
        Image {
            model,
            environment,
            service,
            platforms: environment.architectures_of(service).into_iter().collect(),
        }
    }

    /// `--platform`'s list: `linux/amd64,linux/arm64`.
    pub(super) fn platform_list(&self) -> String {
        self.platforms
            .iter()
            .copied()
            .map(Architecture::linux_platform)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// QEMU, where the runner may have to emulate a platform, then Buildx (whose builder finds
    /// the emulators when it starts).
    pub(super) fn builder_steps(&self) -> Vec<Step> {
        let deploy = &self.environment.deploy;
        let emulated = deploy.emulated(&self.platforms.iter().copied().collect());
        let mut steps = Vec::new();
        if !emulated.is_empty() {
            let names: Vec<&str> = emulated.iter().map(|a| a.oci_name()).collect();
            // The binfmt image is not kept in the Actions cache, which a deploy must not read.
            let qemu = Step::uses("Set up QEMU", self.model.delivery.action(Action::SetupQemu))
                .with("platforms", names.join(","))
                .with("cache-image", false);
            // A runner of unknown architecture emulates the one platform only where it is not
            // that platform's own.
            steps.push(match (deploy.runner_architecture(), &self.platforms[..]) {
                (None, [Architecture::X86_64]) => qemu.when("runner.arch != 'X64'"),
                (None, [Architecture::Arm64]) => qemu.when("runner.arch != 'ARM64'"),
                _ => qemu,
            });
        }
        steps.push(Step::uses(
            "Set up Docker Buildx",
            self.model.delivery.action(Action::SetupBuildx),
        ));
        steps
    }

    /// The step that builds and pushes the image, or finds it in ECR; with the supply chain, it
    /// is `image` and outputs the digest.
    pub(super) fn build_step(&self, supply_chain: bool) -> Step {
        let step = if supply_chain {
            Step::script(
                "Build and push the image (provenance, SBOM)",
                &[FIND_EXISTING, BUILD_WITH_PROVENANCE],
            )
            .id("image")
        } else {
            Step::script("Build and push the image", &[FIND_EXISTING, BUILD_AND_PUSH])
        };
        step.env("REGISTRY", "${{ steps.ecr.outputs.registry }}")
            .env(
                "REPOSITORY",
                self.environment
                    .settings_of(self.service)
                    .image_repository
                    .clone(),
            )
            .env("IMAGE_TAG", "${{ github.sha }}")
            .env("PLATFORMS", self.platform_list())
            .env("DOCKERFILE", self.service.build.dockerfile.clone())
            .env("CONTEXT", self.service.build.context.clone())
    }

    /// The gate on every platform's image of `reference`: Trivy scans the platform it is told
    /// (`TRIVY_PLATFORM`; of an index it would otherwise pick one), and each platform's image
    /// holds packages of its own.
    pub(super) fn scans(&self, reference: &str) -> Vec<Step> {
        self.platforms
            .iter()
            .map(|architecture| {
                on_platform(
                    trivy_scan(self.model, reference.to_string()),
                    *architecture,
                    self.platforms.len(),
                )
            })
            .collect()
    }
}

/// `step` (a Trivy scan of the image) on `architecture`'s image: named after it where the image
/// has several.
pub(super) fn on_platform(step: Step, architecture: Architecture, platforms: usize) -> Step {
    let platform = architecture.linux_platform();
    let step = if platforms > 1 {
        let name = format!("{} ({platform})", step.name);
        step.named(name)
    } else {
        step
    };
    step.env("TRIVY_PLATFORM", platform)
}
