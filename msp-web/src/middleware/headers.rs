//! The security headers of every answer, and `Cache-Control: no-store`
//! outside the stylesheet.

use axum::http::{header, HeaderValue};
use axum::response::Response;

/// Sets the security headers of an answer to `path`.
pub(crate) fn secure(response: &mut Response, path: &str) {
    let h = response.headers_mut();
    for (k, v) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        // Not no-referrer: with it, Chromium sends `Origin: null` on this
        // console's own forms, which the Origin check refuses.
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    if !path.starts_with("/static/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
