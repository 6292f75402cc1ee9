//! Helpers to read typed fields from a data document with messages that
//! name the element and the rule, and readers for the shared types of
//! `types-communs.xsd` (Lieu, Adresse, Contact, PersonneNommee, Personne).
//!
//! Every path in an error is the element's path from the document root
//! (`Titulaire/LieuEvenement/CodeINSEE`).

use chrono::NaiveDate;

use crate::plugin::PluginError;
use crate::xml::Element;

/// Joins a parent path and a child name.
pub fn path(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}/{name}")
    }
}

/// Optional text (trimmed; empty is absent).
pub fn text(el: &Element, name: &str) -> Option<String> {
    el.text_at(name).map(str::to_string)
}

/// Required, non-empty text of at most `max` characters.
pub fn required(el: &Element, at: &str, name: &str, max: usize) -> Result<String, PluginError> {
    let v = el.text_at(name).ok_or_else(|| missing(path(at, name)))?;
    check_len(v, at, name, max)?;
    Ok(v.to_string())
}

/// The refusal of a required element that is absent or empty.
pub fn missing(path: String) -> PluginError {
    PluginError::new(path, "is missing or empty but is required")
        .fr("est absent ou vide alors qu'il est obligatoire.")
}

/// `A, B ou C` (French list of allowed values).
pub fn one_of_fr(allowed: &[&str]) -> String {
    match allowed.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} ou {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Optional text of at most `max` characters.
pub fn optional(
    el: &Element,
    at: &str,
    name: &str,
    max: usize,
) -> Result<Option<String>, PluginError> {
    match el.text_at(name) {
        None => Ok(None),
        Some(v) => check_len(v, at, name, max).map(|_| Some(v.to_string())),
    }
}

fn check_len(v: &str, at: &str, name: &str, max: usize) -> Result<(), PluginError> {
    let n = v.chars().count();
    if n > max {
        return Err(PluginError::new(
            path(at, name),
            format!("has {n} characters but at most {max} are allowed"),
        )
        .fr(format!("compte {n} caractères, plus que les {max} permis.")));
    }
    Ok(())
}

/// A required child element.
pub fn child<'a>(el: &'a Element, at: &str, name: &str) -> Result<&'a Element, PluginError> {
    el.child(name).ok_or_else(|| {
        PluginError::new(path(at, name), "is missing but is required")
            .fr("est absent alors qu'il est obligatoire.")
    })
}

/// A required value among `allowed`.
pub fn one_of(el: &Element, at: &str, name: &str, allowed: &[&str]) -> Result<String, PluginError> {
    let v = el.text_at(name).ok_or_else(|| {
        PluginError::new(
            path(at, name),
            format!(
                "is missing or empty but must be one of {}",
                allowed.join(", ")
            ),
        )
        .fr(format!(
            "est absent ou vide alors qu'il doit valoir {}.",
            one_of_fr(allowed)
        ))
    })?;
    if allowed.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(PluginError::new(
            path(at, name),
            format!("is {v} but must be one of {}", allowed.join(", ")),
        )
        .fr(format!(
            "vaut « {v} » alors qu'il doit valoir {}.",
            one_of_fr(allowed)
        )))
    }
}

/// An optional value among `allowed`.
pub fn optional_one_of(
    el: &Element,
    at: &str,
    name: &str,
    allowed: &[&str],
) -> Result<Option<String>, PluginError> {
    match el.text_at(name) {
        None => Ok(None),
        Some(_) => one_of(el, at, name, allowed).map(Some),
    }
}

/// Parses an ISO date (`xs:date`, yyyy-mm-dd).
pub fn iso_date(value: &str, at: &str) -> Result<NaiveDate, PluginError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10)
        .ok_or_else(|| {
            PluginError::new(
                at,
                format!("is \"{value}\", not a date in the yyyy-mm-dd form"),
            )
            .fr(format!(
                "vaut « {value} », qui n'est pas une date de la forme aaaa-mm-jj."
            ))
        })
}

/// A required ISO date.
pub fn required_date(el: &Element, at: &str, name: &str) -> Result<NaiveDate, PluginError> {
    let v = el.text_at(name).ok_or_else(|| missing(path(at, name)))?;
    iso_date(v, &path(at, name))
}

/// An optional ISO date.
pub fn optional_date(el: &Element, at: &str, name: &str) -> Result<Option<NaiveDate>, PluginError> {
    el.text_at(name)
        .map(|v| iso_date(v, &path(at, name)))
        .transpose()
}

/// Age in whole years on `on` (birthdays counted by calendar date).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// An INSEE commune code: five digits, or `2A`/`2B` (Corsica) and three
/// digits. The one predicate of the workspace: the envelope's routing code,
/// the configuration's `insee` lists and the plugins' places all use it.
pub fn is_insee(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && (b[..2].iter().all(u8::is_ascii_digit) || matches!(&b[..2], b"2A" | b"2B"))
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// An optional INSEE code.
pub fn optional_insee(el: &Element, at: &str, name: &str) -> Result<Option<String>, PluginError> {
    match el.text_at(name) {
        None => Ok(None),
        Some(v) if is_insee(v) => Ok(Some(v.to_string())),
        Some(v) => Err(PluginError::new(
            path(at, name),
            format!("is \"{v}\", not an INSEE commune code (5 characters, e.g. 75056 or 2A004)"),
        )
        .fr(format!(
            "vaut « {v} », qui n'est pas un code INSEE de commune (5 caractères, par exemple 75056 ou 2A004)."
        ))),
    }
}

/// An ISO 3166-1 alpha-2 country code.
pub fn country(el: &Element, at: &str, name: &str) -> Result<Option<String>, PluginError> {
    match el.text_at(name) {
        None => Ok(None),
        Some(v) if v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()) => {
            Ok(Some(v.to_string()))
        }
        Some(v) => Err(PluginError::new(
            path(at, name),
            format!("is \"{v}\", not an ISO country code (two capital letters, e.g. FR)"),
        )
        .fr(format!(
            "vaut « {v} », qui n'est pas un code pays ISO (deux lettres capitales, par exemple FR)."
        ))),
    }
}

