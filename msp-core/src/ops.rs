//! What the people who operate msp use besides the synchronisation: the
//! error folder's workflow, retention of personal data, the record of the
//! last synchronisation and the health figures built on it, and the
//! permissions of what msp creates.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{Local, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::folders::{self, Folders};

/// Days to keep what holds citizens' personal data (`[retention]`); a
/// missing key keeps forever.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Imported archives in done, once their dossier is closed (status
    /// 100 transmitted).
    pub done_days: Option<u32>,
    /// Rejected archives in error, with their logs.
    pub error_days: Option<u32>,
    /// Synchronisation logs.
    pub logs_days: Option<u32>,
    /// Return archives uploaded by SFTP, in the sent folder (`envoye`).
    pub sent_days: Option<u32>,
}

impl Retention {
    /// Whether anything is to be purged at all.
    pub fn is_set(&self) -> bool {
        self.done_days.is_some()
            || self.error_days.is_some()
            || self.logs_days.is_some()
            || self.sent_days.is_some()
    }
}

/// Thresholds of `msp status` (`[status]`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Warning when the last synchronisation finished longer ago (minutes).
    pub last_run_minutes: u64,
    /// Warning when the oldest archive waiting in input is older (minutes).
    pub input_age_minutes: u64,
    /// Warning when a status has not been transmitted for longer (hours).
    pub untransmitted_hours: u64,
    /// Warning when a return archive has not been collected by the portal
    /// for longer (hours).
    pub uncollected_hours: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            last_run_minutes: 15,
            input_age_minutes: 30,
            untransmitted_hours: 24,
            uncollected_hours: 48,
        }
    }
}

/// Seconds since `t`, 0 if in the future.
fn age(t: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(t).unwrap_or_default()
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The archive name of a file in done or error (`X-RCO-LA-1~2.zip` was
/// `X-RCO-LA-1.zip` before a name clash).
fn original_name(name: &str) -> String {
    let stem = name.strip_suffix(".zip").unwrap_or(name);
    match stem.rsplit_once('~') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{base}.zip")
        }
        _ => name.to_string(),
    }
}

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
fn reason_of(log: &str) -> String {
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

/// The Unix account running this process (its name from `/etc/passwd`,
/// else `uid N`): who an operation traced from the command line was made by.
pub fn unix_account() -> String {
    #[cfg(unix)]
    {
        let uid = rustix::process::getuid().as_raw();
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        passwd
            .lines()
            .find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
            .unwrap_or_else(|| format!("uid {uid}"))
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "unknown".to_string())
    }
}

