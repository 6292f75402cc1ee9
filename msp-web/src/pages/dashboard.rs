//! Tableau de bord: the figures at a glance and the latest synchronisations.

use maud::{html, Markup};
use msp_core::ops::RecentRun;

use super::sync::count_headers;
use super::table::{headers, listing};
use super::words::stamp;
use super::{age, csrf, layout, plural, Frame, Section};

/// The figures of the dashboard.
pub struct Dashboard {
    /// Recent synchronisations that did something, newest first.
    pub runs: Vec<RecentRun>,
    /// Synchronisations with nothing to do since the latest of `runs`, and
    /// when the latest of them finished.
    pub empty_runs: (usize, Option<String>),
    /// Archives waiting in input: (name, age in seconds).
    pub waiting: Vec<(String, u64)>,
    /// Files in input msp does not recognise: (name, reason in French).
    pub unrecognised: Vec<(String, String)>,
    /// Rejected archives.
    pub rejected: usize,
    /// Why the error folder could not be listed (a symbolic link in it...).
    pub rejected_trouble: Option<String>,
    /// Statuses not yet transmitted: (all, late).
    pub untransmitted: (usize, usize),
    /// Return archives written and not collected by the portal: (all, late).
    pub uncollected: (usize, usize),
    /// Hours after which each is late (`[status]` thresholds).
    pub late_hours: (u64, u64),
    /// Databases that did not answer.
    pub unreachable: Vec<String>,
    /// Trouble of the last synchronisation.
    pub troubles: Vec<String>,
}

fn card(level: &str, figure: String, text: &str, link: Option<(&str, &str)>) -> Markup {
    html! {
        li class=(format!("card {level}")) {
            span class="figure" { (figure) }
            (text)
            @if let Some((href, label)) = link {
                br; a href=(href) { (label) }
            }
        }
    }
}

fn late_text(what: &str, late: usize, hours: u64) -> String {
    if late == 0 {
        what.to_string()
    } else {
        format!("{what}, dont {late} depuis plus de {hours} h")
    }
}

/// Tableau de bord.
pub fn dashboard(frame: &Frame<'_>, d: &Dashboard) -> Markup {
    let body = html! {
        h1 { "Tableau de bord" }
        form method="post" action="/synchroniser" {
            (csrf(frame.csrf))
            button type="submit" { "Synchroniser maintenant" }
            " "
            span class="muted" { "Intègre les demandes en attente et prépare les retours pour le portail." }
        }
        h2 { "En un coup d'œil" }
        (cards(d))
        @if !d.unreachable.is_empty() {
            h2 { "Bases de données injoignables" }
            ul { @for u in &d.unreachable { li { (u) } } }
        }
        @if !d.troubles.is_empty() {
            h2 { "Incidents de la dernière synchronisation" }
            p { "Les archives concernées restent dans l'entrée et seront reprises à la prochaine synchronisation." }
            ul { @for t in &d.troubles { li { (t) } } }
        }
        (runs(d))
        @if !d.waiting.is_empty() {
            h2 { "Archives en attente dans l'entrée" }
            ul { @for (name, secs) in d.waiting.iter().take(50) { li { (name) " — depuis " (age(*secs)) } } }
        }
        @if !d.unrecognised.is_empty() {
            h2 class="warn" { "Fichiers non reconnus dans l'entrée (laissés tels quels)" }
            ul { @for (name, why) in d.unrecognised.iter().take(50) { li { (name) " — " (why) } } }
        }
    };
    layout("Tableau de bord", Section::Dashboard, frame, body)
}

/// En un coup d'œil: one card per figure.
fn cards(d: &Dashboard) -> Markup {
    let oldest = d.waiting.iter().map(|w| w.1).max();
    html! {
        ul class="cards" {
            (card(if d.waiting.is_empty() { "" } else { "warn" },
                d.waiting.len().to_string(),
                &match oldest {
                    Some(s) if d.waiting.len() > 1 => format!("archives en attente dans l'entrée (la plus ancienne depuis {})", age(s)),
                    Some(s) => format!("archive en attente dans l'entrée (depuis {})", age(s)),
                    None => "archive en attente dans l'entrée".to_string(),
                },
                None))
            @match &d.rejected_trouble {
                Some(t) => (card("bad", "?".to_string(), t, Some(("/rejets", "Voir les rejets")))),
                None => (card(if d.rejected == 0 { "" } else { "warn" }, d.rejected.to_string(),
                    plural(d.rejected, "archive rejetée à traiter", "archives rejetées à traiter"),
                    Some(("/rejets", "Voir les rejets")))),
            }
            (card(if d.untransmitted.1 == 0 { "" } else { "warn" }, d.untransmitted.0.to_string(),
                &late_text(plural(d.untransmitted.0, "statut pas encore transmis au portail", "statuts pas encore transmis au portail"), d.untransmitted.1, d.late_hours.0),
                Some(("/dossiers?non_transmis=1", "Voir les dossiers"))))
            (card(if d.uncollected.1 == 0 { "" } else { "warn" }, d.uncollected.0.to_string(),
                &late_text(plural(d.uncollected.0, "retour pas encore récupéré par le portail", "retours pas encore récupérés par le portail"), d.uncollected.1, d.late_hours.1), None))
            @if !d.unreachable.is_empty() {
                (card("bad", d.unreachable.len().to_string(), "base(s) de données injoignable(s)", None))
            }
        }
    }
}

/// Dernières synchronisations: those that did something, and how many had
/// nothing to do.
fn runs(d: &Dashboard) -> Markup {
    html! {
        h2 { "Dernières synchronisations" }
        @if d.empty_runs.0 > 0 {
            p {
                (d.empty_runs.0)
                @if d.runs.is_empty() { " synchronisation(s), aucune n'avait rien à traiter" }
                @else { " synchronisation(s) sans rien à traiter depuis la dernière de la liste" }
                @if let Some(last) = &d.empty_runs.1 { " (la plus récente le " (stamp(last)) ")" }
                "."
            }
        }
        @if d.runs.is_empty() {
            @if d.empty_runs.0 == 0 { p { "Aucune synchronisation n'a encore eu lieu." } }
        } @else {
            (runs_table(&d.runs))
        }
    }
}

/// The synchronisations that did something, one row each.
fn runs_table(runs: &[RecentRun]) -> Markup {
    let head = html! { (headers(&["Début", "Fin"])) (count_headers()) (headers(&["Incidents"])) };
    let rows = html! {
        @for r in runs {
            tr {
                td { (stamp(&r.started)) }
                td { @match &r.finished { Some(f) => (stamp(f)), None => "en cours ou interrompue" } }
                @for c in r.counts { td class="num" { (c) } }
                td { @if r.troubles.is_empty() { "aucun" } @else { (r.troubles.join(" ; ")) } }
            }
        }
    };
    listing("Dernières synchronisations", head, rows)
}
