//! Retention of personal data (`[retention]`): what a purge removes from
//! done, error, sent and logs, and when it is due.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{age, modified, original_name};
use crate::backend::Backend;
use crate::config::Retention;
use crate::error::{Error, Result};
use crate::folders::Folders;

/// What a purge removed (or would remove, in a dry run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Purged {
    /// Files removed, with the rule that removed them.
    pub removed: Vec<(PathBuf, &'static str)>,
    /// Archives past their time kept because their dossier is still open.
    pub kept_open: Vec<PathBuf>,
}

/// Files of `dir` (not dot files) whose time is older than `days`.
fn older_than(dir: &Path, days: u32, now: SystemTime) -> Vec<(String, PathBuf)> {
    let limit = Duration::from_secs(u64::from(days) * 86_400);
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(String, PathBuf)> = rd
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| !n.starts_with('.'))
        .filter(|(_, p)| modified(p).is_some_and(|t| age(t, now) > limit))
        .collect();
    v.sort();
    v
}

/// Purges rejected archives (and their logs) older than `days`.
pub fn purge_rejected(folders: &Folders, days: u32, dry_run: bool) -> Result<Purged> {
    let mut purged = Purged::default();
    for (name, path) in older_than(&folders.error, days, SystemTime::now()) {
        if name.ends_with(".log") && folders.error.join(name.trim_end_matches(".log")).exists() {
            continue; // goes with its archive (whose time is the same or later)
        }
        remove(&path, "error", dry_run, &mut purged)?;
        let log = folders.error.join(format!("{name}.log"));
        if log.exists() {
            remove(&log, "error", dry_run, &mut purged)?;
        }
    }
    Ok(purged)
}

fn remove(path: &Path, rule: &'static str, dry_run: bool, purged: &mut Purged) -> Result<()> {
    if !dry_run {
        match crate::folders::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("cannot remove", path, e)),
        }
    }
    purged.removed.push((path.to_path_buf(), rule));
    Ok(())
}

/// Whether the retention is due at the end of this synchronisation: once
/// an hour (the time of the last application is the stamp file's, see
/// [`retention_applied`]), so that a run every minute does not read the
/// done folder every minute.
pub fn retention_due(folders: &Folders) -> bool {
    let stamp = folders.work.join(".msp-retention");
    modified(&stamp).is_none_or(|t| age(t, SystemTime::now()) >= Duration::from_secs(3600))
}

/// Records that the retention was applied now.
pub fn retention_applied(folders: &Folders) {
    let _ = fs::write(folders.work.join(".msp-retention"), b"");
}

/// Applies `[retention]`: imported archives of closed dossiers, rejected
/// archives and logs past their time. An imported archive whose dossier is
/// still open (a status other than 100, or not transmitted yet) is kept,
/// whatever its age; `backends` are the databases to ask, and `flows` the
/// registered flow codes (to read the dossier number from a file name).
pub fn purge(
    folders: &Folders,
    sent: &Path,
    retention: &Retention,
    backends: &[Arc<dyn Backend>],
    flows: &[&str],
    dry_run: bool,
) -> Result<Purged> {
    let now = SystemTime::now();
    let mut purged = Purged::default();
    if let Some(days) = retention.done_days {
        let mut open: HashMap<String, bool> = HashMap::new();
        for (name, path) in older_than(&folders.done, days, now) {
            let numero = crate::naming::parse(&original_name(&name), flows).map(|n| n.numero);
            let is_open = match numero {
                Some(numero) => match open.get(&numero) {
                    Some(o) => *o,
                    None => {
                        let o = dossier_open(backends, &numero)?;
                        open.insert(numero, o);
                        o
                    }
                },
                // Not an archive name msp knows: nothing refers to it.
                None => false,
            };
            if is_open {
                purged.kept_open.push(path);
            } else {
                remove(&path, "done", dry_run, &mut purged)?;
            }
        }
    }
    if let Some(days) = retention.error_days {
        let p = purge_rejected(folders, days, dry_run)?;
        purged.removed.extend(p.removed);
    }
    if let Some(days) = retention.sent_days {
        for (_, path) in older_than(sent, days, now) {
            remove(&path, "sent", dry_run, &mut purged)?;
        }
    }
    if let Some(days) = retention.logs_days {
        for (name, path) in older_than(&folders.logs, days, now) {
            if name.ends_with(".log") && name != "operations.log" {
                remove(&path, "logs", dry_run, &mut purged)?;
            }
        }
    }
    Ok(purged)
}

/// Whether a dossier is still open in any of the databases: a current
/// status other than 100, or one not transmitted yet.
fn dossier_open(backends: &[Arc<dyn Backend>], numero: &str) -> Result<bool> {
    for b in backends {
        if let Some(d) = b.dossier(numero)? {
            return Ok(d.status != 100 || d.indicator == 0);
        }
    }
    Ok(false)
}
