//! The error folder's workflow: the rejected archives listed with their
//! reason, a rejection's French log, and an archive put back into input.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::Local;
use serde::Serialize;

use super::{modified, original_name, trace};
use crate::error::{Error, Result};
use crate::folders::{self, Folders};

/// One archive in the error folder.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// Its file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was rejected (the log's time).
    pub rejected_at: chrono::DateTime<Local>,
    /// The reason: the log's "Motif" line, or its first line.
    pub reason: String,
}

/// The archives in the error folder, oldest first.
pub fn rejected(folders: &Folders) -> Result<Vec<Rejected>> {
    let dir = &folders.error;
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read the error folder", dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".log") || name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // A link put there is never followed (its target may be any file
        // this account can read): listed as what it is, never read, and
        // the other rejections stay listed.
        let log_path = dir.join(format!("{name}.log"));
        if folders::is_link(&path) || folders::is_link(&log_path) {
            out.push(Rejected {
                size: 0,
                rejected_at: modified_link(&path)
                    .unwrap_or(SystemTime::UNIX_EPOCH)
                    .into(),
                reason: format!(
                    "symbolic link ({} or its log): not followed, not read; remove it",
                    name
                ),
                name,
            });
            continue;
        }
        let log = folders::read_own(&dir.join(format!("{name}.log"))).unwrap_or_default();
        let when = modified(&dir.join(format!("{name}.log")))
            .or_else(|| modified(&path))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        out.push(Rejected {
            size: entry.metadata().map(|m| m.len()).unwrap_or(0),
            rejected_at: when.into(),
            reason: reason_of(&log),
            name,
        });
    }
    out.sort_by(|a, b| a.rejected_at.cmp(&b.rejected_at).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// The rejection reason a rejected archive's log records (its `Code :`
/// line), when it can be read.
pub fn rejection_reason(folders: &Folders, name: &str) -> Option<crate::Reason> {
    let log = rejection_log(folders, name).ok()?;
    log.lines()
        .find_map(|l| l.strip_prefix("Code : "))
        .and_then(|t| crate::Reason::from_tag(t.trim()))
}

/// A file's time, without following a link.
fn modified_link(path: &Path) -> Option<SystemTime> {
    fs::symlink_metadata(path).and_then(|m| m.modified()).ok()
}

/// The reason line of a rejection log.
pub(super) fn reason_of(log: &str) -> String {
    log.lines()
        .find_map(|l| l.strip_prefix("Motif : "))
        .or_else(|| log.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// An archive name given on the command line, checked: a plain file name
/// present in the error folder (never a path).
fn rejected_path(folders: &Folders, name: &str) -> Result<PathBuf> {
    if name.contains(['/', '\\']) {
        let bare = Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(Error::usage(format!(
            "\"{name}\" is a path: give the archive's bare name as `msp errors list` shows it ({bare})"
        ))
        .with_french(format!(
            "« {name} » est un chemin : donnez le nom seul de l'archive ({bare})."
        )));
    }
    if name.is_empty() || name.starts_with('.') || name.ends_with(".log") {
        return Err(Error::usage(format!(
            "\"{name}\" is not the name of an archive in the error folder"
        ))
        .with_french(format!(
            "« {name} » n'est pas le nom d'une archive du dossier des rejets."
        )));
    }
    let path = folders.error.join(name);
    let log = folders.error.join(format!("{name}.log"));
    if let Some(link) = [&path, &log].into_iter().find(|p| folders::is_link(p)) {
        return Err(folders::link_refused(link));
    }
    if !path.is_file() {
        return Err(Error::not_found(format!(
            "no archive \"{name}\" in the error folder {} (msp errors list shows them)",
            folders.error.display()
        ))
        .with_french(format!(
            "Il n'y a pas (ou plus) d'archive « {name} » dans le dossier des rejets."
        )));
    }
    Ok(path)
}

/// The French log of a rejected archive.
pub fn rejection_log(folders: &Folders, name: &str) -> Result<String> {
    let path = rejected_path(folders, name)?;
    let log = folders.error.join(format!("{name}.log"));
    folders::read_own(&log).map_err(|e| e.context(format!("the log of {}", path.display())))
}

/// Puts a rejected archive back into input under its original name (once
/// its cause is fixed), keeps its log in the logs folder, and traces it.
/// Returns where the archive is now.
pub fn retry(folders: &Folders, name: &str) -> Result<PathBuf> {
    let path = rejected_path(folders, name)?;
    let original = original_name(name);
    if folders.input.join(&original).exists() {
        return Err(
            Error::config(format!("{original} is already in input: not overwritten")).with_french(
                format!(
            "Une archive {original} est déjà dans le dossier d'entrée : elle n'est pas écrasée."
        ),
            ),
        );
    }
    let log = folders.error.join(format!("{name}.log"));
    let dest = folders::move_into(&path, &folders.input, &original)?;
    if log.exists() {
        let kept = format!(
            "{name}.retried-{}.log",
            Local::now().format("%Y%m%d-%H%M%S")
        );
        let _ = folders::move_into(&log, &folders.logs, &kept);
    }
    trace(
        folders,
        &format!("errors retry: {name} put back into input as {original}"),
    )?;
    Ok(dest)
}
