//! The envelope of a HubEE bundle: the local ZIP the HubEE transport
//! writes into input (`<externalId>-<flow>-<n>.zip`), holding
//! `hubee-case.json` (the case as received), for a complement
//! `hubee-event.json` (the citizen's deposit as received), and their files
//! under the names [`bundle_entry`] gives. Read into the same
//! [`Message`] as a portal archive, then routed, checked and sorted by the
//! same steps: the import after it is the ordinary one.

use serde::Deserialize;

use crate::backend::{InboundMessage, Party};
use crate::config::Config;
use crate::error::{Error, Reason, Result};
use crate::extract::Extracted;
use crate::naming::ArchiveName;

use super::checks::{check_files, route, sort_documents, Validated};
use super::{AttachmentRef, BusinessEnvelope, DocumentRef, Message};

/// The case as received, in a bundle.
pub const CASE_FILE: &str = "hubee-case.json";
/// The citizen's deposit as received, in a complement's bundle.
pub const EVENT_FILE: &str = "hubee-event.json";

/// A file of a case or an event, as the hub describes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HubFile {
    /// Its id.
    pub id: String,
    /// `RECEIVED`, `PENDING`, `CORRUPTED`, `REJECTED`, `DELETED`.
    pub status: String,
    /// The citizen's file name.
    pub file_name: String,
    /// Its type: a data document's code (`10870-XML`) or a piece's.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its size in bytes.
    pub size: u64,
}

impl HubFile {
    /// Whether it is a data document (its type says so, never its name).
    pub fn is_data(&self) -> bool {
        self.kind.to_ascii_uppercase().ends_with("-XML")
    }
}

/// What msp reads of a case.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HubCase {
    /// The case id.
    pub id: String,
    /// The portal's number.
    pub external_id: String,
    /// Its status.
    pub status: String,
    /// The process code.
    pub process_code: String,
    /// To whom.
    pub recipient: HubRecipient,
    /// Who asks.
    pub applicant: HubApplicant,
    /// Its files.
    pub attachments: Vec<HubFile>,
    /// Its events.
    pub events: Vec<HubEvent>,
    /// When it was created.
    pub creation_date: Option<String>,
}

/// A case's recipient.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HubRecipient {
    /// SIRET.
    pub company_register: Option<String>,
    /// The commune's INSEE code.
    pub branch_code: Option<String>,
}

/// A case's applicant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HubApplicant {
    /// E-mail address (personal data).
    pub email: Option<String>,
}

/// What msp reads of an event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HubEvent {
    /// Its id.
    pub id: String,
    /// `STATUS_UPDATE`, `SENDING_MESSAGE`, `ATTACH_DEPOSIT`.
    pub action_type: String,
    /// `IN_PROGRESS`, `SENT`, `RECEIVED`.
    pub status: String,
    /// The case's new status.
    pub case_new_status: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// What the SI tagged it with.
    pub partner_attributes: Option<String>,
    /// Its files.
    pub attachments: Vec<HubFile>,
}

/// The entry name of a file in a bundle: `c` (case) or `e` (event), its
/// position, and the citizen's name made plain.
pub fn bundle_entry(from: char, index: usize, file_name: &str) -> String {
    let plain: String = file_name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '\0') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let plain = plain.trim_start_matches('.');
    format!(
        "{from}{}-{}",
        index + 1,
        if plain.is_empty() { "fichier" } else { plain }
    )
}

fn bad(file: &str, what: impl std::fmt::Display) -> Error {
    Error::bad_input(Reason::Envelope, format!("{file}: {what}")).with_french(format!(
        "Le dossier transmis par HubEE est illisible ({file}) : {what}."
    ))
}

fn read_json<T: for<'de> Deserialize<'de>>(extracted: &Extracted, file: &str) -> Result<Option<T>> {
    let Some(entry) = extracted.get(file) else {
        return Ok(None);
    };
    let bytes = entry
        .content
        .bytes()
        .map_err(|e| Error::trouble(format!("cannot read the extracted {file}: {e}")))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| bad(file, e))
}

/// Whether the extraction is a HubEE bundle.
pub fn is_bundle(extracted: &Extracted) -> bool {
    extracted.get(CASE_FILE).is_some()
}

/// The envelope checks of a bundle: the case read, its number the name's,
/// routed by its recipient's INSEE code, its files present, the data
/// documents sorted for the plugin.
pub fn validate(config: &Config, name: &ArchiveName, extracted: &Extracted) -> Result<Validated> {
    let case: HubCase =
        read_json(extracted, CASE_FILE)?.ok_or_else(|| bad(CASE_FILE, "missing"))?;
    let event: Option<HubEvent> = read_json(extracted, EVENT_FILE)?;
    if case.external_id != name.numero {
        return Err(Error::bad_input(
            Reason::NameMismatch,
            format!(
                "{CASE_FILE} externalId is {} but the file name says {}",
                case.external_id, name.numero
            ),
        ));
    }
    let received = |f: &&HubFile| f.status == "RECEIVED";
    let entries = |from: char, files: &[HubFile], data: bool| -> Vec<(String, HubFile)> {
        files
            .iter()
            .enumerate()
            .filter(|(_, f)| received(f) && f.is_data() == data)
            .map(|(i, f)| (bundle_entry(from, i, &f.file_name), f.clone()))
            .collect()
    };
    let documents = entries('c', &case.attachments, true)
        .into_iter()
        .map(|(file, f)| DocumentRef {
            code: f.kind,
            name: f.file_name,
            file,
        })
        .collect();
    let pieces = match &event {
        Some(e) => entries('e', &e.attachments, false),
        None => entries('c', &case.attachments, false),
    };
    let attachments = pieces
        .into_iter()
        .map(|(file, f)| AttachmentRef {
            label: f.file_name,
            code: f.kind.to_ascii_uppercase(),
            file,
        })
        .collect();
    let mut message = message_of(&case, event.as_ref(), name, documents, attachments);
    let client = route(config, &message.envelope, name)?;
    check_files(&message.envelope, extracted)?;
    let documents = sort_documents(&mut message.envelope, extracted)?;
    Ok(Validated {
        client,
        message,
        documents,
    })
}

/// The message a bundle stands for: the case's number, routing and
/// applicant, its id (the event's for a complement) as the message id that
/// tells a re-delivery.
fn message_of(
    case: &HubCase,
    event: Option<&HubEvent>,
    name: &ArchiveName,
    documents: Vec<DocumentRef>,
    attachments: Vec<AttachmentRef>,
) -> Message {
    use super::{clip, widths};
    let message_id = format!("hubee:{}", event.map_or(&case.id, |e| &e.id));
    let envelope = BusinessEnvelope {
        numero: case.external_id.clone(),
        date: case.creation_date.clone(),
        platform: Some("HubEE".into()),
        insee: case.recipient.branch_code.clone(),
        attachments,
        documents,
        namespace: None,
    };
    Message {
        message_id: Some(message_id.clone()),
        flow_type: name.flow.clone(),
        envelope,
        recorded: InboundMessage {
            message_id: Some(message_id),
            numero_demarche: Some(clip(&case.process_code, widths::SHORT)),
            recipient: Party {
                siret: case
                    .recipient
                    .company_register
                    .as_deref()
                    .map(|s| clip(s, widths::SHORT)),
                ..Party::default()
            },
            email: case
                .applicant
                .email
                .as_deref()
                .map(|s| clip(s, widths::TEXT)),
            ..InboundMessage::default()
        },
    }
}
