//! The Suffrage tables and the rows of one registration request.
//!
//! * `suffrage_demande` — the registration request (date, list, reason);
//! * `suffrage_electeur` — the elector: identity, birth, nationality,
//!   address, contact;
//! * `suffrage_attache` — the elector's link with the commune;
//! * `suffrage_ancienne_inscription` — the former registration, when given.

use msp_plugins::{Column, ColumnType::*, Row, TableDef};

use crate::document::Registration;

/// The request.
pub const DEMANDE: &str = "suffrage_demande";
/// The elector.
pub const ELECTEUR: &str = "suffrage_electeur";
/// The link with the commune.
pub const ATTACHE: &str = "suffrage_attache";
/// The former registration.
pub const ANCIENNE: &str = "suffrage_ancienne_inscription";

/// The table definitions.
pub fn tables() -> Vec<TableDef> {
    let o = Column::optional;
    let r = Column::required;
    vec![
        TableDef {
            name: DEMANDE,
            comment: "the registration request (date, list, reason)",
            columns: vec![
                r("date_demande", Date),
                r("type_liste", Text(32)),
                r("motif", Text(32)),
            ],
            key: vec![],
        },
        TableDef {
            name: ELECTEUR,
            comment: "the elector",
            columns: vec![
                r("nom", Text(255)),
                o("nom_usage", Text(255)),
                r("prenoms", Text(255)),
                r("sexe", Text(1)),
                r("date_naissance", Date),
                r("naissance_commune", Text(255)),
                o("naissance_insee", Text(5)),
                o("naissance_departement", Text(64)),
                o("naissance_pays", Text(2)),
                r("nationalite", Text(2)),
                o("adresse_numero_voie", Text(16)),
                r("adresse_voie", Text(255)),
                o("adresse_complement", Text(255)),
                r("adresse_code_postal", Text(10)),
                r("adresse_commune", Text(255)),
                o("adresse_pays", Text(2)),
                o("courriel", Text(255)),
                o("telephone", Text(32)),
            ],
            key: vec![],
        },
        TableDef {
            name: ATTACHE,
            comment:
                "the elector's link with the commune (DOMICILE, RESIDENCE, CONTRIBUABLE, GERANT)",
            columns: vec![r("type_attache", Text(16))],
            key: vec!["type_attache"],
        },
        TableDef {
            name: ANCIENNE,
            comment: "the former registration",
            columns: vec![
                r("commune", Text(255)),
                o("code_insee", Text(5)),
                o("pays", Text(2)),
            ],
            key: vec![],
        },
    ]
}

/// The rows of one request.
pub fn rows(r: &Registration) -> Vec<Row> {
    let e = &r.elector;
    let mut rows = vec![
        Row::new(DEMANDE)
            .set("date_demande", r.requested_on)
            .set("type_liste", r.list.clone())
            .set("motif", r.reason.clone()),
        Row::new(ELECTEUR)
            .set("nom", e.name.clone())
            .set("nom_usage", e.usage_name.clone())
            .set("prenoms", e.first_names.clone())
            .set("sexe", e.sex.clone())
            .set("date_naissance", e.birth_date)
            .set("naissance_commune", e.birthplace.commune.clone())
            .set("naissance_insee", e.birthplace.insee.clone())
            .set("naissance_departement", e.birthplace.department.clone())
            .set("naissance_pays", e.birthplace.country.clone())
            .set("nationalite", r.nationality.clone())
            .set("adresse_numero_voie", e.address.number.clone())
            .set("adresse_voie", e.address.street.clone())
            .set("adresse_complement", e.address.complement.clone())
            .set("adresse_code_postal", e.address.postal_code.clone())
            .set("adresse_commune", e.address.commune.clone())
            .set("adresse_pays", e.address.country.clone())
            .set("courriel", e.contact.email.clone())
            .set("telephone", e.contact.phone.clone()),
        Row::new(ATTACHE).set("type_attache", r.link.clone()),
    ];
    if let Some(f) = &r.former {
        rows.push(
            Row::new(ANCIENNE)
                .set("commune", f.commune.clone())
                .set("code_insee", f.insee.clone())
                .set("pays", f.country.clone()),
        );
    }
    rows
}
