//! The chart as a blue-green deploy installs it (`deploy.strategy = "blue-green"`): for every
//! service of every blue-green environment of the example specs, the release the colours share
//! (`service.activeColour`) and each colour's release (`colour`, named `<service>-<colour>`),
//! with the environment's generated values, as the deploy workflow passes them. Real Helm
//! renders them, the Kubernetes 1.28 schemas check them, and the pieces must fit: together they
//! hold what a rolling release holds, the Service selects the live colour's pods only, the two
//! colours never select each other's pods, and each colour's Deployment reads its own
//! ConfigMaps and the shared ServiceAccount and Secret.

use std::collections::BTreeSet;
use std::path::Path;

use super::{
    Install, Rendered, documents, helm_check, installs, is_crd, of_kind, one,
    render_every_environment,
};
use crate::support::{assert_success, run, tool, tool_command};
use generator::model::{BLUE_GREEN_COLOURS, Strategy};
use serde_json::Value;

/// One blue-green install: the rolling release of the same values (as the chart tests render
/// it), the shared release's manifests, and each colour's.
struct Colours {
    rolling: &'static Rendered,
    shared: Vec<Value>,
    colours: Vec<(&'static str, Vec<Value>)>,
}

/// helm-check of `release` with the install's values and `extra` (YAML) on top.
fn render(
    helm: &Path,
    install: &Install,
    namespace: &str,
    release: &str,
    extra: &str,
) -> (Vec<String>, Vec<Value>) {
    let path = install.values.with_extension(format!("{release}.yaml"));
    std::fs::write(&path, extra).expect("write");
    let output = helm_check(helm, namespace, release, &[&install.values, &path]);
    assert_success(
        &output,
        &format!("helm-check {release} ({})", install.label),
    );
    documents(&output).into_iter().unzip()
}

/// Every service of every blue-green environment, rendered as the deploy installs it (values
/// written into `dir`); the documents of all of them written into `dir/core` for the schema
/// check, and how many there are.
fn blue_green_installs(dir: &Path) -> (Vec<Colours>, usize) {
    let (examples, rendered) = render_every_environment();
    let helm = tool("helm-check");
    let core_dir = dir.join("core");
    std::fs::create_dir_all(&core_dir).expect("mkdir");
    let mut found = Vec::new();
    let mut core = 0;
    for (index, example) in examples.iter().enumerate() {
        for install in installs(example, dir) {
            let environment = &example.model.environments[&install.environment];
            if environment.deploy.strategy == Strategy::Rolling {
                continue;
            }
            let rolling = rendered
                .iter()
                .find(|r| r.example == index && r.install.label == install.label)
                .expect("the rolling render of the same values");
            let namespace = &environment.namespace;
            let mut write = |name: &str, texts: &[String], manifests: &[Value]| {
                let kept: Vec<&str> = texts
                    .iter()
                    .zip(manifests)
                    .filter(|(_, manifest)| !is_crd(manifest))
                    .map(|(text, _)| text.as_str())
                    .collect();
                core += kept.len();
                let file = core_dir.join(format!("{}-{name}.yaml", install.key()));
                std::fs::write(file, kept.join("---\n")).expect("write");
            };
            let service = &install.service;
            let live = BLUE_GREEN_COLOURS[0];
            let (texts, shared) = render(
                &helm,
                &install,
                namespace,
                service,
                &format!("service:\n  activeColour: {live}\n"),
            );
            write("shared", &texts, &shared);
            let mut colours = Vec::new();
            for colour in BLUE_GREEN_COLOURS {
                let release = format!("{service}-{colour}");
                let (texts, manifests) = render(
                    &helm,
                    &install,
                    namespace,
                    &release,
                    &format!("colour: {colour}\n"),
                );
                write(colour, &texts, &manifests);
                colours.push((colour, manifests));
            }
            found.push(Colours {
                rolling,
                shared,
                colours,
            });
        }
    }
    assert!(
        !found.is_empty(),
        "an example spec deploys an environment blue-green"
    );
    (found, core)
}

fn kinds(manifests: &[Value]) -> BTreeSet<String> {
    manifests
        .iter()
        .filter_map(|m| m["kind"].as_str().map(str::to_string))
        .collect()
}

fn labels(manifest: &Value, pointer: &str) -> serde_json::Map<String, Value> {
    manifest
        .pointer(pointer)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| panic!("no labels at {pointer}: {manifest}"))
}

/// Whether a selector's labels all appear among a pod's labels.
fn selects(
    selector: &serde_json::Map<String, Value>,
    pod: &serde_json::Map<String, Value>,
) -> bool {
    selector
        .iter()
        .all(|(key, value)| pod.get(key) == Some(value))
}

pub(super) fn both_colours_and_what_they_share_pass_the_kubernetes_1_28_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, core) = blue_green_installs(dir.path());
    let validate = tool("kubernetes-validate");
    let mut files: Vec<_> = std::fs::read_dir(dir.path().join("core"))
        .expect("core")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    let output = run(tool_command(&validate)
        .args(["-k", "1.28.0", "--strict"])
        .args(&files));
    assert_success(&output, "kubernetes-validate (blue-green releases)");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!printed.contains("Couldn't find schema"), "{printed}");
    assert_eq!(
        printed.matches("passed for resource").count(),
        core,
        "every core manifest is validated:\n{printed}"
    );
}

