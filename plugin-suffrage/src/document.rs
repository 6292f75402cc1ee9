//! The ILE-LA document (xsd/doc-ile.xsd, root `InscriptionListeElectorale`)
//! read into typed values.

use chrono::NaiveDate;
use msp_plugins::fields::{self, Person};
use msp_plugins::xml::Element;
use msp_plugins::PluginError;

/// Electoral lists.
pub const LISTS: &[&str] = &[
    "GENERALE",
    "COMPLEMENTAIRE_EUROPEENNE",
    "COMPLEMENTAIRE_MUNICIPALE",
];
/// Reasons.
pub const REASONS: &[&str] = &[
    "PREMIERE_INSCRIPTION",
    "CHANGEMENT_COMMUNE",
    "CHANGEMENT_ADRESSE",
    "ACQUISITION_NATIONALITE",
    "AUTRE",
];
/// A list (`TypeListe`) in words, for the summary a clerk reads.
pub fn list_fr(code: &str) -> &str {
    match code {
        "GENERALE" => "liste générale",
        "COMPLEMENTAIRE_EUROPEENNE" => "liste complémentaire européenne",
        "COMPLEMENTAIRE_MUNICIPALE" => "liste complémentaire municipale",
        other => other,
    }
}

/// A reason (`Motif`) in words, for the summary a clerk reads.
pub fn reason_fr(code: &str) -> &str {
    match code {
        "PREMIERE_INSCRIPTION" => "première inscription",
        "CHANGEMENT_COMMUNE" => "changement de commune",
        "CHANGEMENT_ADRESSE" => "changement d'adresse",
        "ACQUISITION_NATIONALITE" => "acquisition de la nationalité française",
        "AUTRE" => "autre motif",
        other => other,
    }
}

/// Links with the commune.
pub const LINKS: &[&str] = &["DOMICILE", "RESIDENCE", "CONTRIBUABLE", "GERANT"];

/// The former registration (`AncienneInscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerRegistration {
    /// Commune.
    pub commune: String,
    /// CodeINSEE.
    pub insee: Option<String>,
    /// Pays.
    pub country: Option<String>,
}

/// A registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// DateDemande.
    pub requested_on: NaiveDate,
    /// TypeListe.
    pub list: String,
    /// Motif.
    pub reason: String,
    /// Electeur (with its Nationalite below).
    pub elector: Person,
    /// Electeur/Nationalite.
    pub nationality: String,
    /// Attache.
    pub link: String,
    /// AncienneInscription.
    pub former: Option<FormerRegistration>,
}

/// Reads an `InscriptionListeElectorale` root.
pub fn read(root: &Element) -> Result<Registration, PluginError> {
    if root.name != "InscriptionListeElectorale" {
        return Err(PluginError::new(
            root.name.clone(),
            "is not an InscriptionListeElectorale document (ILE-LA)",
        )
        .fr("n'est pas un document InscriptionListeElectorale (ILE-LA)."));
    }
    let e = fields::child(root, "", "Electeur")?;
    let nationality = fields::country(e, "Electeur", "Nationalite")?
        .ok_or_else(|| fields::missing("Electeur/Nationalite".into()))?;
    let former = match root.child("AncienneInscription").filter(|a| !a.is_blank()) {
        None => None,
        Some(a) => Some(FormerRegistration {
            commune: fields::required(a, "AncienneInscription", "Commune", 255)?,
            insee: fields::optional_insee(a, "AncienneInscription", "CodeINSEE")?,
            country: fields::country(a, "AncienneInscription", "Pays")?,
        }),
    };
    Ok(Registration {
        requested_on: fields::required_date(root, "", "DateDemande")?,
        list: fields::one_of(root, "", "TypeListe", LISTS)?,
        reason: fields::one_of(root, "", "Motif", REASONS)?,
        elector: fields::person(e, "Electeur")?,
        nationality,
        link: fields::one_of(root, "", "Attache", LINKS)?,
        former,
    })
}
