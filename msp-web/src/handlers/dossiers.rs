//! Dossiers: the filtered list and the page of one dossier.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use msp_core::backend::Dossier;
use msp_core::{lifecycle, ops, Config, Result};
use serde::Deserialize;

use super::{plain_name, present};
use crate::pages;
use crate::respond::{error_page, page};
use crate::state::{blocking, App, Visitor};

/// Dossiers: the list, filtered and paged.
pub(crate) async fn dossiers(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Query(f): Query<pages::DossierFilter>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let filter = f.clone();
    let found = blocking(move || {
        let (backends, mut errors) = a.backends(&config);
        let flows: Vec<String> = if filter.flux.is_empty() {
            Vec::new()
        } else {
            vec![filter.flux.clone()]
        };
        let mut all: Vec<Dossier> = Vec::new();
        for b in &backends {
            match b.dossiers(&flows) {
                Ok(d) => all.extend(d),
                Err(e) => errors.push(format!("{} : {e}", b.describe())),
            }
        }
        let status: Option<u16> = filter.statut.parse().ok();
        let q = filter.q.trim().to_lowercase();
        let insee = filter.commune.trim();
        all.retain(|d| {
            status.is_none_or(|s| d.status == s)
                && (insee.is_empty() || d.insee == insee)
                && (filter.non_transmis != "1" || d.indicator == 0)
                && (q.is_empty()
                    || d.numero.to_lowercase().contains(&q)
                    || d.summary.to_lowercase().contains(&q))
        });
        // The latest activity first.
        all.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.numero.cmp(&b.numero))
        });
        (all, errors)
    })
    .await;
    let (all, errors) = match found {
        Ok(x) => x,
        Err(e) => return error_page(&app, &v, &e),
    };
    let pages_count = all.len().div_ceil(pages::PAGE).max(1);
    let page_no = f.page.unwrap_or(1).clamp(1, pages_count);
    let shown: Vec<Dossier> = all
        .iter()
        .skip((page_no - 1) * pages::PAGE)
        .take(pages::PAGE)
        .cloned()
        .collect();
    let codes = app.registry.codes();
    let list = pages::DossierList {
        shown: &shown,
        total: all.len(),
        page: page_no,
        towns: &pages::Towns::of(&v.config),
    };
    page(pages::dossiers(&app.frame(&v), &codes, &f, &list, &errors))
}

/// The dossier page's query: `?mot_de_passe=N` shows the follow-up
/// password of file N to a signed-in user.
#[derive(Deserialize, Default)]
pub(crate) struct DossierQuery {
    #[serde(default)]
    mot_de_passe: Option<u32>,
}

/// One dossier's page (its follow-up password shown when asked for by a
/// signed-in user).
pub(crate) async fn dossier(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(numero): Path<String>,
    Query(q): Query<DossierQuery>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    // A secret: shown on demand to a signed-in user only, and traced.
    let reveal = match (&v.user, q.mot_de_passe) {
        (Some(user), Some(n)) => {
            // In the operators' trail (never the password itself).
            if let Err(e) = ops::trace(
                &v.config.folders,
                &format!(
                    "web console ({user}): dossier {numero}: follow-up password of file {n} shown"
                ),
            ) {
                tracing::warn!("{e}");
            }
            Some(n)
        }
        _ => None,
    };
    let signed_in = v.user.is_some();
    let view = blocking(move || {
        dossier_view(
            &a,
            &config,
            &numero,
            reveal,
            signed_in,
            pages::Draft::default(),
        )
    })
    .await
    .and_then(|r| r);
    match view {
        Ok(view) => page(pages::dossier(&app.frame(&v), &view)),
        Err(e) => error_page(&app, &v, &e),
    }
}

/// What the dossier page shows, read from the dossier's database; `draft`
/// is the status form as the agent filled it.
pub(crate) fn dossier_view(
    a: &App,
    config: &Config,
    numero: &str,
    reveal: Option<u32>,
    signed_in: bool,
    draft: pages::Draft,
) -> Result<pages::DossierView> {
    let (b, d) = a.holder(config, numero)?;
    let history = b.history(numero)?;
    let (allowed, cancellable) = lifecycle::choices(&d, &history);
    let folders = &config.folders;
    let returns = b
        .returns(numero)?
        .into_iter()
        .map(|r| {
            let on_disk = plain_name(&r.file)
                && (present(&folders.output.join(&r.file)) || present(&config.sent.join(&r.file)));
            (r, on_disk)
        })
        .collect();
    let received = b
        .received(numero)?
        .into_iter()
        .map(|r| {
            let in_done = plain_name(&r.name) && present(&folders.done.join(&r.name));
            (r, in_done)
        })
        .collect();
    Ok(pages::DossierView {
        attachments: b.attachments(numero)?,
        events: b.events(numero)?,
        database: b.describe(),
        history,
        returns,
        received,
        reveal,
        signed_in,
        allowed: allowed.into_iter().filter(|s| *s != 14).collect(),
        cancellable,
        towns: pages::Towns::of(config),
        draft,
        dossier: d,
    })
}
