//! The pages, in French, as maud templates (every value is escaped by
//! construction). No script: forms and links only.

use maud::{html, Markup, DOCTYPE};
use msp_core::backend::{
    Dossier, Event, ReceivedArchive, ReturnFlow, StatusEntry, StoredAttachment,
};
use msp_core::ops::{RecentRun, Rejected};
use msp_core::status::label_fr;

use crate::auth::Flash;

/// Which menu entry a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Tableau de bord.
    Dashboard,
    /// Dossiers.
    Dossiers,
    /// Rejets.
    Rejects,
    /// None (sign-in, errors).
    None,
}

/// What every page knows about its visitor.
pub struct Frame<'a> {
    /// The signed-in user, if any.
    pub user: Option<&'a str>,
    /// The session's CSRF token (forms carry it).
    pub csrf: &'a str,
    /// A message to show once.
    pub flash: Option<Flash>,
}

/// The hidden CSRF field of a form.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// The page around `body`.
pub fn layout(title: &str, section: Section, frame: &Frame<'_>, body: Markup) -> Markup {
    let item = |s: Section, href: &str, text: &str| {
        html! {
            li { a href=(href) aria-current=[(section == s).then_some("page")] { (text) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — msp" }
                link rel="stylesheet" href="/static/msp.css";
            }
            body {
                a class="skip" href="#contenu" { "Aller au contenu" }
                header {
                    a class="brand" href="/" { "msp — Ma démarche en ligne" }
                    @if section != Section::None || frame.user.is_some() {
                        nav aria-label="Menu principal" {
                            ul {
                                (item(Section::Dashboard, "/", "Tableau de bord"))
                                (item(Section::Dossiers, "/dossiers", "Dossiers"))
                                (item(Section::Rejects, "/rejets", "Rejets"))
                            }
                        }
                    }
                    @if let Some(user) = frame.user {
                        div class="who" {
                            span { "Connecté : " (user) }
                            form class="inline" method="post" action="/deconnexion" {
                                (csrf(frame.csrf))
                                button type="submit" { "Se déconnecter" }
                            }
                        }
                    }
                }
                main id="contenu" tabindex="-1" {
                    @if let Some(f) = &frame.flash {
                        div class=(if f.ok { "flash ok" } else { "flash bad" })
                            role=(if f.ok { "status" } else { "alert" }) { (f.text) }
                    }
                    (body)
                }
            }
        }
    }
}

/// A date and time as people read them.
pub fn when(t: &chrono::NaiveDateTime) -> String {
    t.format("%d/%m/%Y %H:%M").to_string()
}

/// A log time stamp (`2026-11-29 05:00:00`) as people read it.
fn stamp(s: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.format("%d/%m/%Y %H:%M:%S").to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// A duration in words.
pub fn age(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} j", secs / 86_400),
    }
}

/// A status with its French label.
pub fn status_text(status: u16) -> String {
    format!("{status} — {}", label_fr(status))
}

/// The communes the configuration names (a client's `commune`), by INSEE
/// code: the console shows "Belfort (90010)" where it would show a code.
/// Only a code a client lists names it (not a client's `"*"`).
#[derive(Debug, Clone, Default)]
pub struct Towns(std::collections::HashMap<String, String>);

impl Towns {
    /// The names of `config`'s clients (the first client naming a code).
    pub fn of(config: &msp_core::config::Config) -> Towns {
        let mut names = std::collections::HashMap::new();
        for c in &config.clients {
            let Some(name) = c.commune.as_deref().map(str::trim) else {
                continue;
            };
            for code in c.insee.iter().filter(|k| *k != "*") {
                names
                    .entry(code.clone())
                    .or_insert_with(|| name.to_string());
            }
        }
        Towns(names)
    }

    /// "Belfort (90010)", or the code alone when no client names it.
    pub fn show(&self, insee: &str) -> String {
        match self.0.get(insee) {
            Some(name) => format!("{name} ({insee})"),
            None => insee.to_string(),
        }
    }
}