/// Appends a line to `logs/operations.log` (what operators did).
pub fn trace(folders: &Folders, line: &str) -> Result<()> {
    let path = folders.logs.join("operations.log");
    fs::create_dir_all(&folders.logs)
        .and_then(|_| {
            let mut f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            writeln!(f, "{} {line}", Local::now().format("%Y-%m-%d %H:%M:%S"))
        })
        .map_err(|e| Error::io("cannot write", &path, e))
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
        match fs::remove_file(path) {
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
    pub summary: serde_json::Value,
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
    use sha2::{Digest, Sha256};
    let mut sorted = clients.to_vec();
    sorted.sort();
    let key: String = Sha256::digest(sorted.join("\n").as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
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
        .and_then(|_| fs::rename(&tmp, &path))
        .map_err(|e| Error::io("cannot record the last synchronisation", &path, e))?;
    if last.clients.is_empty() {
        for old in last_runs(folders) {
            if !old.clients.is_empty() && old.finished_at <= last.finished_at {
                let _ = fs::remove_file(last_run_path(folders, &old.clients));
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

/// One synchronisation as its log tells it (for the web console's list of
/// recent synchronisations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecentRun {
    /// The log's file name.
    pub log: String,
    /// When it started (the log's first time stamp).
    pub started: String,
    /// When it finished; None while it runs, or when it was interrupted.
    pub finished: Option<String>,
    /// Counts from its last line: imported, complements, duplicates,
    /// rejected, returns written, left for retry.
    pub counts: [u32; 6],
    /// Causes of trouble it met.
    pub troubles: Vec<String>,
}

/// The recent synchronisations that did something, and how many did
/// nothing since (for the web console).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecentRuns {
    /// The most recent synchronisations that did something, newest first.
    pub runs: Vec<RecentRun>,
    /// Synchronisations with nothing to do since the latest of `runs` (all
    /// of them when `runs` is empty).
    pub empty_since: usize,
    /// When the latest of those finished.
    pub last_empty: Option<String>,
}

/// Logs read at most, newest first, to find the recent synchronisations
/// that did something: an installation from before the day's file of
/// empty runs may keep one two-line log per minute.
const LOGS_READ_AT_MOST: usize = 5000;

/// The `n` most recent synchronisations that did something, newest first,
/// read from their logs (`sync-*.log` in the logs folder); see
/// [`recent_activity`].
pub fn recent_runs(folders: &Folders, n: usize) -> Vec<RecentRun> {
    recent_activity(folders, n).runs
}

/// The `n` most recent synchronisations that did something, newest first,
/// and how many had nothing to do since: a synchronisation with nothing to
/// do leaves one line in the day's `empty-YYYYMMDD.log` (older versions
/// left a two-line `sync-*.log`, skipped and counted the same way).
pub fn recent_activity(folders: &Folders, n: usize) -> RecentRuns {
    let mut out = RecentRuns::default();
    let Ok(rd) = fs::read_dir(&folders.logs) else {
        return out;
    };
    let mut logs: Vec<(SystemTime, String)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !(name.starts_with("sync-") && name.ends_with(".log")) {
                return None;
            }
            let modified = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((modified, name))
        })
        .collect();
    // Latest written first: the names (sync-YYYYMMDD-HHMMSS-pid.log) do not
    // order two runs of the same second (pid 998, then 1003).
    logs.sort_unstable_by(|a, b| b.cmp(a));
    for (_, name) in logs.into_iter().take(LOGS_READ_AT_MOST) {
        if out.runs.len() >= n {
            break;
        }
        let (run, lines) = read_run(folders, name);
        let did_nothing =
            lines == 2 && run.finished.is_some() && run.counts == [0; 6] && run.troubles.is_empty();
        if !did_nothing {
            out.runs.push(run);
        } else if out.runs.is_empty() {
            out.empty_since += 1;
            out.last_empty = out.last_empty.max(run.finished);
        }
    }
    let after = out
        .runs
        .first()
        .map(|r| r.finished.clone().unwrap_or_else(|| r.started.clone()));
    let (count, last) = empty_runs_after(&folders.logs, after.as_deref());
    out.empty_since += count;
    out.last_empty = out.last_empty.max(last);
    out
}

/// One synchronisation's log read back, with its number of lines.
fn read_run(folders: &Folders, name: String) -> (RecentRun, usize) {
    let text = fs::read_to_string(folders.logs.join(&name)).unwrap_or_default();
    let stamp = |l: &str| l.get(..19).unwrap_or_default().to_string();
    let mut run = RecentRun {
        started: text.lines().next().map(stamp).unwrap_or_default(),
        log: name,
        ..RecentRun::default()
    };
    let mut lines = 0;
    for line in text.lines() {
        lines += 1;
        let rest = line.get(20..).unwrap_or_default();
        if let Some(counts) = rest.strip_prefix(crate::synclog::FINISHED) {
            run.finished = Some(stamp(line));
            let figures: Vec<u32> = counts
                .split(", ")
                .filter_map(|p| p.split(' ').next()?.parse().ok())
                .collect();
            for (slot, v) in run.counts.iter_mut().zip(figures) {
                *slot = v;
            }
        } else if let Some(cause) = rest.strip_prefix(crate::synclog::TROUBLE) {
            run.troubles.push(cause.to_string());
        }
    }
    (run, lines)
}

/// The lines of the daily files of empty synchronisations
/// (`empty-YYYYMMDD.log`) stamped after `after` (all when `None`), and the
/// latest one's time stamp.
fn empty_runs_after(logs: &Path, after: Option<&str>) -> (usize, Option<String>) {
    let Ok(rd) = fs::read_dir(logs) else {
        return (0, None);
    };
    let mut days: Vec<(String, PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let day = name
                .strip_prefix(crate::synclog::EMPTY_PREFIX)?
                .strip_suffix(".log")?
                .to_string();
            (day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit())).then(|| (day, e.path()))
        })
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    // "2026-11-29 09:00:00" -> "20261129".
    let after_day: Option<String> =
        after.map(|a| a.chars().filter(char::is_ascii_digit).take(8).collect());
    let mut count = 0;
    let mut last = None;
    for (day, path) in days {
        if after_day.as_ref().is_some_and(|a| day < *a) {
            break;
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        let stamps = text
            .lines()
            .filter_map(|l| l.get(..19))
            .filter(|s| after.is_none_or(|a| *s > a));
        let mut n = 0;
        for s in stamps {
            n += 1;
            if last.as_deref().is_none_or(|l: &str| s > l) {
                last = Some(s.to_string());
            }
        }
        count += n;
    }
    (count, last)
}

/// Health levels, as monitoring plugins count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 0.
    Ok,
    /// 1.
    Warning,
    /// 2.
    Critical,
}

