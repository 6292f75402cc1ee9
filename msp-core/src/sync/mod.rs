//! One synchronisation (PROTOCOL §4 and §8): recover, import every eligible
//! archive of the selected flows, write pending return flows, log.
//!
//! This module holds the [`Synchronizer`] and the run's order; each step
//! is a module, and one archive's walk enters each once:
//!
//! 0. [`transfer`] pulls the inbound archives of clients with an SFTP
//!    server.
//! 1. [`scan`] lists input once (registered flows, oldest dossier first).
//! 2. [`prepare`], on two preparing threads, claims an archive and reads
//!    it once (hash and extraction from the same bytes);
//! 3. [`crate::envelope::validate`] checks its envelope;
//! 4. [`parse`] has the plugin make its rows and checks them. Bad input is
//!    known here.
//! 5. [`store`], on the writer (this thread), writes a batch of archives of
//!    one database in one transaction (with a savepoint per archive only
//!    when the database refused an archive's rows); the re-delivery rules
//!    ([`redelivery::decide`], a pure function) run inside it, and [`plan`]
//!    turns each archive and its decision into the rows to write.
//! 6. [`finish`], on the finisher thread, moves the committed originals to
//!    done, then, under the database's returns lock, writes the batch's
//!    status-14 return archives still unwritten, makes them durable
//!    together and records them written; rejected archives go to the error
//!    folder, archives met by trouble back to input.
//! 7. [`returns_step`] then writes every other pending return flow.
//! 8. [`transfer`] pushes the return archives.
//!
//! [`hubee_step`] receives from HubEE beside step 0 and sends beside step 8.
//!
//! [`pipeline`] runs steps 2 to 6 (the threads, the run's order, the
//! batches); [`report`] is what the run did, [`crate::summary`] its JSON.
//! Bad input goes to the error folder with a French log; trouble puts the
//! archive back into input and is reported once per cause.

mod finish;
mod hubee_step;
mod parse;
mod pipeline;
mod plan;
mod prepare;
mod redelivery;
mod report;
mod returns_step;
mod scan;
mod store;
mod summarise;
mod transfer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use msp_plugins::Registry;

use crate::backend::{Backend, Connector};
use crate::config::{ClientConfig, Config};
use crate::error::{Error, Result};
use crate::folders;
use crate::synclog::SyncLog;

pub use crate::summary::FlowCounts;
pub use redelivery::{decide, Decision};
pub use report::{trouble_fr, trouble_line, trouble_line_fr, RunReport, Trouble};
pub use scan::Unrecognised;

/// Told how a synchronisation advances (the command line draws a progress
/// bar with it). Called from the pipeline's threads.
pub trait Progress: Send + Sync {
    /// The number of archives this run will take.
    fn start(&self, archives: u64);
    /// `n` more archives settled (imported, duplicate, rejected, or left
    /// for the next run).
    fn advance(&self, n: u64);
    /// The imports are over (the return flows follow).
    fn finish(&self);
}

/// Runs synchronisations for one configuration.
pub struct Synchronizer<'a> {
    config: &'a Config,
    registry: &'a Registry,
    connector: &'a dyn Connector,
    /// The clients this run serves (`msp run --client`); all when empty.
    only_clients: Vec<String>,
    /// Connected backends, by database URL.
    backends: HashMap<String, Arc<dyn Backend>>,
    /// Databases that could not be reached in this run, with the error.
    unreachable: HashMap<String, Error>,
    /// Told how the run advances, if anyone listens.
    progress: Option<&'a dyn Progress>,
    /// Opens the SFTP servers of the clients that have one.
    remotes: Option<&'a dyn crate::transport::RemoteConnector>,
    /// Opens the hub for the clients with HubEE subscriptions.
    hub: Option<&'a dyn crate::hubee::HubConnector>,
    /// Set when the run is to stop after the archives in hand.
    stop: Option<&'a AtomicBool>,
}

/// Whether a stop was requested through `stop`.
fn requested(stop: Option<&AtomicBool>) -> bool {
    stop.is_some_and(|s| s.load(Ordering::SeqCst))
}

impl<'a> Synchronizer<'a> {
    /// A synchroniser for `config`, with these plugins and this connector.
    pub fn new(config: &'a Config, registry: &'a Registry, connector: &'a dyn Connector) -> Self {
        Synchronizer {
            config,
            registry,
            connector,
            only_clients: Vec::new(),
            backends: HashMap::new(),
            unreachable: HashMap::new(),
            progress: None,
            remotes: None,
            hub: None,
            stop: None,
        }
    }

