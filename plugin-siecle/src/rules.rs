//! The AEC-LA rules (the schema's header comment):
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
        ));
    }
    if r.nature == "EXTRAIT_PLURILINGUE" && r.kind == "DECES" {
        return Err(PluginError::new(
            "NatureActe",
            "is EXTRAIT_PLURILINGUE but a multilingual extract is not available for TypeActe DECES",
        ));
    }
    if r.capacity != "TITULAIRE" && r.requester.is_none() {
        return Err(PluginError::new(
            "Demandeur",
            format!(
                "is missing but QualiteDemandeur {} requires the requester's identity",
                r.capacity
            ),
        ));
    }
    if r.holder.event_date > today {
        return Err(PluginError::new(
            "Titulaire/DateEvenement",
            format!(
                "is {} which is in the future",
                r.holder.event_date.format("%Y-%m-%d")
            ),
        ));
    }
    Ok(())
}