impl Level {
    /// The exit code monitoring plugins expect.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The word monitoring plugins print (`OK`, `WARNING`, `CRITICAL`).
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

/// One figure of `msp status` with its level.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable key (also the Prometheus metric's suffix).
    pub key: &'static str,
    /// The figure.
    pub value: f64,
    /// Its level against the thresholds.
    pub level: Level,
    /// In words.
    pub text: String,
}

/// The figures `msp status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The worst level of the checks.
    pub level: Level,
    /// The last synchronisation, if any.
    pub last_run: Option<LastRun>,
    /// The checks.
    pub checks: Vec<Check>,
}

/// Figures from the databases for [`health`].
#[derive(Debug, Clone, Default)]
pub struct DatabaseFigures {
    /// (numero, when recorded) of every status not transmitted.
    pub untransmitted: Vec<NaiveDateTime>,
    /// When each return archive written but not collected was written.
    pub uncollected: Vec<NaiveDateTime>,
    /// Databases that could not be read, with the cause.
    pub unreachable: Vec<String>,
}

impl DatabaseFigures {
    /// Reads the figures of one database.
    pub fn add(&mut self, backend: &dyn Backend) -> Result<()> {
        for (numero, seq) in backend.untransmitted_statuses()? {
            if let Some(s) = backend.history(&numero)?.into_iter().find(|s| s.seq == seq) {
                self.untransmitted.push(s.at);
            }
        }
        backend.each_uncollected_return(&mut |r| {
            if let Some(w) = r.written_at {
                self.uncollected.push(w);
            }
            Ok(())
        })
    }
}

/// Where an attachment's bytes are.
#[derive(Debug)]
pub enum AttachmentBytes {
    /// A file of the attachments folder (checked to be inside it).
    File(PathBuf),
    /// Read from the database.
    Read(Vec<u8>),
}

/// An attachment of a dossier and where its bytes are, wherever it is
/// stored: in the attachments folder (never a path outside it, whatever
/// the database says) or in the database (not readable back on Oracle and
/// Access). Errors say it in French too.
pub fn attachment(
    backend: &dyn Backend,
    folders: &Folders,
    numero: &str,
    seq: u32,
) -> Result<(crate::backend::StoredAttachment, AttachmentBytes)> {
    let att = backend
        .attachments(numero)?
        .into_iter()
        .find(|a| a.seq == seq)
        .ok_or_else(|| {
            Error::not_found(format!("dossier {numero} has no attachment {seq}"))
                .with_french(format!("Le dossier {numero} n'a pas de pièce n° {seq}."))
        })?;
    let bytes = match &att.path {
        Some(p) => {
            let outside = || {
                Error::not_found(format!(
                    "attachment {seq} of dossier {numero} is not (or no longer) in the attachments folder {}",
                    folders.attachments.display()
                ))
                .with_french(format!(
                    "La pièce n° {seq} du dossier {numero} n'est pas (ou plus) dans le dossier des pièces."
                ))
            };
            let root = fs::canonicalize(&folders.attachments).map_err(|_| outside())?;
            let file = fs::canonicalize(p).map_err(|_| outside())?;
            if !file.starts_with(&root) {
                return Err(outside());
            }
            AttachmentBytes::File(file)
        }
        None => AttachmentBytes::Read(backend.attachment_content(numero, seq)?.ok_or_else(|| {
            Error::not_found(format!(
                "attachment {seq} of dossier {numero} is in the database {}, whose blobs msp cannot read back: read it with the business application",
                backend.describe()
            ))
            .with_french(format!(
                "La pièce n° {seq} du dossier {numero} est dans la base de données, qui ne permet pas de la relire ici ({}) : ouvrez-la depuis l'application métier.",
                backend.describe()
            ))
        })?),
    };
    Ok((att, bytes))
}

