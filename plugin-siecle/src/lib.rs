//! msp plugin for AEC-LA, the demande d'acte d'état civil (birth, marriage
//! or death certificate), business application Siècle.
//!
//! Same file set as every plugin crate: `document.rs` reads the data
//! document into typed values, `rules.rs` enforces the démarche's rules,
//! `tables.rs` declares the business tables and maps the values to rows,
//! and this file declares the plugin with [`msp_plugins::demarche!`]
//! (its type, registration and `FlowPlugin` impl).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod document;
pub mod rules;
pub mod tables;

use msp_plugins::{DataDocument, ParseContext, PluginError, Records};

/// The flow code.
pub const FLOW: &str = "AEC-LA";
/// The data document's root element.
pub const ROOT: &str = "DemandeActe";

msp_plugins::demarche! {
    /// The AEC-LA plugin.
    pub struct Siecle;
    flow: FLOW,
    application: "Siècle",
    description: "demande d'acte d'état civil (birth, marriage or death certificate)",
    sample: ("10872-XML", include_str!("../tests/data/aec.xml")),
    tables: tables::tables,
    parse: parse,
    comments: comment,
}

/// Reads and checks the data document into rows.
fn parse(_ctx: &ParseContext, documents: &[DataDocument]) -> Result<Records, PluginError> {
    let request = msp_plugins::plugin::read_document(documents, ROOT, document::read, |r| {
        rules::check(r, chrono::Local::now().date_naive())
    })?;
    let h = &request.holder;
    let summary = format!(
        "{} {} {}, {} exemplaire(s), {}",
        request.kind.to_lowercase(),
        h.name,
        h.first_names,
        request.copies,
        request.delivery.to_lowercase()
    );
    Ok(Records {
        rows: tables::rows(&request),
        summary,
    })
}

/// The French comment sent with a status when the agent gave none.
fn comment(status: u16) -> &'static str {
    match status {
        15 => "Votre demande d'acte d'état civil n'est pas recevable. Veuillez prendre contact avec votre mairie.",
        16 => "Votre demande d'acte d'état civil est en cours de traitement par la mairie.",
        17 => "Des informations complémentaires sont nécessaires pour établir votre acte. Votre mairie va vous contacter.",
        19 => "Votre acte d'état civil a été établi et vous sera remis selon le mode de délivrance choisi.",
        20 => "Votre demande d'acte d'état civil a été refusée. Veuillez prendre contact avec votre mairie.",
        100 => "Votre dossier de demande d'acte d'état civil est clos.",
        s => msp_plugins::default_comment(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_plugins::xml;
    use msp_plugins::FlowPlugin;

    const SAMPLE: &str = include_str!("../tests/data/aec.xml");

    fn parse(text: &str) -> Result<Records, PluginError> {
        let root = xml::parse(text.as_bytes()).unwrap().root;
        let ctx = ParseContext {
            numero: "A-1".into(),
            file_number: 1,
            insee: "31555".into(),
            submitted_at: None,
        };
        Siecle.parse(
            &ctx,
            &[DataDocument {
                code: "10872-XML".into(),
                file_name: "doc.xml".into(),
                root,
            }],
        )
    }

    #[test]
    fn the_sample_imports() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(
            r.summary,
            "naissance Moreau Hervé, 2 exemplaire(s), courrier"
        );
        // Every row fits its declared table (the plugin test kit).
        msp_plugins::kit::check_sample(&Siecle);
        assert_eq!(
            r.rows
                .iter()
                .filter(|r| r.table == tables::PERSONNE)
                .count(),
            3
        );
    }

    #[test]
    fn each_rule_is_named() {
        let cases = [
            ("<TypeActe>NAISSANCE</TypeActe>", "<TypeActe>MARIAGE</TypeActe>", "doc.xml: Titulaire/Conjoint is missing but TypeActe MARIAGE requires the spouse"),
            (
                "<TypeActe>NAISSANCE</TypeActe><NatureActe>EXTRAIT_AVEC_FILIATION</NatureActe>",
                "<TypeActe>DECES</TypeActe><NatureActe>EXTRAIT_PLURILINGUE</NatureActe>",
                "NatureActe is EXTRAIT_PLURILINGUE but a multilingual extract is not available for TypeActe DECES",
            ),
            ("<QualiteDemandeur>TITULAIRE</QualiteDemandeur>", "<QualiteDemandeur>ASCENDANT</QualiteDemandeur>", "Demandeur is missing but QualiteDemandeur ASCENDANT requires"),
            ("<DateEvenement>1988-05-12</DateEvenement>", "<DateEvenement>2999-05-12</DateEvenement>", "Titulaire/DateEvenement is 2999-05-12 which is in the future"),
            ("<NombreExemplaires>2</NombreExemplaires>", "<NombreExemplaires>11</NombreExemplaires>", "NombreExemplaires is 11 but must be a whole number from 1 to 10"),
            ("<TypeActe>NAISSANCE</TypeActe>", "<TypeActe>BAPTEME</TypeActe>", "TypeActe is BAPTEME but must be one of NAISSANCE, MARIAGE, DECES"),
            ("<CodeINSEE>31555</CodeINSEE>", "<CodeINSEE>3155</CodeINSEE>", "Titulaire/LieuEvenement/CodeINSEE is \"3155\""),
            ("<DateNaissance>1923-09-03</DateNaissance>", "<DateNaissance>03/09/1923</DateNaissance>", "Titulaire/Pere/DateNaissance is \"03/09/1923\", not a date"),
        ];
        for (from, to, expected) in cases {
            assert!(SAMPLE.contains(from), "{from}");
            let e = parse(&SAMPLE.replacen(from, to, 1)).unwrap_err();
            assert!(e.to_string().contains(expected), "{to}: {e}");
        }
    }
}
