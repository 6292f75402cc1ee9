//! The attestation de recensement carried by the RCO-LA status-19 return
//! archive: a one-page PDF generated from the dossier's Avenir rows.
//!
//! Written with `pdf-writer` in the standard Helvetica font with
//! WinAnsiEncoding, which covers French accented letters (é, è, ë, ç, ï, ô,
//! œ...) without embedding a font; a character outside that encoding is
//! printed as `?`.

use chrono::NaiveDateTime;
use msp_plugins::{DossierData, PluginError, Row, Value};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::tables::{ADRESSE, PERSONNE, RECENSEMENT};

/// File name of the attestation inside the return archive.
pub fn file_name(numero: &str) -> String {
    format!("{numero}-RCO-LA-attestation.pdf")
}

fn text(row: Option<&Row>, col: &str) -> String {
    match row.and_then(|r| r.get(col)) {
        Some(Value::Text(s)) => s.clone(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Date(d)) => d.format("%d/%m/%Y").to_string(),
        Some(Value::Timestamp(t)) => t.format("%d/%m/%Y").to_string(),
        _ => String::new(),
    }
}

fn find<'a>(rows: &'a [Row], table: &str, key: &str, value: &str) -> Option<&'a Row> {
    rows.iter().find(|r| {
        r.table == table && (key.is_empty() || r.get(key) == Some(&Value::Text(value.into())))
    })
}

/// The lines of the attestation (also what a reader extracts from the PDF).
pub fn lines(d: &DossierData) -> Result<Vec<(f32, String)>, PluginError> {
    let person = find(&d.rows, PERSONNE, "role", "RECENSE").ok_or_else(|| {
        PluginError::new(
            "avenir_personne",
            format!("dossier {} has no RECENSE person", d.numero),
        )
    })?;
    let home = find(&d.rows, ADRESSE, "type", "DOMICILE");
    let census = find(&d.rows, RECENSEMENT, "", "");
    let female = person.get("sexe") == Some(&Value::Integer(2));
    let e = if female { "e" } else { "" };
    let first = [
        text(Some(person), "prenom_usuel"),
        text(Some(person), "autres_prenoms"),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    let name = text(Some(person), "nom_famille");
    let mut born = format!("né{e} le {}", text(Some(person), "date_naissance"));
    let commune = text(Some(person), "commune_naissance");
    let other = text(Some(person), "lieu_naissance_autre");
    if !commune.is_empty() {
        born.push_str(&format!(" à {commune}"));
        if !other.is_empty() {
            born.push_str(&format!(" ({other})"));
        }
    } else if !other.is_empty() {
        born.push_str(&format!(" à {other}"));
    }
    let street = ["numero_voie", "extension", "type_voie", "nom_voie"]
        .iter()
        .map(|c| text(home, c))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let town = format!("{} {}", text(home, "code_postal"), text(home, "localite"))
        .trim()
        .to_string();

    let day = |t: NaiveDateTime| t.format("%d/%m/%Y").to_string();
    Ok(vec![
        (11.0, "RÉPUBLIQUE FRANÇAISE".into()),
        (11.0, format!("Mairie de la commune de code INSEE {}", d.insee)),
        (20.0, "ATTESTATION DE RECENSEMENT".into()),
        (11.0, "Recensement citoyen obligatoire (article L. 113-1 du code du service national)".into()),
        (12.0, "Le maire certifie que".into()),
        (14.0, format!("{first} {name}")),
        (12.0, born),
        (12.0, format!("domicilié{e} {street}, {town}")),
        (
            12.0,
            format!(
                "s'est fait recenser{} ; recensement enregistré le {}.",
                match text(census, "date_soumission") {
                    s if s.is_empty() => String::new(),
                    s => format!(" (demande déposée le {s})"),
                },
                day(d.status_at)
            ),
        ),
        (12.0, format!("Dossier n° {}", d.numero)),
        (12.0, format!("Fait le {}, pour servir et valoir ce que de droit.", day(d.status_at))),
        (
            9.0,
            "Cette attestation est à conserver : elle est demandée pour s'inscrire aux examens et concours soumis au contrôle de l'autorité publique.".into(),
        ),
        (9.0, "Aucun duplicata ne sera délivré.".into()),
    ])
}

/// Encodes text to WinAnsi (Windows-1252) bytes for a standard font.
fn win_ansi(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        if unmappable || bytes.len() != 1 {
            out.push(b'?');
        } else {
            out.push(bytes[0]);
        }
    }
    out
}

/// Wraps a line to at most `width` characters.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The attestation PDF.
pub fn pdf(d: &DossierData) -> Result<Vec<u8>, PluginError> {
    let lines = lines(d)?;
    let (catalog, tree, page, font, bold, content, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
    p.parent(tree);
    p.contents(content);
    let mut res = p.resources();
    let mut fonts = res.fonts();
    fonts.pair(Name(b"F1"), font);
    fonts.pair(Name(b"F2"), bold);
    fonts.finish();
    res.finish();
    p.finish();
    for (id, base) in [(font, Name(b"Helvetica")), (bold, Name(b"Helvetica-Bold"))] {
        pdf.type1_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let mut c = Content::new();
    let mut y = 780.0;
    for (i, (size, line)) in lines.iter().enumerate() {
        let title = *size >= 14.0 || i < 2;
        let font_name = if title { Name(b"F2") } else { Name(b"F1") };
        let width = if *size <= 9.0 { 110 } else { 80 };
        if i == 4 || i == 9 || i == 11 {
            y -= 18.0;
        }
        for part in wrap(line, width) {
            c.begin_text();
            c.set_font(font_name, *size);
            c.next_line(60.0, y);
            c.show(Str(&win_ansi(&part)));
            c.end_text();
            y -= size * 1.6;
        }
    }
    pdf.stream(content, &c.finish());
    pdf.document_info(info)
        .title(TextStr("Attestation de recensement"))
        .subject(TextStr(&d.numero))
        .creator(TextStr("msp"));
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_are_win_ansi() {
        assert_eq!(
            win_ansi("Noël Müller œ €"),
            vec![
                b'N', b'o', 0xEB, b'l', b' ', b'M', 0xFC, b'l', b'l', b'e', b'r', b' ', 0x9C, b' ',
                0x80
            ]
        );
        assert_eq!(win_ansi("漢"), b"?");
    }

    #[test]
    fn wraps_long_lines() {
        let w = wrap("a bb ccc dddd", 6);
        assert_eq!(w, vec!["a bb", "ccc", "dddd"]);
    }
}
