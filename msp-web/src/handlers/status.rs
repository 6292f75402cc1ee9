//! A dossier's status set or cancelled from its page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use msp_core::status::Action;
use msp_core::{lifecycle, ErrorKind, Result};
use serde::Deserialize;

use super::csrf::CsrfChecked;
use super::dossiers::dossier_view;
use crate::auth::Flash;
use crate::pages;
use crate::respond::{csrf_refused, error_page, page};
use crate::state::{blocking, App, Visitor};

/// The dossier page again, answering a status form that could not be
/// applied: the reason in an alert, the form as the agent filled it (the
/// comment typed is not lost).
pub(crate) async fn dossier_again(
    app: Arc<App>,
    v: Visitor,
    numero: String,
    status: StatusCode,
    why: String,
    draft: pages::Draft,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let signed_in = v.user.is_some();
    let view = blocking(move || dossier_view(&a, &config, &numero, None, signed_in, draft))
        .await
        .and_then(|r| r);
    match view {
        Ok(view) => {
            let mut frame = app.frame(&v);
            frame.flash = Some(Flash {
                ok: false,
                text: why,
            });
            (status, page(pages::dossier(&frame, &view))).into_response()
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    commentaire: String,
}

/// Applies a status change asked for from a dossier's page, and answers
/// it: the page with a message, or the form again with the refusal.
pub(crate) async fn change_status(
    app: Arc<App>,
    v: Visitor,
    numero: String,
    action: Action,
    comment: Option<String>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let n = numero.clone();
    let who = v.user.clone();
    let typed = comment.clone();
    let done = blocking(move || -> Result<String> {
        let (b, _) = a.holder(&config, &n)?;
        let who = format!(
            "web console{}",
            who.map(|u| format!(" ({u})")).unwrap_or_default()
        );
        lifecycle::change_audited(b.as_ref(), &config.folders, &who, &n, action, comment)
    })
    .await
    .and_then(|r| r);
    let back = pages::dossier_href(&numero);
    match done {
        Ok(_) => {
            let text = match action {
                Action::Set(code) => format!(
                    "Nouveau statut enregistré : {}. Il sera transmis au portail à la prochaine synchronisation.",
                    pages::status_text(code)
                ),
                Action::Cancel => "Statut annulé : le statut précédent est rétabli.".to_string(),
            };
            app.flash(&v, true, text);
            Redirect::to(&back).into_response()
        }
        Err(e) if e.kind == ErrorKind::Refused => {
            let why = format!("Changement refusé. {}", e.french.unwrap_or(e.message));
            match action {
                // The form is shown again as it was filled.
                Action::Set(code) => {
                    let draft = pages::Draft {
                        code: Some(code),
                        comment: typed.unwrap_or_default(),
                    };
                    dossier_again(app, v, numero, StatusCode::CONFLICT, why, draft).await
                }
                Action::Cancel => {
                    app.flash(&v, false, why);
                    Redirect::to(&back).into_response()
                }
            }
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

/// Enregistrer le statut.
pub(crate) async fn set_status(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(numero): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let Ok(code) = f.code.trim().parse::<u16>() else {
        // The comment typed stays in the form.
        let draft = pages::Draft {
            code: None,
            comment: f.commentaire,
        };
        let why = "Choisissez un statut.".to_string();
        return dossier_again(app, v, numero, StatusCode::UNPROCESSABLE_ENTITY, why, draft).await;
    };
    let comment = Some(f.commentaire.trim().to_string()).filter(|c| !c.is_empty());
    change_status(app, v, numero, Action::Set(code), comment).await
}

/// Annuler le statut (not yet transmitted).
pub(crate) async fn cancel_status(
    State(app): State<Arc<App>>,
    Path(numero): Path<String>,
    CsrfChecked(v): CsrfChecked,
) -> Response {
    change_status(app, v, numero, Action::Cancel, None).await
}
