//! `msp serve`: the web console, with the databases and SFTP servers the
//! binary knows how to reach.

use std::sync::Arc;

use anyhow::Result;
use msp_core::Config;
use msp_plugins::Registry;

use crate::cli::ExitStatus;

/// `msp serve [--listen ADDRESS]`: until stopped.
pub fn run(config: Config, registry: Registry, listen: Option<String>) -> Result<ExitStatus> {
    msp_web::serve(msp_web::Options {
        connector: Arc::new(db_backends::AutoInit::new(&registry)),
        remotes: Arc::new(msp_sftp::SftpConnector),
        hub: Arc::new(msp_hubee::Connector),
        config,
        registry,
        listen,
    })?;
    Ok(ExitStatus::Success)
}
