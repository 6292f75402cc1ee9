//! The attestation de recensement carried by the RCO-LA status-19 return
//! archive: a one-page A4 PDF, laid out as a town hall issues it, from the
//! dossier's Avenir rows and the client's `commune` and `departement`
//! settings: the "RÉPUBLIQUE FRANÇAISE" header with the department and the
//! town hall, the title, the citizen (all first names, name, birth,
//! nationality, address), the census and Journée défense et citoyenneté
//! sentences, "Fait à …, le …", room for the mayor's signature and stamp,
//! and the keep-it note at the foot of the page.
//!
//! Written with `pdf-writer`. The text is set in DejaVu Sans and DejaVu
//! Sans Bold (`fonts/`, their licence beside them), embedded as subsets of
//! the glyphs used (cut by `subsetter`) in Type0/CIDFontType2 fonts with
//! their widths and a ToUnicode map: every reader shows the same page, and
//! text extraction (`pdftotext`) gives the accented letters back. Lines are
//! wrapped with the fonts' own advance widths. A character the fonts lack
//! is printed as `?`.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::NaiveDateTime;
use msp_plugins::{DossierData, PluginError, Row, Value};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::tables::{ADRESSE, PERSONNE, RECENSEMENT};

/// DejaVu Sans (fonts/LICENSE).
static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold (fonts/LICENSE).
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// File name of the attestation inside the return archive.
pub fn file_name(numero: &str) -> String {
    format!("{numero}-RCO-LA-attestation.pdf")
}

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
    let setting = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let commune = setting(&d.commune);
    let departement = setting(&d.departement);
    let home = find(&d.rows, ADRESSE, "type", "DOMICILE");
    let census = find(&d.rows, RECENSEMENT, "", "");
    let female = person.get("sexe") == Some(&Value::Integer(2));
    let e = if female { "e" } else { "" };
    let join = |parts: Vec<String>, sep: &str| {
        parts
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(sep)
    };
    let name = join(
        vec![
            text(Some(person), "prenom_usuel"),
            text(Some(person), "autres_prenoms"),
            text(Some(person), "nom_famille"),
        ],
        " ",
    );
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
    let street = join(
        ["numero_voie", "extension", "type_voie", "nom_voie"]
            .iter()
            .map(|c| text(home, c))
            .collect(),
        " ",
    );
    let town = join(vec![text(home, "code_postal"), text(home, "localite")], " ");
    let address = join(
        vec![
            text(home, "complement"),
            street,
            text(home, "lieu_dit"),
            town,
        ],
        ", ",
    );
    let day = |t: NaiveDateTime| t.format("%d/%m/%Y").to_string();
    let line = |style, text: String| Line { style, text };

    let mut out = vec![
        line(Style::Republic, "RÉPUBLIQUE FRANÇAISE".into()),
        line(Style::Motto, "Liberté Égalité Fraternité".into()),
    ];
    if let Some(dep) = &departement {
        out.push(line(Style::Department, format!("Département : {dep}")));
    }
    out.push(line(
        Style::TownHall,
        match &commune {
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
        match &commune {
            Some(c) => format!("Le maire {} certifie que :", of_commune(c)),
            None => "Le maire certifie que :".into(),
        },
    ));
    out.push(line(Style::Name, name));
    let usage = text(Some(person), "nom_usage");
    if !usage.is_empty() && usage != text(Some(person), "nom_famille") {
        out.push(line(Style::Detail, format!("nom d'usage : {usage}")));
    }
    out.push(line(Style::Detail, born));
    let nat = text(Some(person), "nationalite");
    if !nat.is_empty() {
        out.push(line(
            Style::Detail,
            format!("de nationalité {}", nationality(&nat)),
        ));
    }
    if !address.is_empty() {
        out.push(line(Style::Detail, format!("domicilié{e} {address}")));
    }
    out.push(line(
        Style::Body,
        format!(
            "s'est fait recenser{} ; recensement enregistré le {}.",
            match text(census, "date_soumission") {
                s if s.is_empty() => String::new(),
                s => format!(" (demande déposée le {s})"),
            },
            day(d.status_at)
        ),
    ));
    out.push(line(
        Style::Body,
        format!(
            "Ce recensement ouvre la voie à la Journée défense et citoyenneté (JDC), \
             à laquelle l'intéressé{e} sera appelé{e} : sa convocation lui sera \
             adressée par le centre du service national."
        ),
    ));
    out.push(line(
        Style::Body,
        "Attestation délivrée pour servir et valoir ce que de droit.".into(),
    ));
    out.push(line(Style::Reference, format!("Dossier n° {}", d.numero)));
    out.push(line(
        Style::Place,
        match &commune {
            Some(c) => format!("Fait {}, le {}", at_commune(c), day(d.status_at)),
            None => format!("Fait le {}", day(d.status_at)),
        },
    ));
    out.push(line(Style::Signatory, "Le Maire,".into()));
    out.push(line(Style::SignatureNote, "(signature et cachet)".into()));
    out.push(line(
        Style::Note,
        "Cette attestation est à conserver : elle est demandée pour s'inscrire aux \
         examens et concours soumis au contrôle de l'autorité publique."
            .into(),
    ));
    out.push(line(Style::Note, "Aucun duplicata ne sera délivré.".into()));
    Ok(out)
}

