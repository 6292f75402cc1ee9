//! msp plugin for ILE-LA, the inscription sur les listes électorales
//! (voter registration), business application Suffrage.
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
pub const FLOW: &str = "ILE-LA";
/// The data document's root element.
pub const ROOT: &str = "InscriptionListeElectorale";

msp_plugins::demarche! {
    /// The ILE-LA plugin.
    pub struct Suffrage;
    flow: FLOW,
    application: "Suffrage",
    description: "inscription sur les listes électorales (voter registration)",
    sample: ("10871-XML", include_str!("../tests/data/ile.xml")),
    tables: tables::tables,
    parse: parse,
    comments: comment,
}

/// Reads and checks the data document into rows.
fn parse(_ctx: &ParseContext, documents: &[DataDocument]) -> Result<Records, PluginError> {
    let reg = msp_plugins::plugin::read_document(documents, ROOT, document::read, rules::check)?;
    let summary = format!(
        "{} {}, {}, {}",
        reg.elector.name,
        reg.elector.first_names,
        document::list_fr(&reg.list),
        document::reason_fr(&reg.reason)
    );
    Ok(Records {
        rows: tables::rows(&reg),
        summary,
    })
}

/// The French comment sent with a status when the agent gave none.
fn comment(status: u16) -> &'static str {
    match status {
        15 => "Votre demande d'inscription sur les listes électorales n'est pas recevable. Veuillez prendre contact avec votre mairie.",
        16 => "Votre demande d'inscription sur les listes électorales est en cours d'instruction.",
        17 => "Des pièces complémentaires sont nécessaires pour instruire votre inscription. Votre mairie va vous contacter.",
        19 => "Votre inscription sur les listes électorales est acceptée. Vous recevrez votre carte électorale.",
        20 => "Votre demande d'inscription sur les listes électorales a été refusée. Veuillez prendre contact avec votre mairie.",
        100 => "Votre dossier d'inscription sur les listes électorales est clos.",
        s => msp_plugins::default_comment(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../tests/data/ile.xml");

    fn parse(text: &str) -> Result<Records, PluginError> {
        msp_plugins::kit::parse(&Suffrage, text)
    }

    #[test]
    fn the_sample_imports() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(
            r.summary,
            "Dupont-Aignan Zoé, liste générale, première inscription"
        );
        // Every row fits its declared table (the plugin test kit).
        msp_plugins::kit::check_sample(&Suffrage);
    }

    #[test]
    fn the_summary_says_each_code_in_words() {
        // Every list and every reason reads as French words: no code, no
        // underscore, the accents written.
        for list in document::LISTS {
            for reason in document::REASONS {
                let words = format!(
                    "{}, {}",
                    document::list_fr(list),
                    document::reason_fr(reason)
                );
                assert!(!words.contains('_'), "{words}");
                assert_eq!(words, words.to_lowercase(), "{words}");
            }
        }
        let doc = SAMPLE
            .replacen(
                "<TypeListe>GENERALE</TypeListe>",
                "<TypeListe>COMPLEMENTAIRE_EUROPEENNE</TypeListe>",
                1,
            )
            .replacen(
                "<Nationalite>FR</Nationalite>",
                "<Nationalite>DE</Nationalite>",
                1,
            )
            .replacen(
                "<Motif>PREMIERE_INSCRIPTION</Motif>",
                "<Motif>CHANGEMENT_ADRESSE</Motif>",
                1,
            );
        assert_eq!(
            parse(&doc).unwrap().summary,
            "Dupont-Aignan Zoé, liste complémentaire européenne, changement d'adresse"
        );
    }

    #[test]
    fn each_rule_is_named() {
        let cases = [
            ("<Nationalite>FR</Nationalite>", "<Nationalite>DE</Nationalite>", "doc.xml: Electeur/Nationalite is DE but TypeListe GENERALE requires FR"),
            (
                "<TypeListe>GENERALE</TypeListe>",
                "<TypeListe>COMPLEMENTAIRE_EUROPEENNE</TypeListe>",
                "Electeur/Nationalite is FR but TypeListe COMPLEMENTAIRE_EUROPEENNE requires the nationality of another European Union member state",
            ),
            ("<Motif>PREMIERE_INSCRIPTION</Motif>", "<Motif>CHANGEMENT_COMMUNE</Motif>", "AncienneInscription is missing but Motif CHANGEMENT_COMMUNE requires"),
            ("<DateNaissance>1992-07-14</DateNaissance>", "<DateNaissance>2010-07-14</DateNaissance>", "the elector is 16 on DateDemande 2026-11-02 but must be at least 17"),
            ("<Attache>DOMICILE</Attache>", "<Attache>VACANCES</Attache>", "Attache is VACANCES but must be one of"),
            ("<Sexe>F</Sexe>", "<Sexe>X</Sexe>", "Electeur/Sexe is X but must be one of M, F"),
            ("<Voie>impasse des Lilas</Voie>", "", "Electeur/Adresse/Voie is missing or empty"),
        ];
        for case in cases {
            msp_plugins::kit::refusal(&Suffrage, SAMPLE, case);
        }
        // A European on a complementary list is fine; a non-European is not.
        let eu = SAMPLE
            .replacen(
                "<TypeListe>GENERALE</TypeListe>",
                "<TypeListe>COMPLEMENTAIRE_MUNICIPALE</TypeListe>",
                1,
            )
            .replacen(
                "<Nationalite>FR</Nationalite>",
                "<Nationalite>DE</Nationalite>",
                1,
            );
        assert!(parse(&eu).is_ok());
        let us = eu.replacen(
            "<Nationalite>DE</Nationalite>",
            "<Nationalite>US</Nationalite>",
            1,
        );
        assert!(parse(&us)
            .unwrap_err()
            .to_string()
            .contains("is US but TypeListe COMPLEMENTAIRE_MUNICIPALE"));
    }
}
