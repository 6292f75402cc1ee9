//! Step 6, on the finisher thread: settle what the writer hands over. A
//! committed batch's originals go to done, then its status-14 return
//! archives are written; an archive that will not be imported goes to the
//! error folder with its log (bad input) or back into input (trouble).
//!
//! Order, for the durability promise (see [`super::store`] for the
//! commit): (2) originals moved to done; (3) under the database's returns
//! lock ([`crate::locks::returns`], the one the returns step takes, so two
//! processes never write one increment twice), the batch's return flows
//! still unwritten are written in work, made durable together, renamed
//! into output, output synced, and (4) recorded written at once. A crash
//! after the commit leaves the archives in work: the next run recognises
//! each as a duplicate (same SHA-256) and writes the return flows not yet
//! written.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::{Backend, ImportKind, ReturnFlow};
use crate::config::Config;
use crate::display;
use crate::error::{Error, ErrorKind, Reason, Result};
use crate::folders::{self, Claim};
use crate::lifecycle::now;
use crate::returns::{self, ReturnMessage};
use crate::synclog::SyncLog;

use super::prepare::Ready;
use super::store::Stored;
use super::RunReport;

/// Work for the finisher thread.
pub(super) enum Finish {
    /// A committed batch: return archives, moves to done, log lines.
    Batch {
        backend: Arc<dyn Backend>,
        database: String,
        items: Vec<Ready>,
        stored: Vec<Stored>,
    },
    /// An archive that will not be imported in this run.
    Failed {
        claim: Option<Claim>,
        name: String,
        flow: String,
        error: Error,
    },
    /// An archive of a town another process serves: back to input.
    NotServed(Box<Ready>),
    /// An archive prepared when a stop was requested: back to input, for
    /// the next run.
    PutBack(Box<Ready>),
}

impl Finish {
    /// How many archives this message settles.
    pub(super) fn archives(&self) -> u64 {
        match self {
            Finish::Batch { items, .. } => items.len() as u64,
            Finish::Failed { .. } | Finish::NotServed(_) | Finish::PutBack(_) => 1,
        }
    }
}

/// The finisher's work for one message.
pub(super) fn finish(config: &Config, f: Finish, report: &mut RunReport, log: &mut SyncLog) {
    match f {
        Finish::Failed {
            claim,
            name,
            flow,
            error,
        } => settle_failure(config, claim, &name, &flow, error, report, log),
        Finish::NotServed(ready) | Finish::PutBack(ready) => {
            let name = ready.claim.name.clone();
            match folders::move_into(&ready.claim.path, &config.folders.input, &name) {
                Ok(_) => tracing::debug!("{name}: back in input, not imported by this run"),
                Err(e) => log.line(&format!("{name}: TROUBLE putting it back in input: {e}")),
            }
            ready.release();
        }
        Finish::Batch {
            backend,
            database,
            items,
            stored,
        } => {
            // The originals first (their rows are committed: a crash now
            // leaves the return flows recorded, written by the next run),
            // so the log tells each import before its return flow.
            let returns = move_to_done(config, items, stored, report, log);
            crate::fault_point("before-returns");
            if !returns.is_empty() {
                write_initial_returns(config, &backend, &database, &returns, report, log);
            }
            // A batch's lines survive a kill of the process.
            log.flush();
        }
    }
}

/// The status-14 return flow of a new dossier, with what its message
/// answers: the client (the town) and the inbound message's sender.
struct NewReturn<'c> {
    ret: ReturnFlow,
    client: Option<&'c crate::config::ClientConfig>,
    insee: String,
    recipient: crate::backend::Party,
}

