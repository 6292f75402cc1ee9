//! The RCO-LA business rules (the schema's header comment):
//!
//! * `Personne/NomFamille`, `PrenomUsuel`, `DateNaissance`, `Sexe` are not empty;
//! * the person is at least 16 and under 26 on `Formalite/DateSoumission`;
//! * `Sexe` is 1 (male) or 2 (female) — checked while reading;
//! * `LieuNaissance` with Code COMMUNE gives the birth commune's name; Code
//!   AUTRE carries a postal code or a foreign place — checked while reading;
//! * at least one `FormaliteMotifCode`.

use msp_plugins::PluginError;

use crate::document::Census;

pub use msp_plugins::fields::age_on;

/// Checks every rule; the first broken one is returned.
pub fn check(c: &Census) -> Result<(), PluginError> {
    let p = &c.person;
    for (value, name) in [
        (p.family_name.is_some(), "NomFamille"),
        (p.first_name.is_some(), "PrenomUsuel"),
        (p.birth_date.is_some(), "DateNaissance"),
        (p.sex.is_some(), "Sexe"),
    ] {
        if !value {
            return Err(
                PluginError::new(format!("Personne/{name}"), "is empty but is required")
                    .fr("est vide alors qu'il est obligatoire."),
            );
        }
    }
    if c.reasons.is_empty() {
        return Err(PluginError::new(
            "Formalite/FormaliteMotifCode",
            "is empty but at least one reason is required",
        )
        .fr("est vide alors qu'il faut au moins un motif de recensement."));
    }
    let birth = p.birth_date.expect("checked above");
    let on = c.submitted_at.date();
    if birth > on {
        return Err(PluginError::new(
            "Personne/DateNaissance",
            format!(
                "is {} which is after the submission date {}",
                birth.format("%d/%m/%Y"),
                on.format("%d/%m/%Y")
            ),
        )
        .fr(format!(
            "vaut {}, après la date de la demande ({}).",
            birth.format("%d/%m/%Y"),
            on.format("%d/%m/%Y")
        )));
    }
    let age = age_on(birth, on);
    if !(16..26).contains(&age) {
        return Err(PluginError::new(
            "Personne/DateNaissance",
            format!(
                "is {}: the person is {age} on the submission date {} but must be at least 16 and under 26",
                birth.format("%d/%m/%Y"),
                on.format("%d/%m/%Y")
            ),
        )
        .fr(format!(
            "vaut {} : la personne a {age} ans à la date de la demande ({}) ; le recensement concerne les jeunes de 16 à 25 ans.",
            birth.format("%d/%m/%Y"),
            on.format("%d/%m/%Y")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ages_by_calendar() {
        assert_eq!(age_on(d(2009, 8, 16), d(2025, 8, 15)), 15);
        assert_eq!(age_on(d(2009, 8, 16), d(2025, 8, 16)), 16);
        assert_eq!(age_on(d(2008, 2, 29), d(2024, 2, 28)), 15);
        assert_eq!(age_on(d(2008, 2, 29), d(2024, 2, 29)), 16);
    }
}
