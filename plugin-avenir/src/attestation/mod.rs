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
//!
//! The rooms: `text` says what the page reads (its lines and
//! their French), `fonts` measures and embeds the two fonts, `layout` wraps
//! and places the lines on the A4 page, `pdf` writes the document.

mod fonts;
mod layout;
mod pdf;
mod text;

pub use self::pdf::pdf;
pub use self::text::{at_commune, lines, nationality, of_commune, Line, Style};

/// File name of the attestation inside the return archive.
pub fn file_name(numero: &str) -> String {
    format!("{numero}-RCO-LA-attestation.pdf")
}

#[cfg(test)]
mod tests;