/// Logs each archive of a committed batch and moves it to done. Returns
/// the status-14 return flows of the new dossiers.
fn move_to_done<'c>(
    config: &'c Config,
    items: Vec<Ready>,
    stored: Vec<Stored>,
    report: &mut RunReport,
    log: &mut SyncLog,
) -> Vec<NewReturn<'c>> {
    let mut returns = Vec::new();
    for (item, outcome) in items.into_iter().zip(stored) {
        let name = item.claim.name.clone();
        let flow = item.name.flow.clone();
        let summary = item.records.summary.clone();
        let client_config = config.clients.get(item.client);
        let client = client_config.map(|c| c.name.as_str());
        let claim = item.into_claim();
        let what = match outcome {
            Stored::Failed(e) => {
                settle_failure(config, Some(claim), &name, &flow, e, report, log);
                continue;
            }
            Stored::Duplicate => {
                report.count(&flow, client, |c| c.duplicates += 1);
                "duplicate of a file already imported, nothing changed".to_string()
            }
            Stored::Imported(p) => match p.kind {
                ImportKind::New => {
                    report.count(&flow, client, |c| c.imported += 1);
                    let p = *p;
                    returns.extend(p.initial_return.map(|ret| NewReturn {
                        ret,
                        client: client_config,
                        insee: p.dossier.insee,
                        recipient: p.received.message.sender,
                    }));
                    format!("imported ({summary})")
                }
                ImportKind::Complement => {
                    report.count(&flow, client, |c| c.complements += 1);
                    format!("complement imported ({summary})")
                }
            },
        };
        match folders::move_into(&claim.path, &config.folders.done, &name) {
            Ok(p) => log.line(&format!("{name}: {what}; archive in {}", p.display())),
            Err(e) => {
                log.line(&format!("{name}: {what}; TROUBLE moving it to done: {e}"));
                report.trouble(&e, Some(&name));
            }
        }
        claim.release();
    }
    returns
}

