//! The civil-status document as the national hub publishes it
//! (`ActeEtatCivil-XML`, PROTOCOL §3.1): root `EnveloppeMetierType`, one
//! `DemandeActe` with coded values (`TypeActe/Code`, `NatureActe/Code`,
//! `QualiteDemandeur/Code`), `DateActe`, `LieuActe`, `MotifDemande`, the
//! `Demandeur` with its `AdresseFrancaise`, and the `Titulaire` by birth
//! name. Read into the same [`Request`] as our earlier model; every broken
//! rule is a French sentence a clerk can act on. Unknown elements are
//! ignored; texts are trimmed (the published file has tabs, CRLF and blank
//! lines); dates are `yyyy-mm-dd` or `dd/mm/yyyy`.

use chrono::NaiveDate;
use msp_plugins::fields::{is_insee, one_of_fr, Address, Contact, Place};
use msp_plugins::xml::Element;
use msp_plugins::PluginError;

use crate::document::{Holder, Request, Requester};

/// The document's root element.
pub const ROOT: &str = "EnveloppeMetierType";
/// `TypeActe/Code`.
pub const TYPES: &[&str] = &["NAISSANCE", "MARIAGE", "DECES"];
/// `NatureActe/Code`.
pub const NATURES: &[&str] = &[
    "COPIE-INTEGRALE",
    "EXTRAIT-AVEC-FILIATION",
    "EXTRAIT-SANS-FILIATION",
    "EXTRAIT-PLURILINGUE",
];
/// The delivery mode: the published document has none; the certificate is
/// posted to the requester's French address.
pub const DELIVERY: &str = "COURRIER";

/// A refusal: the published document's rules are written in French only,
/// for the clerk and the CLI alike.
fn error(at: &str, rule: impl Into<String>) -> PluginError {
    let rule = rule.into();
    PluginError::new(at, rule.clone()).fr(rule)
}

/// A required text, at most `max` characters.
fn required(el: &Element, at: &str, name: &str, max: usize) -> Result<String, PluginError> {
    let path = format!("{at}/{name}");
    let v = el
        .text_at(name)
        .ok_or_else(|| error(&path, "est absent ou vide alors qu'il est obligatoire"))?;
    check_length(v, &path, max)
}

/// An optional text, at most `max` characters.
fn optional(el: &Element, at: &str, name: &str, max: usize) -> Result<Option<String>, PluginError> {
    el.text_at(name)
        .map(|v| check_length(v, &format!("{at}/{name}"), max))
        .transpose()
}

/// An optional text of an optional element.
fn optional_in(
    el: Option<&Element>,
    at: &str,
    name: &str,
    max: usize,
) -> Result<Option<String>, PluginError> {
    el.map_or(Ok(None), |e| optional(e, at, name, max))
}

fn check_length(v: &str, path: &str, max: usize) -> Result<String, PluginError> {
    let n = v.chars().count();
    if n > max {
        return Err(error(
            path,
            format!("compte {n} caractères, plus que les {max} permis"),
        ));
    }
    Ok(v.to_string())
}

/// A coded value (`<X><Code>..</Code><Libelle>..</Libelle></X>`) among
/// `allowed`.
fn code(el: &Element, name: &str, allowed: &[&str], what: &str) -> Result<String, PluginError> {
    let path = format!("DemandeActe/{name}/Code");
    let v = el
        .text_at(&format!("{name}/Code"))
        .ok_or_else(|| error(&path, "est absent ou vide alors qu'il est obligatoire"))?;
    let v = check_length(v, &path, 32)?;
    if !allowed.contains(&v.as_str()) {
        return Err(error(
            &path,
            format!("vaut « {v} » : {what} doit être {}.", one_of_fr(allowed)),
        ));
    }
    Ok(v)
}

/// A date written `yyyy-mm-dd` or `dd/mm/yyyy`.
pub fn date(value: &str, at: &str) -> Result<NaiveDate, PluginError> {
    let parsed = match value.len() {
        10 if value.as_bytes()[4] == b'-' => NaiveDate::parse_from_str(value, "%Y-%m-%d").ok(),
        10 if value.as_bytes()[2] == b'/' => NaiveDate::parse_from_str(value, "%d/%m/%Y").ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        error(
            at,
            format!("vaut « {value} », qui n'est pas une date (aaaa-mm-jj ou jj/mm/aaaa)"),
        )
    })
}

fn optional_date(el: &Element, at: &str, name: &str) -> Result<Option<NaiveDate>, PluginError> {
    el.text_at(name)
        .map(|v| date(v, &format!("{at}/{name}")))
        .transpose()
}

/// An INSEE code, when given, well formed.
fn optional_insee(el: &Element, at: &str) -> Result<Option<String>, PluginError> {
    match el.text_at("CodeINSEE") {
        None => Ok(None),
        Some(v) if is_insee(v) => Ok(Some(v.to_string())),
        Some(v) => Err(error(
            &format!("{at}/CodeINSEE"),
            format!("vaut « {v} », qui n'est pas un code INSEE de commune (5 caractères, par exemple 75056 ou 2A004)"),
        )),
    }
}

/// `MADAME` / `MONSIEUR` as the sex the tables record.
fn sex_of(civility: Option<&str>) -> Option<String> {
    match civility.map(str::to_ascii_uppercase).as_deref() {
        Some("MADAME" | "MADEMOISELLE" | "MME") => Some("F".into()),
        Some("MONSIEUR" | "M") => Some("M".into()),
        _ => None,
    }
}

