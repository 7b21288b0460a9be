//! A loopback TCP proxy that cuts or slows a service, and the URLs that go through it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A TCP proxy in front of a real service, which a test can cut (refusing and dropping every
/// connection, as an outage does) and restore, or slow down (every answer held back a while).
pub(crate) struct Proxy {
    pub address: SocketAddr,
    task: JoinHandle<()>,
    open: Arc<std::sync::atomic::AtomicBool>,
    /// How long each chunk the service sends back is held (ms).
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
    connections: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("addr");
        let connections: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let delay_ms = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let tracked = connections.clone();
        let accepting = open.clone();
        let delay = delay_ms.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !accepting.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let delay = delay.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(outbound) = tokio::net::TcpStream::connect(target).await {
                        let (client_read, client_write) = inbound.into_split();
                        let (service_read, service_write) = outbound.into_split();
                        // Both directions in this one task, so `cut` (abort) closes both.
                        tokio::join!(
                            pump(client_read, service_write, None),
                            pump(service_read, client_write, Some(delay)),
                        );
                    }
                });
                tracked.lock().expect("lock").push(pipe);
            }
        });
        Self {
            address,
            task,
            open,
            delay_ms,
            connections,
        }
    }

    /// Drops every open connection and every new one until `restore`.
    pub(crate) fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub(crate) fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Holds every chunk the service answers for `delay` before passing it on (zero: none).
    pub(crate) fn slow_down(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.delay_ms.store(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Copies one direction of a proxied connection until EOF, holding each chunk `delay` ms.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay_ms: Option<Arc<std::sync::atomic::AtomicU64>>,
) {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let delay = delay_ms
            .as_ref()
            .map_or(0, |d| d.load(std::sync::atomic::Ordering::SeqCst));
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// The host:port of a URL such as `redis://127.0.0.1:6379` or `mysql://root@host:3306/test`.
pub(crate) fn socket_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:6379")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port
        .parse()
        .unwrap_or_else(|_| panic!("{url} does not name an IP host and port"))
}

/// A URL with its host:port replaced by `address` (to go through a proxy).
pub(crate) fn through(url: &str, address: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    if path.is_empty() {
        format!("{scheme}://{user}{address}")
    } else {
        format!("{scheme}://{user}{address}/{path}")
    }
}