/// Whether a status of the history has reached the portal, in words. The
/// indicator is 0 (not transmitted) or 2 (transmitted, its return archive
/// written); a 1, written by a business application, counts as
/// transmitted, and so does a status whose return flow is recorded.
pub fn transmission(h: &StatusEntry) -> String {
    match (h.indicator, h.return_increment) {
        (2, _) => "transmis au portail".to_string(),
        (0, Some(n)) => format!("en cours d'envoi (retour n° {n})"),
        (0, None) if h.cancelled || h.superseded => "jamais transmis".to_string(),
        (0, None) => "pas encore transmis".to_string(),
        (i, _) => format!("considéré comme transmis (indicateur {i})"),
    }
}

/// What an attachment's code (the portal's `PieceJointe/Code`) means,
/// when it is one the console knows.
pub fn attachment_kind(code: &str) -> Option<&'static str> {
    match code {
        "JI" => Some("justificatif d'identité"),
        "JD" => Some("justificatif de domicile"),
        "recapPDF" => Some("récapitulatif de la demande"),
        "AUTRE" => Some("autre pièce"),
        _ => None,
    }
}

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

/// French agreement: the singular for 0 and 1, the plural from 2.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n > 1 {
        many
    } else {
        one
    }
}

/// The headers of a synchronisation's six counts.
fn count_headers() -> Markup {
    html! {
        @for h in ["Importées", "Compléments", "Doublons", "Rejetées", "Retours écrits", "Reportées"] {
            th scope="col" class="num" { (h) }
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
    let oldest = d.waiting.iter().map(|w| w.1).max();
    let body = html! {
        h1 { "Tableau de bord" }
        form method="post" action="/synchroniser" {
            (csrf(frame.csrf))
            button type="submit" { "Synchroniser maintenant" }
            " "
            span class="muted" { "Intègre les demandes en attente et prépare les retours pour le portail." }
        }
        h2 { "En un coup d'œil" }
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
        @if !d.unreachable.is_empty() {
            h2 { "Bases de données injoignables" }
            ul { @for u in &d.unreachable { li { (u) } } }
        }
        @if !d.troubles.is_empty() {
            h2 { "Incidents de la dernière synchronisation" }
            p { "Les archives concernées restent dans l'entrée et seront reprises à la prochaine synchronisation." }
            ul { @for t in &d.troubles { li { (t) } } }
        }
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
            div class="table-wrap" {
                table {
                    caption class="skip" { "Dernières synchronisations" }
                    thead { tr {
                        th scope="col" { "Début" }
                        th scope="col" { "Fin" }
                        (count_headers())
                        th scope="col" { "Incidents" }
                    } }
                    tbody {
                        @for r in &d.runs {
                            tr {
                                td { (stamp(&r.started)) }
                                td { @match &r.finished { Some(f) => (stamp(f)), None => "en cours ou interrompue" } }
                                @for c in r.counts { td class="num" { (c) } }
                                td { @if r.troubles.is_empty() { "aucun" } @else { (r.troubles.join(" ; ")) } }
                            }
                        }
                    }
                }
            }
        }
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
        p role="status" { (total) " " (plural(total, "dossier", "dossiers")) @if pages > 1 { ", page " (page) " sur " (pages) } }
        @if !shown.is_empty() {
            div class="table-wrap" {
                table {
                    caption class="skip" { "Dossiers" }
                    thead { tr {
                        th scope="col" { "Numéro" }
                        th scope="col" { "Démarche" }
                        th scope="col" { "Commune" }
                        th scope="col" { "Demande" }
                        th scope="col" { "Statut" }
                        th scope="col" { "Transmis" }
                        th scope="col" { "Mis à jour" }
                    } }
                    tbody {
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
                    }
                }
            }
        }
        @if pages > 1 {
            nav class="pager" aria-label="Pages" {
                @if page > 1 { a href=(format!("/dossiers{}", f.query(page - 1))) rel="prev" { "Page précédente" } }
                @if page < pages { a href=(format!("/dossiers{}", f.query(page + 1))) rel="next" { "Page suivante" } }
            }
        }
    };
    layout("Dossiers", Section::Dossiers, frame, body)
}

/// Everything the dossier page shows.
pub struct DossierView {
    /// The dossier.
    pub dossier: Dossier,
    /// Which database holds it.
    pub database: String,
    /// Status history.
    pub history: Vec<StatusEntry>,
    /// Return flows, with whether their archive is still on disk.
    pub returns: Vec<(ReturnFlow, bool)>,
    /// Archives received, with whether each is still in done.
    pub received: Vec<(ReceivedArchive, bool)>,
    /// The file number whose follow-up password is shown (asked for by a
    /// signed-in user); the others are masked.
    pub reveal: Option<u32>,
    /// Whether the visitor is signed in (only then may a password be shown).
    pub signed_in: bool,
    /// Attachments.
    pub attachments: Vec<StoredAttachment>,
    /// Journal.
    pub events: Vec<Event>,
    /// Statuses an agent may set now.
    pub allowed: Vec<u16>,
    /// Whether the current status may be cancelled now.
    pub cancellable: bool,
    /// The commune names of the configuration.
    pub towns: Towns,
    /// The status form as the agent filled it, when the change was refused
    /// (nothing typed is lost).
    pub draft: Draft,
}

/// What the agent typed in the status form.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The status chosen.
    pub code: Option<u16>,
    /// The comment for the citizen.
    pub comment: String,
}

