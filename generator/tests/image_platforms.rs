//! The platforms each deploy builds its image for: the CPU architectures of the nodes the
//! service's pods may be scheduled on in the environment, QEMU set up only where the runner may
//! have to emulate one, every platform's image scanned, its scan kept and its SBOM attested.

use serde_json::Value;

use crate::render_workflows::{render, script, step_named, step_using, steps};
use crate::support::{example, load};
use generator::model::{Action, ActionRef, AmiType, Model, NodeGroup, RunnerLabel};

const QEMU: &str = "docker/setup-qemu-action";
/// The commit of docker/setup-qemu-action's v4.2.0 tag.
const QEMU_V4_2_0: &str = "96fe6ef7f33517b61c61be40b68a1882f3264fb8";

fn deploy_job(model: &Model, workflow: &str) -> Value {
    render(model)
        .remove(workflow)
        .unwrap_or_else(|| panic!("{workflow} is rendered"))["jobs"]["deploy"]
        .clone()
}

fn build(job: &Value) -> &Value {
    steps(job)
        .iter()
        .find(|step| script(step).contains("docker buildx build"))
        .expect("a build step")
}

/// The `TRIVY_PLATFORM` of each step of `job` named `name` (or `name (<platform>)`).
fn scanned_platforms(job: &Value, name: &str) -> Vec<String> {
    steps(job)
        .iter()
        .filter(|step| {
            step["name"]
                .as_str()
                .is_some_and(|step| step == name || step.starts_with(&format!("{name} (")))
        })
        .map(|step| {
            step["env"]["TRIVY_PLATFORM"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no TRIVY_PLATFORM"))
                .to_string()
        })
        .collect()
}

#[test]
fn the_analytics_image_is_built_for_the_graviton_nodes_and_the_others_for_x86_only() {
    let model = load("specs/money-tracking.toml");
    for environment in ["dev", "staging", "prod"] {
        // analytics-service runs on the memory-optimized group: r6g, Graviton (arm64).
        let analytics = deploy_job(
            &model,
            &format!("deploy-analytics-service-{environment}.yml"),
        );
        assert_eq!(build(&analytics)["env"]["PLATFORMS"], "linux/arm64");
        assert!(script(build(&analytics)).contains(r#"--platform "$PLATFORMS""#));
        // The runner is x86 (X64): it emulates arm64, whatever the runner of the moment.
        let qemu = step_using(&analytics, QEMU).expect("QEMU is set up");
        assert_eq!(qemu["with"]["platforms"], "arm64");
        assert_eq!(qemu["with"]["cache-image"], false);
        assert!(qemu.get("if").is_none());
        let buildx = step_using(&analytics, "docker/setup-buildx-action").expect("Buildx");
        let position = |step: &Value| steps(&analytics).iter().position(|s| s == step);
        assert!(
            position(qemu) < position(buildx),
            "QEMU before the builder starts"
        );
        for gate in [
            "Trivy scan",
            "Trivy scan for code scanning (SARIF)",
            "CycloneDX SBOM",
        ] {
            assert_eq!(
                scanned_platforms(&analytics, gate),
                ["linux/arm64"],
                "{gate}"
            );
        }

        // The services placed nowhere run on the untainted x86 group only.
        for service in [
            "user-service",
            "auth-service",
            "bank-service",
            "transaction-service",
        ] {
            let job = deploy_job(&model, &format!("deploy-{service}-{environment}.yml"));
            assert_eq!(build(&job)["env"]["PLATFORMS"], "linux/amd64", "{service}");
            assert!(
                step_using(&job, QEMU).is_none(),
                "{service}: native, no QEMU"
            );
            assert_eq!(scanned_platforms(&job, "Trivy scan"), ["linux/amd64"]);
        }
    }
}

#[test]
fn the_image_is_reused_only_when_it_was_built_for_every_platform() {
    let model = load("specs/money-tracking.toml");
    let job = deploy_job(&model, "deploy-analytics-service-prod.yml");
    let build = script(build(&job));
    let reuse = build
        .find("imagetools inspect")
        .expect("looks for the image in ECR");
    let check = build
        .find(r#"*",$platform,"*"#)
        .expect("compares platforms");
    let error = build.find("exit 1").expect("fails on a missing platform");
    let rebuild = build.find("docker buildx build").expect("builds otherwise");
    assert!(reuse < check && check < error && error < rebuild, "{build}");
    assert!(build.contains(r#"IFS=, read -r -a wanted <<< "$PLATFORMS""#));
}

#[test]
fn a_runner_of_unknown_architecture_emulates_only_when_it_is_not_the_images() {
    let mut model = load("specs/money-tracking.toml");
    let prod = model.environments.get_mut("prod").expect("prod");
    prod.deploy.runner.retain(|label| label.0 != "X64");
    assert_eq!(prod.deploy.runner_architecture(), None);
    for (service, platforms, condition) in [
        ("user-service", "amd64", "runner.arch != 'X64'"),
        ("analytics-service", "arm64", "runner.arch != 'ARM64'"),
    ] {
        let job = deploy_job(&model, &format!("deploy-{service}-prod.yml"));
        let qemu = step_using(&job, QEMU).unwrap_or_else(|| panic!("{service}: QEMU"));
        assert_eq!(qemu["with"]["platforms"], platforms, "{service}");
        assert_eq!(qemu["if"], condition, "{service}");
    }

    // An arm64 runner builds the analytics image natively and emulates amd64 for the others.
    let prod = model.environments.get_mut("prod").expect("prod");
    prod.deploy.runner.push(RunnerLabel("ARM64".to_string()));
    let analytics = deploy_job(&model, "deploy-analytics-service-prod.yml");
    assert!(step_using(&analytics, QEMU).is_none());
    let user = deploy_job(&model, "deploy-user-service-prod.yml");
    let qemu = step_using(&user, QEMU).expect("QEMU");
    assert_eq!(qemu["with"]["platforms"], "amd64");
    assert!(qemu.get("if").is_none());
}

#[test]
fn nodes_of_both_architectures_get_one_image_index_scanned_and_attested_per_platform() {
    let mut model = example();
    // Validation requires QEMU's pin where a deploy emulates; this model is edited after it.
    model.delivery.actions.insert(
        Action::SetupQemu,
        ActionRef::new(Action::SetupQemu, "v4.2.0", Some(QEMU_V4_2_0)),
    );
    let prod = model.environments.get_mut("prod").expect("prod");
    // An untainted Graviton group beside the x86 one: pods placed nowhere may land on either.
    let x86 = prod.eks.node_groups[0].clone();
    prod.eks.node_groups.push(NodeGroup {
        name: "graviton".to_string(),
        instance_types: vec!["m7g.large".to_string()],
        ami_type: AmiType::Al2023ArmStandard,
        ..x86
    });
    let workflow = render(&model)
        .remove("deploy-expense-backend-prod.yml")
        .expect("prod's deploy");
    let job = &workflow["jobs"]["deploy"];
    assert_eq!(build(job)["env"]["PLATFORMS"], "linux/amd64,linux/arm64");
    let qemu = step_using(job, QEMU).expect("QEMU");
    assert_eq!(qemu["with"]["platforms"], "arm64");
    let both = ["linux/amd64", "linux/arm64"];
    assert_eq!(scanned_platforms(job, "Trivy scan"), both);
    assert_eq!(
        scanned_platforms(job, "Trivy scan for code scanning (SARIF)"),
        both
    );
    assert_eq!(scanned_platforms(job, "CycloneDX SBOM"), both);

    // Each platform's scan is kept, and uploaded as an analysis of its own.
    let kept = step_named(job, "Keep the scan for code scanning");
    assert_eq!(
        kept["with"]["path"],
        "trivy-results-amd64.sarif\ntrivy-results-arm64.sarif"
    );
    let upload = &workflow["jobs"]["code-scanning"];
    let uploads: Vec<(&str, &str)> = steps(upload)
        .iter()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("github/codeql-action/upload-sarif@"))
        })
        .map(|step| {
            (
                step["with"]["sarif_file"].as_str().expect("file"),
                step["with"]["category"].as_str().expect("category"),
            )
        })
        .collect();
    assert_eq!(
        uploads,
        [
            ("trivy-results-amd64.sarif", "trivy-expense-backend-amd64"),
            ("trivy-results-arm64.sarif", "trivy-expense-backend-arm64"),
        ]
    );
    // One signature of the index; each platform's SBOM attested on it.
    let sign = step_named(job, "Sign the image and attest its SBOM (cosign, keyless)");
    assert_eq!(
        sign["env"]["SBOMS"],
        "sbom-amd64.cdx.json,sbom-arm64.cdx.json"
    );
}