/// `Lieu`: a commune, with its INSEE code, department and country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// Commune.
    pub commune: String,
    /// CodeINSEE.
    pub insee: Option<String>,
    /// Departement.
    pub department: Option<String>,
    /// Pays.
    pub country: Option<String>,
}

/// Reads a `Lieu`.
pub fn place(el: &Element, at: &str) -> Result<Place, PluginError> {
    Ok(Place {
        commune: required(el, at, "Commune", 255)?,
        insee: optional_insee(el, at, "CodeINSEE")?,
        department: optional(el, at, "Departement", 64)?,
        country: country(el, at, "Pays")?,
    })
}

/// `Adresse`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// NumeroVoie.
    pub number: Option<String>,
    /// Voie.
    pub street: String,
    /// Complement.
    pub complement: Option<String>,
    /// CodePostal.
    pub postal_code: String,
    /// Commune.
    pub commune: String,
    /// Pays.
    pub country: Option<String>,
}

/// Reads an `Adresse`.
pub fn address(el: &Element, at: &str) -> Result<Address, PluginError> {
    Ok(Address {
        number: optional(el, at, "NumeroVoie", 16)?,
        street: required(el, at, "Voie", 255)?,
        complement: optional(el, at, "Complement", 255)?,
        postal_code: required(el, at, "CodePostal", 10)?,
        commune: required(el, at, "Commune", 255)?,
        country: country(el, at, "Pays")?,
    })
}

/// `Contact`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Courriel.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
}

/// Reads an optional `Contact` child.
pub fn contact(el: &Element, at: &str, name: &str) -> Result<Contact, PluginError> {
    match el.child(name) {
        None => Ok(Contact::default()),
        Some(c) => {
            let at = path(at, name);
            Ok(Contact {
                email: optional(c, &at, "Courriel", 255)?,
                phone: optional(c, &at, "Telephone", 32)?,
            })
        }
    }
}

/// `PersonneNommee` (parents, spouse) and the common part of `Personne`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedPerson {
    /// Nom.
    pub name: String,
    /// Prenoms.
    pub first_names: String,
    /// DateNaissance.
    pub birth_date: Option<NaiveDate>,
    /// LieuNaissance.
    pub birthplace: Option<Place>,
}

/// Reads a `PersonneNommee`.
pub fn named_person(el: &Element, at: &str) -> Result<NamedPerson, PluginError> {
    Ok(NamedPerson {
        name: required(el, at, "Nom", 255)?,
        first_names: required(el, at, "Prenoms", 255)?,
        birth_date: optional_date(el, at, "DateNaissance")?,
        birthplace: el
            .child("LieuNaissance")
            .map(|l| place(l, &path(at, "LieuNaissance")))
            .transpose()?,
    })
}

/// `Personne`: full civil identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// Nom.
    pub name: String,
    /// NomUsage.
    pub usage_name: Option<String>,
    /// Prenoms.
    pub first_names: String,
    /// Sexe (M or F).
    pub sex: String,
    /// DateNaissance.
    pub birth_date: NaiveDate,
    /// LieuNaissance.
    pub birthplace: Place,
    /// Adresse.
    pub address: Address,
    /// Contact.
    pub contact: Contact,
}

/// Reads a `Personne`.
pub fn person(el: &Element, at: &str) -> Result<Person, PluginError> {
    Ok(Person {
        name: required(el, at, "Nom", 255)?,
        usage_name: optional(el, at, "NomUsage", 255)?,
        first_names: required(el, at, "Prenoms", 255)?,
        sex: one_of(el, at, "Sexe", &["M", "F"])?,
        birth_date: required_date(el, at, "DateNaissance")?,
        birthplace: place(child(el, at, "LieuNaissance")?, &path(at, "LieuNaissance"))?,
        address: address(child(el, at, "Adresse")?, &path(at, "Adresse"))?,
        contact: contact(el, at, "Contact")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn messages_name_the_element_and_the_rule() {
        let d = parse(b"<a><b>X</b><d>2026-02-30</d><i>7505</i><p>fr</p></a>")
            .unwrap()
            .root;
        assert_eq!(
            one_of(&d, "R", "b", &["Y", "Z"]).unwrap_err().to_string(),
            "R/b is X but must be one of Y, Z"
        );
        assert_eq!(
            required(&d, "R", "c", 9).unwrap_err().to_string(),
            "R/c is missing or empty but is required"
        );
        assert!(required_date(&d, "", "d")
            .unwrap_err()
            .to_string()
            .starts_with("d is \"2026-02-30\""));
        assert!(optional_insee(&d, "", "i").is_err());
        assert!(country(&d, "", "p").is_err());
        assert!(required(&d, "", "b", 0)
            .unwrap_err()
            .to_string()
            .contains("at most 0"));
    }
}
