//! msp plugin for RCO-LA, the recensement citoyen obligatoire (census of
//! 16-year-olds), business application Avenir.
//!
//! Same file set as every plugin crate: `document.rs` reads the data
//! document into typed values, `rules.rs` enforces the démarche's rules,
//! `tables.rs` declares the business tables and maps the values to rows,
//! and this file declares the plugin with [`msp_plugins::demarche!`]
//! (its type, registration and `FlowPlugin` impl).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attestation;
pub mod document;
pub mod rules;
pub mod tables;

use msp_plugins::{
    DataDocument, DossierData, ParseContext, PluginError, Records, ReturnAttachment,
};

/// The flow code.
pub const FLOW: &str = "RCO-LA";
/// The data document code.
pub const DOCUMENT_CODE: &str = "10870-XML";

msp_plugins::demarche! {
    /// The RCO-LA plugin.
    pub struct Avenir;
    flow: FLOW,
    application: "Avenir",
    description: "recensement citoyen obligatoire (census of 16-year-olds)",
    sample: ("10870-XML", include_str!("../tests/data/10870-XML.xml")),
    tables: tables::tables,
    parse: parse,
    comments: comment,
    attachments: (attachment_name, return_attachment),
}

/// Reads and checks the data document into rows.
fn parse(_ctx: &ParseContext, documents: &[DataDocument]) -> Result<Records, PluginError> {
    let census = msp_plugins::plugin::read_document(
        documents,
        "RecensementCitoyen",
        document::read,
        rules::check,
    )?;
    let p = &census.person;
    // Sexe is required (1 male, 2 female): "né le", "née le".
    let born = match p.sex {
        Some(1) => "né",
        Some(2) => "née",
        _ => "né(e)",
    };
    let summary = format!(
        "{} {}, {born} le {}{}",
        p.family_name.as_deref().unwrap_or_default(),
        p.first_name.as_deref().unwrap_or_default(),
        p.birth_date
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        p.birthplace
            .commune
            .as_deref()
            .map(|c| format!(" à {c}"))
            .unwrap_or_default()
    );
    Ok(Records {
        rows: tables::rows(&census),
        summary,
    })
}

/// The French comment sent with a status when the agent gave none.
fn comment(status: u16) -> &'static str {
    match status {
        15 => "Votre demande de recensement n'est pas recevable. Veuillez prendre contact avec votre mairie.",
        16 => "Votre demande de recensement est en cours de traitement par la mairie.",
        17 => "Des informations complémentaires sont nécessaires pour traiter votre recensement. Votre mairie va vous contacter.",
        19 => "Votre recensement est enregistré. Votre attestation de recensement est jointe.",
        20 => "Votre demande de recensement a été refusée. Veuillez prendre contact avec votre mairie.",
        100 => "Votre dossier de recensement est clos.",
        s => msp_plugins::default_comment(s),
    }
}

/// The attestation's file name, for a status-19 return.
fn attachment_name(numero: &str, status: u16) -> Option<String> {
    (status == 19).then(|| attestation::file_name(numero))
}