/// What input holds, listed once: the archives of the registered flows,
/// and the files msp does not recognise. Temporary names of a transport
/// still writing are in neither; times are modification times.
#[derive(Debug, Clone, Default)]
pub struct InputFiles {
    /// The archives waiting.
    pub archives: Vec<(String, SystemTime)>,
    /// The files msp leaves alone, with why.
    pub unrecognised: Vec<(String, SystemTime, crate::naming::Unknown)>,
}

/// Lists input once (see [`InputFiles`]); `flows` are the registered flow
/// codes.
pub fn input_files(folders: &Folders, flows: &[&str]) -> InputFiles {
    let mut found = InputFiles::default();
    let Ok(rd) = fs::read_dir(&folders.input) else {
        return found;
    };
    for e in rd.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(modified) = e.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        if crate::naming::parse(&name, flows).is_some() {
            found.archives.push((name, modified));
        } else if let Some(why) = crate::naming::why_unrecognised(&name, flows) {
            found.unrecognised.push((name, modified, why));
        }
    }
    found
}

/// The archives of the registered `flows` waiting in input, with their
/// modification time ([`input_files`]).
pub fn waiting(folders: &Folders, flows: &[&str]) -> Vec<(String, SystemTime)> {
    input_files(folders, flows).archives
}

/// How many of `times` are more than `hours` before `now`.
pub fn count_late(times: &[NaiveDateTime], hours: u64, now: NaiveDateTime) -> usize {
    times
        .iter()
        .filter(|at| (now - **at).num_seconds() > (hours * 3600) as i64)
        .count()
}

/// What tells an archive msp imports from a file it leaves alone in input
/// (for [`health`]).
#[derive(Debug, Clone, Copy)]
pub struct InputRules<'a> {
    /// The registered flow codes.
    pub flows: &'a [&'a str],
    /// `settle_seconds`: an unrecognised file older than this and a minute
    /// is a warning.
    pub settle_seconds: u64,
}