/// Writes the status-14 return archives of the batch's new dossiers,
/// durable together, and records them written, all under the database's
/// returns lock: a returns step of another process may have written some
/// meanwhile (they were recorded unwritten at the commit), those are left
/// alone. Whatever fails here stays recorded unwritten for the returns step.
fn write_initial_returns(
    config: &Config,
    backend: &Arc<dyn Backend>,
    database: &str,
    new_returns: &[NewReturn<'_>],
    report: &mut RunReport,
    log: &mut SyncLog,
) {
    let folders = &config.folders;
    let trouble = |report: &mut RunReport, log: &mut SyncLog, e: Error| {
        log.line(&format!(
            "TROUBLE writing return flows (retried next run): {e}"
        ));
        report.trouble(&e, None);
    };
    let lock = match crate::locks::returns(&folders.work, database, true) {
        Ok(lock) => lock,
        Err(e) => return trouble(report, log, e),
    };
    let numeros: Vec<&str> = new_returns.iter().map(|r| r.ret.numero.as_str()).collect();
    let unwritten: HashSet<(String, u32)> = match backend.unwritten_returns_of(&numeros) {
        Ok(u) => u,
        Err(e) => return trouble(report, log, e),
    };
    let mut staged = Vec::new();
    let mut flows: Vec<&NewReturn<'_>> = Vec::new();
    for entry in new_returns {
        let ret = &entry.ret;
        if !unwritten.contains(&(ret.numero.clone(), ret.increment)) {
            continue; // written by another process's returns step
        }
        let routing = returns::Routing {
            town: returns::Town::of(entry.client, &entry.insee),
            recipient: Some(&entry.recipient),
        };
        let m = ReturnMessage::of(ret, None, routing);
        match returns::stage(&folders.work, &folders.output, &m) {
            Ok(st) => {
                staged.push(st);
                flows.push(entry);
            }
            Err(e) => {
                log.line(&format!(
                    "{}: TROUBLE writing return flow 1 (retried next run): {e}",
                    ret.numero
                ));
                report.trouble(&e, None);
            }
        }
    }
    let paths = match returns::publish(staged, &folders.output) {
        Ok(p) => p,
        Err(e) => return trouble(report, log, e),
    };
    let keys: Vec<(String, u32)> = flows
        .iter()
        .map(|r| (r.ret.numero.clone(), r.ret.increment))
        .collect();
    if let Err(e) = backend.mark_returns_written(&keys, now()) {
        // In output but not recorded: the returns step of the next run
        // finds them unrecorded and writes the same archives again (same
        // increment, same content) before recording them.
        trouble(report, log, e);
    }
    drop(lock);
    for (entry, path) in flows.iter().zip(&paths) {
        let (ret, client) = (&entry.ret, entry.client.map(|c| c.name.as_str()));
        report.count(&ret.flow, client, |c| c.returns_written += 1);
        log.line(&format!(
            "{}: return flow {} (status {}) written: {}",
            ret.numero,
            ret.increment,
            ret.status,
            path.display()
        ));
    }
}

/// Settles an archive that will not be imported in this run: bad input
/// goes to the error folder with its log; trouble puts it back into input.
pub(super) fn settle_failure(
    config: &Config,
    claim: Option<Claim>,
    name: &str,
    flow: &str,
    e: Error,
    report: &mut RunReport,
    log: &mut SyncLog,
) {
    let Some(claim) = claim else {
        // Never claimed: it is still in input.
        report.count(flow, None, |c| c.errors += 1);
        log.line(&format!("{name}: TROUBLE, left in input: {e}"));
        report.trouble(&e, Some(name));
        return;
    };
    folders::remove_dir(&claim.extraction_dir());
    if is_bad_input(&e) {
        // The archive's words quoted, not poured: a 10 MB value would make
        // a 10 MB log, stderr line and page; control characters would drive
        // the terminal of whoever reads them.
        let mut e = e;
        e.message = display::line(&display::cut(&e.message, display::QUOTED_CHARS)).into_owned();
        e.french = e
            .french
            .map(|f| display::line(&display::cut_fr(&f, display::QUOTED_CHARS)).into_owned());
        report.count(flow, None, |c| c.rejected += 1);
        match reject(&config.folders.error, &claim.path, name, &e) {
            Ok(p) => log.line(&format!(
                "{name}: REJECTED: {}; archive and log in {}",
                e.message,
                p.display()
            )),
            Err(t) => {
                log.line(&format!(
                    "{name}: REJECTED: {}; TROUBLE moving it to error: {t}",
                    e.message
                ));
                report.trouble(&t, Some(name));
            }
        }
        report.rejected.push((name.to_string(), e.message));
    } else {
        report.count(flow, None, |c| c.errors += 1);
        let where_ = match folders::move_into(&claim.path, &config.folders.input, name) {
            Ok(_) => "back in input for the next run".to_string(),
            Err(m) => format!("left in work ({m}); the next run recovers it"),
        };
        log.line(&format!("{name}: TROUBLE, {where_}: {e}"));
        report.trouble(&e, Some(name));
    }
    claim.release();
}

/// Moves a rejected archive to `error_dir` and writes its `.log` beside it.
fn reject(error_dir: &Path, archive: &Path, name: &str, e: &Error) -> Result<PathBuf> {
    let reason = e.reason().unwrap_or(Reason::Envelope);
    // The log first, complete and durable, under the name the archive will
    // take; then the archive, by a rename that never overwrites. Killed in
    // between, the archive is still in work: the next run rejects it again
    // under the same name and rewrites the log. So an archive in error
    // always has its log.
    for attempt in 1u32.. {
        let final_name = match (attempt, name.strip_suffix(".zip")) {
            (1, _) => name.to_string(),
            (n, Some(stem)) => format!("{stem}~{n}.zip"),
            (n, None) => format!("{name}~{n}"),
        };
        let dest = error_dir.join(&final_name);
        if dest.exists() {
            continue;
        }
        // The problem in the clerk's words, when the check that found it
        // has them, before the technical detail.
        let explained = e
            .french
            .as_deref()
            .map(|f| format!("Explication : {f}\n"))
            .unwrap_or_default();
        let text = format!(
            "Archive : {final_name}\nDate : {}\nRésultat : REJETÉE — la demande n'a pas été intégrée.\nMotif : {}\n{explained}Détail : archive {name}: {}\nÀ faire : {}\nCode : {}\n",
            now().format("%d/%m/%Y %H:%M:%S"),
            reason.summary_fr(),
            e.message,
            reason.advice_fr(),
            reason.tag(),
        );
        let log = error_dir.join(format!("{final_name}.log"));
        (|| -> io::Result<()> {
            let mut f = File::create(&log)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })()
        .map_err(|err| Error::io("cannot write", &log, err))?;
        match folders::rename_noreplace(archive, &dest) {
            Ok(()) => {
                folders::sync_dir(error_dir);
                return Ok(dest);
            }
            // Taken meanwhile by another process: the next name.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            // Error folder on another file system: copied, synced, then
            // the original removed.
            Err(err) if err.kind() == io::ErrorKind::CrossesDevices => {
                return folders::move_into(archive, error_dir, &final_name);
            }
            Err(err) => {
                let _ = crate::folders::remove_file(&log);
                return Err(Error::io("cannot move", archive, err)
                    .context(format!("into {}", error_dir.display())));
            }
        }
    }
    unreachable!("u32 attempts exhausted")
}

/// Whether an error is bad input (the archive goes to the error folder).
fn is_bad_input(e: &Error) -> bool {
    matches!(e.kind, ErrorKind::BadInput(_))
}
