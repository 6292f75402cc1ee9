//! `mysql://` (or `mariadb://`) URLs.

use msp_core::config::{redact_url, ClientConfig};
use msp_core::Error;

/// The URL scheme of this backend.
pub const SCHEME: &str = "mysql";

/// A MySQL or MariaDB connection.
#[derive(Clone)]
pub struct MysqlConfig {
    /// The URL with the password filled in (never printed).
    pub url: String,
    /// The URL for messages (password hidden).
    pub label: String,
    /// How long to wait for a connection, in milliseconds.
    pub connect_timeout_ms: u64,
}

impl std::fmt::Debug for MysqlConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlConfig")
            .field("url", &self.label)
            .finish()
    }
}

impl MysqlConfig {
    /// From a client's configuration (password from `password_env` /
    /// `password_file` when the URL has none).
    pub fn from_client(client: &ClientConfig) -> Result<Self, Error> {
        let url = client.database_url()?;
        if !(url.starts_with("mysql://") || url.starts_with("mariadb://")) {
            return Err(Error::config(format!(
                "\"{}\" is not a mysql:// URL",
                redact_url(&url)
            )));
        }
        // diesel's MySQL driver only knows mysql://.
        let url = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url,
        };
        Ok(MysqlConfig {
            label: redact_url(&url),
            url,
            connect_timeout_ms: client.busy_timeout_ms,
        })
    }
}
