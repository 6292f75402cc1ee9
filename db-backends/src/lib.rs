//! Database backends for msp: the only crate that speaks SQL.
//!
//! A client's `database` URL picks the engine by its scheme ([`SCHEMES`]);
//! an unknown scheme is refused at start-up with the list of known ones.
//! Each engine lives in its own module with the same file set (`mod.rs`,
//! `backend.rs`, `config.rs`, `error.rs`) and provides an
//! [`engine::Engine`]: sessions that run SQL with typed parameters and read
//! rows back as text. [`generic::SqlBackend`] implements msp's
//! [`Backend`] once over any engine, with the SQL text of each engine's
//! [`sql::Dialect`] and the table descriptions of [`schema`]. Each module
//! maps its native errors to [`msp_core::Error`], marking locks, deadlocks
//! and unreachable servers as temporary so the pipeline retries the archive
//! instead of rejecting it.
//!
//! The [`Backend`] trait itself is defined in `msp-core` (the core knows
//! traits, not implementations) and re-exported here.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod engine;
pub mod generic;
#[cfg(feature = "mysql")]
pub mod mysql;
pub mod odbc;
pub mod postgres;
pub mod schema;
pub mod sql;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

pub use msp_core::backend::{Backend, Connector, PluginSchema};
use msp_core::config::{ClientConfig, Config};
use msp_core::{Error, Result};
use msp_plugins::Registry;

/// The URL schemes this build knows.
pub const SCHEMES: &[&str] = &[
    "sqlite",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "odbc",
];

/// The schemas of every plugin in a registry, for `init`.
pub fn plugin_schemas(registry: &Registry) -> Vec<PluginSchema> {
    registry
        .iter()
        .map(|p| PluginSchema {
            flow: p.flow_code().to_string(),
            version: p.schema_version(),
            tables: p.tables(),
            migrations: p.migrations(),
        })
        .collect()
}

/// Opens a backend from a client's configuration (no schema change).
pub fn open(config: &Config, client: &ClientConfig) -> Result<Arc<dyn Backend>> {
    open_in(client, &config.root)
}

/// Opens a client's backend, a relative SQLite path under `root` (no
/// schema change).
pub fn open_in(client: &ClientConfig, root: &Path) -> Result<Arc<dyn Backend>> {
    let scheme = client.database.split(':').next().unwrap_or_default();
    match scheme {
        "sqlite" => {
            let c = sqlite::SqliteConfig::from_url(&client.database, root, client.busy_timeout_ms)?;
            sqlite::open(&c)
        }
        "postgres" | "postgresql" => {
            postgres::open(&postgres::PostgresConfig::from_client(client)?)
        }
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => mysql::open(&mysql::MysqlConfig::from_client(client)?),
        #[cfg(not(feature = "mysql"))]
        "mysql" | "mariadb" => Err(Error::config(format!(
            "client {}: this msp was built without the native MySQL/MariaDB client; \
             rebuild it with `cargo build --release --features mysql` (needs libmariadb-dev), \
             or reach the server through ODBC with the MariaDB ODBC driver: \
             database = \"odbc://Driver={{MariaDB Unicode}};Server=...;Database=...\" \
             and dialect = \"mysql\"",
            client.name
        ))),
        "odbc" => odbc::open(&odbc::OdbcConfig::from_client(client)?),
        other => Err(Error::config(format!(
            "client {}: unknown database scheme \"{other}\" (known: {})",
            client.name,
            SCHEMES.join(", ")
        ))),
    }
}

/// Connects clients and brings their tables up to date on first connection
/// (idempotent and versioned, see [`Backend::init`]), with the tables of the
/// flows each client handles.
pub struct AutoInit {
    registry: Registry,
}

impl AutoInit {
    /// For the plugins of `registry`.
    pub fn new(registry: &Registry) -> Self {
        AutoInit {
            registry: registry.clone(),
        }
    }

    /// The plugin schemas a client's database holds.
    pub fn schemas_for(&self, client: &ClientConfig) -> Vec<PluginSchema> {
        plugin_schemas(&self.registry)
            .into_iter()
            .filter(|p| client.handles(&p.flow))
            .collect()
    }
}

impl Connector for AutoInit {
    fn connect(&self, client: &ClientConfig, root: &Path) -> Result<Arc<dyn Backend>> {
        let b = open_in(client, root)?;
        for step in b.init(&self.schemas_for(client))? {
            tracing::info!("{}: {step}", b.describe());
        }
        Ok(b)
    }
}
