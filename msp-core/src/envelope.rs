//! The envelopes: `message.xml` (PEC message, `Aller` branch) and the
//! business envelope header (`<Numero>-<Flow>-ent-<FileNumber>.xml`, or the
//! seed's `<Numero>-<Flow>-ent.xml`), read by local name whatever the
//! prefixes and namespace URIs (this file), and [`validate`]: every envelope
//! check of PROTOCOL §3 and §3.1, from the archive's bytes alone
//! (`envelope/checks.rs`).

mod checks;
pub mod hubee;
#[cfg(test)]
mod tests;

pub use checks::{header_file, validate, Validated};

use chrono::{DateTime, NaiveDateTime};
use msp_plugins::xml::Element;

use crate::backend::{InboundMessage, Party, Secret};
use crate::error::{Error, Reason, Result};

/// An attachment announced by the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    /// `Intitule` (label, often the citizen's file name).
    pub label: String,
    /// `Code` (JI, JD...), upper-cased.
    pub code: String,
    /// `Fichier`: the entry name in the archive.
    pub file: String,
}

/// A data document announced by the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// `Code` (10870-XML...).
    pub code: String,
    /// `Nom`.
    pub name: String,
    /// `FichierFormulaire/FichierDonnees`: the entry name in the archive.
    pub file: String,
}

/// The business envelope (`Aller` content or `EnteteMetierEnveloppe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessEnvelope {
    /// `Teledemarche/NumeroTeledemarche`.
    pub numero: String,
    /// `Teledemarche/Date`, as written.
    pub date: Option<String>,
    /// `Teledemarche/IdentifiantPlateforme`.
    pub platform: Option<String>,
    /// `Routage/Donnee[Id=CodeINSEE]/Valeur`.
    pub insee: Option<String>,
    /// `PieceJointe` elements.
    pub attachments: Vec<AttachmentRef>,
    /// `Document` elements.
    pub documents: Vec<DocumentRef>,
    /// Namespace URI of the envelope elements, as found (recorded only).
    pub namespace: Option<String>,
}

impl BusinessEnvelope {
    /// The submission date as local date-time (offset dropped), if it parses.
    pub fn submitted_at(&self) -> Option<NaiveDateTime> {
        let d = self.date.as_deref()?;
        DateTime::parse_from_rfc3339(d)
            .map(|d| d.naive_local())
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S%.f").ok())
    }
}

/// The PEC message (`message.xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `Header/Routing/MessageId`.
    pub message_id: Option<String>,
    /// `Header/Routing/FlowType`.
    pub flow_type: String,
    /// The business envelope of `Body/Content/Aller`.
    pub envelope: BusinessEnvelope,
    /// What the message says of itself, recorded with the archive
    /// (`MessageId` included, again, for the record).
    pub recorded: InboundMessage,
}

/// Column widths of the recorded message texts (`msp_archive_recue`,
/// version 4): a longer text is cut at a character boundary, never a
/// reason to refuse an archive nor a database error.
pub mod widths {
    /// `message_id`, `ack_types`, `email`, `password`, the services and guichets.
    pub const TEXT: usize = 255;
    /// `numero_demarche`, `ack_required`, `security_datetime`, the SIRETs.
    pub const SHORT: usize = 64;
}

/// `s` cut to at most `max` bytes at a character boundary.
fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The first `Location` of a party element (`Sender`, `Recipients`), or
/// the element itself when it holds the `Siret` directly.
fn party(el: Option<&Element>) -> Party {
    let Some(el) = el else {
        return Party::default();
    };
    let loc = el
        .child("Location")
        .or_else(|| el.child("Recipient").and_then(|r| r.child("Location")))
        .unwrap_or(el);
    let text = |n: &str, w: usize| loc.text_at(n).map(|t| clip(t, w));
    Party {
        siret: text("Siret", widths::SHORT),
        service: text("Service", widths::TEXT),
        guichet: text("Guichet", widths::TEXT),
    }
}

/// What `message.xml` says of itself (PROTOCOL §3.1), for the record.
fn recorded(root: &Element, aller: &Element) -> InboundMessage {
    use widths::{SHORT, TEXT};
    let at = |el: &Element, path: &str, w: usize| el.text_at(path).map(|t| clip(t, w));
    let routing = root.find("Header/Routing");
    let ack_types: Vec<&str> = routing
        .into_iter()
        .flat_map(|r| r.children_named("AckType"))
        .filter_map(Element::value)
        .collect();
    InboundMessage {
        message_id: at(root, "Header/Routing/MessageId", TEXT),
        numero_demarche: at(aller, "NumeroDemarche", SHORT),
        sender: party(root.find("Header/Routing/Sender")),
        recipient: party(root.find("Header/Routing/Recipients")),
        ack_required: at(root, "Header/Routing/AckRequired", SHORT),
        ack_types: (!ack_types.is_empty()).then(|| clip(&ack_types.join(" "), TEXT)),
        security_datetime: at(root, "Header/Security/DateTime", SHORT),
        email: at(aller, "Teledemarche/Email", TEXT),
        password: aller
            .text_at("Teledemarche/MotDePasse")
            .map(|t| Secret::new(clip(t, TEXT))),
    }
}

fn envelope_error(file: &str, what: impl std::fmt::Display) -> Error {
    Error::bad_input(Reason::Envelope, format!("{file}: {what}"))
}

