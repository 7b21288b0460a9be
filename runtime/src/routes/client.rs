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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn request(peer: &str, forwarded_for: Option<&str>) -> Request {
        let mut req = Request::new();
        *req.remote_addr_mut() = peer.parse::<SocketAddr>().expect("a socket address").into();
        if let Some(hops) = forwarded_for {
            req.headers_mut()
                .insert("x-forwarded-for", hops.parse().expect("a header value"));
        }
        req
    }

    fn ip(text: &str) -> Client {
        Client(Some(text.parse().expect("an address")))
    }

    #[test]
    fn a_client_is_its_peer_unless_the_forwarded_header_is_trusted() {
        let req = request("10.0.0.5:41000", Some("198.51.100.7"));
        assert_eq!(client_id(&req, false), ip("10.0.0.5"));
        assert_eq!(client_id(&req, true), ip("198.51.100.7"));
    }

    #[test]
    fn the_last_forwarded_hop_counts_and_one_that_is_no_address_falls_back_to_the_peer() {
        let spoofed = request("10.0.0.5:41000", Some("203.0.113.9, 198.51.100.7 "));
        assert_eq!(client_id(&spoofed, true), ip("198.51.100.7"));
        let v6 = request("[2001:db8::1]:443", Some("2001:db8:0:0::7"));
        assert_eq!(client_id(&v6, true), ip("2001:db8::7"));
        let garbage = request("10.0.0.5:41000", Some("198.51.100.7, not-an-address"));
        assert_eq!(client_id(&garbage, true), ip("10.0.0.5"));
        assert_eq!(
            client_id(&request("10.0.0.5:41000", None), true),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn a_connection_without_an_ip_peer_is_one_unknown_client() {
        assert_eq!(client_id(&Request::new(), true), Client(None));
    }
}
