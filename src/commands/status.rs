//! `msp status`: health for monitoring, as text (Nagios), JSON, and a
//! Prometheus file.

use std::path::Path;

use anyhow::Result;
use msp_core::ops::{self, DatabaseFigures, Health};
use msp_core::Config;
use msp_plugins::Registry;

use super::Databases;
use crate::cli::ExitStatus;
use crate::render::json::json_text;

/// `msp status`: exit 0 OK, 1 warning, 2 critical.
pub fn run(
    config: &Config,
    registry: &Registry,
    as_json: bool,
    prometheus: Option<(&Path, u32)>,
) -> Result<ExitStatus> {
    let figures = figures(config, registry);
    let clients: Vec<String> = config.clients.iter().map(|c| c.name.clone()).collect();
    let input = ops::InputRules {
        flows: &registry.codes(),
        settle_seconds: config.settle_seconds,
    };
    let health = ops::health(&config.folders, &clients, &config.status, &figures, &input);
    if let Some((path, mode)) = prometheus {
        write_prometheus(&health, path, mode)?;
    }
    if as_json {
        println!("{}", json_text(&health)?);
    } else {
        // The first line as Nagios plugins write it (status, why, and the
        // figures after `|`), then one line per check.
        println!("{}", health.nagios(&config.status));
        for c in &health.checks {
            // One line each, whatever a server's words hold.
            println!("{:<8} {}", c.level.word(), msp_core::display::line(&c.text));
        }
    }
    Ok(ExitStatus::of_health(health.level))
}

/// The databases' figures; one that does not answer is named.
fn figures(config: &Config, registry: &Registry) -> DatabaseFigures {
    let databases = Databases::open(config, registry, &config.clients);
    let mut figures = DatabaseFigures {
        unreachable: databases.unreachable,
        ..DatabaseFigures::default()
    };
    for b in &databases.open {
        if let Err(e) = figures.add(b.as_ref()) {
            figures.unreachable.push(format!("{}: {e}", b.describe()));
        }
    }
    figures
}

/// `--prometheus FILE`: the figures in Prometheus text format, the file
/// with mode `mode`.
fn write_prometheus(health: &Health, path: &Path, mode: u32) -> Result<()> {
    // Written aside then renamed: the collector never reads half a file.
    let tmp = path.with_extension("prom.tmp");
    // Made anew, never through a file or link left there (the folder
    // is often shared with the collector's account), with its mode set
    // explicitly (the umask would make it 0600): 0644 for a collector
    // running as another account.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(&tmp)?;
    std::io::Write::write_all(&mut f, health.prometheus().as_bytes())?;
    #[cfg(unix)]
    {
        // The umask narrows what `mode` asked for.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    drop(f);
    std::fs::rename(&tmp, path)?;
    Ok(())
}
