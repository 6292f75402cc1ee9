//! One synchronisation (PROTOCOL §4 and §8): recover, import every eligible
//! archive of the selected flows, write pending return flows, log.
//!
//! The data path is a pipeline (two preparing threads, the writer, a
//! finisher), one step per module:
//!
//! * [`scan`] lists input once (registered flows, oldest dossier first).
//! * [`prepare`] runs on two worker threads: it claims an archive, reads it
//!   once (hash and extraction from the same bytes), validates the envelope
//!   and asks the plugin for rows. Bad input is known here.
//! * The writer (this thread) gathers prepared archives into batches per
//!   database. [`store`] writes a batch in one transaction (with a savepoint
//!   per archive only when the database refused an archive's rows); the re-delivery rules ([`redelivery::decide`], a pure
//!   function) run inside it, and [`plan`] turns each archive and its
//!   decision into the rows to write. After the commit, the finisher moves
//!   the originals to done, then, under the database's returns lock, writes
//!   the batch's status-14 return archives still unwritten, makes them
//!   durable together and records them written.
//! * [`returns_step`] then writes every other pending return flow.
//!
//! Bad input goes to the error folder with a French log; trouble puts the
//! archive back into input and is reported once per cause.

mod plan;
mod prepare;
mod redelivery;
mod returns_step;
mod scan;
pub use scan::Unrecognised;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use msp_plugins::Registry;

use crate::backend::{Backend, Connector};
use crate::config::{ClientConfig, Config};
use crate::error::{Error, ErrorKind, Result};
use crate::folders;
use crate::synclog::SyncLog;

pub use redelivery::{decide, Decision};

