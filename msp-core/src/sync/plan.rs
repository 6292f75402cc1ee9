//! The import plan: everything one archive writes, as a value built from
//! the prepared archive and the re-delivery decision.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::backend::{
    Dossier, ImportKind, ImportWrite, NewAttachment, ReceivedArchive, ReturnFlow, StatusEntry,
    StoredAttachment,
};
use crate::config::{AttachmentMode, Config};
use crate::error::{Error, Result};
use crate::naming;

use super::prepare::Ready;
use crate::digest::hex;

/// The status every imported dossier starts at (PROTOCOL §5).
pub(crate) const TRANSMITTED_ON_IMPORT: u16 = 14;

/// What one archive writes, in one savepoint of the batch.
pub(crate) struct ImportPlan {
    pub kind: ImportKind,
    pub dossier: Dossier,
    pub received: ReceivedArchive,
    pub attachments: Vec<NewAttachment>,
    /// Attachment files to write into the attachments folder first
    /// (`directory` mode): (target, index into `attachments`).
    pub files: Vec<(PathBuf, usize)>,
    pub initial_status: Option<StatusEntry>,
    /// The status-14 return flow of a new dossier, written after the commit.
    pub initial_return: Option<ReturnFlow>,
    pub event: String,
}

impl ImportPlan {
    /// The write the backend performs.
    pub fn write<'p>(&'p self, ready: &'p Ready) -> ImportWrite<'p> {
        ImportWrite {
            kind: self.kind,
            dossier: &self.dossier,
            tables: &ready.tables,
            rows: &ready.records.rows,
            attachments: &self.attachments,
            received: &self.received,
            initial_status: self.initial_status.as_ref(),
            initial_return: self.initial_return.as_ref(),
            event: self.event.clone(),
        }
    }
}

/// Builds the plan. `existing` is the dossier for a complement; `known` its
/// attachments already stored (a complement carries the complete file
/// again: only attachments not already stored, by name and content, are
/// added).
pub(crate) fn plan(
    config: &Config,
    ready: &Ready,
    existing: Option<&Dossier>,
    known: &[StoredAttachment],
    at: NaiveDateTime,
) -> Result<ImportPlan> {
    let kind = if existing.is_some() {
        ImportKind::Complement
    } else {
        ImportKind::New
    };
    let (attachments, files) = new_attachments(config, ready, known)?;
    let (initial_status, initial_return, event) = history(ready, existing, at);
    Ok(ImportPlan {
        kind,
        dossier: dossier(ready, existing, at),
        received: received(ready, kind, at),
        attachments,
        files,
        initial_status,
        initial_return,
        event,
    })
}

/// An attachment file to write first: (target, index into the attachments).
type FileToWrite = (PathBuf, usize);

/// The attachments of the archive not already stored, and in `directory`
/// mode the files to write for them: (target, index into the attachments).
fn new_attachments(
    config: &Config,
    ready: &Ready,
    known: &[StoredAttachment],
) -> Result<(Vec<NewAttachment>, Vec<FileToWrite>)> {
    let (numero, file_number) = (&ready.name.numero, ready.name.file_number);
    let client = &config.clients[ready.client];
    let mut attachments = Vec::new();
    let mut files = Vec::new();
    for a in &ready.message.envelope.attachments {
        let entry = ready.extracted.get(&a.file).ok_or_else(|| {
            Error::trouble(format!(
                "attachment {} vanished from the extraction",
                a.file
            ))
        })?;
        let digest = sha256_of(&entry.content)?;
        // Already stored: the same bytes under the same name, or under the
        // name the portal gives it in this archive (`-<FileNumber>`).
        let stem = crate::naming::entry_stem(&a.file, file_number);
        if known.iter().any(|k| {
            k.sha256 == digest
                && (k.file_name == a.file
                    || crate::naming::entry_stem(&k.file_name, k.file_number) == stem)
        }) {
            continue;
        }
        let path = match client.attachments {
            AttachmentMode::Database => None,
            AttachmentMode::Directory => {
                let target = config
                    .folders
                    .attachments
                    .join(numero)
                    .join(format!("{file_number}-{}", a.file));
                files.push((target.clone(), attachments.len()));
                Some(target.display().to_string())
            }
        };
        attachments.push(NewAttachment {
            meta: StoredAttachment {
                seq: 0,
                file_number,
                code: a.code.clone(),
                label: a.label.clone(),
                file_name: a.file.clone(),
                size: entry.size,
                sha256: digest,
                path,
            },
            content: entry.content.clone(),
            mode: client.attachments,
        });
    }
    Ok((attachments, files))
}

