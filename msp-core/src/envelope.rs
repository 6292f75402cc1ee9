//! The envelopes: `message.xml` (PEC message, `Aller` branch) and the
//! business envelope header (`<Numero>-<Flow>-ent-<FileNumber>.xml`, or the
//! seed's `<Numero>-<Flow>-ent.xml`), read by local name whatever the
//! prefixes and namespace URIs, and [`validate`]: every envelope check of
//! PROTOCOL §3 and §3.1, from the archive's bytes alone.

use chrono::{DateTime, NaiveDateTime};
use msp_plugins::fields::is_insee;
use msp_plugins::xml::{self, Element};
use msp_plugins::DataDocument;

use crate::backend::{InboundMessage, Party, Secret};
use crate::config::Config;
use crate::error::{Error, Reason, Result};
use crate::extract::Extracted;
use crate::naming::ArchiveName;

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
    if message.flow_type != name.flow {
        return Err(Error::bad_input(
            Reason::NameMismatch,
            format!(
                "message.xml FlowType is {} but the file name says {}",
                message.flow_type, name.flow
            ),
        ));
    }
    if message.envelope.numero != name.numero {
        return Err(Error::bad_input(
            Reason::NameMismatch,
            format!(
                "message.xml NumeroTeledemarche is {} but the file name says {}",
                message.envelope.numero, name.numero
            ),
        ));
    }
    Ok(())
}

