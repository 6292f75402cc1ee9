//! `odbc:` connection strings (or `odbc:DSN=name`) with their dialect.

use msp_core::config::{redact_url, ClientConfig};
use msp_core::Error;

use crate::sql::{dialect_named, Dialect, DIALECTS};

/// The URL scheme of this backend.
pub const SCHEME: &str = "odbc";

/// An ODBC data source.
#[derive(Clone)]
pub struct OdbcConfig {
    /// The connection string, password included (never printed).
    pub connection_string: String,
    /// The connection string for messages (password hidden).
    pub label: String,
    /// The SQL dialect of the database behind the driver.
    pub dialect: &'static dyn Dialect,
    /// Login and query timeout, in seconds.
    pub timeout_sec: usize,
}

impl std::fmt::Debug for OdbcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdbcConfig")
            .field("connection_string", &self.label)
            .field("dialect", &self.dialect.name())
            .finish()
    }
}

impl OdbcConfig {
    /// From a client's configuration: `database = "odbc:..."` and `dialect`.
    pub fn from_client(client: &ClientConfig) -> Result<Self, Error> {
        let url = client.database_url()?;
        let cs = url.strip_prefix("odbc:").ok_or_else(|| {
            Error::config(format!(
                "\"{}\" is not an odbc: connection string",
                redact_url(&url)
            ))
        })?;
        let name = client.dialect.as_deref().ok_or_else(|| {
            Error::config(format!(
                "client {}: an odbc: database needs dialect = one of {}",
                client.name,
                DIALECTS.join(", ")
            ))
        })?;
        let dialect = dialect_named(name).ok_or_else(|| {
            Error::config(format!(
                "client {}: unknown dialect \"{name}\" (known: {})",
                client.name,
                DIALECTS.join(", ")
            ))
        })?;
        Ok(OdbcConfig {
            connection_string: if cfg!(feature = "bundled") {
                super::drivers::resolve(cs)
            } else {
                cs.to_string()
            },
            label: redact_url(&url),
            dialect,
            timeout_sec: (client.busy_timeout_ms / 1000).max(1) as usize,
        })
    }
}
