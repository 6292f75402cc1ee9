//! The envelope checks of PROTOCOL §3 (steps 2 to 5) and §3.1, from the
//! archive's bytes alone: [`validate`] reads `message.xml` and the header
//! file, checks that they agree with each other and with the archive's
//! name, routes the archive to a client, checks the files they name, and
//! sorts the documents into XML data documents and files kept with the
//! dossier.

use msp_plugins::fields::is_insee;
use msp_plugins::xml;
use msp_plugins::DataDocument;

use crate::config::Config;
use crate::error::{Error, Reason, Result};
use crate::extract::Extracted;
use crate::naming::ArchiveName;

use super::{check_agreement, read_ent, read_message, AttachmentRef, BusinessEnvelope, Message};

/// What [`validate`] gives: the envelope, where it is routed, and the data
/// documents for the plugin.
#[derive(Debug)]
pub struct Validated {
    /// Index of the client the archive is routed to in the configuration.
    pub client: usize,
    /// The envelope. Its `attachments` also hold the documents that are not
    /// XML (the form's PDF, `recapPDF`): they are kept with the dossier like
    /// attachments, never given to the plugin (PROTOCOL §3.1).
    pub message: Message,
    /// The XML data documents, parsed, for the plugin.
    pub documents: Vec<DataDocument>,
}

/// The envelope checks of PROTOCOL §3 (steps 2 to 5) and §3.1: `message.xml`
/// read, its names agreeing with the archive's, routed to a client that
/// handles the flow, the files it names present and plain, the header file
/// found and agreeing, and the documents sorted into XML data documents and
/// files kept with the dossier. Every failure is bad input naming the file.
pub fn validate(config: &Config, name: &ArchiveName, extracted: &Extracted) -> Result<Validated> {
    if super::hubee::is_bundle(extracted) {
        return super::hubee::validate(config, name, extracted);
    }
    let message_doc = read_xml(extracted, "message.xml", Reason::Envelope)?.ok_or_else(|| {
        Error::bad_input(Reason::Envelope, "message.xml is missing from the archive")
    })?;
    let mut message = read_message(&message_doc.root)?;
    drop(message_doc);
    check_names(&message, name)?;
    let client = route(config, &message.envelope, name)?;
    check_files(&message.envelope, extracted)?;
    let header_file = header_file(name, extracted)?;
    let ent_doc = read_xml(extracted, &header_file, Reason::Envelope)?
        .ok_or_else(|| Error::trouble(format!("{header_file} vanished from the extraction")))?;
    let ent = read_ent(&ent_doc.root, &header_file)?;
    check_agreement(&message.envelope, &ent, &header_file)?;
    let documents = sort_documents(&mut message.envelope, extracted)?;
    Ok(Validated {
        client,
        message,
        documents,
    })
}

/// The message's flow and number are the archive name's.
fn check_names(message: &Message, name: &ArchiveName) -> Result<()> {
    said_by_name("FlowType", &message.flow_type, &name.flow)?;
    said_by_name("NumeroTeledemarche", &message.envelope.numero, &name.numero)
}

/// message.xml's `element` holds `value`, what the file name says.
fn said_by_name(element: &str, value: &str, named: &str) -> Result<()> {
    if value == named {
        return Ok(());
    }
    Err(Error::bad_input(
        Reason::NameMismatch,
        format!("message.xml {element} is {value} but the file name says {named}"),
    ))
}

/// The client the envelope's CodeINSEE is routed to, which must handle the
/// flow. The code is checked here, from the archive's bytes: a value the
/// database column would refuse must be the archive's fault, never trouble.
pub(super) fn route(config: &Config, env: &BusinessEnvelope, name: &ArchiveName) -> Result<usize> {
    let insee = env.insee.as_deref().ok_or_else(|| {
        Error::bad_input(
            Reason::Envelope,
            "message.xml has no Routage/Donnee with Id CodeINSEE and a Valeur",
        )
    })?;
    if !is_insee(insee) {
        return Err(Error::bad_input(
            Reason::InvalidInsee,
            format!(
                "CodeINSEE \"{}\" is not an INSEE code (5 characters: digits, or 2A/2B and 3 digits)",
                insee.chars().take(40).collect::<String>()
            ),
        ));
    }
    let client = config
        .clients
        .iter()
        .position(|c| config.client_for(insee).is_some_and(|x| std::ptr::eq(x, c)))
        .ok_or_else(|| {
            Error::bad_input(
                Reason::UnknownInsee,
                format!("CodeINSEE {insee} is not routed to any configured client"),
            )
            .with_french(unrouted_fr(config, insee))
        })?;
    let client_config = &config.clients[client];
    if !client_config.handles(&name.flow) {
        return Err(Error::bad_input(
            Reason::FlowNotHandled,
            format!(
                "CodeINSEE {insee} is routed to client {}, which does not handle flow {}",
                client_config.name, name.flow
            ),
        ));
    }
    Ok(client)
}

/// The clerk's explanation of an archive for a commune no client takes:
/// its INSEE code, and the communes that are configured (the first ten,
/// named as the configuration names them: "Belfort (90010)").
fn unrouted_fr(config: &Config, insee: &str) -> String {
    const SHOWN: usize = 10;
    let configured: Vec<String> = config
        .clients
        .iter()
        .flat_map(|c| {
            c.insee.iter().map(move |code| match &c.commune {
                Some(name) => format!("{} ({code})", name.trim()),
                None => code.clone(),
            })
        })
        .collect();
    let mut list = configured
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if configured.len() > SHOWN {
        list.push_str(&format!(", … ({} en tout)", configured.len()));
    }
    let configured = match configured.len() {
        0 => "aucune commune n'est configurée".to_string(),
        1 => format!("la seule commune configurée est {list}"),
        _ => format!("les communes configurées sont {list}"),
    };
    format!(
        "La demande est adressée à la commune de code INSEE {insee}, qui n'est pas dans la configuration : {configured}."
    )
}

