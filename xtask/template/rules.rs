//! The {{CODE}} rules, each refusal naming the element and the rule:
//!
//! * `Demandeur/DateNaissance` is before `DateDemande`;
//! * the requester is at least 18 on `DateDemande`;
//! * `DateDemande` is not in the future.

use chrono::NaiveDate;
use msp_plugins::fields::age_on;
use msp_plugins::PluginError;

use crate::document::Request;

/// Checks every rule against `today`; the first broken one is returned.
pub fn check(r: &Request, today: NaiveDate) -> Result<(), PluginError> {
    if r.requested_on > today {
        return Err(PluginError::new(
            "DateDemande",
            format!("is {} which is in the future", r.requested_on.format("%Y-%m-%d")),
        )
        .fr(format!(
            "vaut {}, une date dans le futur.",
            r.requested_on.format("%d/%m/%Y")
        )));
    }
    let birth = r.requester.birth_date;
    if birth >= r.requested_on {
        return Err(PluginError::new(
            "Demandeur/DateNaissance",
            format!(
                "is {} but must be before DateDemande {}",
                birth.format("%Y-%m-%d"),
                r.requested_on.format("%Y-%m-%d")
            ),
        )
        .fr(format!(
            "vaut {} alors qu'elle doit précéder la date de la demande ({}).",
            birth.format("%d/%m/%Y"),
            r.requested_on.format("%d/%m/%Y")
        )));
    }
    let age = age_on(birth, r.requested_on);
    if age < 18 {
        return Err(PluginError::new(
            "Demandeur/DateNaissance",
            format!(
                "is {}: the requester is {age} on DateDemande {} but must be at least 18",
                birth.format("%Y-%m-%d"),
                r.requested_on.format("%Y-%m-%d")
            ),
        )
        .fr(format!(
            "vaut {} : le demandeur a {age} ans à la date de la demande ({}) alors qu'il doit être majeur.",
            birth.format("%d/%m/%Y"),
            r.requested_on.format("%d/%m/%Y")
        )));
    }
    Ok(())
}
