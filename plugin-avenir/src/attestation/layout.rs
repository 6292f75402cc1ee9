//! The page laid out: lines wrapped with the fonts' widths, each style's
//! font, size and place, and the foot note at the bottom.

use super::fonts::Font;
use super::text::{Line, Style};

/// Whether `next` stays on the line of the word before it: French puts a
/// space before these signs, and "le" or "n°" keeps its date or number.
fn binds(previous: &str, next: &str) -> bool {
    matches!(next, ":" | ";" | "!" | "?" | "»")
        || (matches!(previous, "le" | "n°" | "L.")
            && next.starts_with(|c: char| c.is_ascii_digit()))
}

/// Wraps `s` into lines no wider than `max` points at `size` in `font`.
/// A word wider than a line gets a line of its own.
pub(super) fn wrap(font: &Font, size: f32, s: &str, max: f32) -> Vec<String> {
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
pub(super) const PAGE: (f32, f32) = (595.28, 841.89);
/// Left and right margins (2.5 cm).
pub(super) const MARGIN: f32 = 70.87;
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
pub(super) struct Placed {
    pub(super) bold: bool,
    pub(super) size: f32,
    /// Its baseline's start.
    pub(super) at: (f32, f32),
    pub(super) text: String,
}

/// The page laid out at `scale` (1: the normal sizes and spaces): the
/// placed lines and the height of the rule above the foot note, or `None`
/// when the text does not fit on the page.
pub(super) fn layout(lines: &[Line], fonts: &[Font; 2], scale: f32) -> Option<(Vec<Placed>, f32)> {
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
