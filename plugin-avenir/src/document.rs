//! The 10870-XML document (xsd/doc-rco.xsd) read into typed values.
//!
//! No namespace, French dates (dd/mm/yyyy), and many elements present but
//! empty: an empty element means "not given".

use chrono::{NaiveDate, NaiveDateTime};
use msp_plugins::fields::text;
use msp_plugins::xml::Element;
use msp_plugins::PluginError;

/// Where the person was born: commune name and/or another place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Birthplace {
    /// `LieuNaissance[Code=COMMUNE]/Nom`.
    pub commune: Option<String>,
    /// `LieuNaissance[Code=AUTRE]/Nom` (postal code or foreign place).
    pub other: Option<String>,
}

/// An address (`AdresseDomicile`, `AdresseResidence`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// PointDeRemise.
    pub delivery_point: Option<String>,
    /// Complement.
    pub complement: Option<String>,
    /// NumeroVoie.
    pub number: Option<String>,
    /// Extension (bis, ter).
    pub extension: Option<String>,
    /// TypeVoie.
    pub street_type: Option<String>,
    /// NomVoie.
    pub street: Option<String>,
    /// LieuDit.
    pub locality: Option<String>,
    /// CodePostal.
    pub postal_code: Option<String>,
    /// Localite.
    pub town: Option<String>,
    /// CodeINSEE.
    pub insee: Option<String>,
}

impl Address {
    /// True when nothing was given.
    pub fn is_empty(&self) -> bool {
        *self == Address::default()
    }
}

/// A person: the citizen (`Personne`) or a parent (`FiliationPere/Mere`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// Civilite (M, MME...).
    pub civility: Option<String>,
    /// Sexe: 1 male, 2 female (INSEE convention).
    pub sex: Option<u8>,
    /// NomFamille.
    pub family_name: Option<String>,
    /// NomUsage.
    pub usage_name: Option<String>,
    /// PrenomUsuel.
    pub first_name: Option<String>,
    /// Prenom (the other first names).
    pub other_first_names: Option<String>,
    /// DateNaissance.
    pub birth_date: Option<NaiveDate>,
    /// PaysNaissance (ISO alpha-3).
    pub birth_country: Option<String>,
    /// Nationalite.
    pub nationality: Option<String>,
    /// CodeINSEENaissance.
    pub birth_insee: Option<String>,
    /// LieuNaissance.
    pub birthplace: Birthplace,
}

impl Person {
    /// True when nothing was given (a parent left blank).
    pub fn is_empty(&self) -> bool {
        *self == Person::default()
    }
}

/// `SituationFamille`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Family {
    /// SituationMatrimoniale (free text, e.g. Célibataire).
    pub marital_status: Option<String>,
    /// NombreEnfants.
    pub children: Option<i64>,
    /// Pupille (ward of the nation), free text.
    pub ward: Option<String>,
    /// NombreFrereSoeur.
    pub siblings: Option<i64>,
}

/// The whole census request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Census {
    /// Convention.
    pub convention: Option<String>,
    /// Formalite/Identifiant.
    pub formality_id: Option<String>,
    /// Formalite/FormaliteType.
    pub formality_type: Option<String>,
    /// Formalite/DateSoumission.
    pub submitted_at: NaiveDateTime,
    /// Formalite/FormaliteMotifCode (non-empty ones).
    pub reasons: Vec<String>,
    /// Formalite/FormaliteModeCode.
    pub mode: Option<String>,
    /// The citizen.
    pub person: Person,
    /// AdresseDomicile.
    pub home: Address,
    /// AdresseResidence, when given.
    pub residence: Option<Address>,
    /// SituationFamille.
    pub family: Family,
    /// MethodeContact: (CanalCode, URI).
    pub contacts: Vec<(String, String)>,
    /// FiliationPere, when given.
    pub father: Option<Person>,
    /// FiliationMere, when given.
    pub mother: Option<Person>,
}

fn required<'a>(el: &'a Element, path: &str, name: &str) -> Result<&'a Element, PluginError> {
    el.child(name).ok_or_else(|| {
        PluginError::new(format!("{path}{name}"), "is missing")
            .fr("est absent alors qu'il est obligatoire.")
    })
}

/// Parses a French date `dd/mm/yyyy`.
pub fn parse_date_fr(value: &str, at: &str) -> Result<NaiveDate, PluginError> {
    NaiveDate::parse_from_str(value, "%d/%m/%Y")
        .ok()
        .filter(|_| value.len() == 10)
        .ok_or_else(|| {
            PluginError::new(
                at,
                format!("is \"{value}\", not a date in the dd/mm/yyyy form"),
            )
            .fr(format!(
                "vaut « {value} », qui n'est pas une date de la forme jj/mm/aaaa."
            ))
        })
}

/// Parses an `xs:dateTime`, with or without fraction and time zone (dropped:
/// the portal writes French local time).
pub fn parse_datetime(value: &str, at: &str) -> Result<NaiveDateTime, PluginError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|d| d.naive_local())
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|_| {
            PluginError::new(
                at,
                format!("is \"{value}\", not a date and time (yyyy-mm-ddThh:mm:ss)"),
            )
            .fr(format!(
                "vaut « {value} », qui n'est pas une date et une heure (aaaa-mm-jjThh:mm:ss)."
            ))
        })
}

fn number(el: &Element, name: &str, at: &str) -> Result<Option<i64>, PluginError> {
    match el.text_at(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                PluginError::new(
                    format!("{at}{name}"),
                    format!("is \"{v}\", not a whole number"),
                )
                .fr(format!("vaut « {v} », qui n'est pas un nombre entier."))
            }),
    }
}

