//! `postgres://` (or `postgresql://`) URLs.

use msp_core::config::{redact_url, ClientConfig};
use msp_core::Error;

/// The URL scheme of this backend.
pub const SCHEME: &str = "postgres";

/// A PostgreSQL connection.
#[derive(Clone)]
pub struct PostgresConfig {
    /// The URL with the password filled in (never printed).
    pub url: String,
    /// The URL for messages (password hidden).
    pub label: String,
    /// How long to wait for a connection, in milliseconds.
    pub connect_timeout_ms: u64,
}

impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &self.label)
            .finish()
    }
}

impl PostgresConfig {
    /// From a client's configuration (password from `password_env` /
    /// `password_file` when the URL has none).
    pub fn from_client(client: &ClientConfig) -> Result<Self, Error> {
        let url = client.database_url()?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::config(format!(
                "\"{}\" is not a postgres:// URL",
                redact_url(&url)
            )));
        }
        Ok(PostgresConfig {
            label: redact_url(&url),
            url,
            connect_timeout_ms: client.busy_timeout_ms,
        })
    }
}
