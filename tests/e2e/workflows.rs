//! The rendered GitHub workflows of every example spec pass the real linters: actionlint (which
//! runs shellcheck on every `run:` script and knows which action runtimes are deprecated), the
//! SchemaStore workflow schema through check-jsonschema, and zizmor. The tools are installed by
//! `tests/tools/install.sh`.

use std::path::{Path, PathBuf};

use crate::support::{assert_success, run, tool, tool_command, workspace};
use generator::model::{Action, ActionRef, Model};
use generator::render::{Request, workflows};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            rendered_workflows_pass_actionlint_with_shellcheck,
            Need::Tool("actionlint"),
            Need::Tool("shellcheck")
        ),
        test!(
            rendered_workflows_match_the_github_workflow_schema,
            Need::Tool("check-jsonschema")
        ),
        test!(
            rendered_dependabot_configuration_matches_its_schema,
            Need::Tool("check-jsonschema")
        ),
        test!(
            workflows_pinning_an_action_to_a_commit_pass_actionlint_and_the_schema,
            Need::Tool("check-jsonschema"),
            Need::Tool("actionlint"),
            Need::Tool("shellcheck")
        ),
        test!(
            actionlint_rejects_a_rendered_workflow_with_script_injection_or_an_unquoted_variable,
            Need::Tool("actionlint"),
            Need::Tool("shellcheck")
        ),
        test!(
            rendered_workflows_of_every_example_have_no_zizmor_findings,
            Need::Tool("zizmor")
        ),
        test!(
            zizmor_rejects_a_rendered_workflow_with_template_injection_or_broad_permissions,
            Need::Tool("zizmor")
        ),
    ]
}

/// Renders the example spec's workflows under `dir`, returning the files written.
fn render_into(dir: &Path) -> Vec<PathBuf> {
    render_model_into(&example(), dir)
}

fn example() -> Model {
    Model::load(&workspace().join("specs/expense.toml")).expect("the example spec loads")
}

fn render_model_into(model: &Model, dir: &Path) -> Vec<PathBuf> {
    let request = Request {
        model,
        spec_path: "specs/expense.toml",
        spec_text: &std::fs::read_to_string(workspace().join("specs/expense.toml"))
            .expect("the spec is readable"),
        only_environment: None,
    };
    let artifacts = workflows::render(&request).expect("the workflows render");
    assert!(
        artifacts.len() >= 2,
        "ci.yml and at least one deploy workflow"
    );
    artifacts
        .into_iter()
        .filter_map(|artifact| {
            let path = dir.join(&artifact.path);
            std::fs::create_dir_all(path.parent().expect("a parent"))
                .expect("create .github/workflows");
            std::fs::write(&path, artifact.contents).expect("write the workflow");
            // The actionlint configuration is written beside the workflows, not linted as one.
            artifact
                .path
                .starts_with(".github/workflows/")
                .then_some(path)
        })
        .collect()
}

fn actionlint(files: &[PathBuf]) -> std::process::Output {
    let actionlint = tool("actionlint");
    // actionlint checks `run:` scripts only when shellcheck is on PATH; require it so a clean
    // result means the scripts were checked too.
    tool("shellcheck");
    // The rendered configuration names the self-hosted runner labels the deploys use.
    let config = files
        .first()
        .and_then(|file| file.parent())
        .and_then(Path::parent)
        .map(|github| github.join("actionlint.yaml"))
        .filter(|config| config.exists());
    let mut command = tool_command(&actionlint);
    command.args(["-no-color", "-oneline"]);
    if let Some(config) = config {
        command.arg("-config-file").arg(config);
    }
    run(command.args(files))
}

/// Every example spec's workflows, each spec's with its own actionlint configuration (its
/// runner labels): the rolling and the blue-green deploys, every script through shellcheck.
fn rendered_workflows_pass_actionlint_with_shellcheck() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut blue_green = 0;
    for spec in crate::support::example_specs() {
        let model = Model::load(&spec).expect("the example spec loads");
        let files = render_model_into(&model, &dir.path().join(spec.file_stem().expect("a name")));
        blue_green += files
            .iter()
            .filter(|file| {
                std::fs::read_to_string(file)
                    .is_ok_and(|text| text.contains("Deploy the idle colour"))
            })
            .count();
        let output = actionlint(&files);
        assert_success(&output, &format!("actionlint ({})", spec.display()));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "",
            "actionlint findings ({})",
            spec.display()
        );
    }
    assert!(blue_green > 0, "no example deploys blue-green");
}

