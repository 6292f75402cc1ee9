//! Who is asking: any proxy header, and the client's address (through a
//! trusted proxy, the one it names).

use axum::http::HeaderMap;
use msp_core::Config;

/// Any header a proxy adds: `X-Forwarded-*` whatever follows (Proto,
/// Port, Server, Prefix...), `Forwarded`, `X-Real-IP`, `Via`.
pub(crate) fn proxied(headers: &HeaderMap) -> bool {
    headers.keys().any(|k| {
        let k = k.as_str();
        k.starts_with("x-forwarded-") || matches!(k, "forwarded" | "x-real-ip" | "via")
    })
}

/// The client: behind a trusted reverse proxy, the last address it adds;
/// otherwise the peer.
pub(crate) fn client(
    headers: &HeaderMap,
    peer: std::net::IpAddr,
    config: &Config,
) -> std::net::IpAddr {
    match headers
        .get("x-forwarded-for")
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok())
    {
        Some(ip) if config.web.trusted_proxies.contains(&peer) => ip,
        _ => peer,
    }
}
