//! Dossiers: the filtered, paged list.

use maud::{html, Markup};
use msp_core::backend::Dossier;

use super::table::{headers, listing};
use super::{layout, plural, status_text, when, Frame, Section, Towns};

/// The filters of the dossier list, as the form sends them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DossierFilter {
    /// Flow code.
    #[serde(default)]
    pub flux: String,
    /// Status code.
    #[serde(default)]
    pub statut: String,
    /// CodeINSEE.
    #[serde(default)]
    pub commune: String,
    /// "1": only dossiers whose current status is not transmitted.
    #[serde(default)]
    pub non_transmis: String,
    /// Number or name.
    #[serde(default)]
    pub q: String,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<usize>,
}

impl DossierFilter {
    /// The query string of this filter at `page`.
    pub fn query(&self, page: usize) -> String {
        let enc = encode;
        format!(
            "?flux={}&statut={}&commune={}&non_transmis={}&q={}&page={page}",
            enc(&self.flux),
            enc(&self.statut),
            enc(&self.commune),
            enc(&self.non_transmis),
            enc(&self.q)
        )
    }
}

/// Percent-encodes text for a URL's path segment or query value.
pub use msp_core::config::percent_encode as encode;

/// The address of a dossier's page.
pub fn dossier_href(numero: &str) -> String {
    format!("/dossiers/{}", encode(numero))
}

/// Dossiers per page.
pub const PAGE: usize = 50;

/// One page of the dossier list.
pub struct DossierList<'a> {
    /// This page's dossiers.
    pub shown: &'a [Dossier],
    /// Dossiers the filter keeps, in all.
    pub total: usize,
    /// This page, from 1 ([`PAGE`] dossiers a page).
    pub page: usize,
    /// The commune names of the configuration.
    pub towns: &'a Towns,
}

/// Dossiers.
pub fn dossiers(
    frame: &Frame<'_>,
    flows: &[&str],
    f: &DossierFilter,
    list: &DossierList<'_>,
    errors: &[String],
) -> Markup {
    let (shown, total, page, towns) = (list.shown, list.total, list.page, list.towns);
    let pages = total.div_ceil(PAGE).max(1);
    let body = html! {
        h1 { "Dossiers" }
        @for e in errors { p class="flash bad" role="alert" { (e) } }
        (filters(flows, f))
        p role="status" { (total) " " (plural(total, "dossier", "dossiers")) @if pages > 1 { ", page " (page) " sur " (pages) } }
        @if !shown.is_empty() { (table(shown, towns)) }
        @if pages > 1 {
            nav class="pager" aria-label="Pages" {
                @if page > 1 { a href=(format!("/dossiers{}", f.query(page - 1))) rel="prev" { "Page précédente" } }
                @if page < pages { a href=(format!("/dossiers{}", f.query(page + 1))) rel="next" { "Page suivante" } }
            }
        }
    };
    layout("Dossiers", Section::Dossiers, frame, body)
}

/// The filter form, as the visitor filled it.
fn filters(flows: &[&str], f: &DossierFilter) -> Markup {
    html! {
        form method="get" action="/dossiers" class="filters" role="search" {
            div class="field" {
                label for="q" { "Numéro ou nom" }
                input type="search" id="q" name="q" value=(f.q);
            }
            div class="field" {
                label for="flux" { "Démarche" }
                select id="flux" name="flux" {
                    option value="" { "Toutes" }
                    @for code in flows { option value=(code) selected[f.flux == *code] { (code) } }
                }
            }
            div class="field" {
                label for="statut" { "Statut" }
                select id="statut" name="statut" {
                    option value="" { "Tous" }
                    @for s in msp_core::status::STATUSES {
                        option value=(s) selected[f.statut == s.to_string()] { (status_text(s)) }
                    }
                }
            }
            div class="field" {
                label for="commune" { "Code INSEE de la commune" }
                input type="text" id="commune" name="commune" value=(f.commune) size="6" inputmode="text" autocomplete="off";
            }
            div class="field check" {
                input type="checkbox" id="non_transmis" name="non_transmis" value="1" checked[f.non_transmis == "1"];
                label for="non_transmis" { "Statut pas encore transmis" }
            }
            div class="field" { button type="submit" { "Filtrer" } }
        }
    }
}

/// This page's dossiers, one row each.
fn table(shown: &[Dossier], towns: &Towns) -> Markup {
    let head = headers(&[
        "Numéro",
        "Démarche",
        "Commune",
        "Demande",
        "Statut",
        "Transmis",
        "Mis à jour",
    ]);
    let rows = html! {
        @for d in shown {
            tr {
                td { a href=(dossier_href(&d.numero)) { (d.numero) } }
                td { (d.flow) }
                td { (towns.show(&d.insee)) }
                td { (d.summary) }
                td { (status_text(d.status)) }
                td { @if d.indicator == 0 { "non" } @else { "oui" } }
                td { (when(&d.updated_at)) }
            }
        }
    };
    listing("Dossiers", head, rows)
}
