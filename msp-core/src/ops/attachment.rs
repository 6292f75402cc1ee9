//! A dossier's attachment and where its bytes are.

use std::fs;
use std::path::PathBuf;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::folders::Folders;

/// Where an attachment's bytes are.
#[derive(Debug)]
pub enum AttachmentBytes {
    /// A file of the attachments folder (checked to be inside it).
    File(PathBuf),
    /// Read from the database.
    Read(Vec<u8>),
}

/// An attachment of a dossier and where its bytes are, wherever it is
/// stored: in the attachments folder (never a path outside it, whatever
/// the database says) or in the database (not readable back on Oracle and
/// Access). Errors say it in French too.
pub fn attachment(
    backend: &dyn Backend,
    folders: &Folders,
    numero: &str,
    seq: u32,
) -> Result<(crate::backend::StoredAttachment, AttachmentBytes)> {
    let att = backend
        .attachments(numero)?
        .into_iter()
        .find(|a| a.seq == seq)
        .ok_or_else(|| {
            Error::not_found(format!("dossier {numero} has no attachment {seq}"))
                .with_french(format!("Le dossier {numero} n'a pas de pièce n° {seq}."))
        })?;
    let bytes = match &att.path {
        Some(p) => {
            let outside = || {
                Error::not_found(format!(
                    "attachment {seq} of dossier {numero} is not (or no longer) in the attachments folder {}",
                    folders.attachments.display()
                ))
                .with_french(format!(
                    "La pièce n° {seq} du dossier {numero} n'est pas (ou plus) dans le dossier des pièces."
                ))
            };
            let root = fs::canonicalize(&folders.attachments).map_err(|_| outside())?;
            let file = fs::canonicalize(p).map_err(|_| outside())?;
            if !file.starts_with(&root) {
                return Err(outside());
            }
            AttachmentBytes::File(file)
        }
        None => AttachmentBytes::Read(backend.attachment_content(numero, seq)?.ok_or_else(|| {
            Error::not_found(format!(
                "attachment {seq} of dossier {numero} is in the database {}, whose blobs msp cannot read back: read it with the business application",
                backend.describe()
            ))
            .with_french(format!(
                "La pièce n° {seq} du dossier {numero} est dans la base de données, qui ne permet pas de la relire ici ({}) : ouvrez-la depuis l'application métier.",
                backend.describe()
            ))
        })?),
    };
    Ok((att, bytes))
}
