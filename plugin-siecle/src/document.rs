//! Our earlier model of the AEC-LA document (xsd/doc-aec.xsd, root
//! `DemandeActe`), still read, and the typed values both it and the
//! published document ([`crate::published`]) are read into. ISO dates; the
//! schema's own namespace is recorded, not checked.

use chrono::NaiveDate;
use msp_plugins::fields::{self, Address, Contact, NamedPerson, Place};
use msp_plugins::xml::Element;
use msp_plugins::PluginError;

/// Certificate types.
pub const TYPES: &[&str] = &["NAISSANCE", "MARIAGE", "DECES"];
/// Certificate natures.
pub const NATURES: &[&str] = &[
    "COPIE_INTEGRALE",
    "EXTRAIT_AVEC_FILIATION",
    "EXTRAIT_SANS_FILIATION",
    "EXTRAIT_PLURILINGUE",
];
/// Requester capacities.
pub const CAPACITIES: &[&str] = &[
    "TITULAIRE",
    "CONJOINT",
    "ASCENDANT",
    "DESCENDANT",
    "REPRESENTANT_LEGAL",
    "HERITIER",
    "AUTRE",
];
/// Delivery modes.
pub const DELIVERY: &[&str] = &["COURRIER", "GUICHET"];

/// The holder of the certificate (`Titulaire`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Nom.
    pub name: String,
    /// Prenoms.
    pub first_names: String,
    /// Sexe (M/F).
    pub sex: Option<String>,
    /// DateEvenement: birth, marriage or death.
    pub event_date: NaiveDate,
    /// LieuEvenement.
    pub event_place: Place,
    /// Pere.
    pub father: Option<NamedPerson>,
    /// Mere.
    pub mother: Option<NamedPerson>,
    /// Conjoint.
    pub spouse: Option<NamedPerson>,
    /// Civilite (published document).
    pub civility: Option<String>,
    /// DateDeNaissance (published document).
    pub birth_date: Option<NaiveDate>,
    /// LieuDeNaissance and DepartementDeNaissance (published document).
    pub birthplace: Option<Place>,
}

/// The requester when not the holder (`Demandeur`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// Nom.
    pub name: String,
    /// Prenoms.
    pub first_names: String,
    /// Civilite (published document).
    pub civility: Option<String>,
    /// Adresse.
    pub address: Address,
    /// Contact.
    pub contact: Contact,
}

/// A certificate request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// TypeActe.
    pub kind: String,
    /// NatureActe.
    pub nature: String,
    /// NombreExemplaires (1 to 10).
    pub copies: i64,
    /// Motif (`MotifDemande/Libelle` in the published document).
    pub reason: Option<String>,
    /// `MotifDemande/Commentaire` (published document).
    pub reason_comment: Option<String>,
    /// `LieuActe/CodePostal` (published document).
    pub event_postal_code: Option<String>,
    /// QualiteDemandeur.
    pub capacity: String,
    /// Titulaire.
    pub holder: Holder,
    /// Demandeur.
    pub requester: Option<Requester>,
    /// ModeDelivrance.
    pub delivery: String,
    /// AdresseEnvoi.
    pub delivery_address: Option<Address>,
}

/// Reads a `DemandeActe` root.
pub fn read(root: &Element) -> Result<Request, PluginError> {
    if root.name != "DemandeActe" {
        return Err(
            PluginError::new(root.name.clone(), "is not a DemandeActe document (AEC-LA)")
                .fr("n'est pas un document DemandeActe (AEC-LA)."),
        );
    }
    let copies_text = fields::required(root, "", "NombreExemplaires", 8)?;
    let copies = copies_text
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=10).contains(n))
        .ok_or_else(|| {
            PluginError::new(
                "NombreExemplaires",
                format!("is {copies_text} but must be a whole number from 1 to 10"),
            )
            .fr(format!(
                "vaut « {copies_text} » alors qu'il doit être un nombre entier de 1 à 10."
            ))
        })?;
    let t = fields::child(root, "", "Titulaire")?;
    let at = "Titulaire";
    let named = |name: &str| -> Result<Option<NamedPerson>, PluginError> {
        t.child(name)
            .filter(|e| !e.is_blank())
            .map(|e| fields::named_person(e, &fields::path(at, name)))
            .transpose()
    };
    let holder = Holder {
        name: fields::required(t, at, "Nom", 255)?,
        first_names: fields::required(t, at, "Prenoms", 255)?,
        sex: fields::optional_one_of(t, at, "Sexe", &["M", "F"])?,
        event_date: fields::required_date(t, at, "DateEvenement")?,
        event_place: fields::place(
            fields::child(t, at, "LieuEvenement")?,
            "Titulaire/LieuEvenement",
        )?,
        father: named("Pere")?,
        mother: named("Mere")?,
        spouse: named("Conjoint")?,
        civility: None,
        birth_date: None,
        birthplace: None,
    };
    let requester = match root.child("Demandeur").filter(|e| !e.is_blank()) {
        None => None,
        Some(d) => Some(Requester {
            name: fields::required(d, "Demandeur", "Nom", 255)?,
            first_names: fields::required(d, "Demandeur", "Prenoms", 255)?,
            civility: None,
            address: fields::address(
                fields::child(d, "Demandeur", "Adresse")?,
                "Demandeur/Adresse",
            )?,
            contact: fields::contact(d, "Demandeur", "Contact")?,
        }),
    };
    Ok(Request {
        kind: fields::one_of(root, "", "TypeActe", TYPES)?,
        nature: fields::one_of(root, "", "NatureActe", NATURES)?,
        copies,
        reason: fields::optional(root, "", "Motif", 255)?,
        reason_comment: None,
        event_postal_code: None,
        capacity: fields::one_of(root, "", "QualiteDemandeur", CAPACITIES)?,
        holder,
        requester,
        delivery: fields::one_of(root, "", "ModeDelivrance", DELIVERY)?,
        delivery_address: root
            .child("AdresseEnvoi")
            .filter(|e| !e.is_blank())
            .map(|e| fields::address(e, "AdresseEnvoi"))
            .transpose()?,
    })
}
