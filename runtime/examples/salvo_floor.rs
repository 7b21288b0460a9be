//! What salvo itself costs, for the load benchmark (`tests/load/run.sh`): the runtime's HTTP
//! stack (salvo on hyper and tokio, the same server settings and header-read guard) answering
//! each request with bytes captured from the real runtime, with nothing of the application:
//! no request context, log line, metrics, cache or database. The runtime can come no nearer to
//! the machine's limit (`static_responder`) than this.
//!
//! ```text
//! salvo_floor <listen address> <METHOD path=file>...
//! ```
//! The arguments are `static_responder`'s: each file is a whole HTTP/1.1 response as
//! `curl --include` saved it; its status, headers (but `content-length` and `date`, which the
//! server writes) and body are replayed. Only for benchmarks on loopback.

use std::net::SocketAddr;
use std::time::Duration;

use salvo::conn::TcpListener;
use salvo::fuse::FuseConfig;
use salvo::http::{HeaderName, HeaderValue, StatusCode};
use salvo::prelude::*;

/// One captured response, replayed as it was.
struct Replay {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: bytes::Bytes,
}

#[async_trait]
impl Handler for Replay {
    async fn handle(
        &self,
        _req: &mut Request,
        _depot: &mut Depot,
        res: &mut Response,
        _ctrl: &mut FlowCtrl,
    ) {
        res.status_code(self.status);
        for (name, value) in &self.headers {
            res.headers_mut().insert(name.clone(), value.clone());
        }
        let _ignored = res.write_body(self.body.clone());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: salvo_floor <listen address> <METHOD path=file>...";
    let address: SocketAddr = args.next().ok_or(usage)?.parse()?;
    let mut router = Router::new();
    for arg in args {
        let (route, file) = arg.split_once('=').ok_or(usage)?;
        let (method, path) = route.split_once(' ').ok_or(usage)?;
        let replay = parse(&std::fs::read(file).map_err(|e| format!("{file}: {e}"))?)
            .ok_or_else(|| format!("{file}: not an HTTP/1.1 response"))?;
        let route = Router::with_path(path.trim_start_matches('/'));
        router = router.push(match method {
            "GET" => route.get(replay),
            "POST" => route.post(replay),
            "DELETE" => route.delete(replay),
            other => return Err(format!("unsupported method {other}").into()),
        });
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let acceptor = TcpListener::new(address).try_bind().await?;
            println!("listening on {address}");
            // The runtime's own client timeouts (config.rs, ClientTimeouts).
            let fuse = FuseConfig::default()
                .with_http1_header_timeout(Duration::from_secs(10))
                .with_request_body_timeout(Duration::from_secs(10));
            Server::new(acceptor).fuse_config(fuse).serve(router).await;
            Ok(())
        })
}

/// Status, headers and body of a saved response.
fn parse(response: &[u8]) -> Option<Replay> {
    let head_end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&response[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()?
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).ok()?;
        if name != "content-length" && name != "date" {
            headers.push((name, HeaderValue::from_str(value.trim()).ok()?));
        }
    }
    Some(Replay {
        status: StatusCode::from_u16(status).ok()?,
        headers,
        body: bytes::Bytes::copy_from_slice(&response[head_end + 4..]),
    })
}
