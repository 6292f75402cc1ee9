//! The result of a synchronisation started from the console.

use maud::{html, Markup};

use super::{layout, when, Frame, Section};

/// The headers of a synchronisation's six counts.
pub(super) fn count_headers() -> Markup {
    html! {
        @for h in ["Importées", "Compléments", "Doublons", "Rejetées", "Retours écrits", "Reportées"] {
            th scope="col" class="num" { (h) }
        }
    }
}

/// What a synchronisation started from the console did.
pub struct SyncOutcome {
    /// When it finished.
    pub at: chrono::NaiveDateTime,
    /// Exit code as `msp run` would give it.
    pub exit_code: i32,
    /// Per flow: code and counts (imported, complements, duplicates,
    /// rejected, returns, left for retry).
    pub flows: Vec<(String, [u32; 6])>,
    /// Rejected archives and why.
    pub rejected: Vec<(String, String)>,
    /// Trouble, one line per cause.
    pub troubles: Vec<String>,
    /// Status changes refused.
    pub refused: Vec<String>,
    /// The synchronisation could not run at all.
    pub failed: Option<String>,
    /// Its log file name.
    pub log: String,
}

/// The result of "Synchroniser maintenant".
pub fn sync_result(frame: &Frame<'_>, o: Option<&SyncOutcome>) -> Markup {
    let body = html! {
        h1 { "Résultat de la synchronisation" }
        @match o {
            None => p { "Aucune synchronisation n'a été lancée depuis la console." },
            Some(o) => {
                p { "Terminée le " (when(&o.at)) ". "
                    @match (o.failed.is_some(), o.exit_code) {
                        (true, _) => strong { "La synchronisation n'a pas pu avoir lieu." },
                        (false, 0) => strong { "Tout s'est bien passé." },
                        (false, 1) => strong { (match (o.rejected.is_empty(), o.refused.is_empty()) {
                            (false, true) => "Des archives ont été rejetées.",
                            (true, false) => "Des changements de statut ont été refusés.",
                            _ => "Des archives ont été rejetées et des changements de statut refusés.",
                        }) },
                        _ => strong { "Des incidents ont empêché de tout traiter : les archives concernées seront reprises." },
                    }
                }
                @if let Some(f) = &o.failed { p class="flash bad" role="alert" { (f) } }
                div class="table-wrap" {
                    table {
                        caption { "Par démarche" }
                        thead { tr {
                            th scope="col" { "Démarche" }
                            (count_headers())
                        } }
                        tbody {
                            @for (flow, c) in &o.flows {
                                tr { th scope="row" { (flow) } @for v in c { td class="num" { (v) } } }
                            }
                        }
                    }
                }
                @if !o.rejected.is_empty() {
                    h2 { "Archives rejetées" }
                    ul { @for (a, m) in &o.rejected { li { strong { (a) } " : " (m) } } }
                    p { a href="/rejets" { "Voir les rejets et leurs journaux" } }
                }
                @if !o.refused.is_empty() {
                    h2 { "Changements de statut refusés" }
                    ul { @for r in &o.refused { li { (r) } } }
                }
                @if !o.troubles.is_empty() {
                    h2 { "Incidents" }
                    ul { @for t in &o.troubles { li { (t) } } }
                }
                @if !o.log.is_empty() { p class="muted" { "Journal : " (o.log) } }
            }
        }
        p { a href="/" { "Retour au tableau de bord" } }
    };
    layout("Synchronisation", Section::Dashboard, frame, body)
}
