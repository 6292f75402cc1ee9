//! The envelopes: `message.xml` (PEC message, `Aller` branch) and
//! `<Numero>-<Flow>-ent.xml` (business envelope header), read by local
//! name whatever the prefixes and namespace URIs.

use chrono::{DateTime, NaiveDateTime};
use msp_plugins::xml::Element;

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

#[cfg(test)]
mod tests {
    use super::*;
    use msp_plugins::xml::parse;

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
