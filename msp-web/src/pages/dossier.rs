//! One dossier: its summary, the status form, its history, returns,
//! attachments, archives and journal.

use maud::{html, Markup};
use msp_core::backend::{
    Dossier, Event, ReceivedArchive, ReturnFlow, StatusEntry, StoredAttachment,
};

use super::{
    attachment_kind, csrf, dossier_href, layout, status_text, transmission, when, Frame, Section,
    Towns,
};

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
        (summary(v))
        h2 id="changer" { "Changer le statut" }
        (status_forms(frame, v, &base))
        (history(v))
        (returns(v, &base))
        (files(v, &base))
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

/// The dossier in a few lines.
fn summary(v: &DossierView) -> Markup {
    let d = &v.dossier;
    html! {
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
    }
}

/// The status form (or why no status can be set now), and the form
/// cancelling the current status when it may be.
fn status_forms(frame: &Frame<'_>, v: &DossierView, base: &str) -> Markup {
    let d = &v.dossier;
    html! {
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
    }
}

/// Historique des statuts.
fn history(v: &DossierView) -> Markup {
    html! {
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
    }
}

/// Retours vers le portail, each downloadable once written.
fn returns(v: &DossierView, base: &str) -> Markup {
    html! {
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
    }
}

/// Pièces jointes and Archives reçues, each downloadable.
fn files(v: &DossierView, base: &str) -> Markup {
    html! {
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
    }
}
