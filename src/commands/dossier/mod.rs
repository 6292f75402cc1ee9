//! `msp dossier ...`: list, show, change their status, cancel the last
//! one, save an attachment; across every client database that answers.

mod attachment;
mod change;
mod list;
mod show;

use std::sync::Arc;

use anyhow::Result;
use msp_core::backend::Backend;
use msp_core::config::ClientConfig;
use msp_core::status::Action;
use msp_core::Config;
use msp_plugins::Registry;

use super::Databases;
use crate::cli::{DossierCommand, ExitStatus};

/// `msp dossier list|status|cancel|attachment|show`.
pub fn run(config: &Config, registry: &Registry, command: DossierCommand) -> Result<ExitStatus> {
    // One backend per database: several towns may share one. A database
    // that does not answer is said, and the others still serve.
    let databases = Databases::open(config, registry, wanted(config, &command)?);
    if databases.open.is_empty() && !databases.unreachable.is_empty() {
        anyhow::bail!("{}", databases.unreachable.join("; "));
    }
    match command {
        DossierCommand::List {
            json,
            flows,
            statuses,
            untransmitted,
            clients,
        } => list::run(
            config,
            registry,
            &databases,
            list::Filter {
                flows,
                statuses,
                untransmitted,
                clients,
            },
            json,
        ),
        DossierCommand::Status {
            numero,
            code,
            comment,
        } => {
            let b = holder(&databases, &numero)?;
            change::run(config, b.as_ref(), &numero, Action::Set(code), comment)
        }
        DossierCommand::Cancel { numero } => {
            let b = holder(&databases, &numero)?;
            change::run(config, b.as_ref(), &numero, Action::Cancel, None)
        }
        DossierCommand::Attachment {
            numero,
            seq,
            output,
        } => {
            let b = holder(&databases, &numero)?;
            attachment::run(config, b.as_ref(), &numero, seq, output.as_deref())
        }
        DossierCommand::Show {
            numero,
            json,
            rows,
            password,
        } => show::run(
            registry,
            &databases,
            &numero,
            show::Asked {
                json,
                rows,
                password,
            },
        ),
    }
}

/// Only the clients asked for (`list --client`), each named exactly.
fn wanted<'a>(config: &'a Config, command: &DossierCommand) -> Result<Vec<&'a ClientConfig>> {
    Ok(match command {
        DossierCommand::List { clients, .. } if !clients.is_empty() => {
            for name in clients {
                if !config.clients.iter().any(|c| &c.name == name) {
                    return Err(msp_core::Error::usage(format!(
                        "no client {name} in the configuration (clients: {})",
                        config
                            .clients
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .into());
                }
            }
            config
                .clients
                .iter()
                .filter(|c| clients.contains(&c.name))
                .collect()
        }
        _ => config.clients.iter().collect(),
    })
}

/// Says which databases did not answer: their dossiers are missing.
fn warn_unreachable(databases: &Databases) {
    for u in &databases.unreachable {
        eprintln!("warning: not answering, its dossiers are not included: {u}");
    }
}

/// The backend that holds dossier `numero`.
fn holder(databases: &Databases, numero: &str) -> Result<Arc<dyn Backend>> {
    match msp_core::backend::find_dossier(&databases.open, numero)? {
        Some((b, _)) => Ok(b),
        None => Err(not_found(numero, &databases.unreachable).into()),
    }
}

/// No dossier `numero` in the databases that answered: the user's mistake
/// (exit 1, with the hint), or — when a database did not answer — trouble,
/// since it may be there.
fn not_found(numero: &str, unreachable: &[String]) -> msp_core::Error {
    if unreachable.is_empty() {
        msp_core::Error::not_found(format!(
            "no dossier {numero} (msp dossier list shows them; the number is NumeroTeledemarche, e.g. A-2-XXXXXXX)"
        ))
    } else {
        msp_core::Error::trouble(format!(
            "no dossier {numero} in the databases that answered; it may be in one that did not: {}",
            unreachable.join("; ")
        ))
    }
}
