//! `msp completions SHELL` and `msp man [--dir DIR]`: generated from the
//! command line's definition.

use std::path::Path;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, ExitStatus};

/// `msp completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<ExitStatus> {
    clap_complete::generate(shell, &mut Cli::command(), "msp", &mut std::io::stdout());
    Ok(ExitStatus::Success)
}

/// `msp man [--dir DIR]`.
pub fn manual(dir: Option<&Path>) -> Result<ExitStatus> {
    crate::manual::manual(Cli::command(), dir)?;
    Ok(ExitStatus::Success)
}
