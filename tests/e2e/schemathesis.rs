//! schemathesis (PyPI, installed by `tests/tools/install.sh`) generates requests from the
//! runtime's own OpenAPI document, valid and invalid, and checks every answer against it: no
//! 5xx, only documented status codes, content types, headers and response schemas, invalid
//! input refused and valid input accepted. The runtime runs in-process on SQLite.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;

use crate::support::{assert_success, run, tool, tool_command};
use runtime::App;
use runtime::config::{Settings, Vars};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) schemathesis_finds_no_failure_in_the_runtime_against_its_openapi_document, Need::Tool("schemathesis")),
        test!(async(multi_thread) schemathesis_fails_when_the_document_misstates_a_response, Need::Tool("schemathesis")),
        test!(
            the_schemathesis_version_is_the_pinned_one,
            Need::Tool("schemathesis")
        ),
    ]
}

/// Starts the runtime of the example spec's dev environment on a fresh SQLite file, with rate
/// limits off (schemathesis sends far more than a client's budget), and returns its address.
async fn start(dir: &Path) -> SocketAddr {
    let model = generator::Model::load(&crate::support::workspace().join("specs/expense.toml"))
        .expect("the example spec loads");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("schemathesis.sqlite3").display()
    );
    let vars = Vars::from_pairs([("DATABASE_URL", url.as_str())]);
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let mut settings = Settings::from_model(&model, "dev", Some(listen), &vars).expect("settings");
    for route in &mut settings.routes {
        route.rate_limit = None;
    }
    let app = App::build(settings).await.expect("the runtime starts");
    let address = app.address();
    tokio::spawn(app.run(false));
    address
}

/// Runs `schemathesis run` with `args`, bounded in examples and time, off the async runtime.
async fn schemathesis(schemathesis: &Path, args: Vec<String>) -> Output {
    // `--max-time` makes schemathesis repeat until the time is spent: bound the examples per
    // operation instead, and the whole run with `timeout`.
    let mut command = tool_command(Path::new("timeout"));
    command
        .args(["--kill-after=10", "600"])
        .arg(schemathesis)
        .arg("--config-file")
        .arg(crate::support::workspace().join("tests/tools/schemathesis.toml"))
        .arg("run")
        .args(args)
        .args(["--max-examples", "30", "--seed", "20261122"])
        .args(["--workers", "1", "--request-timeout", "10"])
        .args(["--suppress-health-check", "too_slow"])
        .env("NO_COLOR", "1")
        // A fresh Idempotency-Key per request (see the module's docstring).
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env(
            "PYTHONPATH",
            crate::support::workspace().join("tests/tools"),
        )
        // No telemetry upload, no reports written into the work tree.
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .current_dir(std::env::temp_dir());
    tokio::task::spawn_blocking(move || run(&mut command))
        .await
        .expect("schemathesis ran")
}

async fn schemathesis_finds_no_failure_in_the_runtime_against_its_openapi_document() {
    let st = tool("schemathesis");
    let dir = tempfile::tempdir().expect("tempdir");
    let address = start(dir.path()).await;
    let started = std::time::Instant::now();
    let output = schemathesis(
        &st,
        vec![
            format!("http://{address}/openapi.json"),
            "--checks".into(),
            "all".into(),
            // The coverage phase sends fixed boundary values that bypass the hooks, so its
            // POSTs share one Idempotency-Key and the second is rightly refused (422).
            "--phases".into(),
            "examples,fuzzing,stateful".into(),
        ],
    )
    .await;
    assert_success(&output, "schemathesis run --checks all");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // It tested the operations of the document, not none.
    let tested = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("Tested:"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert!(
        tested.len() > "Tested: ".len() && !tested.ends_with(" 0") && !stdout.contains("Failures:"),
        "schemathesis output without a clean summary:\n{stdout}"
    );
    eprintln!(
        "schemathesis: {tested} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The clean run above means something: the same run against a document that misstates one
/// response (an id documented as a string) fails on the runtime's real answers.
async fn schemathesis_fails_when_the_document_misstates_a_response() {
    let st = tool("schemathesis");
    let dir = tempfile::tempdir().expect("tempdir");
    let address = start(dir.path()).await;
    let document: serde_json::Value = reqwest::get(format!("http://{address}/openapi.json"))
        .await
        .expect("GET /openapi.json")
        .json()
        .await
        .expect("JSON");
    let mut wrong = document.clone();
    let created = wrong
        .pointer_mut("/components/schemas/Created/properties/id")
        .expect("the Created schema has an id");
    *created = serde_json::json!({"type": "string"});
    assert_ne!(wrong, document);
    let file = dir.path().join("wrong-openapi.json");
    std::fs::write(&file, serde_json::to_vec(&wrong).expect("JSON")).expect("write");
    let output = schemathesis(
        &st,
        vec![
            file.display().to_string(),
            "--url".into(),
            format!("http://{address}"),
            "--checks".into(),
            "response_schema_conformance".into(),
            "--include-path".into(),
            "/transaction".into(),
            "--include-method".into(),
            "POST".into(),
            "--mode".into(),
            "positive".into(),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "schemathesis accepted a wrong response schema:\n{stdout}"
    );
    assert!(
        stdout.contains("Response violates schema"),
        "not a schema failure:\n{stdout}"
    );
}

fn the_schemathesis_version_is_the_pinned_one() {
    let st = tool("schemathesis");
    let output = run(tool_command(&st).arg("--version"));
    assert_success(&output, "schemathesis --version");
    let install =
        std::fs::read_to_string(crate::support::workspace().join("tests/tools/install.sh"))
            .expect("install.sh");
    let version = String::from_utf8_lossy(&output.stdout);
    let version = version.split_whitespace().last().unwrap_or_default();
    assert!(
        install.contains(&format!("schemathesis=={version}")),
        "installed schemathesis {version} is not the pinned one"
    );
}
