//! What the attestation reads: its lines in reading order, each with its
//! role on the page, from the dossier's rows and the client's settings.

use chrono::NaiveDateTime;
use msp_plugins::{DossierData, PluginError, Row, Value};

use crate::tables::{ADRESSE, PERSONNE, RECENSEMENT};

/// The role of a line on the page, which sets its font, size and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// "RÉPUBLIQUE FRANÇAISE", top left.
    Republic,
    /// The motto under it.
    Motto,
    /// "Département : …".
    Department,
    /// "Mairie de …".
    TownHall,
    /// "ATTESTATION DE RECENSEMENT", centred.
    Title,
    /// The legal basis under the title, centred.
    Subtitle,
    /// "Le maire … certifie que :".
    Lead,
    /// The citizen's first names and name.
    Name,
    /// One fact about the citizen (birth, nationality, address).
    Detail,
    /// A paragraph.
    Body,
    /// The dossier's number.
    Reference,
    /// "Fait à …, le …".
    Place,
    /// "Le Maire,", in the signature column on the right.
    Signatory,
    /// "(signature et cachet)", under it, above the room left blank.
    SignatureNote,
    /// The keep-it note, at the foot of the page.
    Note,
}

/// One line (or paragraph, wrapped when laid out) of the attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Its role.
    pub style: Style,
    /// Its words.
    pub text: String,
}

fn text(row: Option<&Row>, col: &str) -> String {
    let s = match row.and_then(|r| r.get(col)) {
        Some(Value::Text(s)) => s.clone(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Date(d)) => d.format("%d/%m/%Y").to_string(),
        Some(Value::Timestamp(t)) => t.format("%d/%m/%Y").to_string(),
        _ => String::new(),
    };
    // One line of text: no tabs or line breaks from the database.
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find<'a>(rows: &'a [Row], table: &str, key: &str, value: &str) -> Option<&'a Row> {
    rows.iter().find(|r| {
        r.table == table && (key.is_empty() || r.get(key) == Some(&Value::Text(value.into())))
    })
}

/// A nationality in words ("française") when its code is known (ISO
/// alpha-3 as the portal sends it, or alpha-2); otherwise the code as it
/// is.
pub fn nationality(code: &str) -> String {
    let words = match code.trim().to_ascii_uppercase().as_str() {
        "FRA" | "FR" => "française",
        "DEU" | "DE" => "allemande",
        "BEL" | "BE" => "belge",
        "ESP" | "ES" => "espagnole",
        "ITA" | "IT" => "italienne",
        "PRT" | "PT" => "portugaise",
        "LUX" | "LU" => "luxembourgeoise",
        "CHE" | "CH" => "suisse",
        "GBR" | "GB" => "britannique",
        "DZA" | "DZ" => "algérienne",
        "MAR" | "MA" => "marocaine",
        "TUN" | "TN" => "tunisienne",
        _ => return code.trim().to_string(),
    };
    words.into()
}

/// "de Belfort", "d'Orléans", "du Mans", "des Abymes": the commune after
/// "Mairie" or "Le maire".
pub fn of_commune(commune: &str) -> String {
    if let Some(rest) = commune.strip_prefix("Le ") {
        format!("du {rest}")
    } else if let Some(rest) = commune.strip_prefix("Les ") {
        format!("des {rest}")
    } else if commune
        .chars()
        .next()
        .is_some_and(|c| "AEIOUYÀÂÉÈÊËÎÏÔŒÙÛÜaeiouyéèêîô".contains(c))
    {
        format!("d'{commune}")
    } else {
        format!("de {commune}")
    }
}

/// "à Belfort", "au Mans", "aux Abymes": the commune after "Fait".
pub fn at_commune(commune: &str) -> String {
    if let Some(rest) = commune.strip_prefix("Le ") {
        format!("au {rest}")
    } else if let Some(rest) = commune.strip_prefix("Les ") {
        format!("aux {rest}")
    } else {
        format!("à {commune}")
    }
}

/// The attestation's lines, in reading order (what a reader extracts from
/// the PDF, wrapped).
pub fn lines(d: &DossierData) -> Result<Vec<Line>, PluginError> {
    let person = find(&d.rows, PERSONNE, "role", "RECENSE").ok_or_else(|| {
        PluginError::new(
            "avenir_personne",
            format!("dossier {} has no RECENSE person", d.numero),
        )
    })?;
    let commune = setting(d.commune.as_deref());
    let departement = setting(d.departement.as_deref());
    let home = find(&d.rows, ADRESSE, "type", "DOMICILE");
    let census = find(&d.rows, RECENSEMENT, "", "");
    let female = person.get("sexe") == Some(&Value::Integer(2));
    let e = if female { "e" } else { "" };
    let mut out = heading(d, commune.as_deref(), departement.as_deref());
    out.extend(citizen(person, home, e));
    out.extend(statement(d, census, e));
    out.extend(closing(d, commune.as_deref()));
    Ok(out)
}

