//! msp plugin for {{CODE}} ({{description}}), business application {{APP}}.
//!
//! Written by `cargo xtask new-demarche {{CODE}}`: `document.rs` reads the
//! data document into typed values, `rules.rs` enforces the démarche's
//! rules, `tables.rs` declares the business tables and maps the values to
//! rows, and this file declares the plugin with [`msp_plugins::demarche!`].
//! `tests/data/sample.xml` is a valid document (portal-sim wraps it:
//! `portal-sim --flow {{CODE}}`; the tests read it).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod document;
pub mod rules;
pub mod tables;

use msp_plugins::{DataDocument, ParseContext, PluginError, Records};

/// The flow code.
pub const FLOW: &str = "{{CODE}}";
/// The data document's root element.
pub const ROOT: &str = "{{ROOT}}";

msp_plugins::demarche! {
    /// The {{CODE}} plugin.
    pub struct {{Type}};
    flow: FLOW,
    application: "{{APP}}",
    description: "{{description}}",
    sample: ("{{DOCCODE}}", include_str!("../tests/data/sample.xml")),
    tables: tables::tables,
    parse: parse,
}

/// Reads and checks the data document into rows.
fn parse(_ctx: &ParseContext, documents: &[DataDocument]) -> Result<Records, PluginError> {
    let request = msp_plugins::plugin::read_document(documents, ROOT, document::read, |r| {
        rules::check(r, chrono::Local::now().date_naive())
    })?;
    let d = &request.requester;
    Ok(Records {
        rows: tables::rows(&request),
        summary: format!(
            "{} {}, {}",
            d.name,
            d.first_names,
            request.subject.to_lowercase()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_plugins::kit;

    #[test]
    fn the_sample_imports() {
        let r = kit::check_sample(&{{Type}});
        assert_eq!(r.summary, "Martin Camille Louise, premiere_demande");
        assert_eq!(r.rows.len(), 2);
    }

    #[test]
    fn each_rule_is_named() {
        kit::check_refusals(
            &{{Type}},
            &[
                ("<Nom>Martin</Nom>", "<Nom></Nom>", "doc.xml: Demandeur/Nom is missing or empty"),
                (
                    "<Objet>PREMIERE_DEMANDE</Objet>",
                    "<Objet>AUTRE</Objet>",
                    "Objet is AUTRE but must be one of PREMIERE_DEMANDE",
                ),
                (
                    "<DateNaissance>1990-04-12</DateNaissance>",
                    "<DateNaissance>2015-04-12</DateNaissance>",
                    "the requester is 11 on DateDemande 2026-11-02 but must be at least 18",
                ),
                (
                    "<DateNaissance>1990-04-12</DateNaissance>",
                    "<DateNaissance>2027-01-01</DateNaissance>",
                    "Demandeur/DateNaissance is 2027-01-01 but must be before DateDemande",
                ),
                (
                    "<DateDemande>2026-11-02</DateDemande>",
                    "<DateDemande>2999-01-01</DateDemande>",
                    "DateDemande is 2999-01-01 which is in the future",
                ),
                (
                    "<DateDemande>2026-11-02</DateDemande>",
                    "<DateDemande>02/11/2026</DateDemande>",
                    "DateDemande is \"02/11/2026\", not a date",
                ),
            ],
        );
    }
}
