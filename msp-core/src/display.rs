//! Text from outside msp — citizen data, file names, agents' comments —
//! made safe to show: on a terminal, control characters (ESC, BEL, CR...)
//! would drive it or forge lines; anywhere, bidirectional controls reorder
//! what follows (`facture\u{202e}fdp.exe` reads `facturexe.pdf`); and a value
//! of megabytes would flood a log, a mail or a page.

use std::borrow::Cow;

/// What a masked secret shows (a password, a password hash).
pub const MASKED: &str = "********";

/// How many characters of a rejected archive's message are quoted (the
/// rejection log, the synchronisation log, the terminal, `--json`).
pub const QUOTED_CHARS: usize = 600;

/// Whether `c` is a bidirectional control (U+200E, U+200F, U+061C,
/// U+202A–U+202E, U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

fn escaped(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| !keep(c) && (c.is_control() || is_bidi_control(c));
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line for a terminal: every control character (line feeds
/// included) and bidirectional control written as an escape (`\u{1b}`).
pub fn line(s: &str) -> Cow<'_, str> {
    escaped(s, |_| false)
}

/// Several lines for a terminal (a rejection log): the same, line feeds
/// and tabs kept.
pub fn lines(s: &str) -> Cow<'_, str> {
    escaped(s, |c| c == '\n' || c == '\t')
}

/// A name for a file offered to download: bidirectional and control
/// characters dropped.
pub fn file_name(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter(|c| !c.is_control() && !is_bidi_control(*c))
            .collect(),
    )
}

/// At most `max` characters of `s`, then `said(n)` for the `n` cut.
fn cut_saying(s: &str, max: usize, said: impl Fn(usize) -> String) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((end, _)) => Cow::Owned(format!("{}… {}", &s[..end], said(s[end..].chars().count()))),
    }
}

/// At most `max` characters of `s`, saying how many were cut.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    cut_saying(s, max, |n| format!("({n} more characters cut)"))
}

/// The same in French, for the clerk.
pub fn cut_fr(s: &str, max: usize) -> Cow<'_, str> {
    cut_saying(s, max, |n| format!("({n} caractères coupés)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible_escapes() {
        let forged = "\u{1b}]0;PWNED\u{7}\u{1b}[2K\rFAKE LINE";
        assert_eq!(
            line(forged),
            "\\u{1b}]0;PWNED\\u{7}\\u{1b}[2K\\u{d}FAKE LINE"
        );
        assert_eq!(line("a\nb"), "a\\u{a}b");
        assert_eq!(lines("a\nb\tc\u{9b}d"), "a\nb\tc\\u{9b}d");
        assert_eq!(line("facture\u{202e}fdp.exe"), "facture\\u{202e}fdp.exe");
        assert!(matches!(line("Noël Loïc"), Cow::Borrowed(_)));
        assert_eq!(file_name("facture\u{202e}fdp.exe"), "facturefdp.exe");
        for c in [
            '\u{200e}', '\u{200f}', '\u{61c}', '\u{202a}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_bidi_control(c), "{c:?}");
        }
        assert!(!is_bidi_control('é'));
    }

    #[test]
    fn long_values_are_cut_and_say_by_how_much() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcdé", 3), "abc… (2 more characters cut)");
        assert_eq!(cut_fr("ééééé", 1), "é… (4 caractères coupés)");
        let big = "x".repeat(10_000_000);
        assert_eq!(cut(&big, QUOTED_CHARS).chars().count(), QUOTED_CHARS + 31);
    }
}
