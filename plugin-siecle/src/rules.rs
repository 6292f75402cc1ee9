//! The AEC-LA rules. The published document's ([`check_published`]): the
//! codes and the number of copies are checked as it is read
//! ([`crate::published`]); `DateActe` is not in the future. Our earlier
//! model's ([`check`], the schema's header comment):
//!
//! * `TypeActe` MARIAGE requires `Titulaire/Conjoint`;
//! * `NatureActe` EXTRAIT_PLURILINGUE is not available for DECES;
//! * `QualiteDemandeur` other than TITULAIRE requires `Demandeur`;
//! * `DateEvenement` is not in the future.

use chrono::NaiveDate;
use msp_plugins::PluginError;

use crate::document::Request;

/// Checks every rule against `today`; the first broken one is returned.
pub fn check(r: &Request, today: NaiveDate) -> Result<(), PluginError> {
    if r.kind == "MARIAGE" && r.holder.spouse.is_none() {
        return Err(PluginError::new(
            "Titulaire/Conjoint",
            "is missing but TypeActe MARIAGE requires the spouse",
        )
        .fr("est absent alors qu'un acte de mariage demande l'identité du conjoint."));
    }
    if r.nature == "EXTRAIT_PLURILINGUE" && r.kind == "DECES" {
        return Err(PluginError::new(
            "NatureActe",
            "is EXTRAIT_PLURILINGUE but a multilingual extract is not available for TypeActe DECES",
        )
        .fr("vaut EXTRAIT_PLURILINGUE, qui n'existe pas pour un acte de décès."));
    }
    if r.capacity != "TITULAIRE" && r.requester.is_none() {
        return Err(PluginError::new(
            "Demandeur",
            format!(
                "is missing but QualiteDemandeur {} requires the requester's identity",
                r.capacity
            ),
        )
        .fr(format!(
            "est absent alors que la qualité du demandeur ({}) demande son identité.",
            r.capacity
        )));
    }
    not_in_future(r, today, "Titulaire/DateEvenement", |date| {
        (
            format!("is {} which is in the future", date.format("%Y-%m-%d")),
            format!("vaut {}, une date dans le futur.", date.format("%d/%m/%Y")),
        )
    })
}

/// The published document's rule left once it is read: `DateActe` is not
/// in the future (a French sentence for the clerk).
pub fn check_published(r: &Request, today: NaiveDate) -> Result<(), PluginError> {
    not_in_future(r, today, "DemandeActe/DateActe", |date| {
        let words = format!(
            "vaut {}, une date dans le futur : l'acte demandé ne peut pas encore exister",
            date.format("%d/%m/%Y")
        );
        (words.clone(), format!("{words}."))
    })
}

/// The holder's event date, read at `element`, is not after `today`;
/// `words` gives the rule broken and its French words for a date that is.
fn not_in_future(
    r: &Request,
    today: NaiveDate,
    element: &str,
    words: impl FnOnce(NaiveDate) -> (String, String),
) -> Result<(), PluginError> {
    let date = r.holder.event_date;
    if date > today {
        let (rule, fr) = words(date);
        return Err(PluginError::new(element, rule).fr(fr));
    }
    Ok(())
}
