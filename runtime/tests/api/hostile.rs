//! A generated corpus of hostile requests, sent as raw bytes over real connections: malformed
//! and mistyped JSON, huge and NaN-like numbers, oversized bodies, invalid UTF-8 in bodies,
//! paths and query strings, header floods, request smuggling shapes, wrong methods, protocol
//! garbage, pipelining, and slow clients. Each gets a 4xx (or, for protocol garbage, a closed
//! connection), never a 5xx and never a hang, and after each the server still serves a normal
//! request correctly.
//!
//! One file though it is long: the corpus is one table of cases read top to bottom, and its
//! sender, its verdicts and its cases belong together.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Options, TestApp, TestDb};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async every_hostile_request_gets_a_4xx_or_a_close_and_the_next_request_is_served),
        test!(the_corpus_check_reports_server_errors_and_wrong_answers),
        test!(async a_duplicated_field_counts_once_with_its_last_value),
        test!(async pipelined_requests_are_answered_in_order),
        test!(async slow_clients_do_not_pin_the_server_and_are_cut_off),
        test!(async hundreds_of_idle_connections_do_not_block_new_clients),
    ]
}

/// The header-read timeout of the servers under test: short, so the slow-client cases end fast.
const HEADER_TIMEOUT: Duration = Duration::from_millis(800);
/// The body-read timeout of the servers under test.
const BODY_TIMEOUT: Duration = Duration::from_millis(800);
/// No answer within this is a hang.
const ANSWER_DEADLINE: Duration = Duration::from_secs(10);

async fn spawn(db: &TestDb) -> TestApp {
    TestApp::spawn(Options::new(db).edit(|settings| {
        settings.client_timeouts.header_read = HEADER_TIMEOUT;
        settings.client_timeouts.body_read = BODY_TIMEOUT;
    }))
    .await
}

/// What the server must do with a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Every answer is a 4xx.
    Rejected,
    /// A 4xx, or the connection closed without an answer (protocol garbage).
    RejectedOrClosed,
    /// Not an error at all: odd but valid input (a 2xx).
    Accepted,
    /// A valid request pipelined before garbage: a 2xx, then a 4xx or a close.
    ServedThenRejectedOrClosed,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
}

impl Case {
    fn new(name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Self {
        Self {
            name: name.into(),
            bytes,
            expect,
        }
    }
}

/// One HTTP/1.1 request as bytes: `Host`, `Connection: close` and `Content-Length` (when a
/// body is given) added unless `headers` already carries them.
fn request(method: &str, target: &[u8], headers: &[(&str, &[u8])], body: Option<&[u8]>) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(method.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(target);
    bytes.extend_from_slice(b" HTTP/1.1\r\n");
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !has("host") {
        bytes.extend_from_slice(b"Host: 127.0.0.1\r\n");
    }
    if !has("connection") {
        bytes.extend_from_slice(b"Connection: close\r\n");
    }
    for (name, value) in headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(b"\r\n");
    }
    if let Some(body) = body
        && !has("content-length")
        && !has("transfer-encoding")
    {
        bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        bytes.extend_from_slice(body);
    }
    bytes
}

fn post_json(body: &[u8]) -> Vec<u8> {
    request(
        "POST",
        b"/transaction",
        &[("Content-Type", b"application/json")],
        Some(body),
    )
}

