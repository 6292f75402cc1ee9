//! The operators' commands: `msp status`, `msp errors ...`, `msp purge`,
//! and the progress bar of `msp run`.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use msp_core::backend::Backend;
use msp_core::ops::{self, DatabaseFigures};
use msp_core::Config;
use serde_json::json;

/// Archives from which `msp run` draws a progress bar.
const PROGRESS_FROM: u64 = 50;

/// The progress bar of `msp run`: on stderr, only when stderr is a
/// terminal and the run has more than a few dozen archives.
#[derive(Default)]
pub struct Bar(Mutex<Option<indicatif::ProgressBar>>);

impl msp_core::sync::Progress for Bar {
    fn start(&self, archives: u64) {
        if archives < PROGRESS_FROM || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(archives),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} archives, {per_sec}, {eta} left ({msg})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("importing");
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

/// Opens every client's database once (several towns may share one),
/// with its tables brought up to date as `msp run` does (a new
/// installation's database has none yet).
fn databases(
    config: &Config,
    registry: &msp_plugins::Registry,
) -> (Vec<Arc<dyn Backend>>, Vec<String>) {
    use msp_core::backend::Connector;
    let connector = db_backends::AutoInit::new(registry);
    let mut seen = std::collections::HashSet::new();
    let mut open = Vec::new();
    let mut failed = Vec::new();
    for client in &config.clients {
        if !seen.insert(client.database.clone()) {
            continue;
        }
        match connector.connect(config, client) {
            Ok(b) => open.push(b),
            Err(e) => failed.push(format!("client {}: {e}", client.name)),
        }
    }
    (open, failed)
}

/// `msp status`: exit 0 OK, 1 warning, 2 critical.
pub fn status(
    config: &Config,
    registry: &msp_plugins::Registry,
    as_json: bool,
    prometheus: Option<(&Path, u32)>,
) -> Result<i32> {
    let (backends, unreachable) = databases(config, registry);
    let mut figures = DatabaseFigures {
        unreachable,
        ..DatabaseFigures::default()
    };
    for b in &backends {
        if let Err(e) = figures.add(b.as_ref()) {
            figures.unreachable.push(format!("{}: {e}", b.describe()));
        }
    }
    let clients: Vec<String> = config.clients.iter().map(|c| c.name.clone()).collect();
    let input = ops::InputRules {
        flows: &registry.codes(),
        settle_seconds: config.settle_seconds,
    };
    let health = ops::health(&config.folders, &clients, &config.status, &figures, &input);
    if let Some((path, mode)) = prometheus {
        // Written aside then renamed: the collector never reads half a file.
        let tmp = path.with_extension("prom.tmp");
        std::fs::write(&tmp, health.prometheus())?;
        // Its mode set explicitly (the umask made it 0600): 0644 for a
        // collector running as another account.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        std::fs::rename(&tmp, path)?;
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&health)?);
    } else {
        let word = |l: ops::Level| match l {
            ops::Level::Ok => "OK",
            ops::Level::Warning => "WARNING",
            ops::Level::Critical => "CRITICAL",
        };
        println!("msp {}", word(health.level));
        for c in &health.checks {
            println!("{:<8} {}", word(c.level), c.text);
        }
    }
    Ok(health.level.code())
}

/// `msp errors list`.
pub fn errors_list(config: &Config, as_json: bool) -> Result<i32> {
    let list = ops::rejected(&config.folders)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(0);
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
    Ok(0)
}

/// `msp errors show NAME`.
pub fn errors_show(config: &Config, name: &str) -> Result<i32> {
    // Its lines as written, but no character that would drive the
    // terminal (the archive's words are quoted in it).
    print!(
        "{}",
        msp_core::display::lines(&ops::rejection_log(&config.folders, name)?)
    );
    Ok(0)
}

/// `msp errors retry NAME...`.
pub fn errors_retry(config: &Config, names: &[String]) -> Result<i32> {
    for name in names {
        let dest = ops::retry(&config.folders, name)?;
        println!(
            "{name}: back in input ({}); the next synchronisation imports it",
            dest.display()
        );
    }
    Ok(0)
}

/// `msp errors purge --older-than DAYS`.
pub fn errors_purge(config: &Config, days: u32, dry_run: bool) -> Result<i32> {
    let purged = ops::purge_rejected(&config.folders, days, dry_run)?;
    print_purged(config, &purged, dry_run, false)
}

/// `msp purge`: `[retention]` now.
pub fn purge(
    config: &Config,
    registry: &msp_plugins::Registry,
    dry_run: bool,
    as_json: bool,
) -> Result<i32> {
    if !config.retention.is_set() {
        anyhow::bail!(
            "no [retention] in the configuration {}: nothing is purged (see the README, Retention)",
            config.source
        );
    }
    let (backends, unreachable) = databases(config, registry);
    if !unreachable.is_empty() {
        // Without every database, an open dossier could not be told.
        anyhow::bail!("cannot purge: {}", unreachable.join("; "));
    }
    let purged = ops::purge(
        &config.folders,
        &config.sent,
        &config.retention,
        &backends,
        &registry.codes(),
        dry_run,
    )?;
    print_purged(config, &purged, dry_run, as_json)
}

fn print_purged(
    config: &Config,
    purged: &ops::Purged,
    dry_run: bool,
    as_json: bool,
) -> Result<i32> {
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
        println!("{} file(s) {verb}", purged.removed.len());
    }
    if !dry_run && !purged.removed.is_empty() {
        ops::trace(
            &config.folders,
            &format!("purge: {} file(s) removed", purged.removed.len()),
        )?;
    }
    Ok(0)
}
