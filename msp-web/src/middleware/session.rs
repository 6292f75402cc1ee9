//! The session of a request: found by its cookie, created when needed,
//! ended when its user's password changed; sign-in required.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use msp_core::Config;

use super::Asked;
use crate::auth::COOKIE;
use crate::state::{lock, App, Visitor};

/// A request let through (or sent to the sign-in page): the answer, the
/// session token created for it (its cookie to set), the user signed in.
pub(crate) struct Entered {
    pub(crate) response: Response,
    pub(crate) new_cookie: Option<String>,
    pub(crate) user: Option<String>,
}

/// Runs `req` with its visitor (its session found or created) when it may
/// see the page: without sign-in, signed in, or the sign-in page itself;
/// otherwise sends it to the sign-in page.
pub(crate) async fn enter(
    app: &App,
    mut req: Request,
    next: Next,
    asked: &Asked,
    client: std::net::IpAddr,
    config: &Arc<Config>,
) -> Entered {
    let (visitor, new_cookie) = visitor(app, req.headers(), asked, client, config);
    let mut user = None;
    let response = match visitor {
        Some(v) if !app.auth || v.user.is_some() || asked.public => {
            user = v.user.clone();
            req.extensions_mut().insert(v);
            next.run(req).await
        }
        _ => Redirect::to("/connexion").into_response(),
    };
    Entered {
        response,
        new_cookie,
        user,
    }
}

/// The visitor of a request: its session (a user removed from the
/// configuration, or given a new password since signing in, is signed
/// out), or a new session when none is required or on the sign-in page
/// (with its token, for the cookie).
fn visitor(
    app: &App,
    headers: &HeaderMap,
    asked: &Asked,
    client: std::net::IpAddr,
    config: &Arc<Config>,
) -> (Option<Visitor>, Option<String>) {
    let (secure, public) = (asked.secure, asked.public);
    let mut new_cookie = None;
    let mut sessions = lock(&app.sessions);
    let token = cookie(headers);
    let found = token.as_deref().and_then(|t| {
        let s = sessions.get(t)?;
        // A user removed from the configuration, or given a new
        // password since signing in, is signed out.
        let stale = s.user.as_ref().is_some_and(|u| {
            !config
                .web
                .users
                .iter()
                .any(|x| x.name == *u && s.signed_with(&x.password_hash))
        });
        if stale {
            sessions.remove(t);
            return None;
        }
        Some(Visitor {
            token: t.to_string(),
            user: s.user.clone(),
            csrf: s.csrf.clone(),
            secure,
            client,
            config: config.clone(),
        })
    });
    let visitor = match found {
        Some(v) => Some(v),
        None if !app.auth || public => {
            let t = sessions.create(None, None);
            let csrf = sessions.get(&t).map(|s| s.csrf.clone()).unwrap_or_default();
            new_cookie = Some(t.clone());
            Some(Visitor {
                token: t,
                user: None,
                csrf,
                secure,
                client,
                config: config.clone(),
            })
        }
        None => None,
    };
    (visitor, new_cookie)
}

/// Sets the cookie of a session created for this request.
pub(crate) fn set_cookie(response: &mut Response, token: &str, secure: bool) {
    if let Ok(v) = HeaderValue::from_str(&session_cookie(token, secure)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The session cookie of a request.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_string())
        })
}

/// The Set-Cookie value of a session.
pub(crate) fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}
