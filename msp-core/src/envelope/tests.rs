use super::checks::{safe_entry_name, sort_documents};
use super::*;
use crate::extract::{Content, Entry, Extracted};
use crate::naming::ArchiveName;
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