pub(super) fn the_colours_and_what_they_share_fit_together_as_a_rolling_release_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (installs, _) = blue_green_installs(dir.path());
    for Colours {
        rolling,
        shared,
        colours,
    } in installs
    {
        let label = &rolling.install.label;
        let service = &rolling.install.service;
        // What the colours share and one colour hold what the rolling release holds, once.
        let workload = BTreeSet::from(
            [
                "Deployment",
                "HorizontalPodAutoscaler",
                "PodDisruptionBudget",
            ]
            .map(String::from),
        );
        let rolling_kinds = kinds(&rolling.manifests);
        for (colour, manifests) in &colours {
            let mut together = kinds(&shared);
            together.extend(kinds(manifests));
            assert_eq!(together, rolling_kinds, "{label} {colour}");
            assert!(
                kinds(manifests)
                    .iter()
                    .all(|kind| workload.contains(kind) || kind == "ConfigMap"),
                "{label} {colour}"
            );
            assert!(
                kinds(&shared).is_disjoint(&workload),
                "{label}: the shared release holds a workload"
            );
            assert_eq!(
                manifests.len() + shared.len(),
                rolling.manifests.len(),
                "{label} {colour}: every manifest in exactly one release"
            );
        }

        let service_manifest = one(&shared, "Service");
        let selector = labels(service_manifest, "/spec/selector");
        let account = one(&shared, "ServiceAccount")["metadata"]["name"].clone();
        let policy = of_kind(&shared, "NetworkPolicy");
        let mut pods = Vec::new();
        for (colour, manifests) in &colours {
            let deployment = one(manifests, "Deployment");
            let name = format!("{service}-{colour}");
            assert_eq!(deployment["metadata"]["name"], name.as_str(), "{label}");
            let pod = labels(deployment, "/spec/template/metadata/labels");
            assert_eq!(pod["colour"], *colour, "{label}");
            let own = labels(deployment, "/spec/selector/matchLabels");
            assert!(selects(&own, &pod), "{label} {colour}");
            assert_eq!(own["colour"], *colour, "{label}");
            let spec = &deployment["spec"]["template"]["spec"];
            assert_eq!(spec["serviceAccountName"], account, "{label} {colour}");
            let config = &spec["containers"][0]["envFrom"][0]["configMapRef"]["name"];
            assert_eq!(*config, format!("{name}-config"), "{label}");
            let config_maps: BTreeSet<&str> = of_kind(manifests, "ConfigMap")
                .iter()
                .filter_map(|m| m["metadata"]["name"].as_str())
                .collect();
            assert!(
                config_maps.contains(format!("{name}-config").as_str()),
                "{label}"
            );
            for volume in spec["volumes"].as_array().expect("volumes") {
                if let Some(map) = volume["configMap"]["name"].as_str() {
                    assert!(
                        config_maps.contains(map),
                        "{label}: {map} is not the colour's"
                    );
                }
            }
            for hpa in of_kind(manifests, "HorizontalPodAutoscaler") {
                assert_eq!(
                    hpa["spec"]["scaleTargetRef"]["name"],
                    name.as_str(),
                    "{label}"
                );
            }
            for pdb in of_kind(manifests, "PodDisruptionBudget") {
                let budget = labels(pdb, "/spec/selector/matchLabels");
                assert_eq!(budget, own, "{label}: the budget counts its colour's pods");
            }
            // The network policy covers the pods of both colours.
            for policy in &policy {
                let covered = labels(policy, "/spec/podSelector/matchLabels");
                assert!(selects(&covered, &pod), "{label} {colour}");
            }
            pods.push((*colour, own, pod));
        }
        // The Service selects the live colour's pods, and only those; each colour's
        // Deployment selects none of the other's.
        let [
            (first, first_selector, first_pod),
            (second, second_selector, second_pod),
        ] = pods.as_slice()
        else {
            panic!("two colours");
        };
        assert_eq!(selector["colour"], *first, "{label}");
        assert!(selects(&selector, first_pod), "{label}");
        assert!(!selects(&selector, second_pod), "{label}");
        assert!(
            !selects(first_selector, second_pod),
            "{label}: {first} selects {second}"
        );
        assert!(
            !selects(second_selector, first_pod),
            "{label}: {second} selects {first}"
        );
        // Prometheus still finds the shared Service, whose labels name the shared release.
        if let Some(monitor) = of_kind(&shared, "ServiceMonitor").first() {
            let wanted = labels(monitor, "/spec/selector/matchLabels");
            let service_labels = labels(service_manifest, "/metadata/labels");
            assert!(selects(&wanted, &service_labels), "{label}");
        }
        // A rolling release's Service never selects a colour's pods (the first blue-green deploy
        // of a rolling release smoke-tests its colour before any traffic reaches it).
        let rolling_service = one(&rolling.manifests, "Service");
        let rolling_selector = labels(rolling_service, "/spec/selector");
        assert!(!selects(&rolling_selector, first_pod), "{label}");
    }
}

pub(super) fn a_colour_release_misnamed_or_also_switching_the_service_is_refused() {
    let (examples, _) = render_every_environment();
    let example = &examples[0];
    let dir = tempfile::tempdir().expect("tempdir");
    let install = installs(example, dir.path()).remove(0);
    let namespace = &example.model.environments[&install.environment].namespace;
    let helm = tool("helm-check");
    let service = &install.service;
    for (release, values, says) in [
        (
            format!("{service}-blue"),
            "colour: green\n",
            "the release of the green colour is named <release>-green",
        ),
        (
            format!("{service}-green"),
            "colour: green\nservice:\n  activeColour: blue\n",
            "a colour release holds only its workload",
        ),
    ] {
        let path = dir.path().join(format!("{release}-overrides.yaml"));
        std::fs::write(&path, values).expect("write");
        let output = helm_check(&helm, namespace, &release, &[&install.values, &path]);
        let printed = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{release} with {values:?} rendered"
        );
        assert!(printed.contains(says), "{release}: {printed}");
    }
}