/// Bodies of `POST /transaction` that must be refused.
fn rejected_create_bodies() -> Vec<(String, Vec<u8>)> {
    let mut bodies: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, body: Vec<u8>| bodies.push((name.to_owned(), body));
    // Malformed JSON.
    for (name, text) in [
        ("truncated", "{\"amount\": 1,"),
        ("trailing comma", "{\"amount\":1,\"description\":\"x\",}"),
        ("single quotes", "{'amount':1,'description':'x'}"),
        ("comment", "{\"amount\":1 /* c */,\"description\":\"x\"}"),
        ("unquoted key", "{amount:1,description:\"x\"}"),
        ("two documents", "{\"amount\":1,\"description\":\"x\"}{}"),
        ("bare word", "amount=1&description=x"),
        ("NaN literal", "{\"amount\":NaN,\"description\":\"x\"}"),
        (
            "Infinity literal",
            "{\"amount\":Infinity,\"description\":\"x\"}",
        ),
        (
            "-Infinity literal",
            "{\"amount\":-Infinity,\"description\":\"x\"}",
        ),
        ("hex literal", "{\"amount\":0x10,\"description\":\"x\"}"),
        ("leading plus", "{\"amount\":+1,\"description\":\"x\"}"),
        ("leading zero", "{\"amount\":01,\"description\":\"x\"}"),
        (
            "lone surrogate",
            "{\"amount\":1,\"description\":\"\\ud800\"}",
        ),
        ("bad escape", "{\"amount\":1,\"description\":\"\\q\"}"),
        (
            "raw control char",
            "{\"amount\":1,\"description\":\"a\u{1}b\"}",
        ),
        ("unterminated string", "{\"amount\":1,\"description\":\"x}"),
    ] {
        add(&format!("malformed JSON: {name}"), text.as_bytes().to_vec());
    }
    add(
        "malformed JSON: nested 100000 deep",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
    );
    add(
        "malformed JSON: object nested 3000 deep",
        format!("{}1{}", "{\"a\":".repeat(3_000), "}".repeat(3_000)).into_bytes(),
    );
    // Not an object.
    for text in [
        "null",
        "1",
        "\"x\"",
        "[]",
        "[{\"amount\":1,\"description\":\"x\"}]",
        "true",
    ] {
        add(&format!("not an object: {text}"), text.as_bytes().to_vec());
    }
    // Invalid UTF-8.
    add(
        "invalid UTF-8 in a string",
        b"{\"amount\":1,\"description\":\"\xff\xfe\"}".to_vec(),
    );
    add(
        "overlong UTF-8 encoding of '/'",
        b"{\"amount\":1,\"description\":\"\xc0\xaf\"}".to_vec(),
    );
    add(
        "UTF-16 body",
        "{\"amount\":1,\"description\":\"x\"}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
    );
    add("invalid UTF-8 outside strings", b"{\xff}".to_vec());
    // Wrong types and impossible amounts.
    let amounts = [
        "null",
        "true",
        "[1]",
        "{\"v\":1}",
        "\"ten\"",
        "\"\"",
        "\"NaN\"",
        "\"nan\"",
        "\"Infinity\"",
        "\"-Infinity\"",
        "\"inf\"",
        "\"1e400\"",
        "\"0x10\"",
        "\"1_000\"",
        "\"\u{0661}\u{0662}\"",
        "\"12.345\"",
        "\"-1\"",
        "0",
        "-0",
        "-0.0",
        "0.0",
        "-5",
        "-1e400",
        "1e400",
        "1e-400",
        "0.001",
        "0.005",
        "12.345",
        "1000000000.01",
        "1000000001",
        "1e10",
        "18446744073709551616",
        "18446744073709551615",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "340282366920938463463374607431768211456",
    ];
    for amount in amounts {
        add(
            &format!("amount {amount}"),
            format!("{{\"amount\":{amount},\"description\":\"x\"}}").into_bytes(),
        );
    }
    add(
        "amount of 10000 digits",
        format!(
            "{{\"amount\":{},\"description\":\"x\"}}",
            "9".repeat(10_000)
        )
        .into_bytes(),
    );
    add(
        "amount with 10000 fractional digits",
        format!(
            "{{\"amount\":1.{},\"description\":\"x\"}}",
            "1".repeat(10_000)
        )
        .into_bytes(),
    );
    add(
        "amount with an exponent of 10000 digits",
        format!(
            "{{\"amount\":1e{},\"description\":\"x\"}}",
            "9".repeat(10_000)
        )
        .into_bytes(),
    );
    for description in ["null", "5", "true", "[\"x\"]", "{}", "\"\""] {
        add(
            &format!("description {description}"),
            format!("{{\"amount\":1,\"description\":{description}}}").into_bytes(),
        );
    }
    add(
        "description of 256 characters",
        format!("{{\"amount\":1,\"description\":\"{}\"}}", "é".repeat(256)).into_bytes(),
    );
    add(
        "description of 1 MB",
        format!(
            "{{\"amount\":1,\"description\":\"{}\"}}",
            "x".repeat(1 << 20)
        )
        .into_bytes(),
    );
    add("missing both fields", b"{}".to_vec());
    add(
        "unknown fields only",
        b"{\"amt\":1,\"desc\":\"x\",\"id\":7}".to_vec(),
    );
    bodies
}

