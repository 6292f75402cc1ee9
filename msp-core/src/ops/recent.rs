//! The recent synchronisations as their logs tell them (for the web
//! console).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use crate::folders::Folders;

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