/// Why no status can be set now, when none can.
fn nothing_possible(v: &DossierView) -> String {
    let d = &v.dossier;
    let transmitted = v
        .history
        .iter()
        .find(|h| h.seq == d.status_seq)
        .map_or(d.indicator != 0, StatusEntry::transmitted);
    if v.cancellable {
        format!(
            "le statut {} peut seulement être annulé tant qu'il n'est pas transmis au portail.",
            d.status
        )
    } else if d.status == msp_core::status::CLOSED {
        "le dossier est clos.".to_string()
    } else if transmitted && msp_core::status::AUTO_CLOSE_AFTER.contains(&d.status) {
        "msp clôt le dossier automatiquement (100) à la prochaine synchronisation.".to_string()
    } else if !transmitted {
        format!(
            "le statut {} doit d'abord être transmis au portail (à la prochaine synchronisation).",
            d.status
        )
    } else {
        "aucun changement de statut n'est permis depuis le statut actuel.".to_string()
    }
}

/// What an inbound message said of itself, in French: its identifier, the
/// portal's service that sent it, the citizen's e-mail and the follow-up
/// password (masked; shown on demand to a signed-in user).
fn message(
    m: &msp_core::backend::InboundMessage,
    reveal_href: &str,
    signed_in: bool,
    reveal: bool,
) -> Markup {
    let party = msp_core::backend::Party::describe;
    html! {
        @if m.message_id.is_some() || !m.sender.is_empty() || m.email.is_some() || m.password.is_some() {
            ul class="message" {
                @if let Some(id) = &m.message_id { li { "Identifiant du message : " (id) } }
                @if !m.sender.is_empty() { li { "Envoyé par : " (party(&m.sender)) } }
                @if let Some(e) = &m.email { li { "Courriel du demandeur : " (e) } }
                @if let Some(p) = &m.password { li {
                    "Mot de passe de suivi sur le portail : "
                    @if reveal { code { (p.reveal()) } }
                    @else {
                        (msp_core::backend::MASKED) " "
                        @if signed_in { a href=(reveal_href) { "afficher" } }
                        @else { "(visible une fois connecté : msp user add)" }
                    }
                } }
            }
        }
    }
}

