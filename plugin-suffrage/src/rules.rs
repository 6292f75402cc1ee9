//! The ILE-LA rules (the schema's header comment):
//!
//! * `TypeListe` GENERALE requires `Nationalite` FR;
//! * COMPLEMENTAIRE_EUROPEENNE / COMPLEMENTAIRE_MUNICIPALE require a
//!   European Union nationality other than FR;
//! * `Motif` CHANGEMENT_COMMUNE requires `AncienneInscription`;
//! * the elector is at least 17 on `DateDemande`.

use msp_plugins::PluginError;

use crate::document::Registration;

/// The European Union member states (ISO 3166-1 alpha-2; Greece is GR).
pub const EU_MEMBERS: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

pub use msp_plugins::fields::age_on;

/// Checks every rule; the first broken one is returned.
pub fn check(r: &Registration) -> Result<(), PluginError> {
    let nat = r.nationality.as_str();
    match r.list.as_str() {
        "GENERALE" if nat != "FR" => {
            return Err(PluginError::new(
                "Electeur/Nationalite",
                format!("is {nat} but TypeListe GENERALE requires FR"),
            )
            .fr(format!(
                "vaut {nat} alors que la liste générale est réservée aux Français (FR)."
            )))
        }
        "COMPLEMENTAIRE_EUROPEENNE" | "COMPLEMENTAIRE_MUNICIPALE" if nat == "FR" || !EU_MEMBERS.contains(&nat) => {
            return Err(PluginError::new(
                "Electeur/Nationalite",
                format!(
                    "is {nat} but TypeListe {} requires the nationality of another European Union member state",
                    r.list
                ),
            )
            .fr(format!(
                "vaut {nat} alors que la liste {} est réservée aux ressortissants d'un autre État membre de l'Union européenne.",
                r.list
            )))
        }
        _ => {}
    }
    if r.reason == "CHANGEMENT_COMMUNE" && r.former.is_none() {
        return Err(PluginError::new(
            "AncienneInscription",
            "is missing but Motif CHANGEMENT_COMMUNE requires the former registration",
        )
        .fr("est absent alors qu'un changement de commune demande l'inscription précédente."));
    }
    let birth = r.elector.birth_date;
    let age = age_on(birth, r.requested_on);
    if age < 17 {
        return Err(PluginError::new(
            "Electeur/DateNaissance",
            format!(
                "is {}: the elector is {age} on DateDemande {} but must be at least 17",
                birth.format("%Y-%m-%d"),
                r.requested_on.format("%Y-%m-%d")
            ),
        )
        .fr(format!(
            "vaut {} : l'électeur a {age} ans à la date de la demande ({}) alors qu'il faut avoir au moins 17 ans.",
            birth.format("%d/%m/%Y"),
            r.requested_on.format("%d/%m/%Y")
        )));
    }
    Ok(())
}
