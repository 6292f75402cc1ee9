//! `msp dossier status` and `msp dossier cancel`: an agent's change,
//! audited; the next `msp run` sends it to the portal.

use anyhow::Result;
use msp_core::backend::Backend;
use msp_core::lifecycle;
use msp_core::status::Action;
use msp_core::{Config, ErrorKind};

use crate::cli::ExitStatus;
use crate::render::text::say;

/// Applies an agent's change; a refusal by the rules exits with 1.
pub fn run(
    config: &Config,
    b: &dyn Backend,
    numero: &str,
    action: Action,
    comment: Option<String>,
) -> Result<ExitStatus> {
    let who = format!("cli ({})", msp_core::ops::unix_account());
    match lifecycle::change_audited(b, &config.folders, &who, numero, action, comment) {
        Ok(line) => {
            say!("{numero}: done; the next `msp run` sends it to the portal (journal: « {line} »)");
            Ok(ExitStatus::Success)
        }
        Err(e) if e.kind == ErrorKind::Refused => {
            eprintln!("msp: refused: {e}");
            Ok(ExitStatus::Rejected)
        }
        Err(e) => Err(e.into()),
    }
}