/// Counts for one flow in one synchronisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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
    fn count(&mut self, flow: &str, client: Option<&str>, add: fn(&mut FlowCounts)) {
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
    pub fn to_json(&self) -> serde_json::Value {
        let code = self.exit_code();
        serde_json::json!({
            "exit_code": code,
            "exit_meaning": match code {
                0 => "all went well",
                1 => "archives rejected (bad input, in the error folder) or status changes refused",
                _ => "trouble: archives left for the next synchronisation",
            },
            "duration_ms": self.duration.as_millis() as u64,
            "totals": self.totals(),
            "flows": self.flows,
            "clients": self.clients,
            "rejected": self.rejected.iter().map(|(a, m)| serde_json::json!({"archive": a, "message": m})).collect::<Vec<_>>(),
            "refused": self.refused,
            "unrecognised": self.unrecognised.iter().map(|u| serde_json::json!({"file": u.file, "reason": u.reason})).collect::<Vec<_>>(),
            "troubles": self.troubles.iter().map(|t| serde_json::json!({"cause": t.cause, "french": t.french, "archives": t.archives.len(), "first_archives": t.archives.iter().take(5).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "recovered": self.recovered,
            "collected": self.collected,
            "fetched": self.fetched,
            "uploaded": self.uploaded,
            "purged": self.purged.len(),
            "held_back_over_a_day": self.held_back_long.iter().map(|(a, h)| serde_json::json!({"archive": a, "hours": h})).collect::<Vec<_>>(),
            "stopped": self.stopped.map(|n| serde_json::json!({"left_in_input": n})),
            "empty": self.empty,
            "log": self.log_path.display().to_string(),
        })
    }
}

/// Archives gathered for one database, written together.
struct Batch {
    backend: Arc<dyn Backend>,
    items: Vec<prepare::Ready>,
    since: Instant,
}

/// How many archives may be between the queue and the writer (being
/// prepared, in the channel, or prepared and waiting for an earlier one to
/// be put back in order): more than a batch, so the workers keep preparing
/// while the writer commits, and a bound on memory when one archive takes
/// long (the others wait instead of piling up).
const AHEAD: usize = 192;

/// The tickets of [`AHEAD`]: a worker takes one before taking an archive
/// from the queue, the writer gives it back when it takes that archive in
/// order. The archive the writer waits for always holds a ticket, so the
/// workers never all wait for one.
struct Tickets {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl Tickets {
    fn new(n: usize) -> Self {
        Tickets {
            free: std::sync::Mutex::new(n),
            freed: std::sync::Condvar::new(),
        }
    }

    fn take(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }

    fn give(&self) {
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.freed.notify_one();
    }
}

/// A thread of the pipeline: its name and its work.
type NamedThread<'a> = (&'static str, Box<dyn FnOnce() + Send + 'a>);

/// Threads preparing archives (reading, extracting, parsing): the
/// heaviest step, which a second thread keeps ahead of the writer.
const PREPARING_THREADS: usize = 2;

/// Longest a prepared archive waits for its batch to fill.
const BATCH_WAIT: Duration = Duration::from_millis(250);

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
        let mut remotes = HashMap::new();
        if !self.stopping() {
            self.transport(&mut remotes, true, &mut report, &mut log);
        }
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
            self.import_all(candidates, &mut report, &mut log)
        };
        if let Some(p) = self.progress {
            p.finish();
        }
        if !self.stopping() {
            returns_step::write_pending_returns(self, &mut report, &mut log);
        }
        crate::fault_point("before-push");
        if !self.stopping() {
            self.transport(&mut remotes, false, &mut report, &mut log);
        }
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
        report.held_back_long = held_back_long(&folders.input, &report.troubles);
        for (name, hours) in &report.held_back_long {
            log.line(&format!(
                "WAITING FOR MORE THAN A DAY: {name} arrived {hours} h ago and is still held back by trouble"
            ));
        }
        if !self.stopping() {
            self.apply_retention(&mut report, &mut log);
        }
        report.duration = started.elapsed();
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
        let last = crate::ops::LastRun {
            finished_at: chrono::Local::now(),
            exit_code: report.exit_code(),
            duration_ms: report.duration.as_millis() as u64,
            clients: self.only_clients.clone(),
            summary: report.to_json(),
        };
        if let Err(e) = crate::ops::record_last_run(folders, &last) {
            tracing::warn!("{e}");
        }
        Ok(report)
    }

    /// Pulls (`pull`) or pushes archives for every served client with an
    /// SFTP server, connecting once per client per run. A failure is
    /// trouble, once per cause; what was not moved is moved next run.
    fn transport(
        &mut self,
        remotes: &mut HashMap<String, Box<dyn crate::transport::Remote>>,
        pull: bool,
        report: &mut RunReport,
        log: &mut SyncLog,
    ) {
        let Some(connector) = self.remotes else {
            return;
        };
        let clients: Vec<ClientConfig> = self
            .config
            .clients
            .iter()
            .filter(|c| c.sftp.is_some() && self.serves(c))
            .filter(|c| !pull || c.sftp.as_ref().is_some_and(|s| s.pull_dir.is_some()))
            .cloned()
            .collect();
        for client in &clients {
            let Some(sftp) = &client.sftp else { continue };
            let what = if pull {
                "fetching from"
            } else {
                "uploading to"
            };
            let _lock = match crate::transport::lock_client(&self.config.folders.work, &client.name)
            {
                Ok(Some(lock)) => lock,
                Ok(None) => {
                    log.line(&format!(
                        "{what} {}: another msp process is moving this client's archives; left to it",
                        sftp.label()
                    ));
                    continue;
                }
                Err(e) => {
                    log.line(&format!("TROUBLE {what} {}: {e}", sftp.label()));
                    report.trouble(&e, None);
                    continue;
                }
            };
            if !remotes.contains_key(&client.name) {
                match connector.connect(sftp) {
                    Ok(r) => {
                        remotes.insert(client.name.clone(), r);
                    }
                    Err(e) => {
                        log.line(&format!("TROUBLE {what} {}: {e}", sftp.label()));
                        report.trouble(&e, None);
                        continue;
                    }
                }
            }
            let Some(remote) = remotes.get_mut(&client.name) else {
                continue;
            };
            let result = if pull {
                crate::transport::pull(self.config, sftp, remote.as_mut())
            } else {
                match self.backend(client) {
                    Ok(backend) => {
                        crate::transport::push(self.config, client, sftp, &backend, remote.as_mut())
                    }
                    Err(e) => Err(e),
                }
            };
            match result {
                Ok(moved) => {
                    for line in moved.lines {
                        log.line(&line);
                    }
                    for e in &moved.failed {
                        log.line(&format!(
                            "TROUBLE {what} {} (retried next run): {e}",
                            sftp.label()
                        ));
                        report.trouble(e, None);
                    }
                    if !moved.failed.is_empty() {
                        remotes.remove(&client.name);
                    }
                    if pull {
                        report.fetched += moved.count;
                    } else {
                        report.uploaded += moved.count;
                    }
                }
                Err(e) => {
                    log.line(&format!(
                        "TROUBLE {what} {} (retried next run): {e}",
                        sftp.label()
                    ));
                    report.trouble(&e, None);
                    remotes.remove(&client.name);
                }
            }
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

    /// The pipeline: a worker prepares archives, this thread writes them in
    /// batches, a finisher writes the return archives and moves the
    /// originals (its file-system waits overlap the next batch).
    ///
    /// Returns how many archives a stop requested meanwhile left in input
    /// (never claimed, or prepared and put back).
    fn import_all(
        &mut self,
        candidates: Vec<scan::Candidate>,
        report: &mut RunReport,
        log: &mut SyncLog,
    ) -> usize {
        if candidates.is_empty() {
            return 0;
        }
        let stop = self.stop;
        let mut put_back = 0;
        let config = self.config;
        let registry = self.registry;
        let total = candidates.len() as u64;
        let queue = std::sync::Mutex::new(candidates.into_iter().enumerate());
        let tickets = Tickets::new(AHEAD);
        std::thread::scope(|scope| {
            let (prepared_tx, prepared_rx) =
                mpsc::sync_channel::<(usize, Option<prepare::Prepared>)>(AHEAD);
            let (finish_tx, finish_rx) = mpsc::sync_channel::<store::Finish>(1);
            // Several workers take candidates in order; the writer puts their
            // results back in that order (a dossier's files stay in
            // FileNumber order).
            let queue = &queue;
            let tickets = &tickets;
            let worker = |tx: mpsc::SyncSender<(usize, Option<prepare::Prepared>)>| {
                move || loop {
                    tickets.take();
                    // Asked to stop: claim nothing more (what is not
                    // claimed stays in input).
                    let next = if requested(stop) {
                        None
                    } else {
                        queue.lock().map(|mut q| q.next()).unwrap_or(None)
                    };
                    let Some((i, c)) = next else {
                        tickets.give();
                        break;
                    };
                    // A panic (a bug) must still send something for this
                    // index, or the writer would wait for it with every
                    // ticket taken; the archive stays in work, recovered
                    // by the next run.
                    let name = c.name.clone();
                    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        prepare::prepare(config, registry, c)
                    }))
                    .unwrap_or_else(|panic| {
                        let what = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        // Trouble naming the archive, never silence: it
                        // is not the citizen's fault, and the next run
                        // tries it again. (The name is parsed again only
                        // here, off the common path.)
                        let flow = crate::naming::parse(&name, &registry.codes())
                            .map(|p| p.flow)
                            .unwrap_or_default();
                        let name = name.to_string();
                        Some(prepare::Prepared::Failed {
                            claim: None,
                            error: Error::trouble(format!(
                                "internal error while preparing {name} ({flow}): {what} (a bug: please report it; the archive is kept and retried)"
                            )),
                            name,
                            flow,
                        })
                    });
                    if tx.send((i, prepared)).is_err() {
                        break;
                    }
                }
            };
            let progress = self.progress;
            if let Some(p) = progress {
                p.start(total);
            }
            let finisher = move || {
                for f in finish_rx {
                    let n = f.archives();
                    store::finish(config, f, report, log);
                    if let Some(p) = progress {
                        p.advance(n);
                    }
                }
            };
            let mut threads: Vec<NamedThread<'_>> = (0..PREPARING_THREADS)
                .map(|_| {
                    (
                        "msp-prepare",
                        Box::new(worker(prepared_tx.clone())) as Box<dyn FnOnce() + Send>,
                    )
                })
                .collect();
            drop(prepared_tx);
            threads.push(("msp-finish", Box::new(finisher)));
            for (name, f) in threads {
                if let Err(e) = std::thread::Builder::new()
                    .name(name.into())
                    .spawn_scoped(scope, f)
                {
                    tracing::error!("cannot start thread {name}: {e}");
                }
            }
            let writer = store::Writer::new(finish_tx);
            let mut batches: HashMap<String, Batch> = HashMap::new();
            let mut waiting: BTreeMap<usize, Option<prepare::Prepared>> = BTreeMap::new();
            let mut next = 0;
            loop {
                let timeout = batches
                    .values()
                    .map(|b| BATCH_WAIT.saturating_sub(b.since.elapsed()))
                    .min()
                    .unwrap_or(BATCH_WAIT);
                match prepared_rx.recv_timeout(timeout) {
                    Ok((i, p)) => {
                        waiting.insert(i, p);
                        while let Some(p) = waiting.remove(&next) {
                            next += 1;
                            tickets.give();
                            match p {
                                // Asked to stop: an archive prepared but
                                // not yet in a batch goes back to input.
                                Some(prepare::Prepared::Ready(ready)) if requested(stop) => {
                                    put_back += 1;
                                    writer.send(store::Finish::PutBack(ready));
                                }
                                Some(p) => self.accept(p, &mut batches, &writer),
                                None => {}
                            }
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                let due: Vec<String> = batches
                    .iter()
                    .filter(|(_, b)| {
                        // Asked to stop: the batch in hand is written now.
                        requested(stop)
                            || b.items.len() >= b.backend.max_batch()
                            || b.since.elapsed() >= BATCH_WAIT
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in due {
                    if let Some(b) = batches.remove(&key) {
                        writer.write_batch(config, key, b.backend, b.items);
                    }
                }
            }
            for (key, b) in batches.drain() {
                writer.write_batch(config, key, b.backend, b.items);
            }
            // The finisher ends with the last batch.
            drop(writer);
        });
        let never_claimed = queue.lock().map(|q| q.len()).unwrap_or(0);
        never_claimed + put_back
    }

    /// Takes one prepared archive: settles a failure, puts it back, or adds
    /// it to its database's batch.
    fn accept(
        &mut self,
        p: prepare::Prepared,
        batches: &mut HashMap<String, Batch>,
        writer: &store::Writer,
    ) {
        let ready = match p {
            prepare::Prepared::Ready(ready) => ready,
            prepare::Prepared::Failed {
                claim,
                name,
                flow,
                error,
            } => {
                writer.fail(claim, name, flow, error);
                return;
            }
        };
        let client = &self.config.clients[ready.client];
        if !self.serves(client) {
            // Another process serves this town: leave the archive to it.
            writer.send(store::Finish::NotServed(ready));
            return;
        }
        let backend = match self.backend(client) {
            Ok(b) => b,
            Err(e) => {
                let flow = ready.name.flow.clone();
                let name = ready.claim.name.clone();
                let claim = ready.into_claim();
                writer.fail(Some(claim), name, flow, e);
                return;
            }
        };
        let key = client.database.clone();
        batches
            .entry(key)
            .or_insert_with(|| Batch {
                backend,
                items: Vec::new(),
                since: Instant::now(),
            })
            .items
            .push(*ready);
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
fn held_back_long(input: &std::path::Path, troubles: &[Trouble]) -> Vec<(String, u64)> {
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

/// Whether an error is bad input (the archive goes to the error folder).
fn is_bad_input(e: &Error) -> bool {
    matches!(e.kind, ErrorKind::BadInput(_))
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
