//! Signing in and out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::csrf::CsrfChecked;
use crate::auth::{self, COOKIE};
use crate::middleware::session::session_cookie;
use crate::pages;
use crate::respond::{csrf_refused, page};
use crate::state::{blocking, lock, App, Visitor};

/// The sign-in page (the dashboard once signed in, or without sign-in).
pub(crate) async fn login_page(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
) -> Response {
    if !app.auth || v.user.is_some() {
        return Redirect::to("/").into_response();
    }
    page(pages::login(&app.frame(&v), None, ""))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    mot_de_passe: String,
}

/// Signing in: rate-limited, a new session on success.
pub(crate) async fn login(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Form(f): Form<LoginForm>,
) -> Response {
    if !app.auth {
        return Redirect::to("/").into_response();
    }
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let ip = v.client;
    // A name is at most 64 characters here (the limiter keys on it).
    let nom: String = f.nom.trim().chars().take(64).collect();
    // The attempt counts as failed before the password is checked (and is
    // forgiven on success): attempts sent all at once are limited too.
    let checked = {
        let mut l = lock(&app.limiter);
        l.check(ip, &nom).map(|_| l.failed(ip, &nom))
    };
    if let Err(wait) = checked {
        // Whole seconds until the lock-out ends, rounded up.
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let text = format!(
            "Trop d'essais infructueux : réessayez dans {} minute(s).",
            secs.div_ceil(60)
        );
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, HeaderValue::from(secs))],
            page(pages::login(&app.frame(&v), Some(&text), &nom)),
        )
            .into_response();
    }
    let users = v.config.web.users.clone();
    // The session remembers the hash checked: a new password ends it.
    let credential = users
        .iter()
        .find(|u| u.name == nom)
        .map(|u| u.password_hash.clone());
    let (name, password) = (nom.clone(), f.mot_de_passe.clone());
    // Two password checks at a time (each takes ~19 MiB and tens of ms).
    let ok = match app.verifying.acquire().await {
        Ok(_permit) => blocking(move || auth::verify(&users, &name, &password))
            .await
            .unwrap_or(false),
        Err(_) => false,
    };
    if !ok {
        tracing::warn!("web console: failed sign-in as {nom:?} from {ip}");
        return (
            StatusCode::UNAUTHORIZED,
            page(pages::login(
                &app.frame(&v),
                Some("Identifiant ou mot de passe incorrect."),
                &nom,
            )),
        )
            .into_response();
    }
    lock(&app.limiter).succeeded(ip, &nom);
    // A new session for the signed-in user (the old token is dropped).
    let token = {
        let mut s = lock(&app.sessions);
        s.remove(&v.token);
        s.create(Some(nom), credential)
    };
    let mut r = Redirect::to("/").into_response();
    if let Ok(h) = HeaderValue::from_str(&session_cookie(&token, v.secure)) {
        r.headers_mut().append(header::SET_COOKIE, h);
    }
    r
}

/// Signing out: the session ends, its cookie is cleared.
pub(crate) async fn logout(State(app): State<Arc<App>>, CsrfChecked(v): CsrfChecked) -> Response {
    lock(&app.sessions).remove(&v.token);
    let mut r = Redirect::to(if app.auth { "/connexion" } else { "/" }).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        r.headers_mut().append(header::SET_COOKIE, h);
    }
    r
}
