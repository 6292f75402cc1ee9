//! The attestation written as a PDF: the page's content stream, then the
//! document around it (catalog, page, fonts, information).

use std::io::Write;

use msp_plugins::{DossierData, PluginError};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::fonts::{Font, BOLD, REGULAR};
use super::layout::{layout, Placed, MARGIN, PAGE};
use super::text::lines;

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
    let content_bytes = page_content(&placed, rule, &mut fonts)?;
    document(d, &fonts, &content_bytes)
}

/// The page's content stream, compressed: the placed lines (their glyphs
/// recorded in `fonts`) and the rule above the foot note.
fn page_content(
    placed: &[Placed],
    rule: f32,
    fonts: &mut [Font; 2],
) -> Result<Vec<u8>, PluginError> {
    let mut c = Content::new();
    for p in placed {
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
    deflate(&c.finish())
}

/// The one-page document around the compressed content stream.
fn document(
    d: &DossierData,
    fonts: &[Font; 2],
    content_bytes: &[u8],
) -> Result<Vec<u8>, PluginError> {
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
    pdf.stream(content, content_bytes)
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

pub(super) fn deflate(data: &[u8]) -> Result<Vec<u8>, PluginError> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data)
        .and_then(|()| z.finish())
        .map_err(|e| PluginError::fault(format!("cannot compress the attestation: {e}")))
}