fn address(el: &Element) -> Address {
    Address {
        delivery_point: text(el, "PointDeRemise"),
        complement: text(el, "Complement"),
        number: text(el, "NumeroVoie"),
        extension: text(el, "Extension"),
        street_type: text(el, "TypeVoie"),
        street: text(el, "NomVoie"),
        locality: text(el, "LieuDit"),
        postal_code: text(el, "CodePostal"),
        town: text(el, "Localite"),
        insee: text(el, "CodeINSEE"),
    }
}

fn person(el: &Element, at: &str) -> Result<Person, PluginError> {
    let sex = match el.text_at("Sexe") {
        None => None,
        Some("1") => Some(1),
        Some("2") => Some(2),
        Some(v) => {
            return Err(PluginError::new(
                format!("{at}Sexe"),
                format!("is \"{v}\" but must be 1 (male) or 2 (female)"),
            )
            .fr(format!(
                "vaut « {v} » alors qu'il doit valoir 1 (masculin) ou 2 (féminin)."
            )))
        }
    };
    let birth_date = el
        .text_at("DateNaissance")
        .map(|v| parse_date_fr(v, &format!("{at}DateNaissance")))
        .transpose()?;
    let places: Vec<&Element> = el.children_named("LieuNaissance").collect();
    if places.len() > 2 {
        return Err(PluginError::new(
            format!("{at}LieuNaissance"),
            format!(
                "appears {} times but at most twice (COMMUNE and AUTRE)",
                places.len()
            ),
        )
        .fr(format!(
            "figure {} fois alors qu'il en faut au plus deux (COMMUNE et AUTRE).",
            places.len()
        )));
    }
    let mut birthplace = Birthplace::default();
    for p in places {
        let name = text(p, "Nom");
        match p.text_at("Code") {
            Some("COMMUNE") => birthplace.commune = name.or(birthplace.commune),
            Some("AUTRE") => birthplace.other = name.or(birthplace.other),
            None if name.is_none() => {}
            Some(c) => {
                return Err(PluginError::new(
                    format!("{at}LieuNaissance/Code"),
                    format!("is \"{c}\" but must be COMMUNE or AUTRE"),
                )
                .fr(format!(
                    "vaut « {c} » alors qu'il doit valoir COMMUNE ou AUTRE."
                )))
            }
            None => {
                return Err(PluginError::new(
                    format!("{at}LieuNaissance/Code"),
                    "is empty but must be COMMUNE or AUTRE",
                )
                .fr("est vide alors qu'il doit valoir COMMUNE ou AUTRE."))
            }
        }
    }
    Ok(Person {
        civility: text(el, "Civilite"),
        sex,
        family_name: text(el, "NomFamille"),
        usage_name: text(el, "NomUsage"),
        first_name: text(el, "PrenomUsuel"),
        other_first_names: text(el, "Prenom"),
        birth_date,
        birth_country: text(el, "PaysNaissance"),
        nationality: text(el, "Nationalite"),
        birth_insee: text(el, "CodeINSEENaissance"),
        birthplace,
    })
}

/// Reads a `RecensementCitoyen` root into a [`Census`] (structure only;
/// the business rules are in [`crate::rules`]).
pub fn read(root: &Element) -> Result<Census, PluginError> {
    if root.name != "RecensementCitoyen" {
        return Err(PluginError::new(
            root.name.clone(),
            "is not a RecensementCitoyen document (10870-XML)",
        )
        .fr("n'est pas un document RecensementCitoyen (10870-XML)."));
    }
    let f = required(root, "", "Formalite")?;
    let submitted = f
        .text_at("DateSoumission")
        .ok_or_else(|| msp_plugins::fields::missing("Formalite/DateSoumission".into()))?;
    let submitted_at = parse_datetime(submitted, "Formalite/DateSoumission")?;
    let p = required(root, "", "Personne")?;
    let home = required(p, "Personne/", "AdresseDomicile")?;
    let residence = p
        .child("AdresseResidence")
        .map(address)
        .filter(|a| !a.is_empty());
    let family = match p.child("SituationFamille") {
        None => Family::default(),
        Some(s) => Family {
            marital_status: text(s, "SituationMatrimoniale"),
            children: number(s, "NombreEnfants", "Personne/SituationFamille/")?,
            ward: text(s, "Pupille"),
            siblings: number(s, "NombreFrereSoeur", "Personne/SituationFamille/")?,
        },
    };
    let contacts = p
        .children_named("MethodeContact")
        .filter_map(|m| {
            Some((
                m.text_at("CanalCode")?.to_ascii_uppercase(),
                m.text_at("URI")?.to_string(),
            ))
        })
        .collect();
    let parent = |name: &str| -> Result<Option<Person>, PluginError> {
        match root.child(name) {
            None => Ok(None),
            Some(el) => Ok(Some(person(el, &format!("{name}/"))?).filter(|p| !p.is_empty())),
        }
    };
    Ok(Census {
        convention: text(root, "Convention"),
        formality_id: text(f, "Identifiant"),
        formality_type: text(f, "FormaliteType"),
        submitted_at,
        reasons: f
            .children_named("FormaliteMotifCode")
            .filter_map(|m| m.value().map(str::to_string))
            .collect(),
        mode: text(f, "FormaliteModeCode"),
        person: person(p, "Personne/")?,
        home: address(home),
        residence,
        family,
        contacts,
        father: parent("FiliationPere")?,
        mother: parent("FiliationMere")?,
    })
}
