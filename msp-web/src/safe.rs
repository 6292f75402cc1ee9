//! What the console reads from its folders and shows of it, made safe:
//! files opened only when they are not symbolic links, long logs quoted
//! in part, bidirectional controls (which make `facture\u{202E}fdp.exe`
//! read `facturexe.pdf`) made visible in pages and dropped from download
//! names, as the command line does ([`msp_core::display`]).

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use msp_core::{Error, Result};

/// Characters of one line of a log (or of one message) quoted at most.
pub const QUOTE_LINE: usize = 300;

/// Lines of a log quoted at most.
pub const QUOTE_LINES: usize = 40;

/// Unicode's bidirectional formatting controls: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), the marks (U+200E, U+200F,
/// U+061C).
pub use msp_core::display::is_bidi_control as is_bidi;

/// A rendered page whose bidirectional controls are neutralised: in text,
/// each becomes a visible escape, `\u{202e}` as on the command line;
/// inside a tag (an attribute's value,
/// such as a hidden field naming an archive) a character reference keeps
/// the value exact. maud escapes `<` and `>` in every value it writes, so
/// a raw `<` always opens a tag and a raw `>` closes it.
pub fn neutralise_html(html: String) -> String {
    if !html.chars().any(is_bidi) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(c);
            }
            '>' => {
                in_tag = false;
                out.push(c);
            }
            c if is_bidi(c) && in_tag => {
                let _ = write!(out, "&#x{:X};", c as u32);
            }
            c if is_bidi(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// A file name for a download: without bidirectional controls nor
/// control characters (a browser would save `facture\u{202E}fdp.exe` as a
/// file that reads `facturexe.pdf`).
pub fn download_name(name: &str) -> String {
    let clean = msp_core::display::file_name(name).into_owned();
    if clean.trim().is_empty() {
        "fichier".to_string()
    } else {
        clean
    }
}

/// The words for characters left out (as [`msp_core::display::cut_fr`]
/// writes them).
fn cut(n: usize) -> String {
    format!(
        "… ({n} {})",
        crate::pages::plural(n, "caractère coupé", "caractères coupés")
    )
}

/// Quotes text read from `r`, without holding more than the quote: the
/// first [`QUOTE_LINES`] lines, each cut after [`QUOTE_LINE`] characters,
/// saying how many characters were left out.
pub fn quote_reader(mut r: impl Read) -> std::io::Result<String> {
    let mut out = String::new();
    let mut line: Vec<u8> = Vec::new();
    let (mut chars, mut line_cut, mut lines, mut rest) = (0usize, 0usize, 0usize, 0usize);
    let finish = |out: &mut String, line: &mut Vec<u8>, line_cut: &mut usize| {
        out.push_str(&String::from_utf8_lossy(line));
        if *line_cut > 0 {
            out.push_str(&cut(*line_cut));
        }
        line.clear();
        *line_cut = 0;
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            // A character starts at any byte but a UTF-8 continuation.
            let starts = b & 0xC0 != 0x80;
            if lines >= QUOTE_LINES {
                rest += usize::from(starts);
            } else if b == b'\n' {
                finish(&mut out, &mut line, &mut line_cut);
                out.push('\n');
                lines += 1;
                chars = 0;
            } else {
                chars += usize::from(starts);
                if chars <= QUOTE_LINE {
                    line.push(b);
                } else {
                    line_cut += usize::from(starts);
                }
            }
        }
    }
    if !line.is_empty() || line_cut > 0 {
        finish(&mut out, &mut line, &mut line_cut);
    }
    if rest > 0 {
        out.push_str(&cut(rest));
    }
    Ok(out)
}

/// A message quoted like a log ([`quote_reader`]).
pub fn quote(text: &str) -> String {
    quote_reader(text.as_bytes()).unwrap_or_default()
}

/// Whether `path` is a symbolic link (itself, not what it points to).
pub use msp_core::folders::is_link;

/// The trouble of a symbolic link found where the console reads a file.
pub use msp_core::folders::link_refused;

/// Opens a file of the console's folders to read it: never through a
/// symbolic link, only a regular file ([`msp_core::folders::open_own`]).
pub fn open_plain(path: &Path) -> Result<std::fs::File> {
    msp_core::folders::open_own(path)
}

/// Quotes a log of the console's folders ([`quote_reader`],
/// [`open_plain`]).
pub fn quote_log(path: &Path) -> Result<String> {
    let file = open_plain(path)?;
    quote_reader(std::io::BufReader::new(file)).map_err(|e| Error::io("cannot read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_show_in_text_and_stay_exact_in_attributes() {
        let page =
            "<p title=\"a\u{202E}b\">facture\u{202E}fdp.exe \u{2066}x\u{2069}</p>".to_string();
        assert_eq!(
            neutralise_html(page),
            "<p title=\"a&#x202E;b\">facture\\u{202e}fdp.exe \\u{2066}x\\u{2069}</p>"
        );
        assert_eq!(download_name("facture\u{202E}fdp.exe"), "facturefdp.exe");
        assert_eq!(download_name("\u{200F}\u{061C}"), "fichier");
    }

    #[test]
    fn a_long_log_is_quoted_in_part_with_what_was_cut() {
        let long = format!("Motif : {}é\nCode : x\n", "a".repeat(1000));
        let q = quote(&long);
        assert_eq!(
            q,
            format!(
                "Motif : {}… (709 caractères coupés)\nCode : x\n",
                "a".repeat(QUOTE_LINE - 8)
            )
        );
        let many: String = (0..QUOTE_LINES + 5).map(|i| format!("{i}\n")).collect();
        let q = quote(&many);
        assert!(q.ends_with("39\n… (15 caractères coupés)"), "{q}");
        // Characters, not bytes: accents are cut whole.
        assert_eq!(
            quote(&"é".repeat(QUOTE_LINE + 1)),
            format!("{}… (1 caractère coupé)", "é".repeat(QUOTE_LINE))
        );
    }
}