/// Reads an `EnveloppeMetierType` root into a request.
pub fn read(root: &Element) -> Result<Request, PluginError> {
    let d = root.child("DemandeActe").ok_or_else(|| {
        error(
            "DemandeActe",
            "est absent : le document ne contient aucune demande d'acte",
        )
    })?;
    let at = "DemandeActe";
    let kind = code(d, "TypeActe", TYPES, "le type d'acte")?;
    let nature = code(d, "NatureActe", NATURES, "la nature de l'acte")?;
    let copies = copies(d)?;
    let event_date = date(&required(d, at, "DateActe", 10)?, "DemandeActe/DateActe")?;
    let (lieu, event_place) = event_place(d)?;
    let reason = d.child("MotifDemande");
    let capacity = capacity(d)?;
    let holder = holder(d, event_date, event_place)?;
    let requester = d.child("Demandeur").map(read_requester).transpose()?;
    let delivery_address = requester.as_ref().map(|r| r.address.clone());
    Ok(Request {
        kind,
        nature,
        copies,
        reason: optional_in(reason, "DemandeActe/MotifDemande", "Libelle", 255)?,
        reason_comment: optional_in(reason, "DemandeActe/MotifDemande", "Commentaire", 255)?,
        event_postal_code: optional(lieu, PLACE_AT, "CodePostal", 10)?,
        capacity,
        holder,
        requester,
        delivery: DELIVERY.into(),
        delivery_address,
    })
}

/// `NombreExemplaires`: a whole number from 1 to 10.
fn copies(d: &Element) -> Result<i64, PluginError> {
    let copies_text = required(d, "DemandeActe", "NombreExemplaires", 8)?;
    copies_text
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=10).contains(n))
        .ok_or_else(|| {
            error(
                "DemandeActe/NombreExemplaires",
                format!("vaut « {copies_text} » : le nombre d'exemplaires doit être un nombre entier de 1 à 10"),
            )
        })
}

/// Where the event took place.
const PLACE_AT: &str = "DemandeActe/LieuActe";

/// `LieuActe`, required: the element (its postal code is read last) and
/// the place it names.
fn event_place(d: &Element) -> Result<(&Element, Place), PluginError> {
    let lieu = d
        .child("LieuActe")
        .filter(|e| !e.is_blank())
        .ok_or_else(|| {
            error(
                PLACE_AT,
                "est absent alors que le lieu de l'acte est obligatoire",
            )
        })?;
    let place = Place {
        commune: required(lieu, PLACE_AT, "Ville", 255)?,
        insee: optional_insee(lieu, PLACE_AT)?,
        department: None,
        country: None,
    };
    Ok((lieu, place))
}

/// `Demandeur/QualiteDemandeur/Code`, required.
fn capacity(d: &Element) -> Result<String, PluginError> {
    let capacity_at = "DemandeActe/Demandeur/QualiteDemandeur";
    match d
        .child("Demandeur")
        .and_then(|q| q.child("QualiteDemandeur"))
    {
        Some(q) => required(q, capacity_at, "Code", 32),
        None => Err(error(
            &format!("{capacity_at}/Code"),
            "est absent ou vide alors qu'il est obligatoire",
        )),
    }
}

/// The `Titulaire`, required, with the event's date and place.
fn holder(d: &Element, event_date: NaiveDate, event_place: Place) -> Result<Holder, PluginError> {
    let t_at = "DemandeActe/Titulaire";
    let t = d.child("Titulaire").ok_or_else(|| {
        error(
            t_at,
            "est absent alors que le titulaire de l'acte est obligatoire",
        )
    })?;
    Ok(Holder {
        name: required(t, t_at, "NomNaissance", 255)?,
        first_names: required(t, t_at, "Prenoms", 255)?,
        sex: sex_of(t.text_at("Civilite")),
        event_date,
        event_place,
        father: None,
        mother: None,
        spouse: None,
        civility: optional(t, t_at, "Civilite", 16)?,
        birth_date: optional_date(t, t_at, "DateDeNaissance")?,
        birthplace: match optional(t, t_at, "LieuDeNaissance", 255)? {
            None => None,
            Some(commune) => Some(Place {
                commune,
                insee: None,
                department: optional(t, t_at, "DepartementDeNaissance", 64)?,
                country: None,
            }),
        },
    })
}

fn read_requester(d: &Element) -> Result<Requester, PluginError> {
    let at = "DemandeActe/Demandeur";
    let a_at = "DemandeActe/Demandeur/AdresseFrancaise";
    let a = d.child("AdresseFrancaise").ok_or_else(|| {
        error(
            a_at,
            "est absente alors que l'acte est envoyé à l'adresse du demandeur",
        )
    })?;
    Ok(Requester {
        name: required(d, at, "Nom", 255)?,
        first_names: required(d, at, "Prenom", 255)?,
        civility: optional(d, at, "Civilite", 16)?,
        address: Address {
            number: None,
            street: required(a, a_at, "Voie", 255)?,
            complement: optional(a, a_at, "Complement", 255)?,
            postal_code: required(a, a_at, "CodePostal", 10)?,
            commune: required(a, a_at, "Ville", 255)?,
            country: Some("FR".into()),
        },
        contact: Contact {
            email: optional(d, at, "Courriel", 255)?,
            phone: optional(d, at, "Telephone", 32)?,
        },
    })
}
