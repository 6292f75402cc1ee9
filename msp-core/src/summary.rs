//! The summary of one synchronisation as a typed value: what `msp run
//! --json` prints and what the record of the last run keeps (`msp status`,
//! the console). [`RunSummary`] is built from a [`RunReport`]; its JSON
//! (field names and order) is the documented one of the README, and fields
//! are only ever added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sync::{FlowCounts, RunReport};

/// How many archives of a cause of trouble the summary names.
const FIRST_ARCHIVES: usize = 5;

/// The summary of one synchronisation. Every field has a default, so a
/// record written by an older msp (fewer fields) still reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunSummary {
    /// 0 when all went well, 1 when archives were rejected or status changes
    /// refused, 2 on trouble ([`RunReport::exit_code`]).
    pub exit_code: i32,
    /// What the exit code means, in English.
    pub exit_meaning: String,
    /// How long the run took, in milliseconds.
    pub duration_ms: u64,
    /// Totals over all flows.
    pub totals: FlowCounts,
    /// Counts per flow code.
    pub flows: BTreeMap<String, FlowCounts>,
    /// Counts per client name, then flow code.
    pub clients: BTreeMap<String, BTreeMap<String, FlowCounts>>,
    /// The archives rejected (bad input, in the error folder).
    pub rejected: Vec<Rejected>,
    /// Status changes written by a business application that the rules refused.
    pub refused: Vec<String>,
    /// Files in input msp does not import.
    pub unrecognised: Vec<Unrecognised>,
    /// Trouble met, once per cause.
    pub troubles: Vec<TroubleSummary>,
    /// Archives put back into input from an interrupted run.
    pub recovered: Vec<String>,
    /// Return archives found collected by the portal.
    pub collected: u32,
    /// Inbound archives fetched from SFTP servers.
    pub fetched: u32,
    /// Return archives uploaded to SFTP servers.
    pub uploaded: u32,
    /// How many files `[retention]` removed.
    pub purged: usize,
    /// Archives held back by trouble that arrived more than a day ago.
    pub held_back_over_a_day: Vec<HeldBack>,
    /// Set when the run stopped on request.
    pub stopped: Option<Stopped>,
    /// The run did nothing and left no log file of its own.
    pub empty: bool,
    /// The synchronisation log file.
    pub log: String,
}

/// One rejected archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rejected {
    /// The archive's name.
    pub archive: String,
    /// Why it was rejected.
    pub message: String,
}

/// One file in input that msp does not import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unrecognised {
    /// Its name.
    pub file: String,
    /// Why, in English.
    pub reason: String,
}

/// One cause of trouble.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TroubleSummary {
    /// What is wrong (the environment's words).
    pub cause: String,
    /// The same for the clerk, in French (empty in a record written by an
    /// msp older than the French causes).
    pub french: String,
    /// How many archives it held back.
    pub archives: usize,
    /// The first of them (at most five).
    pub first_archives: Vec<String>,
}

/// An archive held back by trouble for more than a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeldBack {
    /// The archive's name.
    pub archive: String,
    /// Its age in input, in hours.
    pub hours: u64,
}

/// A run stopped on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopped {
    /// How many archives it left in input for the next run.
    pub left_in_input: u32,
}

impl RunSummary {
    /// The summary of a run.
    pub fn of(report: &RunReport) -> Self {
        let code = report.exit_code();
        RunSummary {
            exit_code: code,
            exit_meaning: exit_meaning(code).to_string(),
            duration_ms: report.duration.as_millis() as u64,
            totals: report.totals(),
            flows: report.flows.clone(),
            clients: report.clients.clone(),
            rejected: report
                .rejected
                .iter()
                .map(|(a, m)| Rejected {
                    archive: a.clone(),
                    message: m.clone(),
                })
                .collect(),
            refused: report.refused.clone(),
            unrecognised: report
                .unrecognised
                .iter()
                .map(|u| Unrecognised {
                    file: u.file.clone(),
                    reason: u.reason.clone(),
                })
                .collect(),
            troubles: report.troubles.iter().map(trouble).collect(),
            recovered: report.recovered.clone(),
            collected: report.collected,
            fetched: report.fetched,
            uploaded: report.uploaded,
            purged: report.purged.len(),
            held_back_over_a_day: held_back(&report.held_back_long),
            stopped: report.stopped.map(|n| Stopped { left_in_input: n }),
            empty: report.empty,
            log: report.log_path.display().to_string(),
        }
    }
}

/// What an exit code means.
fn exit_meaning(code: i32) -> &'static str {
    match code {
        0 => "all went well",
        1 => "archives rejected (bad input, in the error folder) or status changes refused",
        _ => "trouble: archives left for the next synchronisation",
    }
}

/// A cause of trouble, its archives counted and the first ones named.
fn trouble(t: &crate::sync::Trouble) -> TroubleSummary {
    TroubleSummary {
        cause: t.cause.clone(),
        french: t.french.clone(),
        archives: t.archives.len(),
        first_archives: t.archives.iter().take(FIRST_ARCHIVES).cloned().collect(),
    }
}

/// The archives held back for more than a day, with their age.
fn held_back(long: &[(String, u64)]) -> Vec<HeldBack> {
    long.iter()
        .map(|(a, h)| HeldBack {
            archive: a.clone(),
            hours: *h,
        })
        .collect()
}

#[cfg(test)]
mod tests;
