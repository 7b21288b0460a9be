//! `runtime/API.md` shows what the server answers: every `curl` example in it is run, in the
//! document's order, against a fresh server with the committed spec (dev, SQLite, rate limits
//! on), and its answer must be the `# ` line under it, byte for byte. The one allowance: a
//! `"timestamp"` value (the clock) is compared by shape, not by value.

use testkit::{Test, test};

use crate::helpers::{Options, TestApp, TestDb};

pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async every_example_of_api_md_is_what_the_server_answers),
        test!(parsing_a_curl_example_takes_method_headers_body_and_path),
    ]
}

const API_MD: &str = include_str!("../../API.md");

/// One `curl -s ...` example and the answer the document shows under it.
#[derive(Debug, PartialEq)]
struct Example {
    line: usize,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    answer: String,
}

/// Every `curl` example of the `sh` blocks, in order.
fn examples(markdown: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_block = false;
    let mut lines = markdown.lines().enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        if line.starts_with("```") {
            in_block = !in_block && line.trim() == "```sh";
            continue;
        }
        if !in_block || !line.starts_with("curl ") {
            continue;
        }
        let mut command = line.to_string();
        while command.ends_with('\\') {
            command.pop();
            let (_, next) = lines.next().expect("a continued command goes on");
            command.push_str(next);
        }
        let answer = match lines.peek() {
            Some((_, next)) if next.starts_with("# ") => next["# ".len()..].to_string(),
            _ => panic!(
                "API.md:{}: an example without its answer under it",
                index + 1
            ),
        };
        examples.push(parse_curl(index + 1, &command, answer));
    }
    examples
}

/// The words of a shell command, with `'...'` quoting (all the document uses).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            c if c.is_whitespace() && !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

fn parse_curl(line: usize, command: &str, answer: String) -> Example {
    let mut example = Example {
        line,
        method: "GET".to_string(),
        path: String::new(),
        headers: Vec::new(),
        body: None,
        answer,
    };
    let mut words = words(command).into_iter().skip(1);
    while let Some(word) = words.next() {
        match word.as_str() {
            "-s" => {}
            "-X" => example.method = words.next().expect("-X takes a method"),
            "-H" => {
                let header = words.next().expect("-H takes a header");
                let (name, value) = header.split_once(": ").expect("Name: value");
                example.headers.push((name.to_string(), value.to_string()));
            }
            "-d" => {
                example.body = words.next();
                if example.method == "GET" && !command.contains("-X ") {
                    example.method = "POST".to_string();
                }
            }
            url if url.starts_with("localhost:8080") => {
                example.path = url["localhost:8080".len()..].to_string();
            }
            other => panic!("API.md:{line}: the test does not know curl's `{other}`"),
        }
    }
    assert!(
        !example.path.is_empty(),
        "API.md:{line}: no localhost:8080 URL"
    );
    // As curl does: a body without a Content-Type goes as a form.
    if example.body.is_some()
        && !example
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        example.headers.push((
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ));
    }
    example
}

fn parsing_a_curl_example_takes_method_headers_body_and_path() {
    let example = parse_curl(
        7,
        "curl -s -X POST localhost:8080/transaction -H 'Content-Type: application/json' \
         -d '{\"amount\": 1, \"description\": \"a b\"}'",
        "{}".to_string(),
    );
    assert_eq!(
        example,
        Example {
            line: 7,
            method: "POST".to_string(),
            path: "/transaction".to_string(),
            headers: vec![("Content-Type".to_string(), "application/json".to_string())],
            body: Some("{\"amount\": 1, \"description\": \"a b\"}".to_string()),
            answer: "{}".to_string(),
        }
    );
}

/// A `"timestamp":"<RFC 3339>"` value replaced by a marker, so the clock does not count.
fn without_timestamps(text: &str) -> String {
    let key = "\"timestamp\":\"";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(key) {
        let value_start = at + key.len();
        let value_end = rest[value_start..]
            .find('"')
            .map_or(rest.len(), |end| value_start + end);
        let value = &rest[value_start..value_end];
        let looks_like_time = value.len() >= 20
            && value.as_bytes()[4] == b'-'
            && value.contains('T')
            && value.ends_with('Z');
        out.push_str(&rest[..value_start]);
        out.push_str(if looks_like_time { "<time>" } else { value });
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

async fn every_example_of_api_md_is_what_the_server_answers() {
    let examples = examples(API_MD);
    assert!(examples.len() >= 15, "{} examples", examples.len());
    let db = TestDb::sqlite();
    let app = TestApp::spawn(Options::new(&db).rate_limited()).await;
    let mut wrong = Vec::new();
    for example in &examples {
        let method = reqwest::Method::from_bytes(example.method.as_bytes()).expect("method");
        let mut request = app.client.request(method, app.url(&example.path));
        for (name, value) in &example.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &example.body {
            request = request.body(body.clone());
        }
        let answer = request
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body");
        if without_timestamps(&answer) != without_timestamps(&example.answer) {
            wrong.push(format!(
                "API.md:{}: {} {}\n  the document: {}\n  the server:   {answer}",
                example.line, example.method, example.path, example.answer
            ));
        }
    }
    app.stop().await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
