//! Rejets: the rejected archives with their logs, and the archives held
//! back by trouble.

use maud::{html, Markup};
use msp_core::ops::Rejected;

use super::{csrf, layout, plural, Frame, Section, PAGE};

/// An archive held back by trouble.
pub struct HeldBack {
    /// The cause.
    pub cause: String,
    /// Archives it held (the first few).
    pub archives: Vec<String>,
    /// How many in all.
    pub count: usize,
}

/// One page of the rejected archives.
pub struct RejectsView {
    /// This page's archives, each with the quote of its log.
    pub shown: Vec<(Rejected, String)>,
    /// Rejected archives in all.
    pub total: usize,
    /// This page, from 1 ([`PAGE`] archives a page).
    pub page: usize,
}

/// Rejets.
pub fn rejects(frame: &Frame<'_>, v: &RejectsView, held: &[HeldBack], waiting: usize) -> Markup {
    let pages = v.total.div_ceil(PAGE).max(1);
    let first = (v.page - 1) * PAGE;
    let body = html! {
        h1 { "Rejets" }
        p { "Une archive rejetée a été jugée invalide : son journal dit pourquoi et que faire. "
            "Une fois la cause corrigée (configuration, ou demande renvoyée corrigée), "
            "« Remettre en entrée » la replace dans le dossier d'entrée : la prochaine synchronisation l'intègre." }
        h2 { "Archives rejetées" }
        @if v.total == 0 { p { "Aucune archive rejetée." } }
        @else {
            p role="status" {
                (v.total) " " (plural(v.total, "archive rejetée", "archives rejetées"))
                @if pages > 1 {
                    ", page " (v.page) " sur " (pages)
                    " (n° " (first + 1) " à " (first + v.shown.len()) ")"
                }
            }
        }
        @for (i, (r, log)) in v.shown.iter().enumerate() {
            section class="card warn" aria-labelledby=(format!("rejet-{}", first + i)) {
                h3 id=(format!("rejet-{}", first + i)) { (r.name) }
                p { "Rejetée le " (r.rejected_at.format("%d/%m/%Y %H:%M")) " — " (r.reason) }
                // The problem in the clerk's words, when the check that
                // found it has them (which commune, which rule...).
                @if let Some(x) = log.lines().find_map(|l| l.strip_prefix("Explication : ")) {
                    p { (x) }
                }
                details {
                    summary { "Journal de l'archive" }
                    pre class="log" { (log) }
                }
                form method="post" action="/rejets/remettre" {
                    (csrf(frame.csrf))
                    input type="hidden" name="nom" value=(r.name);
                    button type="submit" { "Remettre en entrée " span class="skip" { (r.name) } }
                }
            }
        }
        @if pages > 1 {
            nav class="pager" aria-label="Pages des rejets" {
                @if v.page > 1 { a href=(format!("/rejets?page={}", v.page - 1)) rel="prev" { "Page précédente" } }
                @if v.page < pages { a href=(format!("/rejets?page={}", v.page + 1)) rel="next" { "Page suivante" } }
            }
        }
        h2 { "Archives retenues par un incident" }
        p { "Ces archives sont restées dans l'entrée parce que l'environnement a fait défaut "
            "(base de données injoignable, disque plein...). Elles sont reprises à chaque synchronisation ; "
            "une fois l'incident réglé, relancez une synchronisation." }
        @if held.is_empty() {
            p { "Aucune archive retenue lors de la dernière synchronisation." }
        } @else {
            ul { @for h in held { li {
                strong { (h.cause) } " — " (h.count) " archive(s)"
                @if !h.archives.is_empty() { " : " (h.archives.join(", ")) }
            } } }
            form method="post" action="/synchroniser" {
                (csrf(frame.csrf))
                button type="submit" { "Synchroniser maintenant" }
            }
        }
        p class="muted" { (waiting) " archive(s) dans l'entrée en ce moment." }
    };
    layout("Rejets", Section::Rejects, frame, body)
}