/// A font of the page: its metrics, and the glyphs the page uses (the
/// subset to embed, numbered in the order of first use: those numbers are
/// the CIDs the page shows).
struct Font {
    face: Face<'static>,
    data: &'static [u8],
    /// PostScript name.
    name: &'static str,
    /// Its name in the page's resources.
    resource: &'static [u8],
    glyphs: GlyphRemapper,
    /// The character each CID shows, for the ToUnicode map.
    chars: BTreeMap<u16, char>,
}

impl Font {
    fn new(
        data: &'static [u8],
        name: &'static str,
        resource: &'static [u8],
    ) -> Result<Self, PluginError> {
        let face = Face::parse(data, 0)
            .map_err(|e| PluginError::fault(format!("the font {name} is unreadable: {e}")))?;
        Ok(Font {
            face,
            data,
            name,
            resource,
            glyphs: GlyphRemapper::new(),
            chars: BTreeMap::new(),
        })
    }

    /// The glyph of `c` and the character it shows (`?` for one the font
    /// lacks).
    fn glyph(&self, c: char) -> (GlyphId, char) {
        match self.face.glyph_index(c) {
            Some(g) => (g, c),
            None => (self.face.glyph_index('?').unwrap_or(GlyphId(0)), '?'),
        }
    }

    fn units(&self, g: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0))
    }

    /// Font units to PDF glyph space (thousandths of the size).
    fn scale(&self) -> f32 {
        1000.0 / f32::from(self.face.units_per_em())
    }

    /// The width of `s` at `size`, in points.
    fn width(&self, s: &str, size: f32) -> f32 {
        let units: f32 = s.chars().map(|c| self.units(self.glyph(c).0)).sum();
        units * self.scale() / 1000.0 * size
    }

    /// `s` as the page shows it: the two-byte CIDs of its glyphs.
    fn encode(&mut self, s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 * s.len());
        for c in s.chars() {
            let (g, shown) = self.glyph(c);
            let cid = self.glyphs.remap(g.0);
            if g.0 != 0 {
                self.chars.entry(cid).or_insert(shown);
            }
            out.extend(cid.to_be_bytes());
        }
        out
    }

    /// Writes the font: Type0 font `id`, then its CID font, descriptor,
    /// subset program and ToUnicode map in the four objects after it.
    fn write(&self, pdf: &mut Pdf, id: Ref) -> Result<(), PluginError> {
        let (cid_font, descriptor, program, cmap) = (
            Ref::new(id.get() + 1),
            Ref::new(id.get() + 2),
            Ref::new(id.get() + 3),
            Ref::new(id.get() + 4),
        );
        let subset = subsetter::subset(self.data, 0, &self.glyphs).map_err(|e| {
            PluginError::fault(format!("cannot subset the font {}: {e}", self.name))
        })?;
        let base = format!("{}+{}", self.tag(), self.name);
        let base = Name(base.as_bytes());
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let scale = self.scale();

        pdf.type0_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_font)
            .to_unicode(cmap);

        let mut cid = pdf.cid_font(cid_font);
        cid.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(
            0,
            self.glyphs
                .remapped_gids()
                .map(|g| (self.units(GlyphId(g)) * scale).round()),
        );
        cid.finish();

        let f = &self.face;
        let bbox = f.global_bounding_box();
        let weight = f32::from(f.weight().to_number());
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * scale,
                f32::from(bbox.y_min) * scale,
                f32::from(bbox.x_max) * scale,
                f32::from(bbox.y_max) * scale,
            ))
            .italic_angle(f.italic_angle())
            .ascent(f32::from(f.ascender()) * scale)
            .descent(f32::from(f.descender()) * scale)
            .cap_height(f32::from(f.capital_height().unwrap_or(f.ascender())) * scale)
            .stem_v(10.0 + 0.244 * (weight - 50.0))
            .font_file2(program);

        let packed = deflate(&subset)?;
        let mut stream = pdf.stream(program, &packed);
        stream.filter(Filter::FlateDecode);
        stream.pair(Name(b"Length1"), subset.len() as i32);
        stream.finish();

        let mut map = UnicodeCmap::new(Name(b"Custom"), info);
        for (&cid, &c) in &self.chars {
            map.pair(cid, c);
        }
        pdf.cmap(cmap, &map.finish());
        Ok(())
    }

    /// The six capital letters that name a subset (PDF 32000 §9.6.4),
    /// from the glyphs it holds.
    fn tag(&self) -> String {
        let mut h: u32 = 0x811c_9dc5;
        for g in self.glyphs.remapped_gids() {
            for b in g.to_be_bytes() {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
        (0..6)
            .map(|_| {
                let c = char::from(b'A' + (h % 26) as u8);
                h /= 26;
                c
            })
            .collect()
    }
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, PluginError> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data)
        .and_then(|()| z.finish())
        .map_err(|e| PluginError::fault(format!("cannot compress the attestation: {e}")))
}

