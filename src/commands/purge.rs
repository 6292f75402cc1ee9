//! `msp purge`: `[retention]` applied now; also how `msp errors purge`
//! reports.

use anyhow::Result;
use msp_core::ops;
use msp_core::Config;
use msp_plugins::Registry;
use serde_json::json;

use super::Databases;
use crate::cli::ExitStatus;

/// `msp purge`: `[retention]` now.
pub fn run(
    config: &Config,
    registry: &Registry,
    dry_run: bool,
    as_json: bool,
) -> Result<ExitStatus> {
    if !config.retention.is_set() {
        anyhow::bail!(
            "no [retention] in the configuration {}: nothing is purged (see the README, Retention)",
            config.source
        );
    }
    let databases = Databases::open(config, registry, &config.clients);
    if !databases.unreachable.is_empty() {
        // Without every database, an open dossier could not be told.
        anyhow::bail!("cannot purge: {}", databases.unreachable.join("; "));
    }
    let purged = ops::purge(
        &config.folders,
        &config.sent,
        &config.retention,
        &databases.open,
        &registry.codes(),
        dry_run,
    )?;
    print_purged(config, &purged, dry_run, as_json)
}

/// Says what was (or would be) removed, as text or JSON, and traces a
/// removal in logs/operations.log.
pub fn print_purged(
    config: &Config,
    purged: &ops::Purged,
    dry_run: bool,
    as_json: bool,
) -> Result<ExitStatus> {
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "dry_run": dry_run,
                "removed": purged.removed.iter().map(|(p, r)| json!({"path": p, "rule": r})).collect::<Vec<_>>(),
                "kept_open": purged.kept_open,
            }))?
        );
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        for (path, rule) in &purged.removed {
            println!("{verb} ({rule}) {}", path.display());
        }
        for path in &purged.kept_open {
            println!("kept (dossier still open) {}", path.display());
        }
        let n = purged.removed.len();
        let files = if n == 1 { "file" } else { "files" };
        println!(
            "{}",
            if dry_run {
                format!("{n} {files} would be removed")
            } else {
                format!("{n} {files} removed")
            }
        );
    }
    if !dry_run && !purged.removed.is_empty() {
        ops::trace(
            &config.folders,
            &format!("purge: {} file(s) removed", purged.removed.len()),
        )?;
    }
    Ok(ExitStatus::Success)
}