/// The health of an installation: the last synchronisation, the input
/// folder, the error folder, and the databases' figures.
pub fn health(
    folders: &Folders,
    clients: &[String],
    t: &Thresholds,
    db: &DatabaseFigures,
    input: &InputRules<'_>,
) -> Health {
    let now = SystemTime::now();
    let local_now = Local::now().naive_local();
    let mut checks = Vec::new();
    let runs = last_runs(folders);
    // Each client's last synchronisation; the check reports the worst (a
    // process serving some clients that stopped running is noticed even
    // while another serves the rest).
    let judge = |l: &LastRun| {
        let ago = (Local::now() - l.finished_at).num_seconds().max(0) as f64;
        let level = if l.exit_code == 2 {
            Level::Critical
        } else if ago > (t.last_run_minutes * 60) as f64 {
            Level::Warning
        } else {
            Level::Ok
        };
        (level, ago)
    };
    let mut worst: Option<(Level, f64, Option<&str>, Option<&LastRun>)> = None;
    let of_clients = last_run_of_clients(&runs, clients);
    // One run of every client is no client's in particular: named only
    // when the clients' last runs differ.
    let one_run_for_all = of_clients
        .windows(2)
        .all(|w| w[0].1.map(|l| l.finished_at) == w[1].1.map(|l| l.finished_at));
    for (client, run) in of_clients {
        let (level, ago) = match run {
            None => (Level::Warning, -1.0),
            Some(l) => judge(l),
        };
        let named = (clients.len() > 1 && !one_run_for_all).then_some(client);
        let worse = match &worst {
            None => true,
            Some((wl, wago, _, _)) => {
                level > *wl || (level == *wl && (ago < 0.0 || (*wago >= 0.0 && ago > *wago)))
            }
        };
        if worse {
            worst = Some((level, ago, named, run));
        }
    }
    let last = worst.as_ref().and_then(|w| w.3).cloned();
    let of = |c: Option<&str>| c.map(|c| format!(" of client {c}")).unwrap_or_default();
    let (value, level, text) = match &worst {
        None | Some((_, _, _, None)) => (
            -1.0,
            Level::Warning,
            format!(
                "no synchronisation{} recorded yet",
                of(worst.as_ref().and_then(|w| w.2))
            ),
        ),
        Some((level, ago, client, Some(l))) => (
            *ago,
            *level,
            format!(
                "last synchronisation{} {} ago, exit {} ({})",
                of(*client),
                words(*ago as u64),
                l.exit_code,
                match l.exit_code {
                    0 => "all went well",
                    1 => "archives rejected",
                    _ => "trouble",
                }
            ),
        ),
    };
    checks.push(Check {
        key: "last_run_age_seconds",
        value,
        level,
        text,
    });
    let InputFiles {
        archives,
        mut unrecognised,
    } = input_files(folders, input.flows);
    let waiting: Vec<SystemTime> = archives.into_iter().map(|w| w.1).collect();
    unrecognised.sort_by(|a, b| a.0.cmp(&b.0));
    let unknown_oldest = unrecognised
        .iter()
        .map(|(_, t, _)| age(*t, now).as_secs())
        .max()
        .unwrap_or_default();
    checks.push(Check {
        key: "input_unrecognised",
        value: unrecognised.len() as f64,
        level: if !unrecognised.is_empty() && unknown_oldest > input.settle_seconds + 60 {
            Level::Warning
        } else {
            Level::Ok
        },
        text: match unrecognised.first() {
            None => "no unrecognised file in input".to_string(),
            Some((first, _, _)) => format!(
                "{} file(s) in input msp does not recognise (the synchronisation log says why), e.g. {first}",
                unrecognised.len()
            ),
        },
    });
    let oldest = waiting
        .iter()
        .map(|t| age(*t, now))
        .max()
        .unwrap_or_default();
    checks.push(Check {
        key: "input_archives",
        value: waiting.len() as f64,
        level: Level::Ok,
        text: format!("{} archive(s) waiting in input", waiting.len()),
    });
    checks.push(Check {
        key: "input_oldest_age_seconds",
        value: oldest.as_secs() as f64,
        level: if oldest.as_secs() > t.input_age_minutes * 60 {
            Level::Warning
        } else {
            Level::Ok
        },
        text: if waiting.is_empty() {
            "oldest archive in input: none".to_string()
        } else {
            format!("oldest archive in input: {}", words(oldest.as_secs()))
        },
    });
    let errors = rejected(folders).map(|v| v.len()).unwrap_or(0);
    checks.push(Check {
        key: "error_archives",
        value: errors as f64,
        level: if errors > 0 {
            Level::Warning
        } else {
            Level::Ok
        },
        text: format!("{errors} rejected archive(s) to handle (msp errors list)"),
    });
    let mut late = |key, times: &[NaiveDateTime], hours: u64, what: &str| {
        let n = count_late(times, hours, local_now);
        checks.push(Check {
            key,
            value: n as f64,
            level: if n > 0 { Level::Warning } else { Level::Ok },
            text: format!(
                "{n} {what} for more than {hours} h ({} in all)",
                times.len()
            ),
        });
    };
    late(
        "untransmitted_late",
        &db.untransmitted,
        t.untransmitted_hours,
        "status(es) not transmitted",
    );
    late(
        "uncollected_late",
        &db.uncollected,
        t.uncollected_hours,
        "return archive(s) not collected by the portal",
    );
    checks.push(Check {
        key: "databases_unreachable",
        value: db.unreachable.len() as f64,
        level: if db.unreachable.is_empty() {
            Level::Ok
        } else {
            Level::Critical
        },
        text: if db.unreachable.is_empty() {
            "every database answered".to_string()
        } else {
            db.unreachable.join("; ")
        },
    });
    let level = checks.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    Health {
        level,
        last_run: last,
        checks,
    }
}

