//! Who sent a request: the TCP peer, or the load balancer's view of it.

use std::cell::RefCell;
use std::net::IpAddr;

use salvo::prelude::*;

use crate::rate_limit::Client;

/// The TCP peer's address as text for logs (empty when it is not an IP connection). A thread
/// keeps the last one it wrote: behind a load balancer (or a benchmark) requests come from a
/// handful of peers, so it is formatted once, not once per request.
pub(super) fn with_client_ip<R>(req: &Request, log: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static LAST: RefCell<Option<(IpAddr, String)>> = const { RefCell::new(None) };
    }
    let Some(ip) = peer_ip(req) else {
        return log("");
    };
    LAST.with(|last| match last.try_borrow_mut() {
        Ok(mut last) => {
            if last.as_ref().is_none_or(|(of, _)| *of != ip) {
                *last = Some((ip, ip.to_string()));
            }
            log(last.as_ref().map_or("", |(_, text)| text.as_str()))
        }
        Err(_) => log(&ip.to_string()),
    })
}

fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.remote_addr().ip()
}

/// Who a request counts against: the TCP peer, or the last `X-Forwarded-For` hop (the address
/// the load balancer saw) when the deployment says the header can be trusted.
pub(super) fn client_id(req: &Request, trust_forwarded_for: bool) -> Client {
    if trust_forwarded_for
        && let Some(hop) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
    {
        return Client(Some(hop));
    }
    Client(peer_ip(req))
}