/// Reads `message.xml`.
pub fn read_message(root: &Element) -> Result<Message> {
    const F: &str = "message.xml";
    if root.name != "Message" {
        return Err(envelope_error(
            F,
            format!("the root element is <{}>, expected <Message>", root.name),
        ));
    }
    let flow_type = root
        .text_at("Header/Routing/FlowType")
        .ok_or_else(|| envelope_error(F, "Header/Routing/FlowType is missing or empty"))?
        .to_string();
    let message_id = root.text_at("Header/Routing/MessageId").map(str::to_string);
    let aller = root.find("Body/Content/Aller").ok_or_else(|| {
        envelope_error(F, "Body/Content/Aller is missing (not an inbound message)")
    })?;
    let envelope = read_business(aller, F, "Body/Content/Aller/")?;
    Ok(Message {
        message_id,
        flow_type,
        envelope,
        recorded: recorded(root, aller),
    })
}

/// Reads the `-ent.xml` header (root `EnteteMetierEnveloppe`).
pub fn read_ent(root: &Element, file: &str) -> Result<BusinessEnvelope> {
    if root.name != "EnteteMetierEnveloppe" {
        return Err(envelope_error(
            file,
            format!(
                "the root element is <{}>, expected <EnteteMetierEnveloppe>",
                root.name
            ),
        ));
    }
    read_business(root, file, "")
}

fn read_business(el: &Element, file: &str, at: &str) -> Result<BusinessEnvelope> {
    let numero = el
        .text_at("Teledemarche/NumeroTeledemarche")
        .ok_or_else(|| {
            envelope_error(
                file,
                format!("{at}Teledemarche/NumeroTeledemarche is missing or empty"),
            )
        })?
        .to_string();
    let insee = el
        .child("Routage")
        .into_iter()
        .flat_map(|r| r.children_named("Donnee"))
        .find(|d| d.text_at("Id") == Some("CodeINSEE"))
        .and_then(|d| d.text_at("Valeur"))
        .map(str::to_string);
    let mut attachments = Vec::new();
    for (i, pj) in el.children_named("PieceJointe").enumerate() {
        let file_name = pj.text_at("Fichier").ok_or_else(|| {
            envelope_error(file, format!("{at}PieceJointe #{} has no Fichier", i + 1))
        })?;
        attachments.push(AttachmentRef {
            label: pj.text_at("Intitule").unwrap_or_default().to_string(),
            code: pj.text_at("Code").unwrap_or_default().to_ascii_uppercase(),
            file: file_name.to_string(),
        });
    }
    let mut documents = Vec::new();
    for (i, doc) in el.children_named("Document").enumerate() {
        let data = doc
            .text_at("FichierFormulaire/FichierDonnees")
            .ok_or_else(|| {
                envelope_error(
                    file,
                    format!(
                        "{at}Document #{} has no FichierFormulaire/FichierDonnees",
                        i + 1
                    ),
                )
            })?;
        documents.push(DocumentRef {
            code: doc.text_at("Code").unwrap_or_default().to_string(),
            name: doc.text_at("Nom").unwrap_or_default().to_string(),
            file: data.to_string(),
        });
    }
    Ok(BusinessEnvelope {
        numero,
        date: el.text_at("Teledemarche/Date").map(str::to_string),
        platform: el
            .text_at("Teledemarche/IdentifiantPlateforme")
            .map(str::to_string),
        insee,
        attachments,
        documents,
        namespace: el
            .child("Teledemarche")
            .and_then(|t| t.namespace.as_deref().map(str::to_string)),
    })
}

/// Checks that the `-ent.xml` agrees with `message.xml` (PROTOCOL §3.5).
pub fn check_agreement(
    msg: &BusinessEnvelope,
    ent: &BusinessEnvelope,
    ent_file: &str,
) -> Result<()> {
    let mismatch = |what: String| {
        Error::bad_input(
            Reason::EntMismatch,
            format!("{ent_file} disagrees with message.xml: {what}"),
        )
    };
    if msg.numero != ent.numero {
        return Err(mismatch(format!(
            "NumeroTeledemarche is {} there but {} in message.xml",
            ent.numero, msg.numero
        )));
    }
    if msg.insee != ent.insee {
        return Err(mismatch(format!(
            "CodeINSEE is {} there but {} in message.xml",
            ent.insee.as_deref().unwrap_or("absent"),
            msg.insee.as_deref().unwrap_or("absent")
        )));
    }
    let files = |v: &[DocumentRef]| {
        let mut f: Vec<String> = v
            .iter()
            .map(|d| format!("{} ({})", d.file, d.code))
            .collect();
        f.sort();
        f
    };
    if files(&msg.documents) != files(&ent.documents) {
        return Err(mismatch(format!(
            "documents are [{}] there but [{}] in message.xml",
            files(&ent.documents).join(", "),
            files(&msg.documents).join(", ")
        )));
    }
    let pjs = |v: &[AttachmentRef]| {
        let mut f: Vec<String> = v.iter().map(|a| a.file.clone()).collect();
        f.sort();
        f
    };
    if pjs(&msg.attachments) != pjs(&ent.attachments) {
        return Err(mismatch(format!(
            "attachments are [{}] there but [{}] in message.xml",
            pjs(&ent.attachments).join(", "),
            pjs(&msg.attachments).join(", ")
        )));
    }
    Ok(())
}
