//! `platformgen lsp` driven as an editor drives it: the real binary, JSON-RPC over its standard
//! input and output.

use std::io::BufReader;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use lsp_server::{Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};

use crate::support::example_text;

/// How long a reply may take (the first analysis compiles the schemas, in a debug build).
const PATIENCE: Duration = Duration::from_secs(60);

/// An editor's end of one `platformgen lsp` process.
struct Editor {
    server: Child,
    to_server: ChildStdin,
    from_server: Receiver<Message>,
    next_id: i32,
}

impl Editor {
    /// Starts the server and goes through `initialize` and `initialized`.
    fn start() -> Editor {
        let mut server = Command::new(env!("CARGO_BIN_EXE_platformgen"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("platformgen lsp starts");
        let to_server = server.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(server.stdout.take().expect("stdout"));
        let (send, from_server) = channel();
        std::thread::spawn(move || {
            while let Ok(Some(message)) = Message::read(&mut stdout) {
                if send.send(message).is_err() {
                    break;
                }
            }
        });
        let mut editor = Editor {
            server,
            to_server,
            from_server,
            next_id: 0,
        };
        let initialized = editor.request("initialize", json!({ "capabilities": {} }));
        let capabilities =
            &initialized.response_result.expect("initialize succeeds")["capabilities"];
        assert_eq!(capabilities["hoverProvider"], true, "{capabilities}");
        editor.notify("initialized", json!({}));
        editor
    }

    fn send(&mut self, message: &Message) {
        message
            .write(&mut self.to_server)
            .expect("the server reads");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&Notification::new(method.to_string(), params).into());
    }

    /// Sends a request and waits for its response (notifications meanwhile are dropped).
    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(&Request::new(id.clone(), method.to_string(), params).into());
        loop {
            match self.from_server.recv_timeout(PATIENCE) {
                Ok(Message::Response(response)) if response.id == id => return response,
                Ok(_) => {}
                Err(error) => panic!("no response to `{method}`: {error}"),
            }
        }
    }

    /// The markdown of a hover at `position`.
    fn hover(&mut self, position: Value) -> String {
        let hover = self.request("textDocument/hover", position);
        let shown = &hover.response_result.expect("hover")["contents"]["value"];
        shown.as_str().expect("markdown").to_string()
    }

    /// The next diagnostics the server publishes.
    fn published(&mut self) -> Vec<Value> {
        loop {
            match self.from_server.recv_timeout(PATIENCE) {
                Ok(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                    return n.params["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                }
                Ok(_) => {}
                Err(error) => panic!("no diagnostics published: {error}"),
            }
        }
    }

    /// Says `shutdown` then `exit`, and returns the server's exit code.
    fn stop(mut self) -> Option<i32> {
        let response = self.request("shutdown", Value::Null);
        assert!(response.response_result.is_ok(), "{response:?}");
        self.notify("exit", Value::Null);
        self.exit_code()
    }

    fn exit_code(&mut self) -> Option<i32> {
        self.server.wait().expect("the server exits").code()
    }
}

/// A test that fails part-way leaves no server behind (it would hold the test's stderr open).
impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.server.kill();
    }
}

/// `{ textDocument, position }` of a 0-based line and UTF-16 column.
fn at(uri: &str, line: usize, character: usize) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

/// The 0-based line of the first line of `text` that is `line`.
fn line_of(text: &str, line: &str) -> usize {
    line_in(text, 0, line)
}

/// The 0-based line of the first line of `text` from line `from` on that is `line`.
fn line_in(text: &str, from: usize, line: &str) -> usize {
    from + text
        .lines()
        .skip(from)
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("`{line}` is in the spec after line {from}"))
}

