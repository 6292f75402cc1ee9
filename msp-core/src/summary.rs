//! The summary of one synchronisation as a typed value: what `msp run
//! --json` prints and what the record of the last run keeps (`msp status`,
//! the console). [`RunSummary`] is built from a run's report
//! (`crate::sync::RunReport::summary`); its JSON
//! (field names and order) is the documented one of the README, and fields
//! are only ever added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// HubEE cases and complements written into input.
    pub hubee_received: u32,
    /// Events posted to HubEE.
    pub hubee_posted: u32,
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

/// Counts for one flow in one synchronisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowCounts {
    /// New dossiers imported.
    pub imported: u32,
    /// Complements imported.
    pub complements: u32,
    /// Duplicates (already imported, identical bytes).
    pub duplicates: u32,
    /// Rejected archives (bad input).
    pub rejected: u32,
    /// Return archives written.
    pub returns_written: u32,
    /// Archives left for a later run because of trouble.
    pub errors: u32,
}

#[cfg(test)]
mod tests;