    /// Stops after the archives in hand once `stop` is set (by a signal
    /// handler, a server shutting down): no archive is claimed from input
    /// any more, the batch being gathered is written, archives prepared
    /// but not yet in a batch go back to input, the remaining return
    /// flows, transfers and retention are left for the next run; the log
    /// is written as usual.
    pub fn with_stop(mut self, stop: &'a AtomicBool) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Whether a stop was requested.
    pub fn stopping(&self) -> bool {
        requested(self.stop)
    }

    /// Transports archives for the clients with `[client.sftp]` through
    /// `connector`: pulls before the import, pushes after the return flows.
    pub fn with_remotes(mut self, connector: &'a dyn crate::transport::RemoteConnector) -> Self {
        self.remotes = Some(connector);
        self
    }

    /// Exchanges with HubEE through `connector` for the clients with
    /// HubEE subscriptions (without it, they are left alone).
    pub fn with_hub(mut self, connector: &'a dyn crate::hubee::HubConnector) -> Self {
        self.hub = Some(connector);
        self
    }

    /// Reports the run's advance to `progress`.
    pub fn with_progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Serves only these clients (by name): archives routed to other
    /// clients are left in input for the process that serves them, and
    /// only these clients' return flows are written.
    pub fn only_clients(mut self, names: Vec<String>) -> Self {
        self.only_clients = names;
        self
    }

    fn serves(&self, client: &ClientConfig) -> bool {
        self.only_clients.is_empty() || self.only_clients.contains(&client.name)
    }

    /// The backend of a client, connected on first use.
    pub fn backend(&mut self, client: &ClientConfig) -> Result<Arc<dyn Backend>> {
        // Keyed by database: several towns may share one database.
        if let Some(b) = self.backends.get(&client.database) {
            return Ok(b.clone());
        }
        // A database that could not be reached is not tried again in this
        // run: its archives go straight back to input.
        if let Some(e) = self.unreachable.get(&client.database) {
            return Err(e.clone());
        }
        match self.connector.connect(client, &self.config.root) {
            Ok(b) => {
                self.backends.insert(client.database.clone(), b.clone());
                Ok(b)
            }
            Err(e) => {
                let e = e.context(format!("database of client {}", client.name));
                self.unreachable.insert(client.database.clone(), e.clone());
                Err(e)
            }
        }
    }

    /// One synchronisation, consuming the synchroniser.
    pub fn run_once(mut self) -> Result<RunReport> {
        self.run()
    }

    /// One synchronisation of the flows in the registry.
    pub fn run(&mut self) -> Result<RunReport> {
        let folders = &self.config.folders;
        folders.ensure()?;
        let mut log = SyncLog::create(&folders.logs)?;
        let mut report = RunReport {
            log_path: log.path().to_path_buf(),
            ..RunReport::default()
        };
        let started = Instant::now();
        self.begin(&mut report, &mut log)?;
        let mut remotes = transfer::Remotes::new();
        if !self.stopping() {
            self.transport(&mut remotes, true, &mut report, &mut log);
            self.hubee(true, &mut report, &mut log);
        }
        let left = self.import(&mut report, &mut log)?;
        if !self.stopping() {
            returns_step::write_pending_returns(self, &mut report, &mut log);
        }
        crate::fault_point("before-push");
        if !self.stopping() {
            self.transport(&mut remotes, false, &mut report, &mut log);
            self.hubee(false, &mut report, &mut log);
        }
        self.conclude(left, &mut report, &mut log);
        if !self.stopping() {
            self.apply_retention(&mut report, &mut log);
        }
        report.duration = started.elapsed();
        self.close_log(&mut report, log)?;
        self.record_last_run(&report);
        Ok(report)
    }

    /// The run's start: its first line, the archives of an interrupted run
    /// put back into input, temporary return files of killed processes
    /// removed.
    fn begin(&self, report: &mut RunReport, log: &mut SyncLog) -> Result<()> {
        let folders = &self.config.folders;
        for code in self.registry.codes() {
            report.count(code, None, |_| {});
        }
        log.line(&format!(
            "synchronisation started: configuration {}, flows {}{}",
            self.config.source,
            self.registry.codes().join(", "),
            if self.only_clients.is_empty() {
                String::new()
            } else {
                format!(", clients {}", self.only_clients.join(", "))
            }
        ));
        report.recovered = folders::recover(folders)?;
        for name in &report.recovered {
            log.line(&format!(
                "{name}: recovered from work (interrupted run), back in input"
            ));
        }
        report.leftovers_removed = crate::returns::clean_leftovers(&folders.work, &folders.output);
        for name in &report.leftovers_removed {
            log.line(&format!(
                "{name}: temporary return file of an interrupted run removed"
            ));
        }
        log.flush();
        Ok(())
    }

    /// Lists input and imports what it found (unless asked to stop).
    /// Returns how many archives a stop left in input.
    fn import(&mut self, report: &mut RunReport, log: &mut SyncLog) -> Result<usize> {
        let scan::Scan {
            candidates,
            unrecognised,
        } = scan::scan(self.config, self.registry)?;
        for u in &unrecognised {
            log.line(&format!(
                "{}: not recognised, left in input: {}",
                u.file, u.reason
            ));
        }
        report.unrecognised = unrecognised;
        let left = if self.stopping() {
            candidates.len()
        } else {
            self.import_all(candidates, report, log)
        };
        if let Some(p) = self.progress {
            p.finish();
        }
        Ok(left)
    }

    /// The run's closing lines: stopped on request, the totals, each cause
    /// of trouble, the archives held back for more than a day.
    fn conclude(&self, left: usize, report: &mut RunReport, log: &mut SyncLog) {
        if self.stopping() {
            report.stopped = Some(left as u32);
            log.line(&format!(
                "stopped on request after the archives in hand: {left} archive(s) left in input; the other return flows, transfers and the retention are left for the next synchronisation"
            ));
        }
        let t = report.totals();
        log.line(&format!(
            "{}{} imported, {} complements, {} duplicates, {} rejected, {} returns written, {} left for retry",
            crate::synclog::FINISHED,
            t.imported, t.complements, t.duplicates, t.rejected, t.returns_written, t.errors
        ));
        for trouble in &report.troubles {
            log.line(&format!(
                "{}{}",
                crate::synclog::TROUBLE,
                trouble_line(trouble)
            ));
        }
        report.held_back_long =
            report::held_back_long(&self.config.folders.input, &report.troubles);
        for (name, hours) in &report.held_back_long {
            log.line(&format!(
                "WAITING FOR MORE THAN A DAY: {name} arrived {hours} h ago and is still held back by trouble"
            ));
        }
    }

    /// Ends the log: a run that did nothing leaves one line in the day's
    /// `empty-YYYYMMDD.log` instead of a file of its own.
    fn close_log(&self, report: &mut RunReport, log: SyncLog) -> Result<()> {
        if report.did_nothing() && log.lines() == 2 {
            report.empty = true;
            report.log_path = log.finish_empty(&format!(
                "synchronisation with nothing to do (pid {}, {} ms{})",
                std::process::id(),
                report.duration.as_millis(),
                if self.only_clients.is_empty() {
                    String::new()
                } else {
                    format!(", clients {}", self.only_clients.join(", "))
                }
            ))?;
        } else {
            log.finish()?;
        }
        Ok(())
    }

    /// The record of the last run (`msp status`, the console).
    fn record_last_run(&self, report: &RunReport) {
        let last = crate::ops::LastRun {
            finished_at: chrono::Local::now(),
            exit_code: report.exit_code(),
            duration_ms: report.duration.as_millis() as u64,
            clients: self.only_clients.clone(),
            summary: report.summary(),
        };
        if let Err(e) = crate::ops::record_last_run(&self.config.folders, &last) {
            tracing::warn!("{e}");
        }
    }

    /// `[retention]`, at the end of a synchronisation (once an hour): asks
    /// every database this run served whether a dossier is still open.
    fn apply_retention(&mut self, report: &mut RunReport, log: &mut SyncLog) {
        let retention = self.config.retention;
        if !retention.is_set() || !crate::ops::retention_due(&self.config.folders) {
            return;
        }
        // Whether a dossier is open is asked of every configured database,
        // not only those this run served (`--client`, a database locked by
        // another process's returns step): one that does not answer means
        // no purge this time (an archive of a dossier it holds would look
        // closed). The next run tries again.
        let mut backends: Vec<Arc<dyn Backend>> = Vec::new();
        for client in self.config.clients.clone() {
            match self.backend(&client) {
                Ok(b) if !backends.iter().any(|o| Arc::ptr_eq(o, &b)) => backends.push(b),
                Ok(_) => {}
                Err(e) => {
                    log.line(&format!(
                        "retention not applied this time: the database of client {} did not answer ({e})",
                        client.name
                    ));
                    return;
                }
            }
        }
        let flows = self.registry.codes();
        match crate::ops::purge(
            &self.config.folders,
            &self.config.sent,
            &retention,
            &backends,
            &flows,
            false,
        ) {
            Ok(p) => {
                crate::ops::retention_applied(&self.config.folders);
                for (path, rule) in &p.removed {
                    log.line(&format!("retention ({rule}): removed {}", path.display()));
                }
                report.purged = p.removed.into_iter().map(|(p, _)| p).collect();
            }
            Err(e) => {
                log.line(&format!("TROUBLE applying the retention: {e}"));
                report.trouble(&e, None);
            }
        }
    }
}
