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
pub mod published;
pub mod rules;
pub mod tables;

use msp_plugins::{DataDocument, ParseContext, PluginError, Records};

/// The flow code.
pub const FLOW: &str = "AEC-LA";
/// The data document's root element: the published document's
/// ([`published::ROOT`], `ActeEtatCivil-XML`); our earlier model's root
/// [`LEGACY_ROOT`] is still read.
pub const ROOT: &str = published::ROOT;
/// Our earlier model's root (xsd/doc-aec.xsd).
pub const LEGACY_ROOT: &str = "DemandeActe";

msp_plugins::demarche! {
    /// The AEC-LA plugin.
    pub struct Siecle;
    flow: FLOW,
    application: "Siècle",
    description: "demande d'acte d'état civil (birth, marriage or death certificate)",
    sample: ("ActeEtatCivil-XML", include_str!("../tests/data/ActeEtatCivil-XML.xml")),
    tables: tables::tables,
    parse: parse,
    version: tables::VERSION,
    migrations: tables::migrations,
    comments: comment,
}

/// Reads and checks the data document into rows.
fn parse(_ctx: &ParseContext, documents: &[DataDocument]) -> Result<Records, PluginError> {
    use msp_plugins::plugin::read_document;
    let today = chrono::Local::now().date_naive();
    let request = if documents.iter().any(|d| d.root.name == LEGACY_ROOT) {
        read_document(documents, LEGACY_ROOT, document::read, |r| {
            rules::check(r, today)
        })?
    } else {
        read_document(documents, ROOT, published::read, |r| {
            rules::check_published(r, today)
        })?
    };
    Ok(Records {
        rows: tables::rows(&request),
        summary: summary(&request),
    })
}

