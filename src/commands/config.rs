//! `msp config check` (the checks are `msp_core::checks`; this prints
//! them) and `msp config show`.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use msp_core::backend::{Backend, Connector};
use msp_core::checks::{self, Check, Outcome, Subject, Subjects};
use msp_core::config::ClientConfig;

use crate::cli::{ConfigCommand, ExitStatus};

/// `msp config check|show`.
pub fn run(path: Option<&Path>, command: ConfigCommand) -> Result<ExitStatus> {
    match command {
        ConfigCommand::Check => Ok(check(path)),
        ConfigCommand::Show => {
            let config = crate::load::config(path)?;
            println!(
                "# the configuration in force, from {} (defaults filled in, secrets masked)\n{}",
                config.source,
                config.shown()?
            );
            Ok(ExitStatus::Success)
        }
    }
}

/// Opens a client's database as it is: a check changes no schema.
struct AsItIs;

impl Connector for AsItIs {
    fn connect(
        &self,
        client: &ClientConfig,
        root: &std::path::Path,
    ) -> msp_core::Result<Arc<dyn Backend>> {
        db_backends::open_in(client, root)
    }
}

/// `msp config check`: every check on its own line, exit 2 if any failed.
fn check(path: Option<&Path>) -> ExitStatus {
    let config = match crate::load::config(path) {
        Ok(c) => c,
        Err(e) => {
            let check = Check::new(
                Subject::Configuration,
                Outcome::Fail,
                format!("configuration: {}", crate::render::text::error_line(&e)),
            );
            println!("{check}");
            return ExitStatus::Trouble;
        }
    };
    // What the check creates (folders, a SQLite database) gets the modes
    // every other command gives it.
    msp_core::ops::set_umask(&config);
    let mut plugins = Vec::new();
    let Ok(registry) = crate::load::plugins(&config, |load| {
        plugins.push(load.clone());
        Ok::<(), Infallible>(())
    });
    let subjects = Subjects {
        config: &config,
        plugins: &plugins,
        registry: &registry,
        databases: &AsItIs,
        remotes: &msp_sftp::SftpConnector,
        hub: &msp_hubee::Connector,
    };
    let mut failed = false;
    checks::run_each(&subjects, &mut |check| {
        failed |= check.outcome == Outcome::Fail;
        println!("{check}");
    });
    if failed {
        ExitStatus::Trouble
    } else {
        ExitStatus::Success
    }
}
