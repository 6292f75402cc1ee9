//! The answers every handler shares: plain text, a page, an error page.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::Markup;
use msp_core::{Error, ErrorKind};

use crate::state::{App, Visitor};
use crate::{pages, safe};

/// A short answer in plain text (refusals before any page).
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// A page; bidirectional controls in what it shows are made visible.
pub(crate) fn page(m: Markup) -> Response {
    Html(safe::neutralise_html(m.into_string())).into_response()
}

/// The page of an error, its status from the error's kind.
pub(crate) fn error_page(app: &App, v: &Visitor, e: &Error) -> Response {
    let (status, title) = match e.kind {
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "Introuvable"),
        ErrorKind::Refused => (StatusCode::CONFLICT, "Refusé"),
        ErrorKind::Config | ErrorKind::Usage => (StatusCode::BAD_REQUEST, "Demande impossible"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "Incident"),
    };
    let text = e.french.clone().unwrap_or_else(|| e.message.clone());
    (status, page(pages::error(&app.frame(v), title, &text))).into_response()
}

/// The page answering a form without this session's CSRF token.
pub(crate) fn csrf_refused(app: &App, v: &Visitor) -> Response {
    (
        StatusCode::FORBIDDEN,
        page(pages::error(
            &app.frame(v),
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne vient pas de cette console : rechargez la page et recommencez.",
        )),
    )
        .into_response()
}
