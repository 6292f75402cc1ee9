//! The record of the last synchronisation, one per set of clients served
//! (for `msp status`).

use std::fs;
use std::path::PathBuf;

use chrono::Local;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::folders::Folders;

/// The record of a synchronisation, kept in work for `msp status`: one per
/// set of clients a run served (`.msp-last-run.json` for a run serving all,
/// `.msp-last-run-<key>.json` for `msp run --client A,B`), so processes
/// serving different clients never overwrite each other's record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastRun {
    /// When it finished.
    pub finished_at: chrono::DateTime<Local>,
    /// Its exit code (0, 1, 2).
    pub exit_code: i32,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The clients it served (`--client`); empty when it served all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
    /// Its summary (the `msp run --json` object).
    #[serde(default)]
    pub summary: crate::summary::RunSummary,
}

impl LastRun {
    /// Whether this run served a client.
    pub fn covers(&self, client: &str) -> bool {
        self.clients.is_empty() || self.clients.iter().any(|c| c == client)
    }
}

const LAST_RUN_PREFIX: &str = ".msp-last-run";

fn last_run_path(folders: &Folders, clients: &[String]) -> PathBuf {
    if clients.is_empty() {
        return folders.work.join(format!("{LAST_RUN_PREFIX}.json"));
    }
    let mut sorted = clients.to_vec();
    sorted.sort();
    let key = crate::digest::key(&sorted.join("\n"), 6);
    folders.work.join(format!("{LAST_RUN_PREFIX}-{key}.json"))
}

/// Records a synchronisation's outcome (written aside, then renamed; the
/// aside copies of killed processes are removed). A run serving every
/// client supersedes the records of runs that served some.
pub fn record_last_run(folders: &Folders, last: &LastRun) -> Result<()> {
    crate::returns::remove_abandoned(&folders.work, |name| {
        name.strip_prefix(".msp-last-run.")?
            .strip_suffix(".tmp")?
            .parse()
            .ok()
    });
    let path = last_run_path(folders, &last.clients);
    let tmp = folders
        .work
        .join(format!(".msp-last-run.{}.tmp", std::process::id()));
    let text = serde_json::to_vec_pretty(last).unwrap_or_default();
    fs::write(&tmp, text)
        .and_then(|_| crate::folders::rename_replacing(&tmp, &path))
        .map_err(|e| Error::io("cannot record the last synchronisation", &path, e))?;
    if last.clients.is_empty() {
        for old in last_runs(folders) {
            if !old.clients.is_empty() && old.finished_at <= last.finished_at {
                let _ = crate::folders::remove_file(last_run_path(folders, &old.clients));
            }
        }
    }
    Ok(())
}

/// Every synchronisation record in work (one per set of clients served).
pub fn last_runs(folders: &Folders) -> Vec<LastRun> {
    let Ok(rd) = fs::read_dir(&folders.work) else {
        return Vec::new();
    };
    let mut runs: Vec<LastRun> = rd
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with(LAST_RUN_PREFIX) && n.ends_with(".json")
        })
        .filter_map(|e| serde_json::from_slice(&fs::read(e.path()).ok()?).ok())
        .collect();
    runs.sort_by_key(|r| r.finished_at);
    runs
}

/// The most recent synchronisation's record, if any.
pub fn last_run(folders: &Folders) -> Option<LastRun> {
    last_runs(folders).pop()
}

/// The last synchronisation of each client: the most recent record that
/// served it (`None` when none did).
pub fn last_run_of_clients<'a>(
    runs: &'a [LastRun],
    clients: &'a [String],
) -> Vec<(&'a str, Option<&'a LastRun>)> {
    clients
        .iter()
        .map(|c| (c.as_str(), runs.iter().rev().find(|r| r.covers(c))))
        .collect()
}