/// A duration in words (`3 min`, `2 h`, `4 d`).
fn words(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// The warning and critical thresholds of a check, in its figure's unit,
/// for the performance data of [`Health::nagios`] (none when its level is
/// not a threshold on the figure).
fn thresholds_of(key: &str, t: &Thresholds) -> (Option<u64>, Option<u64>) {
    match key {
        "last_run_age_seconds" => (Some(t.last_run_minutes * 60), None),
        "input_oldest_age_seconds" => (Some(t.input_age_minutes * 60), None),
        "error_archives" | "untransmitted_late" | "uncollected_late" => (Some(0), None),
        "databases_unreachable" => (None, Some(0)),
        _ => (None, None),
    }
}

impl Health {
    /// The first line of `msp status`, as Nagios plugins write it:
    /// `msp WARNING - <why> | <performance data>`. Why: the text of each
    /// check that is not OK, the worst first, joined by `; ` (when all are
    /// OK, the last synchronisation's). Performance data: every check's
    /// figure as `key=value[s];warn;crit` (`s` for seconds, `U` for a
    /// figure not known, thresholds from `[status]`; a threshold of 0 on a
    /// count means "any is one").
    pub fn nagios(&self, t: &Thresholds) -> String {
        let mut bad: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.level != Level::Ok)
            .collect();
        bad.sort_by_key(|c| std::cmp::Reverse(c.level));
        let why = if bad.is_empty() {
            self.checks
                .first()
                .map(|c| c.text.clone())
                .unwrap_or_default()
        } else {
            bad.iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        // One line, and no `|` but the one that starts the figures.
        let why = crate::display::line(&why).replace('|', "/");
        let perf: Vec<String> = self
            .checks
            .iter()
            .map(|c| {
                let unit = if c.key.ends_with("_seconds") { "s" } else { "" };
                let value = if c.value < 0.0 {
                    "U".to_string()
                } else {
                    format!("{}{unit}", c.value)
                };
                let limits = match thresholds_of(c.key, t) {
                    (None, None) => String::new(),
                    (Some(w), None) => format!(";{w}"),
                    (w, Some(c)) => {
                        format!(";{};{c}", w.map(|w| w.to_string()).unwrap_or_default())
                    }
                };
                format!("{}={value}{limits}", c.key)
            })
            .collect();
        format!("msp {} - {why} | {}", self.level.word(), perf.join(" "))
    }

    /// The figures in Prometheus text format (node_exporter's textfile
    /// collector).
    pub fn prometheus(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP msp_health 0 ok, 1 warning, 2 critical.\n# TYPE msp_health gauge\n");
        s.push_str(&format!("msp_health {}\n", self.level.code()));
        if let Some(l) = &self.last_run {
            s.push_str("# TYPE msp_last_run_timestamp_seconds gauge\n");
            s.push_str(&format!(
                "msp_last_run_timestamp_seconds {}\n",
                l.finished_at.timestamp()
            ));
            s.push_str("# TYPE msp_last_run_exit_code gauge\n");
            s.push_str(&format!("msp_last_run_exit_code {}\n", l.exit_code));
        }
        for c in &self.checks {
            s.push_str(&format!("# TYPE msp_{} gauge\n", c.key));
            s.push_str(&format!("msp_{} {}\n", c.key, c.value));
        }
        s
    }
}

/// The umask every command that may create a folder or a database sets
/// first (`config check` included): 077, or 027 with `group`.
pub fn set_umask(config: &crate::Config) {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::Mode;
        let mask = if config.group.is_some() { 0o027 } else { 0o077 };
        rustix::process::umask(Mode::from_bits_truncate(mask));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = config;
}

/// Makes what msp creates unreadable by others: umask 077 (folders 0700,
/// files 0600), or 027 with `group` (0750 / 0640), the folders then given
/// to that group with the set-group-ID bit so what is created inside
/// belongs to it too. Creates the folders.
pub fn apply_permissions(config: &crate::Config) -> Result<()> {
    set_umask(config);
    config.folders.ensure()?;
    #[cfg(unix)]
    if let Some(group) = &config.group {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let gid = group_id(group)?;
        let sent = [
            ("root", config.root.as_path()),
            ("sent", config.sent.as_path()),
        ];
        for (role, dir) in config.folders.all().into_iter().chain(sent) {
            let meta = match fs::metadata(dir) {
                Ok(m) => m,
                // The sent folder is made when first needed (under the
                // umask, inheriting the group from the root).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && role == "sent" => continue,
                Err(e) => return Err(Error::io("cannot read", dir, e)),
            };
            // A root that others may enter was not made by msp (a home, a
            // shared folder): its mode and group are the owner's business.
            if role == "root" && meta.mode() & 0o005 != 0 {
                continue;
            }
            // Folders made before the group was configured (0700) become
            // readable by the group too: 2750 keeps the owner's bits, gives
            // the group read and search, others nothing.
            let mode = (meta.mode() & 0o700) | 0o2750;
            if meta.gid() != gid || meta.mode() & 0o7777 != mode {
                std::os::unix::fs::chown(dir, None, Some(gid))
                    .and_then(|_| fs::set_permissions(dir, fs::Permissions::from_mode(mode)))
                    .map_err(|e| {
                        Error::config(format!(
                            "the {role} folder {} cannot be given to the group {group}: {e}",
                            dir.display()
                        ))
                    })?;
            }
        }
    }
    Ok(())
}

/// Resolves a group name (or number) from `/etc/group`.
#[cfg(unix)]
pub fn group_id(group: &str) -> Result<u32> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let text = fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines()
        .find_map(|l| {
            let mut f = l.split(':');
            (f.next() == Some(group))
                .then(|| f.nth(1).and_then(|g| g.parse().ok()))
                .flatten()
        })
        .ok_or_else(|| Error::config(format!("group \"{group}\" not found in /etc/group")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every folder one: `dir`.
    fn all_in(dir: &Path) -> Folders {
        Folders {
            input: dir.to_path_buf(),
            work: dir.to_path_buf(),
            output: dir.to_path_buf(),
            error: dir.to_path_buf(),
            done: dir.to_path_buf(),
            logs: dir.to_path_buf(),
            attachments: dir.to_path_buf(),
        }
    }

    #[test]
    fn recent_runs_latest_written_first_even_in_the_same_second() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().to_path_buf();
        let folders = all_in(&logs);
        // Two runs of the same second: pid 998, then pid 1003 (by name,
        // "998" sorts after "1003").
        let line = |n: u32| {
            format!(
                "2026-11-29 09:00:00 {}{n} imported, 0 complements, 0 duplicates, 0 rejected, 0 returns written, 0 left for retry\n",
                crate::synclog::FINISHED
            )
        };
        let earlier = logs.join("sync-20261129-090000-998.log");
        let later = logs.join("sync-20261129-090000-1003.log");
        fs::write(&earlier, line(1)).unwrap();
        fs::write(&later, line(2)).unwrap();
        fs::File::options()
            .write(true)
            .open(&earlier)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(1))
            .unwrap();
        fs::write(logs.join("operations.log"), "not a run\n").unwrap();
        let runs = recent_runs(&folders, 10);
        let names: Vec<&str> = runs.iter().map(|r| r.log.as_str()).collect();
        assert_eq!(
            names,
            [
                "sync-20261129-090000-1003.log",
                "sync-20261129-090000-998.log"
            ]
        );
        assert_eq!(runs[0].counts[0], 2);
    }

    #[test]
    fn original_names_lose_the_clash_suffix() {
        assert_eq!(original_name("A-2-X-RCO-LA-1~2.zip"), "A-2-X-RCO-LA-1.zip");
        assert_eq!(original_name("A-2-X-RCO-LA-1.zip"), "A-2-X-RCO-LA-1.zip");
        assert_eq!(original_name("odd~x.zip"), "odd~x.zip");
    }

    #[test]
    fn the_reason_is_the_motif_line() {
        assert_eq!(
            reason_of("Archive : x\nMotif : le fichier est illisible\nCode : zip\n"),
            "le fichier est illisible"
        );
        assert_eq!(reason_of("\nsomething\n"), "something");
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(words(5), "5 s");
        assert_eq!(words(600), "10 min");
        assert_eq!(words(3 * 3600), "3 h");
        assert_eq!(words(3 * 86_400), "3 d");
    }

    #[test]
    fn empty_runs_are_skipped_and_counted_since_the_last_that_did_something() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().to_path_buf();
        let folders = all_in(&logs);
        let finished = |at: &str, imported: u32| {
            format!(
                "{at} {}{imported} imported, 0 complements, 0 duplicates, 0 rejected, 0 returns written, 0 left for retry\n",
                crate::synclog::FINISHED
            )
        };
        // A run that imported, then an old-style two-line empty log.
        let busy = logs.join("sync-20261129-090000-1.log");
        fs::write(
            &busy,
            format!(
                "2026-11-29 09:00:00 synchronisation started\n2026-11-29 09:00:01 A-2-X-RCO-LA-1.zip: imported\n{}",
                finished("2026-11-29 09:00:01", 1)
            ),
        )
        .unwrap();
        let old_empty = logs.join("sync-20261129-090100-2.log");
        fs::write(
            &old_empty,
            format!(
                "2026-11-29 09:01:00 synchronisation started\n{}",
                finished("2026-11-29 09:01:00", 0)
            ),
        )
        .unwrap();
        fs::File::options()
            .write(true)
            .open(&busy)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        // Empty runs of the day before (before the busy one) and after it.
        fs::write(
            logs.join("empty-20261128.log"),
            "2026-11-28 23:59:00 synchronisation with nothing to do (pid 7, 3 ms)\n",
        )
        .unwrap();
        fs::write(
            logs.join("empty-20261129.log"),
            "2026-11-29 08:59:00 synchronisation with nothing to do (pid 8, 3 ms)\n\
             2026-11-29 09:02:00 synchronisation with nothing to do (pid 9, 3 ms)\n\
             2026-11-29 09:03:00 synchronisation with nothing to do (pid 10, 3 ms)\n",
        )
        .unwrap();
        let recent = recent_activity(&folders, 10);
        let names: Vec<&str> = recent.runs.iter().map(|r| r.log.as_str()).collect();
        assert_eq!(names, ["sync-20261129-090000-1.log"]);
        assert_eq!(recent.empty_since, 3, "{recent:?}");
        assert_eq!(recent.last_empty.as_deref(), Some("2026-11-29 09:03:00"));
        // Nothing that did something: every empty run counts.
        fs::remove_file(&busy).unwrap();
        let recent = recent_activity(&folders, 10);
        assert!(recent.runs.is_empty());
        assert_eq!(recent.empty_since, 5, "{recent:?}");
    }

    #[test]
    fn the_nagios_line_says_why_and_carries_the_figures() {
        let check = |key, value, level, text: &str| Check {
            key,
            value,
            level,
            text: text.to_string(),
        };
        let health = Health {
            level: Level::Critical,
            last_run: None,
            checks: vec![
                check(
                    "last_run_age_seconds",
                    -1.0,
                    Level::Warning,
                    "no synchronisation recorded yet",
                ),
                check(
                    "input_archives",
                    3.0,
                    Level::Ok,
                    "3 archive(s) waiting in input",
                ),
                check(
                    "input_oldest_age_seconds",
                    10800.0,
                    Level::Warning,
                    "oldest archive in input: 3 h",
                ),
                check(
                    "error_archives",
                    2.0,
                    Level::Warning,
                    "2 rejected archive(s) to handle (msp errors list)",
                ),
                check(
                    "databases_unreachable",
                    1.0,
                    Level::Critical,
                    "client a: cannot | connect",
                ),
            ],
        };
        assert_eq!(
            health.nagios(&Thresholds::default()),
            "msp CRITICAL - client a: cannot / connect; no synchronisation recorded yet; oldest archive in input: 3 h; 2 rejected archive(s) to handle (msp errors list) \
             | last_run_age_seconds=U;900 input_archives=3 input_oldest_age_seconds=10800s;1800 error_archives=2;0 databases_unreachable=1;;0"
        );
        let ok = Health {
            level: Level::Ok,
            last_run: None,
            checks: vec![check(
                "last_run_age_seconds",
                40.0,
                Level::Ok,
                "last synchronisation 40 s ago, exit 0 (all went well)",
            )],
        };
        assert_eq!(
            ok.nagios(&Thresholds::default()),
            "msp OK - last synchronisation 40 s ago, exit 0 (all went well) | last_run_age_seconds=40s;900"
        );
    }
}
