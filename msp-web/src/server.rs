//! The HTTP server under the console: HTTP/1 from hyper, with the limits
//! axum's own `serve` does not set. A client must send a request's
//! headers within [`HEADER_TIMEOUT`] (an idle kept-alive connection
//! included) and its body within [`BODY_TIMEOUT`]; one address holds at
//! most [`MAX_PER_ADDRESS`] connections at once and the server
//! [`MAX_CONNECTIONS`]. A connection over a cap is answered 503 and closed
//! at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};

/// Time a client has to send a request's headers, counted from when the
/// server waits for them (a kept-alive connection idle this long closes).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// Time a client has to send a request's body once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections one address may hold at once (a browser opens about six;
/// a trusted proxy is not held to it).
pub const MAX_PER_ADDRESS: usize = 32;

/// Connections the server holds at once, all addresses together.
pub const MAX_CONNECTIONS: usize = 512;

/// The largest request body read (the console's forms are a few KiB).
pub const MAX_BODY: usize = 256 * 1024;

/// Test hook: `MSP_WEB_TIMEOUT_MS=N` shortens both timeouts to N ms.
const TIMEOUT_HOOK: &str = "MSP_WEB_TIMEOUT_MS";

/// The header and body timeouts in force.
pub fn timeouts() -> (Duration, Duration) {
    match std::env::var(TIMEOUT_HOOK)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
    {
        Some(ms) => (Duration::from_millis(ms), Duration::from_millis(ms)),
        None => (HEADER_TIMEOUT, BODY_TIMEOUT),
    }
}

/// The answer to a connection over a cap.
const REFUSED: &[u8] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nRetry-After: 5\r\nContent-Length: 52\r\n\r\nTrop de connexions ouvertes : réessayez plus tard.\n"
    .as_bytes();

/// Open connections, per address and in all.
#[derive(Default)]
struct Open {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// A connection counted in [`Open`]; uncounted when dropped.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = crate::lock(&self.open);
        o.total = o.total.saturating_sub(1);
        if let Some(n) = o.per_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                o.per_address.remove(&self.ip);
            }
        }
    }
}

/// A slot for a connection from `ip`, unless a cap is reached.
fn take(open: &Arc<Mutex<Open>>, ip: IpAddr, trusted: bool) -> Option<Slot> {
    let mut o = crate::lock(open);
    let mine = o.per_address.get(&ip).copied().unwrap_or(0);
    if o.total >= MAX_CONNECTIONS || (!trusted && mine >= MAX_PER_ADDRESS) {
        return None;
    }
    o.total += 1;
    *o.per_address.entry(ip).or_default() += 1;
    Some(Slot {
        open: open.clone(),
        ip,
    })
}

/// Serves `router` on `listener` until `shutdown` completes, then closes
/// the listener and lets the open connections finish the request in
/// progress (idle kept-alive ones close at once; at most 30 s). `trusted` tells whether an
/// address is a trusted proxy (read at each connection: the configuration
/// may change).
pub async fn run(
    listener: tokio::net::TcpListener,
    router: Router,
    trusted: impl Fn(IpAddr) -> bool,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let (header_timeout, _) = timeouts();
    let open = Arc::new(Mutex::new(Open::default()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little.
                    tracing::warn!("web console: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = take(&open, peer.ip(), trusted(peer.ip())) else {
            tracing::debug!("web console: connection from {peer} refused (too many)");
            // A fresh socket's send buffer takes these few bytes at once.
            let _ = stream.try_write(REFUSED);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut req| {
                req.extensions_mut().insert(ConnectInfo(peer));
                tower::ServiceExt::oneshot(router.clone(), req.map(axum::body::Body::new))
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopped.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(slot);
        });
    }
    // No new connection: the port is closed at once (a connection the
    // kernel would queue would never be answered), then the open ones
    // finish their request in progress.
    drop(listener);
    let _ = stop.send(true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while crate::lock(&open).total > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_announces_its_length() {
        let text = std::str::from_utf8(REFUSED).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }

    #[test]
    fn an_address_holds_a_few_connections_and_gets_them_back() {
        let open = Arc::new(Mutex::new(Open::default()));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<Slot> = (0..MAX_PER_ADDRESS)
            .map(|_| take(&open, ip, false).unwrap())
            .collect();
        assert!(take(&open, ip, false).is_none());
        assert!(take(&open, ip, true).is_some(), "a trusted proxy");
        assert!(take(&open, "192.0.2.2".parse().unwrap(), false).is_some());
        drop(held);
        assert!(take(&open, ip, false).is_some());
        assert!(crate::lock(&open).per_address.is_empty());
    }
}