/// The one line a clerk reads: who, which certificate, how many copies,
/// how it is delivered, in words ("Moreau Hervé, acte de naissance,
/// 2 exemplaires, envoi par courrier").
fn summary(request: &document::Request) -> String {
    let h = &request.holder;
    let kind = match request.kind.as_str() {
        "NAISSANCE" => "acte de naissance",
        "MARIAGE" => "acte de mariage",
        "DECES" => "acte de décès",
        other => other,
    };
    let copies = match request.copies {
        1 => "1 exemplaire".to_string(),
        n => format!("{n} exemplaires"),
    };
    let delivery = match request.delivery.as_str() {
        "COURRIER" => "envoi par courrier",
        "GUICHET" => "retrait au guichet de la mairie",
        other => other,
    };
    format!("{} {}, {kind}, {copies}, {delivery}", h.name, h.first_names)
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

    const SAMPLE: &str = include_str!("../tests/data/aec.xml");
    const PUBLISHED: &str = include_str!("../tests/data/ActeEtatCivil-XML.xml");

    fn parse(text: &str) -> Result<Records, PluginError> {
        msp_plugins::kit::parse(&Siecle, text)
    }

    #[test]
    fn the_sample_imports() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(
            r.summary,
            "Moreau Hervé, acte de naissance, 2 exemplaires, envoi par courrier"
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
    fn the_summary_says_each_code_in_words() {
        let doc = SAMPLE
            .replacen(
                "<TypeActe>NAISSANCE</TypeActe><NatureActe>EXTRAIT_AVEC_FILIATION</NatureActe>",
                "<TypeActe>DECES</TypeActe><NatureActe>COPIE_INTEGRALE</NatureActe>",
                1,
            )
            .replacen(
                "<ModeDelivrance>COURRIER</ModeDelivrance>",
                "<ModeDelivrance>GUICHET</ModeDelivrance>",
                1,
            )
            .replacen(
                "<NombreExemplaires>2</NombreExemplaires>",
                "<NombreExemplaires>1</NombreExemplaires>",
                1,
            );
        assert_eq!(
            parse(&doc).unwrap().summary,
            "Moreau Hervé, acte de décès, 1 exemplaire, retrait au guichet de la mairie"
        );
        let doc = PUBLISHED.replacen(
            "<NombreExemplaires>1</NombreExemplaires>",
            "<NombreExemplaires>3</NombreExemplaires>",
            1,
        );
        let s = parse(&doc).unwrap().summary;
        assert!(s.ends_with(", 3 exemplaires, envoi par courrier"), "{s}");
        assert!(!s.contains("(s)"), "{s}");
    }

    #[test]
    fn the_published_document_imports() {
        let r = parse(PUBLISHED).unwrap();
        assert_eq!(
            r.summary,
            "DUBOIS Angela Claire Louise, acte de naissance, 1 exemplaire, envoi par courrier"
        );
        let demande = r.rows.iter().find(|r| r.table == tables::DEMANDE).unwrap();
        let get = |row: &msp_plugins::Row, c: &str| format!("{:?}", row.get(c));
        assert!(get(demande, "nature_acte").contains("COPIE-INTEGRALE"));
        assert!(get(demande, "lieu_evenement_insee").contains("06088"));
        assert!(get(demande, "lieu_evenement_code_postal").contains("06000"));
        assert!(get(demande, "envoi_voie").contains("20 RUE PIERRE SEGURAN"));
        assert!(get(demande, "qualite_demandeur").contains("PersonneConcernee"));
        let demandeur = r
            .rows
            .iter()
            .find(|r| r.table == tables::PERSONNE && get(r, "role").contains("DEMANDEUR"))
            .unwrap();
        // The entity &apos; decoded, the tabs and CRLF trimmed.
        assert!(
            get(demandeur, "nom").contains("L'heritier"),
            "{:?}",
            demandeur
        );
        assert!(get(demandeur, "civilite").contains("MADAME"));
        let titulaire = r
            .rows
            .iter()
            .find(|r| r.table == tables::PERSONNE && get(r, "role").contains("TITULAIRE"))
            .unwrap();
        assert!(get(titulaire, "sexe").contains('F'));
        assert!(get(titulaire, "naissance_departement").contains("Paris"));
        msp_plugins::kit::check_sample(&Siecle);
    }

    #[test]
    fn each_published_rule_is_a_french_sentence() {
        let cases = [
            ("<Code>NAISSANCE</Code>", "<Code>BAPTEME</Code>", "DemandeActe/TypeActe/Code vaut « BAPTEME » : le type d'acte doit être NAISSANCE, MARIAGE ou DECES."),
            ("<Code>COPIE-INTEGRALE</Code>", "<Code>COPIE_INTEGRALE</Code>", "DemandeActe/NatureActe/Code vaut « COPIE_INTEGRALE » : la nature de l'acte doit être COPIE-INTEGRALE, EXTRAIT-AVEC-FILIATION, EXTRAIT-SANS-FILIATION ou EXTRAIT-PLURILINGUE."),
            ("<NombreExemplaires>1</NombreExemplaires>", "<NombreExemplaires>11</NombreExemplaires>", "DemandeActe/NombreExemplaires vaut « 11 » : le nombre d'exemplaires doit être un nombre entier de 1 à 10"),
            ("<NombreExemplaires>1</NombreExemplaires>", "<NombreExemplaires>0</NombreExemplaires>", "de 1 à 10"),
            ("<DateActe>1962-08-24</DateActe>", "<DateActe>2999-08-24</DateActe>", "DemandeActe/DateActe vaut 24/08/2999, une date dans le futur"),
            ("<DateActe>1962-08-24</DateActe>", "<DateActe>24/08/1962</DateActe>", ""),
            ("<DateActe>1962-08-24</DateActe>", "<DateActe>1962-13-24</DateActe>", "DemandeActe/DateActe vaut « 1962-13-24 », qui n'est pas une date"),
            ("<NomNaissance>DUBOIS</NomNaissance>", "<NomNaissance>\t</NomNaissance>", "DemandeActe/Titulaire/NomNaissance est absent ou vide alors qu'il est obligatoire"),
            ("<Prenoms>Angela Claire Louise</Prenoms>", "<Prenoms/>", "DemandeActe/Titulaire/Prenoms est absent ou vide"),
            ("<CodeINSEE>06088</CodeINSEE>", "<CodeINSEE>1A088</CodeINSEE>", "DemandeActe/LieuActe/CodeINSEE vaut « 1A088 », qui n'est pas un code INSEE"),
            ("<CodeINSEE>06088</CodeINSEE>", "", ""),
            ("<MotifDemande>", "<Inconnu>x</Inconnu><MotifDemande>", ""),
        ];
        for (from, to, expected) in cases {
            assert!(PUBLISHED.contains(from), "{from}");
            let doc = PUBLISHED.replacen(from, to, 1);
            match parse(&doc) {
                Ok(_) => assert!(expected.is_empty(), "{to}: accepted, expected {expected}"),
                Err(e) => {
                    assert!(!expected.is_empty(), "{to}: refused: {e}");
                    assert!(e.to_string().contains(expected), "{to}: {e}");
                    assert!(e.to_string().starts_with("doc.xml: "), "{e}");
                }
            }
        }
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
        for case in cases {
            msp_plugins::kit::refusal(&Siecle, SAMPLE, case);
        }
    }
}
