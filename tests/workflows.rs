//! The rendered GitHub workflows pass the real linters: actionlint (which runs shellcheck on every
//! `run:` script and knows which action runtimes are deprecated) and the SchemaStore workflow
//! schema through check-jsonschema. Both tools are installed by `tests/tools/install.sh`.

use std::path::{Path, PathBuf};

use generator::model::Model;
use generator::render::{Request, workflows};
use generator::spec::ActionVersion;
use platform_e2e::{assert_success, run, tool, tool_command, workspace};

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

fn actionlint(files: &[PathBuf]) -> Option<std::process::Output> {
    let actionlint = tool("actionlint")?;
    // actionlint checks `run:` scripts only when shellcheck is on PATH; require it so a clean
    // result means the scripts were checked too.
    tool("shellcheck")?;
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
    Some(run(command.args(files)))
}

#[test]
fn rendered_workflows_pass_actionlint_with_shellcheck() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_into(dir.path());
    let Some(output) = actionlint(&files) else {
        return;
    };
    assert_success(&output, "actionlint");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "",
        "actionlint findings"
    );
}

#[test]
fn rendered_workflows_match_the_github_workflow_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_into(dir.path());
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    let output = run(tool_command(&check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files));
    assert_success(
        &output,
        "check-jsonschema --builtin-schema vendor.github-workflows",
    );
}

#[test]
fn workflows_pinning_an_action_to_a_commit_pass_actionlint_and_the_schema() {
    let mut model = example();
    // actions/checkout's v5.0.0 tag.
    model.spec.delivery.actions.insert(
        "actions/checkout".into(),
        ActionVersion {
            version: "v5.0.0".into(),
            sha: Some("08c6903cd8c0fde910a37f88322edcfb5dd907a8".into()),
        },
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_model_into(&model, dir.path());
    let ci = std::fs::read_to_string(&files[0]).expect("read ci.yml");
    assert!(
        ci.contains("@08c6903cd8c0fde910a37f88322edcfb5dd907a8\" # v5.0.0"),
        "{ci}"
    );
    let Some(output) = actionlint(&files) else {
        return;
    };
    assert_success(&output, "actionlint (pinned)");
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    let output = run(tool_command(&check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files));
    assert_success(&output, "check-jsonschema (pinned)");
}

/// The clean result above means something: the same linters reject a rendered workflow once an
/// untrusted value is interpolated into its script, or a variable is left unquoted.
#[test]
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

    let Some(output) = actionlint(&[injected_file]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "actionlint accepted a script injection"
    );
    assert!(
        stdout.contains("\"github.event.head_commit.message\" is potentially untrusted"),
        "{stdout}"
    );

    let Some(output) = actionlint(&[unquoted_file]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "actionlint accepted an unquoted variable"
    );
    assert!(stdout.contains("SC2086"), "{stdout}");
}