/// The example spec with budgets above its estimates, so it validates with no warning either.
fn clean_example() -> String {
    let text = example_text()
        .replacen("monthly_usd = 200 ", "monthly_usd = 300 ", 1)
        .replacen("monthly_usd = 500\n", "monthly_usd = 900\n", 1);
    assert_ne!(text, example_text());
    text
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn an_editor_sees_diagnostics_as_it_types_hovers_completes_and_jumps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("expense.toml");
    let clean = clean_example();
    // Only the editor's text is read: the file on disk stays valid throughout.
    std::fs::write(&path, &clean).expect("spec");
    let uri = file_uri(&path);
    let header = line_of(&clean, "[environments.prod.database]");
    let broken = clean.replacen(
        "[environments.prod.database]\n",
        "[environments.prod.database]\nmulti_azz = true\n",
        1,
    );
    let mut editor = Editor::start();

    editor.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "toml", "version": 1, "text": broken } }),
    );
    let diagnostics = editor.published();
    let unknown: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "unknown-key")
        .collect();
    assert_eq!(unknown.len(), 1, "{diagnostics:#?}");
    let range = &unknown[0]["range"];
    assert_eq!(
        range["start"],
        json!({ "line": header + 1, "character": 0 })
    );
    assert_eq!(range["end"], json!({ "line": header + 1, "character": 9 }));
    assert_eq!(unknown[0]["severity"], 1);
    let message = unknown[0]["message"].as_str().expect("message");
    assert!(
        message.starts_with("unknown key `multi_azz` in [environments.prod.database]"),
        "{message}"
    );
    assert!(
        message.contains("help: did you mean `multi_az`?"),
        "{message}"
    );

    editor.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "text": clean }],
        }),
    );
    assert_eq!(editor.published(), Vec::<Value>::new());

    // prod overrides multi_az; dev sets its own; the production rule and a recovery rule read it.
    let multi_az = line_in(&clean, header, "multi_az = true");
    let shown = editor.hover(at(&uri, multi_az, 3));
    let written = format!(
        "prod.database.multi_az = true\n    set in the environment: {}:{}:1 (environments.prod.database.multi_az)",
        path.display(),
        multi_az + 1
    );
    assert!(shown.contains(&written), "{shown}");
    assert!(shown.contains("dev.database.multi_az = false"), "{shown}");
    assert!(
        shown.contains("rule `database-multi-az` holds in prod"),
        "{shown}"
    );

    // On prod's database table: the rules in force on it, and the waiver lifting one.
    let shown = editor.hover(at(&uri, header, 20));
    let waiver = format!(
        "- waived in prod at {}:{}:1: RDS for MySQL has no Performance Insights",
        path.display(),
        line_of(&clean, "[[environments.prod.waivers]]") + 1
    );
    assert!(shown.contains(&waiver), "{shown}");

    // A blank line in [environments.prod.database]: the keys it does not write yet.
    let blank = line_in(&clean, header, "");
    let completion = editor.request("textDocument/completion", at(&uri, blank, 0));
    let result = completion.response_result.expect("completion");
    let labels: Vec<&str> = result
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|item| item["label"].as_str())
        .collect();
    assert!(labels.contains(&"performance_insights"), "{labels:?}");
    assert!(labels.contains(&"engine"), "{labels:?}");
    assert!(!labels.contains(&"multi_az"), "written already: {labels:?}");

    // From prod's key to the [defaults] key it overrides.
    let deletion = line_in(&clean, header, "deletion_protection = true");
    let definition = editor.request("textDocument/definition", at(&uri, deletion, 2));
    let target = definition.response_result.expect("definition");
    assert_eq!(target["uri"], uri.as_str());
    assert_eq!(
        target["range"]["start"]["line"],
        line_of(&clean, "deletion_protection = false")
    );

    assert_eq!(editor.stop(), Some(0));
}

#[test]
fn bad_requests_get_error_responses_and_the_server_carries_on() {
    let mut editor = Editor::start();
    let malformed = editor.request("textDocument/hover", json!({ "position": "nowhere" }));
    assert_eq!(
        malformed.response_result.expect_err("an error").code,
        -32602
    );
    let unknown = editor.request("textDocument/rename", json!({}));
    assert_eq!(unknown.response_result.expect_err("an error").code, -32601);
    // A document never opened has nothing to show.
    let hover = editor.request("textDocument/hover", at("file:///nowhere.toml", 0, 0));
    assert_eq!(hover.response_result.expect("an answer"), Value::Null);
    assert_eq!(editor.stop(), Some(0));
}

#[test]
fn a_spec_that_is_not_toml_gets_the_parse_error_where_it_is() {
    let mut editor = Editor::start();
    let text = "[project]\nname = \"shop\"\nregion = \n";
    editor.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "file:///tmp/broken.toml", "languageId": "toml", "version": 1, "text": text } }),
    );
    let diagnostics = editor.published();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "syntax");
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 2);
    // `exit` without `shutdown`: exit code 1, as the protocol says.
    editor.notify("exit", Value::Null);
    assert_eq!(editor.exit_code(), Some(1));
}
