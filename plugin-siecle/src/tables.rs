//! The Siècle tables and the rows of one certificate request.
//!
//! * `siecle_demande` — the request: certificate type and nature, copies,
//!   reason, requester's capacity, delivery mode and address, and the event
//!   (date and place) the certificate records;
//! * `siecle_personne` — the people, keyed by `role`: TITULAIRE, PERE, MERE,
//!   CONJOINT and DEMANDEUR (with address and contact).

use msp_plugins::fields::{Address, NamedPerson, Place};
use msp_plugins::{Column, ColumnType::*, Migration, MigrationStep, Row, TableDef, Value};

use crate::document::Request;

/// The request.
pub const DEMANDE: &str = "siecle_demande";
/// The people.
pub const PERSONNE: &str = "siecle_personne";

fn address_columns(prefix: &'static [&'static str; 6]) -> Vec<Column> {
    let o = Column::optional;
    vec![
        o(prefix[0], Text(16)),
        o(prefix[1], Text(255)),
        o(prefix[2], Text(255)),
        o(prefix[3], Text(10)),
        o(prefix[4], Text(255)),
        o(prefix[5], Text(2)),
    ]
}

const ENVOI: [&str; 6] = [
    "envoi_numero_voie",
    "envoi_voie",
    "envoi_complement",
    "envoi_code_postal",
    "envoi_commune",
    "envoi_pays",
];
const ADRESSE: [&str; 6] = [
    "adresse_numero_voie",
    "adresse_voie",
    "adresse_complement",
    "adresse_code_postal",
    "adresse_commune",
    "adresse_pays",
];

/// The table definitions.
pub fn tables() -> Vec<TableDef> {
    let o = Column::optional;
    let r = Column::required;
    let mut demande = vec![
        r("type_acte", Text(16)),
        r("nature_acte", Text(32)),
        r("nombre_exemplaires", Integer),
        o("motif", Text(255)),
        r("qualite_demandeur", Text(32)),
        r("date_evenement", Date),
        r("lieu_evenement_commune", Text(255)),
        o("lieu_evenement_insee", Text(5)),
        o("lieu_evenement_departement", Text(64)),
        o("lieu_evenement_pays", Text(2)),
        r("mode_delivrance", Text(16)),
    ];
    // Version 2 (the published document): after the address, as the
    // migration adds them.
    let v2_demande = [
        o("motif_commentaire", Text(255)),
        o("lieu_evenement_code_postal", Text(10)),
    ];
    demande.extend(address_columns(&ENVOI));
    demande.extend(v2_demande);
    let mut personne = vec![
        r("role", Text(16)),
        r("nom", Text(255)),
        r("prenoms", Text(255)),
        o("sexe", Text(1)),
        o("date_naissance", Date),
        o("naissance_commune", Text(255)),
        o("naissance_insee", Text(5)),
        o("naissance_departement", Text(64)),
        o("naissance_pays", Text(2)),
    ];
    personne.extend(address_columns(&ADRESSE));
    personne.push(o("courriel", Text(255)));
    personne.push(o("telephone", Text(32)));
    personne.push(o("civilite", Text(16)));
    vec![
        TableDef {
            name: DEMANDE,
            comment: "the certificate request (type, nature, copies, reason, capacity, delivery)",
            columns: demande,
            key: vec![],
        },
        TableDef {
            name: PERSONNE,
            comment: "the holder, parents, spouse and requester (role)",
            columns: personne,
            key: vec!["role"],
        },
    ]
}

/// The tables' version: 2 added the published document's columns.
pub const VERSION: u32 = 2;

/// From version 1 (our earlier model) to 2: three optional columns.
pub fn migrations() -> Vec<Migration> {
    vec![Migration {
        version: 2,
        steps: vec![
            MigrationStep::AddColumn {
                table: DEMANDE,
                column: "motif_commentaire",
            },
            MigrationStep::AddColumn {
                table: DEMANDE,
                column: "lieu_evenement_code_postal",
            },
            MigrationStep::AddColumn {
                table: PERSONNE,
                column: "civilite",
            },
        ],
    }]
}

fn set_address(mut row: Row, names: &[&'static str; 6], a: Option<&Address>) -> Row {
    let values: [Value; 6] = match a {
        None => std::array::from_fn(|_| Value::Null),
        Some(a) => [
            a.number.clone().into(),
            a.street.clone().into(),
            a.complement.clone().into(),
            a.postal_code.clone().into(),
            a.commune.clone().into(),
            a.country.clone().into(),
        ],
    };
    for (n, v) in names.iter().zip(values) {
        row = row.set(n, v);
    }
    row
}

fn set_birthplace(row: Row, p: Option<&Place>) -> Row {
    row.set("naissance_commune", p.map(|p| p.commune.clone()))
        .set("naissance_insee", p.and_then(|p| p.insee.clone()))
        .set(
            "naissance_departement",
            p.and_then(|p| p.department.clone()),
        )
        .set("naissance_pays", p.and_then(|p| p.country.clone()))
}

fn named(role: &'static str, p: &NamedPerson) -> Row {
    let row = Row::new(PERSONNE)
        .set("role", role)
        .set("nom", p.name.clone())
        .set("prenoms", p.first_names.clone())
        .set("date_naissance", p.birth_date);
    set_birthplace(row, p.birthplace.as_ref())
}

/// The rows of one request.
pub fn rows(r: &Request) -> Vec<Row> {
    let h = &r.holder;
    let demande = Row::new(DEMANDE)
        .set("type_acte", r.kind.clone())
        .set("nature_acte", r.nature.clone())
        .set("nombre_exemplaires", r.copies)
        .set("motif", r.reason.clone())
        .set("qualite_demandeur", r.capacity.clone())
        .set("date_evenement", h.event_date)
        .set("lieu_evenement_commune", h.event_place.commune.clone())
        .set("lieu_evenement_insee", h.event_place.insee.clone())
        .set(
            "lieu_evenement_departement",
            h.event_place.department.clone(),
        )
        .set("lieu_evenement_pays", h.event_place.country.clone())
        .set("mode_delivrance", r.delivery.clone())
        .set("motif_commentaire", r.reason_comment.clone())
        .set("lieu_evenement_code_postal", r.event_postal_code.clone());
    let mut rows = vec![set_address(demande, &ENVOI, r.delivery_address.as_ref())];
    let titulaire = Row::new(PERSONNE)
        .set("role", "TITULAIRE")
        .set("nom", h.name.clone())
        .set("prenoms", h.first_names.clone())
        .set("sexe", h.sex.clone())
        .set("civilite", h.civility.clone())
        .set("date_naissance", h.birth_date);
    rows.push(set_birthplace(titulaire, h.birthplace.as_ref()));
    for (role, p) in [
        ("PERE", &h.father),
        ("MERE", &h.mother),
        ("CONJOINT", &h.spouse),
    ] {
        if let Some(p) = p {
            rows.push(named(role, p));
        }
    }
    if let Some(d) = &r.requester {
        let row = Row::new(PERSONNE)
            .set("role", "DEMANDEUR")
            .set("nom", d.name.clone())
            .set("prenoms", d.first_names.clone())
            .set("courriel", d.contact.email.clone())
            .set("telephone", d.contact.phone.clone())
            .set("civilite", d.civility.clone());
        rows.push(set_address(row, &ADRESSE, Some(&d.address)));
    }
    rows
}