fn rendered_workflows_match_the_github_workflow_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_every_example_into(dir.path());
    let check = tool("check-jsonschema");
    let output = run(tool_command(&check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files));
    assert_success(
        &output,
        "check-jsonschema --builtin-schema vendor.github-workflows",
    );
}

/// `.github/dependabot.yml` of every example spec passes SchemaStore's Dependabot schema, which
/// refuses a schedule Dependabot does not know.
fn rendered_dependabot_configuration_matches_its_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    render_every_example_into(dir.path());
    let mut files = Vec::new();
    for spec in crate::support::example_specs() {
        let name = spec
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = dir.path().join(name).join(".github/dependabot.yml");
        assert!(
            file.exists(),
            "{} renders no dependabot.yml",
            spec.display()
        );
        files.push(file);
    }
    let check = tool("check-jsonschema");
    let output = run(tool_command(&check)
        .args(["--builtin-schema", "vendor.dependabot"])
        .args(&files));
    assert_success(
        &output,
        "check-jsonschema --builtin-schema vendor.dependabot",
    );

    let text = std::fs::read_to_string(&files[0]).expect("read dependabot.yml");
    let hourly = text.replacen("interval: \"daily\"", "interval: \"hourly\"", 1);
    assert_ne!(hourly, text);
    let broken = dir.path().join("hourly.yml");
    std::fs::write(&broken, hourly).expect("write");
    let output = run(tool_command(&check)
        .args(["--builtin-schema", "vendor.dependabot"])
        .arg(&broken));
    assert!(
        !output.status.success(),
        "the Dependabot schema accepted an hourly schedule"
    );
}

fn workflows_pinning_an_action_to_a_commit_pass_actionlint_and_the_schema() {
    let mut model = example();
    // actions/checkout's v5.0.0 tag.
    model.delivery.actions.insert(
        Action::Checkout,
        ActionRef::new(
            Action::Checkout,
            "v5.0.0",
            Some("08c6903cd8c0fde910a37f88322edcfb5dd907a8"),
        ),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_model_into(&model, dir.path());
    let ci = std::fs::read_to_string(&files[0]).expect("read ci.yml");
    assert!(
        ci.contains("@08c6903cd8c0fde910a37f88322edcfb5dd907a8\" # v5.0.0"),
        "{ci}"
    );
    let output = actionlint(&files);
    assert_success(&output, "actionlint (pinned)");
    let check = tool("check-jsonschema");
    let output = run(tool_command(&check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files));
    assert_success(&output, "check-jsonschema (pinned)");
}

/// The clean result above means something: the same linters reject a rendered workflow once an
/// untrusted value is interpolated into its script, or a variable is left unquoted.
fn actionlint_rejects_a_rendered_workflow_with_script_injection_or_an_unquoted_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_into(dir.path());
    let deploy = files
        .iter()
        .find(|file| {
            file.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("deploy-"))
        })
        .expect("a deploy workflow");
    let text = std::fs::read_to_string(deploy).expect("read the deploy workflow");

    let kubeconfig = r#"aws eks update-kubeconfig --name "$CLUSTER_NAME""#;
    assert!(text.contains(kubeconfig));
    let injected = text.replacen(
        kubeconfig,
        &format!("echo \"${{{{ github.event.head_commit.message }}}}\"\n          {kubeconfig}"),
        1,
    );
    let injected_file = dir.path().join("injected.yml");
    std::fs::write(&injected_file, injected).expect("write");

    let unquoted = text.replacen(r#"-f "$VALUES_FILE""#, "-f $VALUES_FILE", 1);
    assert_ne!(unquoted, text);
    let unquoted_file = dir.path().join("unquoted.yml");
    std::fs::write(&unquoted_file, unquoted).expect("write");

    let output = actionlint(&[injected_file]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "actionlint accepted a script injection"
    );
    assert!(
        stdout.contains("\"github.event.head_commit.message\" is potentially untrusted"),
        "{stdout}"
    );

    let output = actionlint(&[unquoted_file]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "actionlint accepted an unquoted variable"
    );
    assert!(stdout.contains("SC2086"), "{stdout}");
}