/// The client the envelope's CodeINSEE is routed to, which must handle the
/// flow. The code is checked here, from the archive's bytes: a value the
/// database column would refuse must be the archive's fault, never trouble.
fn route(config: &Config, env: &BusinessEnvelope, name: &ArchiveName) -> Result<usize> {
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
fn check_files(env: &BusinessEnvelope, extracted: &Extracted) -> Result<()> {
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
fn sort_documents(env: &mut BusinessEnvelope, extracted: &Extracted) -> Result<Vec<DataDocument>> {
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
fn safe_entry_name(name: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Content, Entry};
    use msp_plugins::xml::parse;
    use std::sync::Arc;

    fn archive(names: &[(&str, &[u8])]) -> Extracted {
        let mut e = Extracted::default();
        for (n, b) in names {
            e.files.insert(
                n.to_string(),
                Entry {
                    size: b.len() as u64,
                    content: Content::Memory(Arc::new(b.to_vec())),
                },
            );
        }
        e
    }

    fn name(file_number: u32) -> ArchiveName {
        ArchiveName {
            numero: "A-1".into(),
            flow: "RCO-LA".into(),
            file_number,
        }
    }

    #[test]
    fn the_header_file_is_found_under_either_name() {
        let e = archive(&[("A-1-RCO-LA-ent-2.xml", b"<x/>")]);
        assert_eq!(header_file(&name(2), &e).unwrap(), "A-1-RCO-LA-ent-2.xml");
        let e = archive(&[("A-1-RCO-LA-ent.xml", b"<x/>")]);
        assert_eq!(header_file(&name(2), &e).unwrap(), "A-1-RCO-LA-ent.xml");
        let e = archive(&[("A-1-RCO-LA-ent.xml", b""), ("A-1-RCO-LA-ent-2.xml", b"")]);
        let err = header_file(&name(2), &e).unwrap_err();
        assert_eq!(err.reason(), Some(Reason::Envelope));
        assert!(
            err.message
                .contains("two header files, A-1-RCO-LA-ent-2.xml and A-1-RCO-LA-ent.xml"),
            "{err}"
        );
        let e = archive(&[("A-1-RCO-LA-ent-1.xml", b"")]);
        let err = header_file(&name(2), &e).unwrap_err();
        assert!(err.message.contains("A-1-RCO-LA-ent-1.xml is the header file of another FileNumber: this archive is number 2, so A-1-RCO-LA-ent-2.xml (or A-1-RCO-LA-ent.xml) is expected"), "{err}");
        let err = header_file(&name(2), &archive(&[])).unwrap_err();
        assert!(
            err.message
                .contains("A-1-RCO-LA-ent-2.xml (or A-1-RCO-LA-ent.xml) is missing"),
            "{err}"
        );
    }

    #[test]
    fn documents_that_are_not_xml_are_kept_as_files() {
        let pdf = b"%PDF-1.4 ...";
        let e = archive(&[
            ("d.xml", b"\xEF\xBB\xBF<?xml version=\"1.0\"?><R/>"),
            ("recap-1-2.pdf", pdf),
            ("no-extension", b"\r\n  <R2/>"),
        ]);
        let doc = |code: &str, name: &str, file: &str| DocumentRef {
            code: code.into(),
            name: name.into(),
            file: file.into(),
        };
        let mut env = read_message(&parse(MSG.as_bytes()).unwrap().root)
            .unwrap()
            .envelope;
        env.attachments.clear();
        env.documents = vec![
            doc("10870-XML", "d", "d.xml"),
            doc("recapPDF", "", "recap-1-2.pdf"),
            doc("X", "x", "no-extension"),
        ];
        let docs = sort_documents(&mut env, &e).unwrap();
        let roots: Vec<_> = docs.iter().map(|d| d.root.name.as_str()).collect();
        assert_eq!(roots, ["R", "R2"]);
        assert_eq!(
            env.attachments,
            [AttachmentRef {
                label: "recap-1-2.pdf".into(),
                code: "recapPDF".into(),
                file: "recap-1-2.pdf".into()
            }]
        );
        // A name whose last four bytes split a character is no panic.
        let e = archive(&[("€€", pdf)]);
        env.documents = vec![doc("X", "x", "€€")];
        env.attachments.clear();
        assert!(sort_documents(&mut env, &e).unwrap().is_empty());
        assert_eq!(env.attachments.len(), 1);
        // A file named .xml that is not XML is the document's fault.
        let e = archive(&[("d.xml", pdf)]);
        env.documents = vec![doc("10870-XML", "d", "d.xml")];
        let err = sort_documents(&mut env, &e).unwrap_err();
        assert_eq!(err.reason(), Some(Reason::Document));
        assert!(err.message.starts_with("d.xml: "), "{err}");
    }

    #[test]
    fn entry_names_from_envelopes() {
        assert!(safe_entry_name("A-1-RCO-LA-pj-ji-1-0.pdf"));
        assert!(safe_entry_name(
            "A-1-RCO-LA-doc-Liste des pieces jointes-1-2.pdf"
        ));
        for bad in ["../x.pdf", "a/b.pdf", "..", "", "C:x", ".hidden", "a\\b"] {
            assert!(!safe_entry_name(bad), "{bad}");
        }
    }

    const MSG: &str = r#"<?xml version="1.0"?><p:Message xmlns:p="urn:other"><p:Header><p:Routing><p:MessageId>M1</p:MessageId><p:FlowType>RCO-LA</p:FlowType><p:Sender>x</p:Sender></p:Routing></p:Header><p:Body><p:Content><p:Aller><Teledemarche xmlns="urn:v9"><NumeroTeledemarche>A-1</NumeroTeledemarche><Date>2026-11-02T10:50:54.240+01:00</Date></Teledemarche><Routage xmlns="urn:v9"><Donnee><Id>Autre</Id><Valeur>1</Valeur></Donnee><Donnee><Id>CodeINSEE</Id><Valeur>75056</Valeur></Donnee></Routage><PieceJointe><Intitule>a</Intitule><Code>jd</Code><Fichier>a.pdf</Fichier></PieceJointe><Document><Code>10870-XML</Code><Nom>d</Nom><FichierFormulaire><FichierDonnees>d.xml</FichierDonnees></FichierFormulaire></Document></p:Aller></p:Content></p:Body></p:Message>"#;

    #[test]
    fn reads_message_by_local_names() {
        let m = read_message(&parse(MSG.as_bytes()).unwrap().root).unwrap();
        assert_eq!(m.flow_type, "RCO-LA");
        assert_eq!(m.envelope.numero, "A-1");
        assert_eq!(m.envelope.insee.as_deref(), Some("75056"));
        assert_eq!(m.envelope.attachments[0].code, "JD");
        assert_eq!(m.envelope.documents[0].file, "d.xml");
        assert_eq!(m.envelope.namespace.as_deref(), Some("urn:v9"));
        assert!(m.envelope.submitted_at().is_some());
    }

    #[test]
    fn ent_must_agree() {
        let m = read_message(&parse(MSG.as_bytes()).unwrap().root)
            .unwrap()
            .envelope;
        let mut e = m.clone();
        assert!(check_agreement(&m, &e, "x-ent.xml").is_ok());
        e.insee = Some("69123".into());
        let err = check_agreement(&m, &e, "x-ent.xml").unwrap_err();
        assert_eq!(err.reason(), Some(Reason::EntMismatch));
        assert!(err.message.contains("CodeINSEE is 69123"), "{err}");
        let mut e = m.clone();
        e.attachments.clear();
        assert!(check_agreement(&m, &e, "x")
            .unwrap_err()
            .message
            .contains("attachments"));
    }

    #[test]
    fn missing_pieces_are_named() {
        let e = read_message(&parse(b"<Message><Header><Routing><FlowType>RCO-LA</FlowType></Routing></Header><Body><Content/></Body></Message>").unwrap().root).unwrap_err();
        assert!(e.message.contains("Aller"), "{e}");
        let e = read_message(&parse(b"<Message/>").unwrap().root).unwrap_err();
        assert!(e.message.contains("FlowType"), "{e}");
    }
}
