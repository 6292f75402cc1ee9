//! The commands, one module per command or command group; each takes the
//! configuration (and the registry) and returns how msp ends.

pub mod config;
pub mod db;
pub mod docs;
pub mod dossier;
pub mod errors;
pub mod plugins;
pub mod purge;
pub mod run;
pub mod serve;
pub mod status;
pub mod user;

use std::sync::Arc;

use msp_core::backend::{Backend, Connector};
use msp_core::checks::of_client;
use msp_core::config::ClientConfig;
use msp_core::Config;
use msp_plugins::Registry;

/// The clients' databases, each opened once (several towns may share
/// one), with their tables brought up to date as `msp run` does (a new
/// installation's database has none yet).
pub struct Databases {
    /// Those that answered.
    pub open: Vec<Arc<dyn Backend>>,
    /// Those that did not: `client NAME: why`.
    pub unreachable: Vec<String>,
}

impl Databases {
    /// Opens the databases of `clients`.
    pub fn open<'a>(
        config: &Config,
        registry: &Registry,
        clients: impl IntoIterator<Item = &'a ClientConfig>,
    ) -> Databases {
        let connector = db_backends::AutoInit::new(registry);
        let mut seen = std::collections::HashSet::new();
        let mut open = Vec::new();
        let mut unreachable = Vec::new();
        for client in clients {
            if !seen.insert(client.database.clone()) {
                continue;
            }
            match connector.connect(client, &config.root) {
                Ok(b) => open.push(b),
                Err(e) => unreachable.push(of_client(&client.name, &e)),
            }
        }
        Databases { open, unreachable }
    }
}
