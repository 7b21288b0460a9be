//! The machine's HTTP limit for the load benchmark (`tests/load/run.sh`): a minimal HTTP/1.1
//! keep-alive server that answers each request with bytes captured from the real runtime, and
//! does nothing else (no routing table, no logging, no allocation per request).
//!
//! ```text
//! static_responder <listen address> <METHOD path=file>...
//! ```
//! Each `METHOD path=file` answers requests whose method and path match with the file's bytes:
//! a whole HTTP/1.1 response, status line, headers and body, as `curl --include` saved it from
//! the runtime. Anything else gets 404. A request's `content-length` body is read and ignored.
//! Only for benchmarks on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Route {
    method: Vec<u8>,
    path: Vec<u8>,
    response: Vec<u8>,
}

const NOT_FOUND: &[u8] = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";

/// Largest request head plus body buffered for one connection.
const BUFFER_LIMIT: usize = 1 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: static_responder <listen address> <METHOD path=file>...";
    let address: SocketAddr = args.next().ok_or(usage)?.parse()?;
    let mut routes = Vec::new();
    for arg in args {
        let (route, file) = arg.split_once('=').ok_or(usage)?;
        let (method, path) = route.split_once(' ').ok_or(usage)?;
        let response = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        if !response.starts_with(b"HTTP/1.1 ") {
            return Err(format!("{file}: not an HTTP/1.1 response").into());
        }
        routes.push(Route {
            method: method.as_bytes().to_vec(),
            path: path.as_bytes().to_vec(),
            response,
        });
    }
    let routes = Arc::new(routes);
    tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(address).await?;
            println!("listening on {}", listener.local_addr()?);
            loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, routes.clone()));
            }
        })
}

async fn serve(mut stream: TcpStream, routes: Arc<Vec<Route>>) {
    let mut buffer = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let mut out = Vec::with_capacity(16384);
    loop {
        // Answer every complete request in the buffer (pipelining), then write once.
        while let Some((consumed, response)) = next_request(&buffer, &routes) {
            out.extend_from_slice(response);
            buffer.drain(..consumed);
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        if buffer.len() > BUFFER_LIMIT {
            return;
        }
    }
}

/// The length of the first complete request in `buffer` and the response to it.
fn next_request<'a>(buffer: &[u8], routes: &'a [Route]) -> Option<(usize, &'a [u8])> {
    let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = &buffer[..head_end];
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next()?;
    let mut parts = request_line.split(|&b| b == b' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let path = target.split(|&b| b == b'?').next()?;
    let body_length = lines
        .filter_map(|line| {
            let (name, value) = line.split_at(line.iter().position(|&b| b == b':')?);
            name.eq_ignore_ascii_case(b"content-length")
                .then(|| {
                    std::str::from_utf8(&value[1..])
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .flatten()
        })
        .next()
        .unwrap_or(0);
    let total = head_end + body_length;
    if buffer.len() < total {
        return None;
    }
    let response = routes
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map_or(NOT_FOUND, |r| r.response.as_slice());
    Some((total, response))
}
