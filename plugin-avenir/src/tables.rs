//! The Avenir tables and the rows of one census request.
//!
//! Every table carries the dossier key `numero` (added by the backend):
//!
//! * `avenir_recensement` — the census record (one per dossier);
//! * `avenir_personne` — the citizen and the parents, keyed by `role`
//!   (`RECENSE`, `PERE`, `MERE`);
//! * `avenir_adresse` — home and residence addresses, keyed by `type`
//!   (`DOMICILE`, `RESIDENCE`);
//! * `avenir_contact` — e-mail and telephone, keyed by `rang`.

use msp_plugins::{Column, ColumnType::*, Row, TableDef};

use crate::document::{Address, Census, Person};

/// Census record.
pub const RECENSEMENT: &str = "avenir_recensement";
/// Persons.
pub const PERSONNE: &str = "avenir_personne";
/// Addresses.
pub const ADRESSE: &str = "avenir_adresse";
/// Contacts.
pub const CONTACT: &str = "avenir_contact";

/// The table definitions.
pub fn tables() -> Vec<TableDef> {
    let o = Column::optional;
    let r = Column::required;
    vec![
        TableDef {
            name: RECENSEMENT,
            comment: "the census request (Formalite, SituationFamille)",
            columns: vec![
                o("identifiant_formalite", Text(64)),
                o("formalite_type", Text(32)),
                r("date_soumission", Timestamp),
                r("motifs", Text(255)),
                o("mode_code", Text(32)),
                o("convention", Text(64)),
                o("situation_matrimoniale", Text(64)),
                o("nombre_enfants", Integer),
                o("pupille", Text(32)),
                o("nombre_freres_soeurs", Integer),
            ],
            key: vec![],
        },
        TableDef {
            name: PERSONNE,
            comment: "the citizen (RECENSE) and the parents (PERE, MERE)",
            columns: vec![
                r("role", Text(8)),
                o("civilite", Text(16)),
                o("sexe", Integer),
                o("nom_famille", Text(255)),
                o("nom_usage", Text(255)),
                o("prenom_usuel", Text(255)),
                o("autres_prenoms", Text(255)),
                o("date_naissance", Date),
                o("pays_naissance", Text(3)),
                o("nationalite", Text(3)),
                o("code_insee_naissance", Text(5)),
                o("commune_naissance", Text(255)),
                o("lieu_naissance_autre", Text(255)),
            ],
            key: vec!["role"],
        },
        TableDef {
            name: ADRESSE,
            comment: "the citizen's home (DOMICILE) and residence (RESIDENCE) addresses",
            columns: vec![
                r("type", Text(16)),
                o("point_de_remise", Text(255)),
                o("complement", Text(255)),
                o("numero_voie", Text(16)),
                o("extension", Text(16)),
                o("type_voie", Text(32)),
                o("nom_voie", Text(255)),
                o("lieu_dit", Text(255)),
                o("code_postal", Text(10)),
                o("localite", Text(255)),
                o("code_insee", Text(5)),
            ],
            key: vec!["type"],
        },
        TableDef {
            name: CONTACT,
            comment: "the citizen's contact methods (EMAIL, TEL)",
            columns: vec![
                r("rang", Integer),
                r("canal", Text(16)),
                r("valeur", Text(255)),
            ],
            key: vec!["rang"],
        },
    ]
}

fn person_row(role: &'static str, p: &Person) -> Row {
    Row::new(PERSONNE)
        .set("role", role)
        .set("civilite", p.civility.clone())
        .set("sexe", p.sex.map(i64::from))
        .set("nom_famille", p.family_name.clone())
        .set("nom_usage", p.usage_name.clone())
        .set("prenom_usuel", p.first_name.clone())
        .set("autres_prenoms", p.other_first_names.clone())
        .set("date_naissance", p.birth_date)
        .set("pays_naissance", p.birth_country.clone())
        .set("nationalite", p.nationality.clone())
        .set("code_insee_naissance", p.birth_insee.clone())
        .set("commune_naissance", p.birthplace.commune.clone())
        .set("lieu_naissance_autre", p.birthplace.other.clone())
}

fn address_row(kind: &'static str, a: &Address) -> Row {
    Row::new(ADRESSE)
        .set("type", kind)
        .set("point_de_remise", a.delivery_point.clone())
        .set("complement", a.complement.clone())
        .set("numero_voie", a.number.clone())
        .set("extension", a.extension.clone())
        .set("type_voie", a.street_type.clone())
        .set("nom_voie", a.street.clone())
        .set("lieu_dit", a.locality.clone())
        .set("code_postal", a.postal_code.clone())
        .set("localite", a.town.clone())
        .set("code_insee", a.insee.clone())
}

/// The rows of one census request.
pub fn rows(c: &Census) -> Vec<Row> {
    let mut rows = vec![Row::new(RECENSEMENT)
        .set("identifiant_formalite", c.formality_id.clone())
        .set("formalite_type", c.formality_type.clone())
        .set("date_soumission", c.submitted_at)
        .set("motifs", c.reasons.join(","))
        .set("mode_code", c.mode.clone())
        .set("convention", c.convention.clone())
        .set("situation_matrimoniale", c.family.marital_status.clone())
        .set("nombre_enfants", c.family.children)
        .set("pupille", c.family.ward.clone())
        .set("nombre_freres_soeurs", c.family.siblings)];
    rows.push(person_row("RECENSE", &c.person));
    if let Some(f) = &c.father {
        rows.push(person_row("PERE", f));
    }
    if let Some(m) = &c.mother {
        rows.push(person_row("MERE", m));
    }
    rows.push(address_row("DOMICILE", &c.home));
    if let Some(r) = &c.residence {
        rows.push(address_row("RESIDENCE", r));
    }
    for (i, (canal, uri)) in c.contacts.iter().enumerate() {
        rows.push(
            Row::new(CONTACT)
                .set("rang", i as i64 + 1)
                .set("canal", canal.clone())
                .set("valeur", uri.clone()),
        );
    }
    rows
}