/// Odd but valid bodies: accepted, like the seed's FastAPI service does.
fn accepted_create_bodies() -> Vec<(String, Vec<u8>)> {
    [
        (
            "unknown field",
            "{\"amount\":1,\"description\":\"x\",\"admin\":true}",
        ),
        (
            "numeric string",
            "{\"amount\":\"12.34\",\"description\":\"x\"}",
        ),
        ("exponent", "{\"amount\":1.5e2,\"description\":\"x\"}"),
        (
            "trailing zeros",
            "{\"amount\":12.3400000,\"description\":\"x\"}",
        ),
        (
            "largest amount",
            "{\"amount\":1000000000,\"description\":\"x\"}",
        ),
        ("smallest amount", "{\"amount\":0.01,\"description\":\"x\"}"),
        (
            "whitespace around",
            " \r\n\t{\"amount\":1,\"description\":\"x\"} \n",
        ),
        (
            "unicode description",
            "{\"amount\":1,\"description\":\"\u{1f4b8} caf\u{e9}\"}",
        ),
        (
            "escaped NUL",
            "{\"amount\":1,\"description\":\"a\\u0000b\"}",
        ),
        // pydantic's `min_length=1` counts spaces.
        (
            "blank description",
            "{\"amount\":1,\"description\":\"   \"}",
        ),
        (
            "255 characters",
            &format!("{{\"amount\":1,\"description\":\"{}\"}}", "é".repeat(255)),
        ),
    ]
    .into_iter()
    .map(|(name, body)| (name.to_owned(), body.as_bytes().to_vec()))
    .collect()
}

