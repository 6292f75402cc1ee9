//! The {{APP}} tables and the rows of one {{CODE}} request.
//!
//! * `{{prefix}}_demande` — the request (date, subject, comment);
//! * `{{prefix}}_demandeur` — the requester.
//!
//! msp adds the dossier key (`numero`) to every table. Changing a table
//! later: add `version: 2, migrations: migrations` to the `demarche!` in
//! lib.rs, with a `fn migrations() -> Vec<msp_plugins::Migration>` naming
//! the added columns, tables and indexes (docs/tables-and-versions.md).

use msp_plugins::{Column, ColumnType::*, Row, TableDef};

use crate::document::Request;

/// The request.
pub const DEMANDE: &str = "{{prefix}}_demande";
/// The requester.
pub const DEMANDEUR: &str = "{{prefix}}_demandeur";

/// The table definitions.
pub fn tables() -> Vec<TableDef> {
    let o = Column::optional;
    let r = Column::required;
    vec![
        TableDef {
            name: DEMANDE,
            comment: "the {{CODE}} request (date, subject, comment)",
            columns: vec![
                r("date_demande", Date),
                r("objet", Text(32)),
                o("commentaire", Text(2000)),
            ],
            key: vec![],
        },
        TableDef {
            name: DEMANDEUR,
            comment: "the requester",
            columns: vec![
                r("nom", Text(255)),
                r("prenoms", Text(255)),
                r("date_naissance", Date),
                o("courriel", Text(255)),
            ],
            key: vec![],
        },
    ]
}

/// The rows of one request.
pub fn rows(r: &Request) -> Vec<Row> {
    let d = &r.requester;
    vec![
        Row::new(DEMANDE)
            .set("date_demande", r.requested_on)
            .set("objet", r.subject.clone())
            .set("commentaire", r.comment.clone()),
        Row::new(DEMANDEUR)
            .set("nom", d.name.clone())
            .set("prenoms", d.first_names.clone())
            .set("date_naissance", d.birth_date)
            .set("courriel", d.email.clone()),
    ]
}