/// A client setting, trimmed; blank counts as unset.
fn setting(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The non-empty `parts`, joined with `sep`.
fn join(parts: Vec<String>, sep: &str) -> String {
    parts
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

fn line(style: Style, text: String) -> Line {
    Line { style, text }
}

/// A day as the attestation writes it.
fn day(t: NaiveDateTime) -> String {
    t.format("%d/%m/%Y").to_string()
}

/// The header: the republic, the department, the town hall, the title and
/// the mayor's lead.
fn heading(d: &DossierData, commune: Option<&str>, departement: Option<&str>) -> Vec<Line> {
    let mut out = vec![
        line(Style::Republic, "RÉPUBLIQUE FRANÇAISE".into()),
        line(Style::Motto, "Liberté Égalité Fraternité".into()),
    ];
    if let Some(dep) = departement {
        out.push(line(Style::Department, format!("Département : {dep}")));
    }
    out.push(line(
        Style::TownHall,
        match commune {
            Some(c) => format!("Mairie {}", of_commune(c)),
            None => format!("Mairie de la commune de code INSEE {}", d.insee),
        },
    ));
    out.push(line(Style::Title, "ATTESTATION DE RECENSEMENT".into()));
    out.push(line(
        Style::Subtitle,
        "Recensement citoyen obligatoire (article L. 113-1 du code du service national)".into(),
    ));
    out.push(line(
        Style::Lead,
        match commune {
            Some(c) => format!("Le maire {} certifie que :", of_commune(c)),
            None => "Le maire certifie que :".into(),
        },
    ));
    out
}

/// The citizen: names, birth, nationality, address (`e` the feminine
/// ending, or nothing).
fn citizen(person: &Row, home: Option<&Row>, e: &str) -> Vec<Line> {
    let name = join(
        vec![
            text(Some(person), "prenom_usuel"),
            text(Some(person), "autres_prenoms"),
            text(Some(person), "nom_famille"),
        ],
        " ",
    );
    let mut out = vec![line(Style::Name, name)];
    let usage = text(Some(person), "nom_usage");
    if !usage.is_empty() && usage != text(Some(person), "nom_famille") {
        out.push(line(Style::Detail, format!("nom d'usage : {usage}")));
    }
    out.push(line(Style::Detail, born(person, e)));
    let nat = text(Some(person), "nationalite");
    if !nat.is_empty() {
        out.push(line(
            Style::Detail,
            format!("de nationalité {}", nationality(&nat)),
        ));
    }
    let address = address(home);
    if !address.is_empty() {
        out.push(line(Style::Detail, format!("domicilié{e} {address}")));
    }
    out
}

/// "né(e) le … à … (…)".
fn born(person: &Row, e: &str) -> String {
    let mut born = format!("né{e}");
    let birth_date = text(Some(person), "date_naissance");
    if !birth_date.is_empty() {
        born.push_str(&format!(" le {birth_date}"));
    }
    let birth_commune = text(Some(person), "commune_naissance");
    let other = text(Some(person), "lieu_naissance_autre");
    if !birth_commune.is_empty() {
        born.push_str(&format!(" à {birth_commune}"));
        if !other.is_empty() {
            born.push_str(&format!(" ({other})"));
        }
    } else if !other.is_empty() {
        born.push_str(&format!(" à {other}"));
    }
    born
}

/// The home address on one line (empty without one).
fn address(home: Option<&Row>) -> String {
    let street = join(
        ["numero_voie", "extension", "type_voie", "nom_voie"]
            .iter()
            .map(|c| text(home, c))
            .collect(),
        " ",
    );
    let town = join(vec![text(home, "code_postal"), text(home, "localite")], " ");
    join(
        vec![
            text(home, "complement"),
            street,
            text(home, "lieu_dit"),
            town,
        ],
        ", ",
    )
}

/// The census and JDC paragraphs and the dossier's reference.
fn statement(d: &DossierData, census: Option<&Row>, e: &str) -> Vec<Line> {
    vec![
        line(
            Style::Body,
            format!(
                "s'est fait recenser{} ; recensement enregistré le {}.",
                match text(census, "date_soumission") {
                    s if s.is_empty() => String::new(),
                    s => format!(" (demande déposée le {s})"),
                },
                day(d.status_at)
            ),
        ),
        line(
            Style::Body,
            format!(
                "Ce recensement ouvre la voie à la Journée défense et citoyenneté (JDC), \
                 à laquelle l'intéressé{e} sera appelé{e} : sa convocation lui sera \
                 adressée par le centre du service national."
            ),
        ),
        line(
            Style::Body,
            "Attestation délivrée pour servir et valoir ce que de droit.".into(),
        ),
        line(Style::Reference, format!("Dossier n° {}", d.numero)),
    ]
}

/// "Fait à …", the signature and the foot note.
fn closing(d: &DossierData, commune: Option<&str>) -> Vec<Line> {
    vec![
        line(
            Style::Place,
            match commune {
                Some(c) => format!("Fait {}, le {}", at_commune(c), day(d.status_at)),
                None => format!("Fait le {}", day(d.status_at)),
            },
        ),
        line(Style::Signatory, "Le Maire,".into()),
        line(Style::SignatureNote, "(signature et cachet)".into()),
        line(
            Style::Note,
            "Cette attestation est à conserver : elle est demandée pour s'inscrire aux \
             examens et concours soumis au contrôle de l'autorité publique."
                .into(),
        ),
        line(Style::Note, "Aucun duplicata ne sera délivré.".into()),
    ]
}