/// The attestation de recensement carried by the status-19 return.
fn return_attachment(dossier: &DossierData) -> Result<Option<ReturnAttachment>, PluginError> {
    if dossier.status != 19 {
        return Ok(None);
    }
    Ok(Some(ReturnAttachment {
        label: "Attestation de recensement".into(),
        file: attestation::file_name(&dossier.numero),
        bytes: attestation::pdf(dossier)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_plugins::FlowPlugin;
    use msp_plugins::{xml, Value};

    const PUBLISHED: &str = include_str!("../tests/data/10870-XML.xml");

    fn ctx() -> ParseContext {
        ParseContext {
            numero: "A-1".into(),
            file_number: 1,
            insee: "06088".into(),
            submitted_at: None,
        }
    }

    fn parse(text: &str) -> Result<Records, PluginError> {
        let root = xml::parse(text.as_bytes()).unwrap().root;
        Avenir.parse(
            &ctx(),
            &[DataDocument {
                code: DOCUMENT_CODE.into(),
                file_name: "doc.xml".into(),
                root,
            }],
        )
    }

    #[test]
    fn the_published_sample_imports() {
        let r = parse(PUBLISHED).unwrap();
        assert_eq!(r.summary, "BUREAU ALAIN, né le 04/04/2003 à NICE");
        // Every row fits its declared table (the plugin test kit).
        msp_plugins::kit::check_sample(&Avenir);
        let person = r
            .rows
            .iter()
            .find(|r| r.get("role") == Some(&Value::from("RECENSE")))
            .unwrap();
        assert_eq!(person.get("sexe"), Some(&Value::Integer(1)));
        assert_eq!(
            person.get("lieu_naissance_autre"),
            Some(&Value::from("06000"))
        );
        // parents left blank: no rows; residence left blank: no row
        assert_eq!(
            r.rows
                .iter()
                .filter(|r| r.table == tables::PERSONNE)
                .count(),
            1
        );
        assert_eq!(
            r.rows.iter().filter(|r| r.table == tables::ADRESSE).count(),
            1
        );
        assert_eq!(
            r.rows.iter().filter(|r| r.table == tables::CONTACT).count(),
            2
        );
    }

    #[test]
    fn the_summary_agrees_with_the_sex() {
        let female = PUBLISHED
            .replacen("<Sexe>1</Sexe>", "<Sexe>2</Sexe>", 1)
            .replacen(
                "<PrenomUsuel>ALAIN</PrenomUsuel>",
                "<PrenomUsuel>ALINE</PrenomUsuel>",
                1,
            );
        assert_eq!(
            parse(&female).unwrap().summary,
            "BUREAU ALINE, née le 04/04/2003 à NICE"
        );
        assert!(!parse(PUBLISHED).unwrap().summary.contains("(e)"));
    }

    #[test]
    fn each_rule_is_named() {
        let cases = [
            (
                "<Sexe>1</Sexe>",
                "<Sexe>3</Sexe>",
                "Personne/Sexe is \"3\" but must be 1 (male) or 2 (female)",
            ),
            (
                "<Sexe>1</Sexe>",
                "<Sexe></Sexe>",
                "Personne/Sexe is empty but is required",
            ),
            (
                "<NomFamille>BUREAU</NomFamille>",
                "<NomFamille> </NomFamille>",
                "Personne/NomFamille is empty",
            ),
            (
                "<PrenomUsuel>ALAIN</PrenomUsuel>",
                "<PrenomUsuel/>",
                "Personne/PrenomUsuel is empty",
            ),
            (
                "04/04/2003",
                "2003-04-04",
                "not a date in the dd/mm/yyyy form",
            ),
            (
                "04/04/2003",
                "04/04/2010",
                "must be at least 16 and under 26",
            ),
            ("04/04/2003", "04/04/1990", "the person is 31"),
            (
                "<Code>AUTRE</Code>\n      \t\t\t<Nom>06000</Nom>",
                "<Code>AILLEURS</Code><Nom>x</Nom>",
                "must be COMMUNE or AUTRE",
            ),
            (
                "2021-08-04T11:42:48",
                "04/08/2021",
                "Formalite/DateSoumission",
            ),
            (
                "<FormaliteMotifCode>RECENSEMENT</FormaliteMotifCode>",
                "",
                "FormaliteMotifCode is empty",
            ),
            (
                "<NombreEnfants>0</NombreEnfants>",
                "<NombreEnfants>zero</NombreEnfants>",
                "NombreEnfants is \"zero\"",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(PUBLISHED.contains(from), "{from}");
            let e = parse(&PUBLISHED.replacen(from, to, 1)).unwrap_err();
            assert!(e.to_string().contains(expected), "{from} -> {to}: {e}");
            assert!(e.to_string().starts_with("doc.xml: "), "{e}");
        }
    }

    #[test]
    fn a_third_birthplace_is_refused() {
        let three = PUBLISHED.replacen(
            "<LieuNaissance>",
            "<LieuNaissance><Code>AUTRE</Code><Nom>X</Nom></LieuNaissance><LieuNaissance>",
            1,
        );
        assert!(parse(&three)
            .unwrap_err()
            .to_string()
            .contains("at most twice"));
    }
}
