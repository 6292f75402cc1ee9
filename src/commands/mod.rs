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
pub mod schedule;
pub mod serve;
pub mod service;
pub mod status;
pub mod user;

use std::sync::Arc;

use msp_core::backend::Backend;
use msp_core::checks::of_client;
use msp_core::config::ClientConfig;
use msp_core::Config;
use msp_plugins::Registry;

use crate::cli::{Cli, Command, DbCommand, ExitStatus};

/// Runs a command and returns how msp ends.
pub fn execute(cli: Cli) -> ExitStatus {
    crate::cli::init_log(cli.verbose);
    match with_config(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("msp: error: {}", crate::render::text::error_line(&e));
            ExitStatus::of_error(&e)
        }
    }
}

/// The commands that need no registry first (they read the configuration
/// their own way, or not at all), then the others.
fn with_config(cli: Cli) -> anyhow::Result<ExitStatus> {
    let path = cli.config.as_deref();
    match cli.command {
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::manual(dir.as_deref()),
        Command::Config { command } => config::run(path, command),
        Command::User { command } => user::run(path, command),
        Command::Schedule { command } => schedule::run(path, command),
        Command::Service { command } => service::run(path, command),
        command => {
            let config = crate::load::config(path)?;
            let registry = crate::load::registry(&config)?;
            if !matches!(command, Command::Plugins) {
                msp_core::ops::apply_permissions(&config)?;
            }
            dispatch(command, config, registry, cli.quiet)
        }
    }
}

/// A command run with the configuration and the registry.
fn dispatch(
    command: Command,
    config: Config,
    registry: Registry,
    quiet: bool,
) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Plugins => plugins::run(&registry),
        Command::Config { .. }
        | Command::User { .. }
        | Command::Schedule { .. }
        | Command::Service { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => {
            unreachable!("handled above")
        }
        Command::Serve { listen } => serve::run(config, registry, listen),
        Command::Run {
            flows,
            every,
            clients,
            json,
        } => run::run(
            &config,
            &registry,
            run::Request {
                flows,
                clients,
                every,
                output: run::Output { json, quiet },
            },
        ),
        Command::Status {
            json,
            prometheus,
            prometheus_mode,
        } => {
            let prometheus = prometheus.as_deref().map(|p| (p, prometheus_mode));
            status::run(&config, &registry, json, prometheus)
        }
        Command::Errors { command } => errors::run(&config, command),
        Command::Purge { dry_run, json } => purge::run(&config, &registry, dry_run, json),
        Command::Db {
            command: DbCommand::Init,
        } => db::init(&config, &registry),
        Command::Dossier { command } => dossier::run(&config, &registry, command),
    }
}

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
        let opened = msp_core::databases::Databases::new().of(&connector, &config.root, clients);
        Databases {
            open: opened.open,
            unreachable: opened
                .unreachable
                .iter()
                .map(|(name, e)| of_client(name, e))
                .collect(),
        }
    }
}
