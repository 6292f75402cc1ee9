//! Text output: lines safe for a terminal, columns as wide as their
//! entries.

/// Prints a line that may hold outside data (citizen names, file names,
/// agents' comments): control and bidirectional characters escaped
/// (`msp_core::display::line`), so it can neither drive the terminal nor
/// forge lines.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", msp_core::display::line(&format!($($arg)*)))
    };
}
pub(crate) use say;

/// A column as wide as its longest entry, at least `min` characters.
pub fn width<'a>(entries: impl Iterator<Item = &'a str>, min: usize) -> usize {
    entries
        .map(|e| e.chars().count())
        .max()
        .unwrap_or(0)
        .max(min)
}