fn corpus() -> Vec<Case> {
    use Expect::{Accepted, Rejected, RejectedOrClosed, ServedThenRejectedOrClosed};
    let mut cases = Vec::new();
    for (name, body) in rejected_create_bodies() {
        cases.push(Case::new(
            format!("POST {name}"),
            post_json(&body),
            Rejected,
        ));
    }
    for (name, body) in accepted_create_bodies() {
        cases.push(Case::new(
            format!("POST {name}"),
            post_json(&body),
            Accepted,
        ));
    }
    // The by-body variants.
    for id in [
        "{\"id\":1.5}",
        "{\"id\":\"1\\u0000\"}",
        "{\"id\":1e400}",
        "{\"id\":99999999999999999999}",
        "{\"id\":-9223372036854775809}",
        "{\"id\":null}",
        "{\"id\":[1]}",
        "{\"id\":\"NaN\"}",
        "{\"id\":}",
        "[]",
        "{}",
    ] {
        for method in ["GET", "DELETE"] {
            cases.push(Case::new(
                format!("{method} /transaction/id {id}"),
                request(
                    method,
                    b"/transaction/id",
                    &[("Content-Type", b"application/json")],
                    Some(id.as_bytes()),
                ),
                Rejected,
            ));
        }
    }
    // Content types and lengths.
    let valid = b"{\"amount\":1,\"description\":\"x\"}";
    for content_type in [
        &b"text/plain"[..],
        b"multipart/form-data; boundary=x",
        b"application/x-www-form-urlencoded",
        b"application/xml",
        b"application/jsonp",
        b"\xff\xfe",
    ] {
        cases.push(Case::new(
            format!(
                "POST content type {}",
                String::from_utf8_lossy(content_type)
            ),
            request(
                "POST",
                b"/transaction",
                &[("Content-Type", content_type)],
                Some(valid),
            ),
            Rejected,
        ));
    }
    for (name, length) in [
        ("non-numeric", &b"abc"[..]),
        ("negative", b"-1"),
        ("overflowing", b"99999999999999999999999"),
        ("two values", b"5, 6"),
    ] {
        cases.push(Case::new(
            format!("POST Content-Length {name}"),
            request(
                "POST",
                b"/transaction",
                &[
                    ("Content-Type", b"application/json"),
                    ("Content-Length", length),
                ],
                Some(valid),
            ),
            RejectedOrClosed,
        ));
    }
    cases.push(Case::new(
        "POST two different Content-Length headers",
        request(
            "POST",
            b"/transaction",
            &[
                ("Content-Type", b"application/json"),
                ("Content-Length", b"31"),
                ("Content-Length", b"5"),
            ],
            Some(valid),
        ),
        RejectedOrClosed,
    ));
    cases.push(Case::new(
        "POST a Content-Length larger than the route limit",
        request(
            "POST",
            b"/transaction",
            &[
                ("Content-Type", b"application/json"),
                ("Content-Length", b"1048576"),
            ],
            Some(valid),
        ),
        Rejected,
    ));
    cases.push(Case::new(
        "POST Transfer-Encoding and Content-Length (smuggling)",
        request(
            "POST",
            b"/transaction",
            &[
                ("Content-Type", b"application/json"),
                ("Content-Length", b"4"),
                ("Transfer-Encoding", b"chunked"),
            ],
            Some(b"0\r\n\r\nGET /transaction HTTP/1.1\r\nHost: x\r\n\r\n"),
        ),
        RejectedOrClosed,
    ));
    for (name, chunked) in [
        ("bad chunk size", &b"zz\r\n{}\r\n0\r\n\r\n"[..]),
        (
            "overflowing chunk size",
            b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
        ),
        ("missing terminator", b"2\r\n{}"),
    ] {
        cases.push(Case::new(
            format!("POST chunked, {name}"),
            request(
                "POST",
                b"/transaction",
                &[
                    ("Content-Type", b"application/json"),
                    ("Transfer-Encoding", b"chunked"),
                ],
                Some(chunked),
            ),
            RejectedOrClosed,
        ));
    }
    cases.push(Case::new(
        "POST an unknown Transfer-Encoding",
        request(
            "POST",
            b"/transaction",
            &[
                ("Content-Type", b"application/json"),
                ("Transfer-Encoding", b"gzip, identity"),
            ],
            Some(valid),
        ),
        RejectedOrClosed,
    ));
    // Headers the handlers read.
    for key in [&b""[..], b"\xff\xfe", b"a b", &[b'k'; 256]] {
        cases.push(Case::new(
            format!("POST Idempotency-Key {:?}", String::from_utf8_lossy(key)),
            request(
                "POST",
                b"/transaction",
                &[
                    ("Content-Type", b"application/json"),
                    ("Idempotency-Key", key),
                ],
                Some(valid),
            ),
            Rejected,
        ));
    }
    // Header floods: many headers, one huge header, a huge head in total.
    let many: Vec<(String, Vec<u8>)> = (0..500)
        .map(|i| (format!("X-Flood-{i}"), vec![b'a'; 64]))
        .collect();
    let many_refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    cases.push(Case::new(
        "GET with 500 headers",
        request("GET", b"/transaction", &many_refs, None),
        RejectedOrClosed,
    ));
    let huge = vec![b'a'; 1 << 20];
    cases.push(Case::new(
        "GET with a 1 MB header",
        request("GET", b"/transaction", &[("X-Huge", &huge)], None),
        RejectedOrClosed,
    ));
    let cookie_flood: Vec<(&str, &[u8])> = (0..90).map(|_| ("Cookie", &huge[..8000])).collect();
    cases.push(Case::new(
        "GET with 90 cookies of 8 KB",
        request("GET", b"/transaction", &cookie_flood, None),
        RejectedOrClosed,
    ));
    for (name, bytes) in [
        (
            "a header with a NUL",
            b"GET /transaction HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
        (
            "a header without a colon",
            b"GET /transaction HTTP/1.1\r\nHost: x\r\nno colon here\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
        (
            "an obsolete folded header",
            b"GET /transaction HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
        (
            "a space before the colon",
            b"GET /transaction HTTP/1.1\r\nHost : x\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        (
            "an invalid header name",
            b"GET /transaction HTTP/1.1\r\nHost: x\r\nX(A): 1\r\nConnection: close\r\n\r\n".to_vec(),
        ),
    ] {
        cases.push(Case::new(format!("GET {name}"), bytes, RejectedOrClosed));
    }
    // Paths and query strings.
    for target in [
        &b"/transaction/\xff"[..],
        b"/transaction/%ff",
        b"/transaction/%c0%af",
        b"/transaction/%00",
        b"/transaction/%zz",
        b"/transaction/99999999999999999999",
        b"/transaction/-9223372036854775809",
        b"/transaction/1.5",
        b"/transaction/0x1",
        b"/transaction/1e3",
        b"/transaction/NaN",
        b"/transaction/%20",
        b"/transaction/1%2f2",
        b"/transaction?limit=%ff",
        b"/transaction?limit=\xff",
        b"/transaction?limit=-1",
        b"/transaction?limit=0",
        b"/transaction?limit=99999999999999999999999",
        b"/transaction?limit=1e3",
        b"/transaction?limit=NaN",
        b"/transaction?limit=",
        b"/transaction?after_id=%00",
        b"/transaction?after_id=99999999999999999999",
        b"/transaction?after_id=1.5",
        b"/nope",
        b"/transaction/../../etc/passwd",
        b"/%2e%2e/%2e%2e/etc/passwd",
        b"*",
        b"http://evil.example/transaction/abc",
    ] {
        cases.push(Case::new(
            format!("GET {}", String::from_utf8_lossy(target)),
            request("GET", target, &[], None),
            RejectedOrClosed,
        ));
    }
    let long_path = format!("/transaction/{}", "1".repeat(100_000));
    cases.push(Case::new(
        "GET a 100 KB path",
        request("GET", long_path.as_bytes(), &[], None),
        RejectedOrClosed,
    ));
    let long_query = format!("/transaction?{}", "a=1&".repeat(20_000));
    cases.push(Case::new(
        "GET an 80 KB query string",
        request("GET", long_query.as_bytes(), &[], None),
        RejectedOrClosed,
    ));
    // Methods.
    for method in ["PUT", "PATCH", "TRACE", "OPTIONS", "FOO", "get", "G\u{c9}T"] {
        cases.push(Case::new(
            format!("{method} /transaction"),
            request(method, b"/transaction", &[], Some(valid)),
            RejectedOrClosed,
        ));
    }
    cases.push(Case::new(
        "a method of 10000 letters",
        request(&"A".repeat(10_000), b"/transaction", &[], None),
        RejectedOrClosed,
    ));
    cases.push(Case::new(
        "CONNECT",
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n".to_vec(),
        RejectedOrClosed,
    ));
    // Protocol garbage.
    for (name, bytes) in [
        (
            "random bytes",
            (0..4096_u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        (
            "a TLS ClientHello",
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03".repeat(20),
        ),
        (
            "the HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00".to_vec(),
        ),
        (
            "HTTP/9.9",
            b"GET /transaction HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "no version",
            b"GET /transaction\r\nHost: x\r\n\r\n".to_vec(),
        ),
        ("only line breaks", b"\r\n".repeat(1000)),
        ("NUL bytes", vec![0; 2048]),
        ("a request line of spaces", b"   \r\n\r\n".to_vec()),
    ] {
        cases.push(Case::new(
            format!("garbage: {name}"),
            bytes,
            RejectedOrClosed,
        ));
    }
    // RFC 9112 lets a server accept a bare LF as a line end; hyper does.
    cases.push(Case::new(
        "bare LF line endings",
        b"GET /transaction HTTP/1.1\nHost: x\nConnection: close\n\n".to_vec(),
        Accepted,
    ));
    cases.push(Case::new(
        "garbage pipelined after a valid request",
        [
            request(
                "GET",
                b"/transaction",
                &[("Connection", b"keep-alive")],
                None,
            ),
            b"\x00\x01\x02 garbage\r\n\r\n".to_vec(),
        ]
        .concat(),
        ServedThenRejectedOrClosed,
    ));
    cases
}

/// What came back on one connection.
#[derive(Debug)]
struct Exchange {
    statuses: Vec<u16>,
    text: String,
}

/// Writes `bytes` (stopping quietly if the server closes first), then reads until the server
/// closes the connection. A server that neither answers nor closes within the deadline fails.
async fn exchange(app: &TestApp, bytes: &[u8]) -> Exchange {
    let mut stream = TcpStream::connect(app.address).await.expect("connect");
    // The server may answer and close before the whole request is written (a 431 after the
    // first 64 KB of headers): then writing fails, which is fine.
    for chunk in bytes.chunks(64 * 1024) {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut received = Vec::new();
    let read = tokio::time::timeout(ANSWER_DEADLINE, async {
        let mut buffer = [0_u8; 16 * 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(
        read.is_ok(),
        "the server neither answered nor closed within {ANSWER_DEADLINE:?}; got so far:\n{text}"
    );
    Exchange {
        statuses: statuses(&text),
        text,
    }
}

/// The status code of every response in a stream of responses.
fn statuses(text: &str) -> Vec<u16> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("HTTP/1.") {
        let line = &rest[at..];
        if let Some(code) = line.get(9..12).and_then(|c| c.parse().ok()) {
            found.push(code);
        }
        rest = &rest[at + 7..];
    }
    found
}

/// The JSON body of the last response of an exchange, if it has one.
fn last_json(text: &str) -> Option<Value> {
    let body = text.rsplit("\r\n\r\n").next()?;
    serde_json::from_str(body).ok()
}

/// A normal request after a hostile one: the server still creates and reads back correctly.
async fn still_serves(app: &TestApp, after: &str) {
    let response = app
        .client
        .post(app.url("/transaction"))
        .json(&serde_json::json!({"amount": 12.5, "description": "after"}))
        .send()
        .await
        .unwrap_or_else(|error| panic!("after {after}: a normal request failed: {error}"));
    assert_eq!(response.status(), 200, "after {after}");
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_i64().expect("id");
    let response = app
        .client
        .get(app.url(&format!("/transaction/{id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "after {after}");
    let read: Value = response.json().await.expect("json");
    assert_eq!(
        read,
        serde_json::json!({"id": id, "amount": 12.5, "desc": "after"}),
        "after {after}"
    );
}

fn check(case: &Case, exchange: &Exchange) -> Result<(), String> {
    let Exchange { statuses, text } = exchange;
    let head = || text.chars().take(600).collect::<String>();
    if let Some(server_error) = statuses.iter().find(|s| **s >= 500) {
        return Err(format!("a {server_error}:\n{}", head()));
    }
    match case.expect {
        Expect::Accepted => {
            if statuses.len() != 1 || !(200..300).contains(&statuses[0]) {
                return Err(format!("expected one 2xx, got {statuses:?}:\n{}", head()));
            }
        }
        Expect::Rejected => {
            if statuses.len() != 1 || !(400..500).contains(&statuses[0]) {
                return Err(format!("expected one 4xx, got {statuses:?}:\n{}", head()));
            }
            // The API's own rejections carry its JSON error shape.
            if let Some(body) = last_json(text)
                && !body["message"].is_string()
            {
                return Err(format!("a 4xx without a message:\n{}", head()));
            }
        }
        Expect::RejectedOrClosed => {
            if statuses.len() > 1 || statuses.iter().any(|s| !(400..500).contains(s)) {
                return Err(format!(
                    "expected a 4xx or a close, got {statuses:?}:\n{}",
                    head()
                ));
            }
        }
        Expect::ServedThenRejectedOrClosed => {
            let rest_refused = statuses.iter().skip(1).all(|s| (400..500).contains(s));
            if statuses.first() != Some(&200) || statuses.len() > 2 || !rest_refused {
                return Err(format!(
                    "expected a 200, then a 4xx or a close, got {statuses:?}:\n{}",
                    head()
                ));
            }
        }
    }
    Ok(())
}

async fn every_hostile_request_gets_a_4xx_or_a_close_and_the_next_request_is_served() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let cases = corpus();
    assert!(cases.len() >= 180, "the corpus shrank to {}", cases.len());
    let started = Instant::now();
    let mut failures = Vec::new();
    for case in &cases {
        let exchange = exchange(&app, &case.bytes).await;
        if let Err(problem) = check(case, &exchange) {
            failures.push(format!("{}: {problem}", case.name));
        }
        still_serves(&app, &case.name).await;
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests were mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    eprintln!(
        "hostile corpus: {} requests in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    app.stop().await;
}

/// The checks above are not vacuous: a 5xx, a 2xx where a 4xx is due, and a missing answer are
/// all reported.
fn the_corpus_check_reports_server_errors_and_wrong_answers() {
    let rejected = Case::new("r", Vec::new(), Expect::Rejected);
    let closed = Case::new("c", Vec::new(), Expect::RejectedOrClosed);
    let accepted = Case::new("a", Vec::new(), Expect::Accepted);
    let answer = |text: &str| Exchange {
        statuses: statuses(text),
        text: text.to_owned(),
    };
    let ok = answer("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
    let bad = answer("HTTP/1.1 422 Unprocessable\r\n\r\n{\"message\":\"m\"}");
    let bare = answer("HTTP/1.1 400 Bad Request\r\n\r\n{\"detail\":1}");
    let oops = answer("HTTP/1.1 500 Internal\r\n\r\n");
    let nothing = answer("");
    assert!(check(&rejected, &bad).is_ok());
    assert!(check(&rejected, &ok).is_err());
    assert!(check(&rejected, &oops).is_err());
    assert!(check(&rejected, &nothing).is_err());
    assert!(check(&rejected, &bare).is_err());
    assert!(check(&closed, &nothing).is_ok());
    assert!(check(&closed, &bad).is_ok());
    assert!(check(&closed, &ok).is_err());
    assert!(check(&closed, &oops).is_err());
    assert!(check(&accepted, &ok).is_ok());
    assert!(check(&accepted, &bad).is_err());
    let pipelined = answer("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 400 Bad\r\n\r\n");
    assert_eq!(pipelined.statuses, vec![200, 400]);
    let served_first = Case::new("p", Vec::new(), Expect::ServedThenRejectedOrClosed);
    assert!(check(&served_first, &pipelined).is_ok());
    assert!(check(&closed, &pipelined).is_err());
    assert!(check(&served_first, &bad).is_err());
}

/// A duplicated key is read as the last one, as the seed's Python service (json.loads) does.
async fn a_duplicated_field_counts_once_with_its_last_value() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let exchange = exchange(
        &app,
        &post_json(b"{\"amount\":1,\"description\":\"x\",\"amount\":2}"),
    )
    .await;
    assert_eq!(exchange.statuses, vec![200], "{}", exchange.text);
    let list = app.list().await;
    assert_eq!(list["result"][0]["amount"], 2, "{list}");
    assert_eq!(list["result"].as_array().map(Vec::len), Some(1), "{list}");
    app.stop().await;
}

/// Many valid requests pipelined on one connection are all answered, in order.
async fn pipelined_requests_are_answered_in_order() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let keep = [("Connection", &b"keep-alive"[..])];
    let mut bytes = Vec::new();
    for i in 0..50 {
        let body = format!("{{\"amount\":{},\"description\":\"p{i}\"}}", i + 1);
        bytes.extend(request(
            "POST",
            b"/transaction",
            &[
                ("Content-Type", b"application/json"),
                ("Connection", b"keep-alive"),
            ],
            Some(body.as_bytes()),
        ));
        bytes.extend(request("GET", b"/transaction/abc", &keep, None));
    }
    bytes.extend(request("GET", b"/transaction", &[], None));
    let exchange = exchange(&app, &bytes).await;
    let mut expected: Vec<u16> = [200, 422].repeat(50);
    expected.push(200);
    assert_eq!(exchange.statuses, expected);
    assert_eq!(app.ids().await, (1..=50).collect::<Vec<i64>>());
    app.stop().await;
}

/// Slowloris: clients that send their request head a byte at a time and never finish neither
/// pin the server (others are served meanwhile) nor keep their connections: the header-read
/// timeout closes them. A client that connects and sends nothing is closed the same way, and
/// a body that stalls half-way is refused.
async fn slow_clients_do_not_pin_the_server_and_are_cut_off() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let address = app.address;
    let slow_clients = 50;
    let head = b"GET /transaction HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".to_vec();
    let mut tasks = Vec::new();
    for _ in 0..slow_clients {
        let head = head.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(address).await.expect("connect");
            let opened = Instant::now();
            // Keep trickling bytes; the server must close the connection on its own.
            let mut sent = 0_usize;
            loop {
                let byte = head.get(sent).copied().unwrap_or(b'a');
                if stream.write_all(&[byte]).await.is_err() {
                    break;
                }
                sent += 1;
                let mut probe = [0_u8; 1024];
                let read =
                    tokio::time::timeout(Duration::from_millis(50), stream.read(&mut probe)).await;
                if let Ok(Ok(0) | Err(_)) = read {
                    break;
                }
                if opened.elapsed() > ANSWER_DEADLINE {
                    break;
                }
            }
            (opened.elapsed(), sent)
        }));
    }
    let silent = TcpStream::connect(address).await.expect("connect");
    // While they trickle, normal clients are served promptly.
    let started = Instant::now();
    for _ in 0..5 {
        let begun = Instant::now();
        still_serves(&app, "slow clients").await;
        assert!(
            begun.elapsed() < Duration::from_secs(2),
            "a normal request took {:?} beside slow clients",
            begun.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for task in tasks {
        let (open_for, sent) = task.await.expect("slow client");
        assert!(
            open_for < HEADER_TIMEOUT * 4,
            "a slow client stayed connected {open_for:?} ({sent} bytes sent); the header \
             timeout is {HEADER_TIMEOUT:?}"
        );
        assert!(
            open_for >= HEADER_TIMEOUT / 2,
            "closed after {open_for:?}, before the timeout"
        );
    }
    // The silent client is closed too.
    let mut silent = silent;
    let mut probe = [0_u8; 16];
    let closed = tokio::time::timeout(HEADER_TIMEOUT * 4, silent.read(&mut probe)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "a connection that sent nothing was kept open: {closed:?}"
    );
    // A body that stalls half-way: refused with a 4xx, or cut off.
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(
            b"POST /transaction HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\nConnection: close\r\n\r\n{\"amount\":",
        )
        .await
        .expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(BODY_TIMEOUT * 6, stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(read.is_ok(), "a stalled body held the connection: {answer}");
    let codes = statuses(&answer);
    assert!(
        codes.iter().all(|code| (400..500).contains(code)),
        "a stalled body got {codes:?}: {answer}"
    );
    still_serves(&app, "a stalled body").await;
    eprintln!(
        "slow clients: {slow_clients} trickling + 1 silent, all cut off; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    app.stop().await;
}

/// Hundreds of idle connections do not stop the server from accepting and serving others.
async fn hundreds_of_idle_connections_do_not_block_new_clients() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(app.address).await.expect("connect"));
    }
    let begun = Instant::now();
    still_serves(&app, "300 idle connections").await;
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "{:?}",
        begun.elapsed()
    );
    drop(idle);
    app.stop().await;
}
