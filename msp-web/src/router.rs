//! The console's addresses, each to its handler, behind the middleware.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::handlers::dashboard::dashboard;
use crate::handlers::dossiers::{dossier, dossiers};
use crate::handlers::downloads::{download_archive, download_attachment, download_return};
use crate::handlers::login::{login, login_page, logout};
use crate::handlers::rejects::{rejects, retry_rejected};
use crate::handlers::status::{cancel_status, set_status};
use crate::handlers::sync::{sync_result, synchronise};
use crate::handlers::{css, not_found};
use crate::middleware::{guard, read_body};
use crate::state::App;

/// Every address of the console, behind the guard and the body reader.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/synchroniser", post(synchronise))
        .route("/synchronisation", get(sync_result))
        .route("/dossiers", get(dossiers))
        .route("/dossiers/{numero}", get(dossier))
        .route("/dossiers/{numero}/statut", post(set_status))
        .route("/dossiers/{numero}/annuler", post(cancel_status))
        .route(
            "/dossiers/{numero}/retours/{increment}",
            get(download_return),
        )
        .route("/dossiers/{numero}/pieces/{seq}", get(download_attachment))
        .route(
            "/dossiers/{numero}/archives/{file_number}",
            get(download_archive),
        )
        .route("/rejets", get(rejects))
        .route("/rejets/remettre", post(retry_rejected))
        .route("/connexion", get(login_page).post(login))
        .route("/deconnexion", post(logout))
        .route("/static/msp.css", get(css))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), read_body))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}
