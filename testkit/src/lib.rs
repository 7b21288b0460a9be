//! The harness of the workspace's integration tests. A test declares the external tools and
//! services it needs; when one is missing the test is reported as **ignored, with the reason**,
//! in `cargo test`'s own output, and `REQUIRE_EXTERNAL=1` (as CI sets it) turns that into a
//! failure instead. A tool counts as present only when its probe actually runs.
//!
//! A test binary using it sets `harness = false` and ends in
//! `testkit::main(vec![testkit::test!(a_test), testkit::test!(async b_test, Need::REDIS), ...])`.
//! Every test binary so built also checks itself: with no tool and no service reachable, every
//! test that declares a need is reported not run and none fails.

mod probe;

use std::backtrace::BacktraceStatus;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex, PoisonError};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

pub use probe::{tool_command, tool_dirs, workspace};

/// Something outside the workspace a test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// A program: a validator installed by `tests/tools/install.sh`, or one on `PATH`.
    Tool(&'static str),
    /// A running server, whose URL the named environment variable holds.
    Service(&'static str),
}

impl Need {
    pub const MARIADB: Need = Need::Service("TEST_MYSQL_URL");
    pub const POSTGRES: Need = Need::Service("TEST_POSTGRES_URL");
    pub const REDIS: Need = Need::Service("TEST_REDIS_URL");
}

/// The environment variable that turns a missing tool or service into a failure. The one place
/// it is read.
const REQUIRE_EXTERNAL: &str = "REQUIRE_EXTERNAL";

/// Set by a test binary's self-check when it runs itself: keep only the tests with needs.
const ONLY_EXTERNAL: &str = "TESTKIT_ONLY_EXTERNAL";

/// Whether a missing tool or service fails the tests that need it (`REQUIRE_EXTERNAL=1`).
pub fn external_required() -> bool {
    std::env::var(REQUIRE_EXTERNAL).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// One test: a name, what it needs, and its body.
pub struct Test {
    name: String,
    needs: Vec<Need>,
    body: Box<dyn FnOnce() + Send + 'static>,
}

impl Test {
    /// A test named `path` (a module path; the crate's own name is dropped, as libtest does).
    pub fn new(path: &str, body: impl FnOnce() + Send + 'static) -> Self {
        let name = path.split_once("::").map_or(path, |(_, rest)| rest);
        Test {
            name: name.to_owned(),
            needs: Vec::new(),
            body: Box::new(body),
        }
    }

    /// Declares what the test needs to run.
    #[must_use]
    pub fn needs(mut self, needs: impl IntoIterator<Item = Need>) -> Self {
        self.needs.extend(needs);
        self
    }
}

/// Runs an async test body on a runtime of its own, as `#[tokio::test]` does: one thread, or
/// two workers (`multi_thread`).
pub fn block_on<F: Future<Output = ()>>(multi_thread: bool, body: F) {
    let mut builder = if multi_thread {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .expect("a tokio runtime for the test")
        .block_on(body);
}

/// A test of the calling module: `test!(name)`, `test!(async name)`,
/// `test!(async(multi_thread) name)`, each optionally followed by the needs:
/// `test!(async name, Need::REDIS, Need::Tool("redis-server"))`.
#[macro_export]
macro_rules! test {
    (async(multi_thread) $name:ident $(, $need:expr)* $(,)?) => {
        $crate::Test::new(concat!(module_path!(), "::", stringify!($name)), || {
            $crate::block_on(true, $name())
        })
        .needs([$($need),*])
    };
    (async $name:ident $(, $need:expr)* $(,)?) => {
        $crate::Test::new(concat!(module_path!(), "::", stringify!($name)), || {
            $crate::block_on(false, $name())
        })
        .needs([$($need),*])
    };
    ($name:ident $(, $need:expr)* $(,)?) => {
        $crate::Test::new(concat!(module_path!(), "::", stringify!($name)), $name)
        .needs([$($need),*])
    };
}

/// Runs the tests of a test binary with libtest's command line and output, and returns its exit
/// code. A test whose needs are not met is reported `ignored (<why>)` and not run, and the
/// missing needs are listed at the end; under `REQUIRE_EXTERNAL=1` such a test fails instead.
pub fn main(mut tests: Vec<Test>) -> ExitCode {
    let args = Arguments::from_args();
    if std::env::var_os(ONLY_EXTERNAL).is_some() {
        tests.retain(|test| !test.needs.is_empty());
    } else if tests.iter().any(|test| !test.needs.is_empty()) {
        let dependent: BTreeSet<String> = tests
            .iter()
            .filter(|test| !test.needs.is_empty())
            .map(|test| test.name.clone())
            .collect();
        let services: BTreeSet<&'static str> = tests
            .iter()
            .flat_map(|test| &test.needs)
            .filter_map(|need| match need {
                Need::Service(variable) => Some(*variable),
                Need::Tool(_) => None,
            })
            .collect();
        tests.push(Test::new(
            "testkit::harness::without_any_tool_or_service_every_test_that_needs_one_is_reported_not_run",
            move || self_check(&dependent, &services),
        ));
    }

    capture_panics();
    let required = external_required();
    let not_run: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let trials = tests
        .into_iter()
        .map(|Test { name, needs, body }| {
            let not_run = Arc::clone(&not_run);
            Trial::ignorable_test(name, move || {
                let reasons: Vec<String> = needs
                    .iter()
                    .filter_map(|need| probe::status(*need).err())
                    .collect();
                if reasons.is_empty() {
                    return run_body(body).map(|()| Completion::Completed);
                }
                if required {
                    return Err(format!(
                        "{REQUIRE_EXTERNAL}=1, and this test cannot have what it needs: {}",
                        reasons.join("; ")
                    )
                    .into());
                }
                let mut not_run = not_run.lock().unwrap_or_else(PoisonError::into_inner);
                for reason in &reasons {
                    *not_run.entry(reason.clone()).or_default() += 1;
                }
                Ok(Completion::ignored_with(reasons.join("; ")))
            })
        })
        .collect();

    let conclusion = libtest_mimic::run(&args, trials);
    let not_run = not_run.lock().unwrap_or_else(PoisonError::into_inner);
    if !not_run.is_empty() {
        let mut text = String::from(
            "\nNot run (reported `ignored` above), for want of what they need; \
             tests/tools/install.sh installs the validators, and .ci/run runs everything as CI does:\n",
        );
        for (reason, count) in not_run.iter() {
            text.push_str(&format!(
                "    {count} test{}: {reason}\n",
                if *count == 1 { "" } else { "s" }
            ));
        }
        print!("{text}");
    }
    conclusion.exit_code()
}

thread_local! {
    /// While a test body runs on this thread: the panic messages it produced.
    static PANICS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Keeps the panic messages of a test's own thread for its failure report, as libtest does, so
/// a test that expects a panic (and catches it) prints nothing; other threads' panics print.
fn capture_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let kept = PANICS.with_borrow_mut(|panics| match panics {
            Some(panics) => {
                let backtrace = std::backtrace::Backtrace::capture();
                let backtrace = match backtrace.status() {
                    BacktraceStatus::Captured => format!("\n{backtrace}"),
                    _ => String::new(),
                };
                panics.push(format!("{info}{backtrace}"));
                true
            }
            None => false,
        });
        if !kept {
            default(info);
        }
    }));
}

