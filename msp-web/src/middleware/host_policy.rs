//! Which requests are refused before any page: without sign-in, only the
//! loopback's names and no proxy; a form only from this console.

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;

use super::Asked;
use crate::respond::plain;
use crate::state::App;

/// The refusal of a request before any page, in the order checked: without
/// sign-in, a Host not of the loopback or any proxy header (`proxied`); a
/// form sent from another site.
pub(crate) fn refusal(
    app: &App,
    headers: &HeaderMap,
    asked: &Asked,
    proxied: bool,
) -> Option<Response> {
    if !app.auth && (proxied || !app.local_hosts.contains(&asked.host)) {
        // Without sign-in, only pages asked for by the loopback's names,
        // never through a proxy (which would open them to its clients).
        Some(plain(
            StatusCode::FORBIDDEN,
            "Cette console n'accepte sans identification que les adresses locales (127.0.0.1, localhost), sans proxy : ajoutez des utilisateurs (msp user add) pour l'ouvrir au réseau.",
        ))
    } else if asked.method == Method::POST && !same_origin(headers, &asked.host) {
        Some(plain(
            StatusCode::FORBIDDEN,
            "Formulaire envoyé depuis un autre site : refusé.",
        ))
    } else {
        None
    }
}

/// A form's Origin (when the browser sends one) names this host.
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => origin
            .split_once("://")
            .map(|(_, rest)| rest == host)
            .unwrap_or(false),
    }
}