/// The files the envelope names: at least one document, every name plain,
/// every file in the archive.
pub(super) fn check_files(env: &BusinessEnvelope, extracted: &Extracted) -> Result<()> {
    if env.documents.is_empty() {
        return Err(Error::bad_input(
            Reason::Envelope,
            "message.xml names no Document",
        ));
    }
    let named = env
        .attachments
        .iter()
        .map(|a| ("attachment", &a.file))
        .chain(env.documents.iter().map(|d| ("document", &d.file)));
    for (what, file) in named.clone() {
        if !safe_entry_name(file) {
            return Err(Error::bad_input(
                Reason::Attachment,
                format!("{what} name \"{file}\" is not a plain file name"),
            ));
        }
    }
    for (_, file) in named {
        if extracted.get(file).is_none() {
            return Err(Error::bad_input(
                Reason::MissingFile,
                format!("{file} is named in message.xml but is not in the archive"),
            ));
        }
    }
    Ok(())
}

/// The header file's name: `<Numero>-<Flow>-ent-<FileNumber>.xml` as the
/// portal names it, or the seed's `<Numero>-<Flow>-ent.xml`; exactly one of
/// them. A header numbered for another FileNumber is named in the error.
pub fn header_file(name: &ArchiveName, extracted: &Extracted) -> Result<String> {
    let stem = format!("{}-{}-ent", name.numero, name.flow);
    let numbered = format!("{stem}-{}.xml", name.file_number);
    let plain = format!("{stem}.xml");
    match (extracted.get(&numbered), extracted.get(&plain)) {
        (Some(_), None) => Ok(numbered),
        (None, Some(_)) => Ok(plain),
        (Some(_), Some(_)) => Err(Error::bad_input(
            Reason::Envelope,
            format!("the archive holds two header files, {numbered} and {plain}: exactly one is expected"),
        )
        .with_french(format!(
            "L'archive contient deux fichiers d'en-tête, {numbered} et {plain}, alors qu'un seul est attendu."
        ))),
        (None, None) => {
            let other = extracted.files.keys().find(|k| {
                k.strip_prefix(stem.as_str())
                    .and_then(|r| r.strip_prefix('-'))
                    .and_then(|r| r.strip_suffix(".xml"))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
            let (english, french) = match other {
                Some(o) => (
                    format!(
                        "{o} is the header file of another FileNumber: this archive is number {}, so {numbered} (or {plain}) is expected",
                        name.file_number
                    ),
                    format!(
                        "Le fichier d'en-tête {o} porte un autre numéro que l'archive, qui est la n° {} : {numbered} (ou {plain}) est attendu.",
                        name.file_number
                    ),
                ),
                None => (
                    format!("{numbered} (or {plain}) is missing from the archive"),
                    format!("Le fichier d'en-tête {numbered} (ou {plain}) est absent de l'archive."),
                ),
            };
            Err(Error::bad_input(Reason::Envelope, english).with_french(french))
        }
    }
}

/// Parses the XML documents for the plugin; the others (the form's PDF,
/// `recapPDF`) join the envelope's attachments, to be kept with the
/// dossier. A document is XML when its name ends in `.xml`, or when its
/// first bytes (after a byte order mark and white space) are `<`.
pub(super) fn sort_documents(
    env: &mut BusinessEnvelope,
    extracted: &Extracted,
) -> Result<Vec<DataDocument>> {
    let mut documents = Vec::new();
    for d in &env.documents {
        let entry = extracted
            .get(&d.file)
            .ok_or_else(|| Error::trouble(format!("{} vanished from the extraction", d.file)))?;
        if !is_xml(&d.file, entry)? {
            env.attachments.push(AttachmentRef {
                label: if d.name.is_empty() {
                    d.file.clone()
                } else {
                    d.name.clone()
                },
                code: d.code.clone(),
                file: d.file.clone(),
            });
            continue;
        }
        let doc = read_xml(extracted, &d.file, Reason::Document)?
            .ok_or_else(|| Error::trouble(format!("{} vanished from the extraction", d.file)))?;
        documents.push(DataDocument {
            code: d.code.clone(),
            file_name: d.file.clone(),
            root: doc.root,
        });
    }
    Ok(documents)
}

/// Whether a document is XML (see [`sort_documents`]).
fn is_xml(file: &str, entry: &crate::extract::Entry) -> Result<bool> {
    use std::io::Read;
    if file.len() > 4 && file.as_bytes()[file.len() - 4..].eq_ignore_ascii_case(b".xml") {
        return Ok(true);
    }
    let mut head = Vec::with_capacity(256);
    entry
        .content
        .reader()
        .and_then(|r| r.take(256).read_to_end(&mut head))
        .map_err(|e| Error::trouble(format!("cannot read the extracted {file}: {e}")))?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    Ok(head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<'))
}

/// A file name from an envelope that is safe to look up at the archive root.
pub(super) fn safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0', ':'])
        && !name.starts_with('.')
}

/// Parses a root-level XML file of the archive (`None` when absent).
fn read_xml(extracted: &Extracted, label: &str, reason: Reason) -> Result<Option<xml::Document>> {
    let Some(entry) = extracted.get(label) else {
        return Ok(None);
    };
    let bytes = entry
        .content
        .bytes()
        .map_err(|e| Error::trouble(format!("cannot read the extracted {label}: {e}")))?;
    xml::parse(&bytes).map(Some).map_err(|e| {
        let err = Error::bad_input(reason, format!("{label}: {e}"));
        match e.french {
            Some(f) => err.with_french(format!("{label} : {f}")),
            None => err,
        }
    })
}
