//! `msp errors ...`: the error folder (rejected archives and their French
//! logs).

use anyhow::Result;
use msp_core::ops;
use msp_core::Config;

use crate::cli::{ErrorsCommand, ExitStatus};
use crate::render::json::json_text;

/// `msp errors list|show|retry|purge`.
pub fn run(config: &Config, command: ErrorsCommand) -> Result<ExitStatus> {
    match command {
        ErrorsCommand::List { json } => list(config, json),
        ErrorsCommand::Show { name } => show(config, &name),
        ErrorsCommand::Retry { names, all } => retry(config, &names, all),
        ErrorsCommand::Purge {
            older_than,
            dry_run,
        } => purge(config, older_than, dry_run),
    }
}

/// `msp errors list`.
fn list(config: &Config, as_json: bool) -> Result<ExitStatus> {
    let list = ops::rejected(&config.folders)?;
    if as_json {
        println!("{}", json_text(&list)?);
        return Ok(ExitStatus::Success);
    }
    if list.is_empty() {
        println!("no rejected archive in {}", config.folders.error.display());
    }
    for r in &list {
        let line = format!(
            "{}  {:<40} {}",
            r.rejected_at.format("%Y-%m-%d %H:%M"),
            r.name,
            r.reason
        );
        println!("{}", msp_core::display::line(&line));
    }
    Ok(ExitStatus::Success)
}

/// `msp errors show NAME`.
fn show(config: &Config, name: &str) -> Result<ExitStatus> {
    // Its lines as written, but no character that would drive the
    // terminal (the archive's words are quoted in it).
    print!(
        "{}",
        msp_core::display::lines(&ops::rejection_log(&config.folders, name)?)
    );
    Ok(ExitStatus::Success)
}

/// `msp errors retry NAME...`.
fn retry(config: &Config, names: &[String], all: bool) -> Result<ExitStatus> {
    let names: Vec<String> = if all {
        ops::rejected(&config.folders)?
            .into_iter()
            .map(|r| r.name)
            .collect()
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        println!("no rejected archive in {}", config.folders.error.display());
    }
    for name in &names {
        let reason = ops::rejection_reason(&config.folders, name);
        let dest = ops::retry(&config.folders, name)?;
        println!(
            "{}: back in input ({}); the next synchronisation imports it",
            msp_core::display::line(name),
            dest.display()
        );
        match reason {
            Some(r) if r == msp_core::Reason::Document => eprintln!(
                "warning: {}: it was refused by the démarche's rules ({}): unless the request was corrected or msp upgraded, it will be rejected again",
                msp_core::display::line(name),
                r.tag()
            ),
            Some(r) if r.depends_only_on_bytes() => eprintln!(
                "warning: {}: its own bytes were refused ({}): it will be rejected again; ask the portal to send it again",
                msp_core::display::line(name),
                r.tag()
            ),
            _ => {}
        }
    }
    Ok(ExitStatus::Success)
}

/// `msp errors purge --older-than DAYS`.
fn purge(config: &Config, days: u32, dry_run: bool) -> Result<ExitStatus> {
    let purged = ops::purge_rejected(&config.folders, days, dry_run)?;
    super::purge::print_purged(config, &purged, dry_run, false)
}
