//! The {{CODE}} data document (root `{{ROOT}}`) read into typed values.
//!
//! Read with the helpers of `msp_plugins::fields`: each one names the
//! element and the rule it breaks, which is what the town hall's clerk
//! reads in the error folder's log.

use chrono::NaiveDate;
use msp_plugins::fields;
use msp_plugins::xml::Element;
use msp_plugins::PluginError;

/// The values `Objet` may take.
pub const SUBJECTS: &[&str] = &["PREMIERE_DEMANDE", "RENOUVELLEMENT", "MODIFICATION"];

/// The requester (`Demandeur`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// Nom.
    pub name: String,
    /// Prenoms.
    pub first_names: String,
    /// DateNaissance.
    pub birth_date: NaiveDate,
    /// Courriel.
    pub email: Option<String>,
}

/// A {{CODE}} request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// DateDemande.
    pub requested_on: NaiveDate,
    /// Objet.
    pub subject: String,
    /// Demandeur.
    pub requester: Requester,
    /// Commentaire.
    pub comment: Option<String>,
}

/// Reads a `{{ROOT}}` root.
pub fn read(root: &Element) -> Result<Request, PluginError> {
    let d = fields::child(root, "", "Demandeur")?;
    Ok(Request {
        requested_on: fields::required_date(root, "", "DateDemande")?,
        subject: fields::one_of(root, "", "Objet", SUBJECTS)?,
        requester: Requester {
            name: fields::required(d, "Demandeur", "Nom", 255)?,
            first_names: fields::required(d, "Demandeur", "Prenoms", 255)?,
            birth_date: fields::required_date(d, "Demandeur", "DateNaissance")?,
            email: fields::optional(d, "Demandeur", "Courriel", 255)?,
        },
        comment: fields::optional(root, "", "Commentaire", 2000)?,
    })
}
