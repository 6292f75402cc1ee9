//! Rejets: the rejected archives, and putting one back into input.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use msp_core::{ops, Error, ErrorKind, Result};
use serde::Deserialize;

use super::dashboard::{held_back, input};
use super::plain_name;
use crate::pages;
use crate::respond::{csrf_refused, error_page, page};
use crate::safe;
use crate::state::{blocking, App, Visitor};

/// A page of a list: `?page=N`, from 1.
#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    page: Option<usize>,
}

/// The trouble of a rejected archive, or of its log, being a symbolic
/// link in the error folder (neither is followed), in French.
pub(crate) fn linked_rejection(folders: &msp_core::folders::Folders, name: &str) -> Option<Error> {
    [name.to_string(), format!("{name}.log")]
        .iter()
        .map(|n| folders.error.join(n))
        .find(|p| safe::is_link(p))
        .map(|p| safe::link_refused(&p))
}

/// What the console shows of a rejected archive's log: the beginning of
/// its lines ([`safe::quote_log`]), never through a symbolic link.
pub(crate) fn rejection_quote(folders: &msp_core::folders::Folders, name: &str) -> String {
    if let Some(e) = linked_rejection(folders, name) {
        return format!("({})", e.french.unwrap_or(e.message));
    }
    match safe::quote_log(&folders.error.join(format!("{name}.log"))) {
        Ok(log) => log,
        Err(e) if e.kind == ErrorKind::NotFound => "(pas de journal)".to_string(),
        Err(e) => format!("(journal illisible : {})", e.french.unwrap_or(e.message)),
    }
}

/// Rejets: a page of the rejected archives, the archives held back.
pub(crate) async fn rejects(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Query(q): Query<PageQuery>,
) -> Response {
    let config = v.config.clone();
    let a = app.clone();
    let found = blocking(move || -> Result<_> {
        let list = ops::rejected(&config.folders)?;
        let total = list.len();
        let page_no = q
            .page
            .unwrap_or(1)
            .clamp(1, total.div_ceil(pages::PAGE).max(1));
        // Only this page's logs are read, each quoted in part.
        let shown = list
            .into_iter()
            .skip((page_no - 1) * pages::PAGE)
            .take(pages::PAGE)
            .map(|mut r| {
                r.reason = match linked_rejection(&config.folders, &r.name) {
                    Some(e) => e.french.unwrap_or(e.message),
                    None => safe::quote(&r.reason),
                };
                let log = rejection_quote(&config.folders, &r.name);
                (r, log)
            })
            .collect::<Vec<_>>();
        Ok((
            pages::RejectsView {
                shown,
                total,
                page: page_no,
            },
            held_back(&config),
            input(&config, &a.registry).0.len(),
        ))
    })
    .await
    .and_then(|r| r);
    match found {
        Ok((rejected, held, waiting)) => {
            page(pages::rejects(&app.frame(&v), &rejected, &held, waiting))
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct RetryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nom: String,
}

/// Remettre en entrée: a rejected archive put back into input.
pub(crate) async fn retry_rejected(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Form(f): Form<RetryForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let config = v.config.clone();
    let name = f.nom.clone();
    let who = v.user.clone();
    // ops::retry takes only a plain name present in the error folder; a
    // symbolic link there is not put back.
    let done = blocking(move || -> Result<String> {
        if plain_name(&name) {
            if let Some(e) = linked_rejection(&config.folders, &name) {
                return Err(e);
            }
        }
        let dest = ops::retry(&config.folders, &name)?;
        ops::trace(
            &config.folders,
            &format!(
                "web console{}: {name} put back into input",
                who.map(|u| format!(" ({u})")).unwrap_or_default()
            ),
        )?;
        Ok(dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default())
    })
    .await
    .and_then(|r| r);
    match done {
        Ok(dest) => app.flash(
            &v,
            true,
            format!(
                "{} a été remise en entrée{} : la prochaine synchronisation l'intègre.",
                f.nom,
                if dest == f.nom {
                    String::new()
                } else {
                    format!(" sous le nom {dest}")
                }
            ),
        ),
        Err(e) => app.flash(
            &v,
            false,
            format!(
                "{} n'a pas pu être remise en entrée. {}",
                f.nom,
                e.french.unwrap_or(e.message)
            ),
        ),
    }
    Redirect::to("/rejets").into_response()
}
