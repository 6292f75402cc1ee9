//! What a synchronisation did: the counts per flow and per client, the
//! rejections, the trouble (once per cause), and the lines that say them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::summary::{FlowCounts, RunSummary};

use super::scan;

/// One cause of trouble met in a run and the archives it held back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trouble {
    /// What is wrong (the environment's words).
    pub cause: String,
    /// The same for the clerk, in French (the console): the error's own
    /// French words when it has them, else what kind of trouble it is and
    /// that nothing is lost.
    pub french: String,
    /// Archives left in input because of it.
    pub archives: Vec<String>,
}

/// The French sentence of a trouble for the clerk (see [`Trouble::french`]).
pub fn trouble_fr(e: &Error) -> String {
    match (&e.french, e.temporary) {
        (Some(f), _) => f.clone(),
        (None, true) => "Incident passager : un serveur (base de données, SFTP) n'a pas répondu ou était occupé. Rien n'est perdu : les archives restent dans le dossier d'entrée et seront reprises à la prochaine synchronisation.".to_string(),
        (None, false) => "Incident technique (base de données, disque, droits d'accès ou extension de démarche) : l'administrateur doit le corriger. Rien n'est perdu : les archives restent dans le dossier d'entrée et seront reprises une fois l'incident réglé.".to_string(),
    }
}

/// What a synchronisation did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Counts per flow code.
    pub flows: BTreeMap<String, FlowCounts>,
    /// Counts per client name, then flow code (what could be routed to a
    /// client; return flows count under the first client of their database).
    pub clients: BTreeMap<String, BTreeMap<String, FlowCounts>>,
    /// Archives put back into input from an interrupted run.
    pub recovered: Vec<String>,
    /// Rejections: (archive name, message).
    pub rejected: Vec<(String, String)>,
    /// Trouble met, once per cause.
    pub troubles: Vec<Trouble>,
    /// Status changes written by a business application that the rules refused.
    pub refused: Vec<String>,
    /// Files in input msp does not import (an unknown flow, a name not of
    /// the protocol): never touched, named in the log and the summary.
    pub unrecognised: Vec<scan::Unrecognised>,
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
    /// Temporary files of killed processes removed.
    pub leftovers_removed: Vec<String>,
    /// The synchronisation log file.
    pub log_path: PathBuf,
    /// Files removed by `[retention]` at the end of the run.
    pub purged: Vec<PathBuf>,
    /// Archives held back by trouble that arrived more than a day ago, with
    /// their age in hours: nothing waits silently.
    pub held_back_long: Vec<(String, u64)>,
    /// How long the run took.
    pub duration: Duration,
    /// Stopped on request ([`Synchronizer::with_stop`]: SIGTERM, SIGINT)
    /// after the archives in hand: how many archives it left in input for
    /// the next run.
    pub stopped: Option<u32>,
    /// Nothing happened (see [`RunReport::did_nothing`]) and its log wrote
    /// no line besides started and finished: it left no log file of its
    /// own, one line in the day's `empty-YYYYMMDD.log` (`log_path`).
    pub empty: bool,
}

impl RunReport {
    /// 0 when all went well, 1 when archives were rejected, 2 on trouble.
    pub fn exit_code(&self) -> i32 {
        if !self.troubles.is_empty() {
            2
        } else if !self.rejected.is_empty() || !self.refused.is_empty() {
            1
        } else {
            0
        }
    }

    /// Whether the run did nothing at all: nothing imported, found a
    /// duplicate, rejected, returned, collected, fetched, uploaded,
    /// received from or posted to HubEE,
    /// recovered or purged, no refusal, no trouble, no file in input it
    /// does not recognise, not stopped on request.
    pub fn did_nothing(&self) -> bool {
        self.totals() == FlowCounts::default()
            && self.recovered.is_empty()
            && self.rejected.is_empty()
            && self.troubles.is_empty()
            && self.refused.is_empty()
            && self.unrecognised.is_empty()
            && self.collected == 0
            && self.fetched == 0
            && self.uploaded == 0
            && self.hubee_received == 0
            && self.hubee_posted == 0
            && self.leftovers_removed.is_empty()
            && self.purged.is_empty()
            && self.held_back_long.is_empty()
            && self.stopped.is_none()
    }

    /// Totals over all flows.
    pub fn totals(&self) -> FlowCounts {
        let mut t = FlowCounts::default();
        for c in self.flows.values() {
            t.imported += c.imported;
            t.complements += c.complements;
            t.duplicates += c.duplicates;
            t.rejected += c.rejected;
            t.returns_written += c.returns_written;
            t.errors += c.errors;
        }
        t
    }