/// Runs a test body; a panic fails the test with every message its thread panicked with.
fn run_body(body: Box<dyn FnOnce() + Send>) -> Result<(), Failed> {
    PANICS.with_borrow_mut(|panics| *panics = Some(Vec::new()));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(body));
    let panics = PANICS.with_borrow_mut(Option::take).unwrap_or_default();
    match outcome {
        Ok(()) => Ok(()),
        Err(_) => Err(panics.join("\n").into()),
    }
}

/// Runs this test binary again with no tool and no service reachable, keeping only the tests
/// that need one: each must be reported ignored, and none may fail.
fn self_check(dependent: &BTreeSet<String>, services: &BTreeSet<&'static str>) {
    let empty = tempfile::tempdir().expect("an empty directory");
    let exe = std::env::current_exe().expect("the test binary's own path");
    let mut command = Command::new(exe);
    command
        .env("PATH", empty.path())
        .env("TOOLS_DIR", empty.path())
        .env(ONLY_EXTERNAL, "1")
        .env_remove(REQUIRE_EXTERNAL)
        .args(["--test-threads", "2"]);
    for variable in services {
        command.env_remove(variable);
    }
    let output = command.output().expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let shown = || {
        format!(
            "--- stdout\n{stdout}\n--- stderr\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    };
    assert!(
        output.status.success(),
        "without tools the run failed:\n{}",
        shown()
    );
    let summary = format!(
        "test result: ok. 0 passed; 0 failed; {} ignored;",
        dependent.len()
    );
    assert!(
        stdout.contains(&summary),
        "expected `{summary}`:\n{}",
        shown()
    );
    for name in dependent {
        let reported = stdout.lines().any(|line| {
            line.strip_prefix("test ")
                .and_then(|rest| rest.strip_prefix(name.as_str()))
                .is_some_and(|rest| rest.trim_start().starts_with("... ignored ("))
        });
        assert!(
            reported,
            "`{name}` is not reported as ignored, with its reason:\n{}",
            shown()
        );
    }
    assert!(
        stdout.contains("\nNot run (reported `ignored` above)"),
        "no list of what was missing:\n{}",
        shown()
    );
}

/// The path of a tool the running test declared (`Need::Tool`); the harness has checked that it
/// runs.
pub fn tool(name: &str) -> PathBuf {
    probe::find(name).unwrap_or_else(|| {
        panic!("the tool `{name}` is missing: declare `Need::Tool(\"{name}\")` on the test")
    })
}

/// The URL of a service the running test declared (`Need::REDIS`, ...).
pub fn service_url(service: Need) -> String {
    let Need::Service(variable) = service else {
        panic!("{service:?} is not a service");
    };
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("`{variable}` is not set: declare {service:?} on the test"),
    }
}

/// Whether `path` names an executable file.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