/// The dossier's row: a new dossier at status 14, or a complement keeping
/// its dossier's status and history.
fn dossier(ready: &Ready, existing: Option<&Dossier>, at: NaiveDateTime) -> Dossier {
    let name = &ready.name;
    let (numero, flow, file_number) = (&name.numero, &name.flow, name.file_number);
    Dossier {
        numero: numero.clone(),
        flow: flow.clone(),
        insee: ready.message.envelope.insee.clone().unwrap_or_default(),
        file_number,
        status: existing.map_or(TRANSMITTED_ON_IMPORT, |d| d.status),
        indicator: existing.map_or(2, |d| d.indicator),
        summary: ready.records.summary.clone(),
        status_seq: existing.map_or(1, |d| d.status_seq),
        created_at: existing.map_or(at, |d| d.created_at),
        updated_at: at,
    }
}

/// The record of the archive received.
fn received(ready: &Ready, kind: ImportKind, at: NaiveDateTime) -> ReceivedArchive {
    let name = &ready.name;
    let (numero, file_number) = (&name.numero, name.file_number);
    ReceivedArchive {
        name: ready.claim.name.clone(),
        numero: numero.clone(),
        file_number,
        sha256: ready.sha256.clone(),
        outcome: match kind {
            ImportKind::New => "imported".into(),
            ImportKind::Complement => "complement".into(),
        },
        received_at: at,
        message: ready.message.recorded.clone(),
    }
}

/// What a new dossier starts its history with: status 14, its return
/// flow, the event; a complement's event only.
fn history(
    ready: &Ready,
    existing: Option<&Dossier>,
    at: NaiveDateTime,
) -> (Option<StatusEntry>, Option<ReturnFlow>, String) {
    let name = &ready.name;
    let (numero, flow, file_number) = (&name.numero, &name.flow, name.file_number);
    match existing {
        None => (
            Some(StatusEntry {
                seq: 1,
                status: TRANSMITTED_ON_IMPORT,
                indicator: 2,
                comment: None,
                automatic: false,
                superseded: false,
                at,
                transmitted_at: None,
                cancelled: false,
                return_increment: Some(1),
            }),
            Some(ReturnFlow {
                numero: numero.clone(),
                flow: flow.clone(),
                increment: 1,
                status: TRANSMITTED_ON_IMPORT,
                comment: ready
                    .plugin
                    .default_comment(TRANSMITTED_ON_IMPORT)
                    .to_string(),
                file: naming::return_name(numero, flow, 1),
                attachment: None,
                created_at: at,
                written_at: None,
                collected_at: None,
            }),
            format!("fichier {file_number} intégré ({})", ready.claim.name),
        ),
        Some(d) => (
            None,
            None,
            format!(
                "complément : le fichier {file_number} remplace les données du fichier {} ({})",
                d.file_number, ready.claim.name
            ),
        ),
    }
}

fn sha256_of(content: &crate::extract::Content) -> Result<String> {
    let mut h = Sha256::new();
    let mut r = content
        .reader()
        .map_err(|e| Error::trouble(format!("cannot read an extracted attachment: {e}")))?;
    std::io::copy(&mut r, &mut h)
        .map_err(|e| Error::trouble(format!("cannot read an extracted attachment: {e}")))?;
    Ok(hex(&h.finalize()))
}