/// One dossier.
pub fn dossier(frame: &Frame<'_>, v: &DossierView) -> Markup {
    let d = &v.dossier;
    let base = dossier_href(&d.numero);
    let body = html! {
        h1 { "Dossier " (d.numero) }
        dl class="summary" {
            dt { "Demande" } dd { (d.summary) }
            dt { "Démarche" } dd { (d.flow) }
            dt { "Commune (code INSEE)" } dd { (v.towns.show(&d.insee)) }
            dt { "Statut actuel" } dd {
                (status_text(d.status)) " — "
                @if d.indicator == 0 { "pas encore transmis au portail" } @else { "transmis au portail" }
            }
            dt { "Dernier fichier reçu" } dd { "n° " (d.file_number) }
            dt { "Créé le" } dd { (when(&d.created_at)) }
            dt { "Mis à jour le" } dd { (when(&d.updated_at)) }
            dt { "Base de données" } dd { (v.database) }
        }
        h2 id="changer" { "Changer le statut" }
        @if v.allowed.is_empty() {
            // Nothing to choose: no list to choose from.
            p id="possibles" { "Possibles maintenant : aucun — " (nothing_possible(v)) }
        } @else {
            form method="post" action=(format!("{base}/statut")) {
                (csrf(frame.csrf))
                div class="field" {
                    label for="code" { "Nouveau statut" }
                    select id="code" name="code" aria-describedby="possibles" required {
                        option value="" { "— choisir —" }
                        optgroup label="Possibles maintenant" {
                            @for s in &v.allowed {
                                option value=(s) selected[v.draft.code == Some(*s)] { (status_text(*s)) }
                            }
                        }
                        // The others stay choosable: the refusal says why
                        // (some become possible after a synchronisation).
                        @let others: Vec<u16> = msp_core::status::STATUSES
                            .iter()
                            .copied()
                            .filter(|s| *s != 14 && !v.allowed.contains(s))
                            .collect();
                        @if !others.is_empty() {
                            optgroup label="Pas possibles maintenant" {
                                @for s in others {
                                    option value=(s) selected[v.draft.code == Some(s)] { (status_text(s)) }
                                }
                            }
                        }
                    }
                    p id="possibles" class="muted" {
                        "Possibles maintenant : "
                        (v.allowed.iter().map(|s| status_text(*s)).collect::<Vec<_>>().join(", "))
                    }
                }
                div class="field" {
                    label for="commentaire" { "Commentaire pour l'usager (facultatif)" }
                    textarea id="commentaire" name="commentaire" maxlength="2000" { (v.draft.comment) }
                }
                p { button type="submit" { "Enregistrer le statut" } }
            }
        }
        @if v.cancellable {
            form method="post" action=(format!("{base}/annuler")) {
                (csrf(frame.csrf))
                button type="submit" class="secondary" { "Annuler le statut " (d.status) " (pas encore transmis)" }
            }
        }
        h2 { "Historique des statuts" }
        div class="table-wrap" { table {
            caption class="skip" { "Historique des statuts" }
            thead { tr {
                th scope="col" { "N°" } th scope="col" { "Statut" } th scope="col" { "Transmission" }
                th scope="col" { "Commentaire" } th scope="col" { "Enregistré le" } th scope="col" { "Transmis le" } th scope="col" { "Remarques" }
            } }
            tbody { @for h in &v.history { tr {
                td { (h.seq) }
                td { (status_text(h.status)) }
                td { (transmission(h)) }
                td { (h.comment.as_deref().unwrap_or("texte par défaut de la démarche")) }
                td { (when(&h.at)) }
                td { @match h.transmitted_at { Some(t) => (when(&t)), None => "—" } }
                td {
                    @if h.automatic { span class="tag" { "automatique" } " " }
                    @if h.cancelled { span class="tag" { "annulé" } }
                    @else if h.superseded { span class="tag" { "remplacé avant envoi" } }
                }
            } } }
        } }
        h2 { "Retours vers le portail" }
        @if v.returns.is_empty() { p { "Aucun retour." } } @else {
            div class="table-wrap" { table {
                caption class="skip" { "Retours vers le portail" }
                thead { tr {
                    th scope="col" { "N°" } th scope="col" { "Statut" } th scope="col" { "Commentaire" }
                    th scope="col" { "Écrit le" } th scope="col" { "Récupéré le" } th scope="col" { "Fichier" }
                } }
                tbody { @for (r, on_disk) in &v.returns { tr {
                    td { (r.increment) }
                    td { (status_text(r.status)) }
                    td { (r.comment) @if let Some(a) = &r.attachment { br; span class="muted" { "Pièce jointe : " (a) } } }
                    td { @match r.written_at { Some(t) => (when(&t)), None => "pas encore écrit" } }
                    td { @match r.collected_at { Some(t) => (when(&t)), None => "—" } }
                    td {
                        @if r.written_at.is_some() {
                            a href=(format!("{base}/retours/{}", r.increment)) download {
                                @if *on_disk { "Télécharger " (r.file) } @else { "Télécharger le message (reconstitué)" }
                            }
                        } @else { (r.file) }
                    }
                } } }
            } }
        }
        h2 { "Pièces jointes" }
        @if v.attachments.is_empty() { p { "Aucune pièce jointe." } } @else {
            ul { @for a in &v.attachments { li {
                a href=(format!("{base}/pieces/{}", a.seq)) download { (a.file_name) }
                " — " (a.label) " ("
                @if let Some(kind) = attachment_kind(&a.code) { (kind) ", " }
                "code " (a.code) ", " (a.size) " octets, fichier n° " (a.file_number) ")"
            } } }
        }
        h2 { "Archives reçues" }
        ul { @for (a, in_done) in &v.received { li {
            "Fichier n° " (a.file_number) " — "
            @if *in_done { a href=(format!("{base}/archives/{}", a.file_number)) download { (a.name) } } @else { (a.name) }
            " — " @if a.outcome == "complement" { "complément reçu le " } @else { "demande reçue le " }
            (when(&a.received_at))
            (message(&a.message, &format!("{base}?mot_de_passe={}", a.file_number), v.signed_in, v.reveal == Some(a.file_number)))
        } } }
        h2 { "Journal" }
        ul { @for e in &v.events { li { (when(&e.at)) " — " (e.text) } } }
        p { a href="/dossiers" { "Retour à la liste des dossiers" } }
    };
    layout(
        &format!("Dossier {}", d.numero),
        Section::Dossiers,
        frame,
        body,
    )
}

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

/// Sign-in page.
pub fn login(frame: &Frame<'_>, error: Option<&str>, name: &str) -> Markup {
    let body = html! {
        h1 { "Connexion" }
        @if let Some(e) = error { p class="flash bad" role="alert" { (e) } }
        form method="post" action="/connexion" {
            (csrf(frame.csrf))
            div class="field" {
                label for="nom" { "Identifiant" }
                input type="text" id="nom" name="nom" value=(name) autocomplete="username" required autofocus[error.is_none()];
            }
            div class="field" {
                label for="mot_de_passe" { "Mot de passe" }
                input type="password" id="mot_de_passe" name="mot_de_passe" autocomplete="current-password" required;
            }
            p { button type="submit" { "Se connecter" } }
        }
    };
    layout("Connexion", Section::None, frame, body)
}

/// An error page.
pub fn error(frame: &Frame<'_>, title: &str, text: &str) -> Markup {
    let body = html! {
        h1 { (title) }
        p { (text) }
        p { a href="/" { "Retour au tableau de bord" } }
    };
    layout(title, Section::None, frame, body)
}

/// The stylesheet, embedded in the binary.
pub const CSS: &str = include_str!("../assets/msp.css");
