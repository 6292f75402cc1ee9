//! The settings of what operators use besides the synchronisation:
//! retention of personal data (`[retention]`) and the thresholds of
//! `msp status` (`[status]`).

use serde::{Deserialize, Serialize};

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
