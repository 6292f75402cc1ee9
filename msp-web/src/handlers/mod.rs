//! The pages and forms of the console, one file per screen.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use crate::pages;
use crate::respond::{page, plain};
use crate::state::{App, Visitor};

mod csrf;
pub(crate) mod dashboard;
pub(crate) mod dossiers;
pub(crate) mod downloads;
pub(crate) mod login;
pub(crate) mod rejects;
pub(crate) mod status;
pub(crate) mod sync;

/// A form carrying only the session's CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

/// The stylesheet.
pub(crate) async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::CSS,
    )
        .into_response()
}

/// Any other address.
pub(crate) async fn not_found(
    State(app): State<Arc<App>>,
    v: Option<Extension<Visitor>>,
) -> Response {
    match v {
        Some(Extension(v)) => (
            StatusCode::NOT_FOUND,
            page(pages::error(
                &app.frame(&v),
                "Page introuvable",
                "Cette page n'existe pas.",
            )),
        )
            .into_response(),
        None => plain(StatusCode::NOT_FOUND, "Page introuvable."),
    }
}

/// A name read from the database used as a file name: a plain name only.
pub(crate) fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Whether a file (or a symbolic link, which its download then refuses)
/// is at `path`; a link is not followed to tell.
pub(crate) fn present(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() || m.file_type().is_symlink())
}
