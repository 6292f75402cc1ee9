//! What every request goes through before its handler: the guard (client
//! address, Host and Origin policy, session, security headers, access log)
//! and the reading of its body.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::App;

pub(crate) mod access_log;
mod body;
mod client_ip;
mod headers;
mod host_policy;
pub(crate) mod session;

pub(crate) use body::read_body;

/// What the guard reads of a request before deciding.
pub(crate) struct Asked {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) host: String,
    /// The sign-in page, open to all.
    pub(crate) public: bool,
    /// Cookies set in answer get the Secure flag (configured, or behind TLS).
    pub(crate) secure: bool,
}

impl Asked {
    fn of(app: &App, req: &Request) -> Asked {
        let path = req.uri().path().to_string();
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let behind_tls = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            == Some("https");
        Asked {
            method: req.method().clone(),
            public: path == "/connexion",
            path,
            host,
            secure: app.secure || behind_tls,
        }
    }
}

/// Every request: the Host check without sign-in, the Origin check of
/// forms, the session (created when needed), sign-in required outside the
/// sign-in page, security headers, the access log.
pub(crate) async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let asked = Asked::of(&app, &req);
    let config = app.config();
    let proxied = client_ip::proxied(req.headers());
    let client = client_ip::client(req.headers(), peer.ip(), &config);
    let (mut response, new_cookie, user) =
        if let Some(refused) = host_policy::refusal(&app, req.headers(), &asked, proxied) {
            (refused, None, None)
        } else if asked.path.starts_with("/static/") {
            (next.run(req).await, None, None)
        } else {
            let e = session::enter(&app, req, next, &asked, client, &config).await;
            (e.response, e.new_cookie, e.user)
        };
    if let Some(t) = new_cookie {
        session::set_cookie(&mut response, &t, asked.secure);
    }
    headers::secure(&mut response, &asked.path);
    app.log_access(
        client,
        user.as_deref(),
        &asked.method,
        &asked.path,
        response.status(),
    );
    response
}
