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

/// An error as one line: anyhow's context chain (`{:#}`), down to the first
/// msp error, whose message already says what its source (the driver's
/// error, kept for `-vv` and debuggers) said.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in e.chain() {
        parts.push(cause.to_string());
        if cause.downcast_ref::<msp_core::Error>().is_some() {
            break;
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::error_line;

    #[test]
    fn an_msp_error_is_said_once_without_its_source_repeated() {
        let driver = std::io::Error::other("server closed the connection");
        let e =
            msp_core::Error::trouble("database: server closed the connection").with_source(driver);
        let e = anyhow::Error::from(e).context("dossier 123");
        assert_eq!(
            error_line(&e),
            "dossier 123: database: server closed the connection"
        );
        let plain = anyhow::anyhow!("disk full").context("writing");
        assert_eq!(error_line(&plain), "writing: disk full");
    }
}