/// Every example spec's rendered workflows (and actionlint configuration) under `dir`.
fn render_every_example_into(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for spec in crate::support::example_specs() {
        let model = Model::load(&spec).expect("the example spec loads");
        let name = spec
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.extend(render_model_into(&model, &dir.join(name)));
    }
    files
}

/// zizmor (`cargo install`ed by `tests/tools/install.sh`) with online audits off (it reads the
/// files only) and the repository's policy, `tests/tools/zizmor.yml`.
fn zizmor(files: &[PathBuf]) -> std::process::Output {
    let zizmor = tool("zizmor");
    run(tool_command(&zizmor)
        .args([
            "--offline",
            "--no-progress",
            "--format",
            "plain",
            "--config",
        ])
        .arg(workspace().join("tests/tools/zizmor.yml"))
        .args(files))
}

/// zizmor's security audits (template injection, excessive permissions, credential
/// persistence, unpinned or impostor actions, dangerous triggers, cache poisoning, ...) find
/// nothing in the workflows of either example spec.
fn rendered_workflows_of_every_example_have_no_zizmor_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_every_example_into(dir.path());
    assert!(files.len() >= 4, "{files:?}");
    let output = zizmor(&files);
    assert_success(&output, "zizmor");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("No findings"), "zizmor findings:\n{stdout}");
}

/// The clean result means something: zizmor rejects a rendered workflow once an attacker-
/// controlled value is interpolated into a script, or a job is granted write-all.
fn zizmor_rejects_a_rendered_workflow_with_template_injection_or_broad_permissions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_into(dir.path());
    let ci = files
        .iter()
        .find(|file| file.ends_with("ci.yml"))
        .expect("ci.yml");
    let text = std::fs::read_to_string(ci).expect("read ci.yml");
    let fmt = "cargo fmt --all -- --check";
    assert!(text.contains(fmt));
    let injected = text.replacen(
        fmt,
        &format!("echo \"${{{{ github.event.pull_request.title }}}}\"\n          {fmt}"),
        1,
    );
    // The first job's own grant (the workflow-level `permissions: {}` is overridden per job).
    let broad = text.replacen(
        "    permissions:\n      contents: read\n",
        "    permissions: write-all\n",
        1,
    );
    assert_ne!(broad, text);
    // An action of a third-party publisher pinned by its tag only (zizmor's policy requires a
    // commit; the spec's `sha` gives it).
    let deploy = files
        .iter()
        .find(|file| file.to_string_lossy().contains("deploy-"))
        .expect("a deploy workflow");
    let deploy_text = std::fs::read_to_string(deploy).expect("read the deploy workflow");
    let pinned = uses_line(&deploy_text, "docker/setup-buildx-action@");
    let by_tag = deploy_text.replacen(&pinned, "uses: \"docker/setup-buildx-action@v4\"", 1);
    assert_ne!(by_tag, deploy_text);
    for (name, planted, finding) in [
        ("injected.yml", injected, "template-injection"),
        ("broad.yml", broad, "excessive-permissions"),
        ("by_tag.yml", by_tag, "unpinned-uses"),
    ] {
        let workflows = dir.path().join(name.trim_end_matches(".yml"));
        std::fs::create_dir_all(&workflows).expect("mkdir");
        let file = workflows.join(name);
        std::fs::write(&file, planted).expect("write");
        let output = zizmor(&[file]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !output.status.success(),
            "zizmor accepted {name}:\n{stdout}"
        );
        assert!(stdout.contains(finding), "{name}: no {finding}:\n{stdout}");
    }
}

/// The `uses:` line (from `uses:` to its end) of the action whose reference starts with `prefix`.
fn uses_line(text: &str, prefix: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| line.starts_with(&format!("uses: \"{prefix}")))
        .unwrap_or_else(|| panic!("no uses: {prefix}"))
        .to_string()
}