/// Whether `next` stays on the line of the word before it: French puts a
/// space before these signs, and "le" or "n°" keeps its date or number.
fn binds(previous: &str, next: &str) -> bool {
    matches!(next, ":" | ";" | "!" | "?" | "»")
        || (matches!(previous, "le" | "n°" | "L.")
            && next.starts_with(|c: char| c.is_ascii_digit()))
}

/// Wraps `s` into lines no wider than `max` points at `size` in `font`.
/// A word wider than a line gets a line of its own.
fn wrap(font: &Font, size: f32, s: &str, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut words = s.split(' ').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        let mut unit = word.to_string();
        let mut last = word;
        while let Some(next) = words.next_if(|w| binds(last, w)) {
            unit.push(' ');
            unit.push_str(next);
            last = next;
        }
        let candidate = if cur.is_empty() {
            unit.clone()
        } else {
            format!("{cur} {unit}")
        };
        if !cur.is_empty() && font.width(&candidate, size) > max {
            lines.push(std::mem::replace(&mut cur, unit));
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A4, in points.
const PAGE: (f32, f32) = (595.28, 841.89);
/// Left and right margins (2.5 cm).
const MARGIN: f32 = 70.87;
/// The baseline of the first line.
const TOP: f32 = 785.0;
/// The lowest baseline of the foot note.
const BOTTOM: f32 = 48.0;
/// The signature column: its left edge and width (7 cm).
const SIGNATURE: (f32, f32) = (PAGE.0 - MARGIN - 198.4, 198.4);
/// The room left blank for the signature and the stamp (4 cm).
const SIGNATURE_ROOM: f32 = 113.4;

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    /// Centred in the signature column.
    Signature,
}

/// How a style is set: bold or not, size, alignment, the distance from
/// the previous baseline to its first one, and its leading.
fn setting(style: Style) -> (bool, f32, Align, f32, f32) {
    use Align::*;
    match style {
        Style::Republic => (true, 13.0, Left, 0.0, 16.0),
        Style::Motto => (false, 8.5, Left, 13.0, 11.0),
        Style::Department => (false, 10.0, Left, 28.0, 13.0),
        Style::TownHall => (true, 11.0, Left, 16.0, 14.0),
        Style::Title => (true, 18.0, Center, 68.0, 22.0),
        Style::Subtitle => (false, 9.5, Center, 19.0, 12.5),
        Style::Lead => (false, 11.0, Left, 50.0, 15.0),
        Style::Name => (true, 14.0, Left, 28.0, 18.0),
        Style::Detail => (false, 11.0, Left, 19.0, 15.0),
        Style::Body => (false, 11.0, Left, 26.0, 15.0),
        Style::Reference => (false, 9.5, Left, 26.0, 12.5),
        Style::Place => (false, 11.0, Left, 38.0, 15.0),
        Style::Signatory => (true, 11.0, Signature, 30.0, 15.0),
        Style::SignatureNote => (false, 9.0, Signature, 14.0, 12.0),
        Style::Note => (false, 8.5, Left, 11.0, 11.0),
    }
}

/// A line of text placed on the page.
struct Placed {
    bold: bool,
    size: f32,
    /// Its baseline's start.
    at: (f32, f32),
    text: String,
}

/// The page laid out at `scale` (1: the normal sizes and spaces): the
/// placed lines and the height of the rule above the foot note, or `None`
/// when the text does not fit on the page.
fn layout(lines: &[Line], fonts: &[Font; 2], scale: f32) -> Option<(Vec<Placed>, f32)> {
    let mut placed = Vec::new();
    // The flow, from the top.
    let mut y = TOP;
    let mut previous = None;
    for l in lines.iter().filter(|l| l.style != Style::Note) {
        let (bold, size, align, mut before, leading) = setting(l.style);
        if l.style == Style::TownHall && previous == Some(Style::Motto) {
            // No department: the town hall takes its place.
            before = setting(Style::Department).3;
        }
        previous = Some(l.style);
        let (size, before, leading) = (size * scale, before * scale, leading * scale);
        let font = &fonts[usize::from(bold)];
        let (left, width) = match align {
            Align::Left | Align::Center => (MARGIN, PAGE.0 - 2.0 * MARGIN),
            Align::Signature => SIGNATURE,
        };
        for (i, text) in wrap(font, size, &l.text, width).into_iter().enumerate() {
            y -= match (placed.is_empty(), i) {
                (true, _) => 0.0,
                (false, 0) => before,
                _ => leading,
            };
            let x = match align {
                Align::Left => left,
                Align::Center | Align::Signature => left + (width - font.width(&text, size)) / 2.0,
            };
            placed.push(Placed {
                bold,
                size,
                at: (x, y),
                text,
            });
        }
    }
    let flow_end = y - SIGNATURE_ROOM * scale;

    // The foot note: its last baseline on BOTTOM, a thin rule above it.
    let (bold, size, _, _, leading) = setting(Style::Note);
    let (size, leading) = (size * scale, leading * scale);
    let notes: Vec<String> = lines
        .iter()
        .filter(|l| l.style == Style::Note)
        .flat_map(|l| {
            wrap(
                &fonts[usize::from(bold)],
                size,
                &l.text,
                PAGE.0 - 2.0 * MARGIN,
            )
        })
        .collect();
    let mut y = BOTTOM + leading * notes.len().saturating_sub(1) as f32;
    let rule = y + size + 6.0;
    if rule > flow_end {
        return None;
    }
    for text in notes {
        placed.push(Placed {
            bold,
            size,
            at: (MARGIN, y),
            text,
        });
        y -= leading;
    }
    Some((placed, rule))
}

/// The attestation PDF.
pub fn pdf(d: &DossierData) -> Result<Vec<u8>, PluginError> {
    let lines = lines(d)?;
    let mut fonts = [
        Font::new(REGULAR, "DejaVuSans", b"F1")?,
        Font::new(BOLD, "DejaVuSans-Bold", b"F2")?,
    ];
    // Normal sizes, or smaller ones for text too long for them (the Avenir
    // columns allow 255 characters each).
    let (placed, rule) = (0..=10)
        .map(|i| 1.0 - 0.05 * i as f32)
        .find_map(|scale| layout(&lines, &fonts, scale))
        .ok_or_else(|| {
            PluginError::fault(format!(
                "dossier {}: the attestation's text does not fit on one page",
                d.numero
            ))
        })?;
    let mut c = Content::new();
    for p in &placed {
        let font = &mut fonts[usize::from(p.bold)];
        let bytes = font.encode(&p.text);
        c.begin_text();
        c.set_font(Name(font.resource), p.size);
        c.next_line(p.at.0, p.at.1);
        c.show(Str(&bytes));
        c.end_text();
    }
    c.set_line_width(0.5);
    c.move_to(MARGIN, rule);
    c.line_to(PAGE.0 - MARGIN, rule);
    c.stroke();
    let content_bytes = deflate(&c.finish())?;

    let (catalog, tree, page, content, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    let font_ids = [Ref::new(6), Ref::new(11)];
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1));
    p.parent(tree);
    p.contents(content);
    let mut res = p.resources();
    let mut names = res.fonts();
    for (font, id) in fonts.iter().zip(font_ids) {
        names.pair(Name(font.resource), id);
    }
    names.finish();
    res.finish();
    p.finish();
    pdf.stream(content, &content_bytes)
        .filter(Filter::FlateDecode);
    for (font, id) in fonts.iter().zip(font_ids) {
        font.write(&mut pdf, id)?;
    }
    pdf.document_info(info)
        .title(TextStr("Attestation de recensement"))
        .subject(TextStr(&d.numero))
        .creator(TextStr("msp"));
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn dossier(commune: Option<&str>, departement: Option<&str>) -> DossierData {
        DossierData {
            numero: "A-2-TEST".into(),
            flow: "RCO-LA".into(),
            insee: "90010".into(),
            status: 19,
            status_at: NaiveDate::from_ymd_opt(2026, 12, 5)
                .unwrap()
                .and_hms_opt(10, 30, 0)
                .unwrap(),
            rows: vec![
                Row::new(RECENSEMENT).set(
                    "date_soumission",
                    NaiveDate::from_ymd_opt(2026, 11, 2)
                        .unwrap()
                        .and_hms_opt(9, 0, 0),
                ),
                Row::new(PERSONNE)
                    .set("role", "RECENSE")
                    .set("sexe", 2i64)
                    .set("nom_famille", "DUBOIS")
                    .set("prenom_usuel", "Noëlle")
                    .set("autres_prenoms", "Loïse Marie")
                    .set("date_naissance", NaiveDate::from_ymd_opt(2009, 8, 16))
                    .set("nationalite", "FRA")
                    .set("commune_naissance", "NANTES")
                    .set("lieu_naissance_autre", "44000"),
                Row::new(ADRESSE)
                    .set("type", "DOMICILE")
                    .set("numero_voie", "18")
                    .set("type_voie", "PLACE")
                    .set("nom_voie", "DE L'ÉGLISE")
                    .set("code_postal", "90000")
                    .set("localite", "BELFORT"),
            ],
            commune: commune.map(str::to_string),
            departement: departement.map(str::to_string),
        }
    }

    /// Sets a column of the dossier's `i`th row, replacing its value.
    fn put(d: &mut DossierData, i: usize, column: &'static str, value: impl Into<Value>) {
        d.rows[i].values.retain(|(c, _)| *c != column);
        d.rows[i].values.push((column, value.into()));
    }

    /// To look at the PDFs of the tests:
    /// `ATTESTATION_PDF_DIR=/tmp/att cargo test -p plugin-avenir`, then
    /// `pdftoppm -png -r 60` on them.
    fn keep(name: &str, pdf: &[u8]) {
        if let Some(dir) = std::env::var_os("ATTESTATION_PDF_DIR") {
            std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
        }
    }

    fn texts(d: &DossierData) -> Vec<String> {
        lines(d).unwrap().into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn with_the_commune_it_reads_as_its_town_hall_issues_it() {
        let t = texts(&dossier(Some("Belfort"), Some("Territoire de Belfort")));
        for expected in [
            "RÉPUBLIQUE FRANÇAISE",
            "Département : Territoire de Belfort",
            "Mairie de Belfort",
            "Le maire de Belfort certifie que :",
            "Noëlle Loïse Marie DUBOIS",
            "née le 16/08/2009 à NANTES (44000)",
            "de nationalité française",
            "domiciliée 18 PLACE DE L'ÉGLISE, 90000 BELFORT",
            "Fait à Belfort, le 05/12/2026",
            "Le Maire,",
            "(signature et cachet)",
        ] {
            assert!(t.iter().any(|l| l == expected), "{expected:?} in {t:#?}");
        }
        assert!(t
            .iter()
            .any(|l| l.contains("demande déposée le 02/11/2026")));
        assert!(t.iter().any(|l| l.contains(
            "Journée défense et citoyenneté (JDC), à laquelle l'intéressée sera appelée"
        )));
        let order: Vec<Style> = lines(&dossier(Some("Belfort"), None))
            .unwrap()
            .iter()
            .map(|l| l.style)
            .collect();
        assert!(!order.contains(&Style::Department), "no department set");
        let place = order.iter().position(|s| *s == Style::Place).unwrap();
        assert_eq!(
            order[place + 1],
            Style::Signatory,
            "signature after the date"
        );
    }

    #[test]
    fn without_the_commune_it_names_the_insee_code() {
        let t = texts(&dossier(None, None));
        keep("bare.pdf", &pdf(&dossier(None, None)).unwrap());
        assert!(t.contains(&"Mairie de la commune de code INSEE 90010".to_string()));
        assert!(t.contains(&"Le maire certifie que :".to_string()));
        assert!(t.contains(&"Fait le 05/12/2026".to_string()));
        assert!(!t.iter().any(|l| l.starts_with("Département")));
        assert!(!t.iter().any(|l| l.contains("Fait à")));
        // Blank settings count as unset.
        assert_eq!(texts(&dossier(Some("  "), Some(""))), t);
    }

    #[test]
    fn nationalities_in_words_and_unknown_codes_as_they_are() {
        assert_eq!(nationality("FRA"), "française");
        assert_eq!(nationality("fr"), "française");
        assert_eq!(nationality("DEU"), "allemande");
        assert_eq!(nationality("XYZ"), "XYZ");
        let mut d = dossier(None, None);
        put(&mut d, 1, "nationalite", "ZZZ");
        assert!(texts(&d).contains(&"de nationalité ZZZ".to_string()));
        put(&mut d, 1, "nationalite", None::<String>);
        assert!(!texts(&d).iter().any(|l| l.contains("nationalité")));
    }

    #[test]
    fn the_commune_takes_the_french_article_and_elision() {
        assert_eq!(of_commune("Belfort"), "de Belfort");
        assert_eq!(of_commune("Orléans"), "d'Orléans");
        assert_eq!(of_commune("Le Mans"), "du Mans");
        assert_eq!(of_commune("Les Abymes"), "des Abymes");
        assert_eq!(of_commune("La Rochelle"), "de La Rochelle");
        assert_eq!(at_commune("Belfort"), "à Belfort");
        assert_eq!(at_commune("Le Mans"), "au Mans");
        assert_eq!(at_commune("Les Abymes"), "aux Abymes");
    }

    #[test]
    fn wraps_with_the_fonts_widths() {
        let font = Font::new(REGULAR, "DejaVuSans", b"F1").unwrap();
        // DejaVu Sans: "i" is much narrower than "W".
        assert!(font.width("iiii", 10.0) < font.width("WW", 10.0));
        let text = "Ce recensement ouvre la voie à la Journée défense et citoyenneté : \
                    l'intéressé sera appelé";
        let lines = wrap(&font, 11.0, text, 200.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(font.width(l, 11.0) <= 200.0, "{l:?}");
            assert!(!l.starts_with(':'), "no line starts with a colon: {l:?}");
        }
        assert_eq!(lines.join(" "), text);
        // "le" keeps its date.
        let dated = "recensement enregistré le 05/12/2026.";
        let w = font.width("recensement enregistré le", 11.0) + 1.0;
        assert_eq!(
            wrap(&font, 11.0, dated, w),
            ["recensement enregistré", "le 05/12/2026."]
        );
        // A word longer than the line stays whole.
        assert_eq!(wrap(&font, 11.0, "a Wwwwwwwwwwwwwww b", 30.0).len(), 3);
        // A character the font lacks is a question mark, in width too.
        assert_eq!(font.width("漢", 10.0), font.width("?", 10.0));
    }

    #[test]
    fn the_pdf_embeds_font_subsets_with_unicode_maps() {
        let pdf = pdf(&dossier(Some("Belfort"), Some("Territoire de Belfort"))).unwrap();
        keep("belfort.pdf", &pdf);
        keep(
            "insee.pdf",
            &super::pdf(&dossier(None, Some("Territoire de Belfort"))).unwrap(),
        );
        assert!(pdf.starts_with(b"%PDF-"));
        let has = |s: &[u8]| pdf.windows(s.len()).any(|w| w == s);
        for s in [
            &b"/FontFile2"[..],
            b"/CIDFontType2",
            b"/Identity-H",
            b"/ToUnicode",
            b"+DejaVuSans-Bold",
        ] {
            assert!(has(s), "{}", String::from_utf8_lossy(s));
        }
        assert!(!has(b"/Helvetica"));
        // Subsets, compressed: far below the 1.4 MB of the two fonts.
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
    }

    #[test]
    fn a_long_address_wraps_and_still_fits() {
        let mut d = dossier(Some("Belfort"), Some("Territoire de Belfort"));
        put(&mut d, 2, "nom_voie", "TRÈS LONGUE ".repeat(21));
        let fonts = [
            Font::new(REGULAR, "DejaVuSans", b"F1").unwrap(),
            Font::new(BOLD, "DejaVuSans-Bold", b"F2").unwrap(),
        ];
        let lines = lines(&d).unwrap();
        assert!(layout(&lines, &fonts, 1.0).is_some());
        keep("long.pdf", &pdf(&d).unwrap());
        // Every column at its 255 characters: smaller, still one page.
        let long = "MOTLONG ".repeat(32)[..255].to_string();
        for (i, column) in [
            (1, "prenom_usuel"),
            (1, "autres_prenoms"),
            (1, "nom_famille"),
            (1, "nom_usage"),
            (1, "commune_naissance"),
            (1, "lieu_naissance_autre"),
            (2, "complement"),
            (2, "nom_voie"),
            (2, "lieu_dit"),
            (2, "localite"),
        ] {
            put(&mut d, i, column, long.as_str());
        }
        let lines = super::lines(&d).unwrap();
        assert!(layout(&lines, &fonts, 1.0).is_none());
        let pdf = pdf(&d).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        keep("longest.pdf", &pdf);
    }
}
