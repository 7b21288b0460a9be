//! The GitHub Actions the generated workflows use, each pinned as the spec's
//! `[delivery.actions]` says.

/// An action the workflows use. Validation requires each in `[delivery.actions]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Checkout,
    ConfigureAwsCredentials,
    AmazonEcrLogin,
    SetupHelm,
    SetupTerraform,
    Trivy,
    SetupBuildx,
    SetupQemu,
    CosignInstaller,
    UploadArtifact,
    DownloadArtifact,
    UploadSarif,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Checkout,
        Action::ConfigureAwsCredentials,
        Action::AmazonEcrLogin,
        Action::SetupHelm,
        Action::SetupTerraform,
        Action::Trivy,
        Action::SetupBuildx,
        Action::SetupQemu,
        Action::CosignInstaller,
        Action::UploadArtifact,
        Action::DownloadArtifact,
        Action::UploadSarif,
    ];

    /// The actions only the image supply chain uses (`delivery.supply_chain`).
    pub const SUPPLY_CHAIN: [Action; 4] = [
        Action::CosignInstaller,
        Action::UploadArtifact,
        Action::DownloadArtifact,
        Action::UploadSarif,
    ];

    /// The actions the Terraform and cost workflows pass their comments with, from the job that
    /// writes one to the job that may post it (besides those CI uses).
    pub const COMMENT_ARTIFACTS: [Action; 2] = [Action::UploadArtifact, Action::DownloadArtifact];

    /// The actions the workflows use, with the image supply chain on or off, with or without
    /// a workflow that passes a comment between its jobs (the Terraform or the cost workflow),
    /// and with or without a deploy that may emulate a platform (QEMU).
    pub fn used(
        supply_chain: bool,
        comments: bool,
        emulation: bool,
    ) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |action| match action {
            Action::SetupQemu => emulation,
            _ => {
                supply_chain
                    || !Action::SUPPLY_CHAIN.contains(action)
                    || (comments && Action::COMMENT_ARTIFACTS.contains(action))
            }
        })
    }

    /// `owner/name`, as `[delivery.actions]` keys it.
    pub fn name(self) -> &'static str {
        match self {
            Action::Checkout => "actions/checkout",
            Action::ConfigureAwsCredentials => "aws-actions/configure-aws-credentials",
            Action::AmazonEcrLogin => "aws-actions/amazon-ecr-login",
            Action::SetupHelm => "azure/setup-helm",
            Action::SetupTerraform => "hashicorp/setup-terraform",
            Action::Trivy => "aquasecurity/trivy-action",
            Action::SetupBuildx => "docker/setup-buildx-action",
            Action::SetupQemu => "docker/setup-qemu-action",
            Action::CosignInstaller => "sigstore/cosign-installer",
            Action::UploadArtifact => "actions/upload-artifact",
            Action::DownloadArtifact => "actions/download-artifact",
            Action::UploadSarif => "github/codeql-action/upload-sarif",
        }
    }

    pub fn named(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.name() == name)
    }
}

/// How a workflow refers to an action: `owner/name@sha` (the version kept for a comment) when
/// the spec pins a commit, `owner/name@version` otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRef {
    pub reference: String,
    /// The tag a SHA pin stands for.
    pub pinned_version: Option<String>,
}

impl ActionRef {
    pub fn new(action: Action, version: &str, sha: Option<&str>) -> Self {
        match sha {
            Some(sha) => ActionRef {
                reference: format!("{}@{sha}", action.name()),
                pinned_version: Some(version.to_string()),
            },
            None => ActionRef {
                reference: format!("{}@{version}", action.name()),
                pinned_version: None,
            },
        }
    }
}