    /// Records trouble: one entry per cause, with the archive it held back.
    pub fn trouble(&mut self, e: &Error, archive: Option<&str>) {
        self.trouble_cause(e.message.clone(), trouble_fr(e), archive);
    }

    /// Records trouble `e` met while handling `what` (`dossier A-1`).
    pub fn trouble_in(&mut self, what: &str, e: &Error, archive: Option<&str>) {
        self.trouble_cause(format!("{what}: {}", e.message), trouble_fr(e), archive);
    }

    fn trouble_cause(&mut self, cause: String, french: String, archive: Option<&str>) {
        let i = match self.troubles.iter().position(|t| t.cause == cause) {
            Some(i) => i,
            None => {
                self.troubles.push(Trouble {
                    cause,
                    french,
                    archives: Vec::new(),
                });
                self.troubles.len() - 1
            }
        };
        if let Some(a) = archive {
            self.troubles[i].archives.push(a.to_string());
        }
    }

    /// Adds to the counts of a flow, and of a client when known.
    pub(crate) fn count(&mut self, flow: &str, client: Option<&str>, add: fn(&mut FlowCounts)) {
        add(self.flows.entry(flow.to_string()).or_default());
        if let Some(client) = client {
            add(self
                .clients
                .entry(client.to_string())
                .or_default()
                .entry(flow.to_string())
                .or_default());
        }
    }

    /// The summary as one JSON object (`msp run --json`, and the record of
    /// the last run for `msp status`). Documented in the README; fields are
    /// only ever added.
    /// Its fields are those of [`RunSummary`], in that order.
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers and lists: serialising it never fails.
        serde_json::to_value(self.summary()).unwrap_or_default()
    }

    /// The summary as a value ([`RunSummary`]: what [`RunReport::to_json`]
    /// writes).
    pub fn summary(&self) -> RunSummary {
        super::summarise::summary_of(self)
    }
}

/// One line for a cause of trouble: the cause, then the archives it held.
pub fn trouble_line(t: &Trouble) -> String {
    match t.archives.len() {
        0 => t.cause.clone(),
        1 => format!(
            "{} (1 archive left for the next synchronisation: {})",
            t.cause, t.archives[0]
        ),
        n => format!(
            "{} ({n} archives left for the next synchronisation: {})",
            t.cause,
            t.archives.join(", ")
        ),
    }
}

/// A trouble for the clerk, in French (the console): what kind it is and
/// that nothing is lost, the archives it holds, then the technical words.
pub fn trouble_line_fr(t: &Trouble) -> String {
    let held = match t.archives.len() {
        0 => String::new(),
        1 => format!(" Archive en attente : {}.", t.archives[0]),
        n => format!(" {n} archives en attente : {}.", t.archives.join(", ")),
    };
    format!("{}{held} (Détail technique : {})", t.french, t.cause)
}

/// The archives held back by trouble in this run that arrived (their
/// time in input) more than a day ago.
pub(super) fn held_back_long(input: &std::path::Path, troubles: &[Trouble]) -> Vec<(String, u64)> {
    let now = std::time::SystemTime::now();
    let mut out: Vec<(String, u64)> = troubles
        .iter()
        .flat_map(|t| t.archives.iter())
        .filter_map(|name| {
            let t = std::fs::metadata(input.join(name))
                .and_then(|m| m.modified())
                .ok()?;
            let hours = now.duration_since(t).ok()?.as_secs() / 3600;
            (hours >= 24).then(|| (name.clone(), hours))
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let mut r = RunReport::default();
        assert_eq!(r.exit_code(), 0);
        r.rejected.push(("a".into(), "b".into()));
        assert_eq!(r.exit_code(), 1);
        r.trouble(&Error::trouble("x"), None);
        assert_eq!(r.exit_code(), 2);
    }

    #[test]
    fn trouble_is_reported_once_per_cause() {
        let mut r = RunReport::default();
        let lyon = Error::temporary("database of Lyon unreachable");
        r.trouble(&lyon, Some("a.zip"));
        r.trouble(&lyon, Some("b.zip"));
        r.trouble(&Error::trouble("disk full"), None);
        assert_eq!(r.troubles.len(), 2);
        assert_eq!(
            trouble_line(&r.troubles[0]),
            "database of Lyon unreachable (2 archives left for the next synchronisation: a.zip, b.zip)"
        );
    }
}
