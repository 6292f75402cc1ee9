//! What the people who operate msp use besides the synchronisation: the
//! error folder's workflow, retention of personal data, the record of the
//! last synchronisation and the health figures built on it, and the
//! permissions of what msp creates.
//!
//! One room each: [`rejected`](fn@rejected) and [`retry`] (the error
//! folder), [`trace`] (the operations log), [`purge`] (retention),
//! [`record_last_run`] (the last synchronisation), [`recent_activity`]
//! (the synchronisation logs read back), [`input_files`] (the input
//! folder), [`health`] (`msp status`), [`attachment`](fn@attachment) (a
//! dossier's attachment), [`apply_permissions`] (Unix modes).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod attachment;
mod health;
mod input;
mod last_run;
mod permissions;
mod recent;
mod rejected;
mod retention;
mod trace;

pub use attachment::{attachment, AttachmentBytes};
pub use health::{count_late, health, Check, DatabaseFigures, Health, InputRules, Level};
pub use input::{input_files, waiting, InputFiles};
pub use last_run::{last_run, last_run_of_clients, last_runs, record_last_run, LastRun};
#[cfg(unix)]
pub use permissions::group_id;
pub use permissions::{apply_permissions, set_umask};
pub use recent::{recent_activity, recent_runs, RecentRun, RecentRuns};
pub use rejected::{rejected, rejection_log, rejection_reason, retry, Rejected};
pub use retention::{purge, purge_rejected, retention_applied, retention_due, Purged};
pub use trace::{trace, unix_account};

/// The settings of `[retention]` and `[status]`, parsed with the
/// configuration (here for the paths that name them `ops::`).
pub use crate::config::{Retention, Thresholds};

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

#[cfg(test)]
mod tests;
