//! Request spans reach an OTLP/HTTP collector: named by the route that matched, children of the
//! caller's span where `traceparent` names one, and sampled as the environment says.

use std::sync::{Arc, Mutex};

use runtime::config::{Sampling, TracingSettings};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{Options, TestApp, TestDb};
use testkit::{Test, test};

pub(crate) fn tests() -> Vec<Test> {
    vec![test!(
        async a_traced_request_reaches_the_collector_as_its_callers_child_and_an_untraced_one_is_sampled_out
    )]
}

/// The W3C `traceparent` of a sampled caller.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN: &str = "00f067aa0ba902b7";

async fn a_traced_request_reaches_the_collector_as_its_callers_child_and_an_untraced_one_is_sampled_out()
 {
    let collector = Collector::start().await;
    let endpoint = collector.url.clone();
    let db = TestDb::sqlite();
    // No new trace is kept (ratio 0), so only the caller's sampled trace is exported.
    let app = TestApp::spawn(Options::new(&db).edit(move |settings| {
        settings.tracing = Some(TracingSettings {
            endpoint,
            service_name: "expense-backend".to_string(),
            resource: vec![("deployment.environment".to_string(), "dev".to_string())],
            sampling: Sampling {
                ratio: 0.0,
                parent_based: true,
            },
        });
    }))
    .await;
    let id = app.create(json!(12.5), "traced").await;
    let response = app
        .client
        .get(app.url(&format!("/transaction/{id}")))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_SPAN}-01"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    // Stopping the server flushes the spans waiting to be sent.
    app.stop().await;

    let posts = collector.posts();
    assert!(
        posts.iter().all(|(path, _)| path == "/v1/traces"),
        "{posts:?}"
    );
    let body: Vec<u8> = posts.into_iter().flat_map(|(_, body)| body).collect();
    let holds = |needle: &[u8]| body.windows(needle.len()).any(|window| window == needle);
    assert!(
        holds(b"GET /transaction/{id}"),
        "the span is named by its route"
    );
    assert!(holds(b"expense-backend"), "the service's name");
    assert!(holds(b"deployment.environment"), "the resource attributes");
    assert!(holds(&hex(TRACE_ID)), "the caller's trace");
    assert!(holds(&hex(PARENT_SPAN)), "the caller's span as its parent");
    assert!(
        !holds(b"POST /transaction"),
        "the untraced create is sampled out at ratio 0"
    );
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// What a collector was sent: each request's path and body.
type Posts = Vec<(String, Vec<u8>)>;

/// An OTLP/HTTP collector that keeps what it is sent and answers 200.
struct Collector {
    url: String,
    received: Arc<Mutex<Posts>>,
}

impl Collector {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    // Requests on one connection, one after another, until it closes.
                    loop {
                        let mut request_line = String::new();
                        if stream.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let path = request_line
                            .split_whitespace()
                            .nth(1)
                            .unwrap_or_default()
                            .to_string();
                        let mut length = 0;
                        loop {
                            let mut line = String::new();
                            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            let line = line.trim_end();
                            if line.is_empty() {
                                break;
                            }
                            if let Some((name, value)) = line.split_once(':')
                                && name.eq_ignore_ascii_case("content-length")
                            {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; length];
                        if stream.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        kept.lock().expect("lock").push((path, body));
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if stream.get_mut().write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { url, received }
    }

    fn posts(&self) -> Posts {
        self.received.lock().expect("lock").clone()
    }
}
