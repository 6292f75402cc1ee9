//! `sqlite://` URLs.

use std::path::{Path, PathBuf};

use msp_core::Error;

/// The URL scheme of this backend.
pub const SCHEME: &str = "sqlite";

/// Where the SQLite database is and how long to wait for its lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// Database file.
    pub path: PathBuf,
    /// Busy timeout in milliseconds.
    pub busy_timeout_ms: u64,
}

impl SqliteConfig {
    /// Parses `sqlite://relative/to/root.db` or `sqlite:///absolute/path.db`.
    pub fn from_url(url: &str, root: &Path, busy_timeout_ms: u64) -> Result<Self, Error> {
        let rest = url
            .strip_prefix("sqlite://")
            .ok_or_else(|| Error::config(format!("\"{url}\" is not a sqlite:// URL")))?;
        let rest = rest.split('?').next().unwrap_or(rest);
        if rest.is_empty() {
            return Err(Error::config(format!("\"{url}\" names no database file")));
        }
        let p = Path::new(rest);
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        };
        Ok(SqliteConfig {
            path,
            busy_timeout_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute() {
        let c = SqliteConfig::from_url("sqlite://msp.db", Path::new("/r"), 1).unwrap();
        assert_eq!(c.path, Path::new("/r/msp.db"));
        let c = SqliteConfig::from_url("sqlite:///var/lib/x.db", Path::new("/r"), 1).unwrap();
        assert_eq!(c.path, Path::new("/var/lib/x.db"));
        assert!(SqliteConfig::from_url("sqlite://", Path::new("/r"), 1).is_err());
        assert!(SqliteConfig::from_url("postgres://x", Path::new("/r"), 1).is_err());
    }
}
