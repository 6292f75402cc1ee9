//! A run's report told as its summary ([`crate::summary::RunSummary`]):
//! the counts, the rejections, the trouble with its first archives.

use crate::summary::{HeldBack, Rejected, RunSummary, Stopped, TroubleSummary, Unrecognised};

use super::{RunReport, Trouble};

/// How many archives of a cause of trouble the summary names.
const FIRST_ARCHIVES: usize = 5;

/// The summary of a run.
pub(crate) fn summary_of(report: &RunReport) -> RunSummary {
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
        hubee_received: report.hubee_received,
        hubee_posted: report.hubee_posted,
        purged: report.purged.len(),
        held_back_over_a_day: held_back(&report.held_back_long),
        stopped: report.stopped.map(|n| Stopped { left_in_input: n }),
        empty: report.empty,
        log: report.log_path.display().to_string(),
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
fn trouble(t: &Trouble) -> TroubleSummary {
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
