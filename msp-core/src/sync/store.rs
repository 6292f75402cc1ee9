//! Step 5, on the writer (the run's thread): one transaction per batch of
//! prepared archives of one database, through [`crate::backend::Tx::import`]
//! (with a savepoint per archive only when the database refused an
//! archive's rows). Inside it, each archive's re-delivery decision
//! ([`super::redelivery::decide`]) and its rows ([`super::plan`]). The
//! committed batch goes to the finisher ([`super::finish`]).
//!
//! Order, for the durability promise: (1) one transaction for the batch,
//! committed durably (here); then the finisher moves the originals to done
//! and writes the return flows. A crash before (1) leaves the archives in
//! work: the next run puts them back and imports them. A crash after (1)
//! leaves them in work too: the next run recognises each as a duplicate
//! (same SHA-256) and writes the return flows not yet written.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use crate::backend::{Backend, Tx};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::folders::Claim;
use crate::lifecycle::now;

use super::finish::Finish;
use super::plan::{self, ImportPlan};
use super::prepare::Ready;
use super::redelivery::{self, Decision};

/// How one archive of a batch ended inside the transaction.
pub(super) enum Stored {
    Imported(Box<ImportPlan>),
    Duplicate,
    Failed(Error),
}

/// The writer's side of the pipeline: batches in, finisher work out.
pub(super) struct Writer {
    finish: mpsc::SyncSender<Finish>,
}

impl Writer {
    pub(super) fn new(finish: mpsc::SyncSender<Finish>) -> Self {
        Writer { finish }
    }

    pub(super) fn send(&self, f: Finish) {
        if self.finish.send(f).is_err() {
            // The finisher is gone (it panicked): the archives stay in
            // work, where the next run recovers them.
            tracing::error!("the finishing thread stopped; archives stay in work for the next run");
        }
    }

    pub(super) fn fail(&self, claim: Option<Claim>, name: String, flow: String, error: Error) {
        self.send(Finish::Failed {
            claim,
            name,
            flow,
            error,
        });
    }

    /// Writes a batch in one transaction (see the module documentation for
    /// the order) and hands it to the finisher.
    pub(super) fn write_batch(
        &self,
        config: &Config,
        database: String,
        backend: Arc<dyn Backend>,
        items: Vec<Ready>,
    ) {
        // Optimistic first: no savepoints (most batches have no failure).
        // If the database refuses an archive's rows, the batch is rolled
        // back and written again with a savepoint around each archive.
        let mut attempt = Attempt {
            config,
            items: &items,
            at: now(),
            careful: items.len() == 1,
            retry_carefully: false,
            stored: Vec::with_capacity(items.len()),
            files_written: Vec::new(),
        };
        let result = loop {
            attempt.retry_carefully = false;
            let result = backend.batch(&mut |tx| attempt.write(tx));
            if result.is_err() && attempt.retry_carefully && !attempt.careful {
                for f in attempt.files_written.drain(..) {
                    let _ = crate::folders::remove_file(f);
                }
                attempt.careful = true;
                continue;
            }
            break result;
        };
        let Attempt {
            stored,
            files_written,
            ..
        } = attempt;
        if let Err(e) = result {
            for f in &files_written {
                let _ = crate::folders::remove_file(f);
            }
            for item in items {
                let (name, flow) = (item.claim.name.clone(), item.name.flow.clone());
                let claim = item.into_claim();
                self.fail(Some(claim), name, flow, e.clone());
            }
            return;
        }
        crate::fault_point("after-commit");
        self.send(Finish::Batch {
            backend,
            database,
            items,
            stored,
        });
    }
}

/// Writing a batch in one transaction, tried again carefully (a savepoint
/// around each archive) when the database refused one archive's rows.
struct Attempt<'b> {
    config: &'b Config,
    items: &'b [Ready],
    at: chrono::NaiveDateTime,
    /// A savepoint around each archive.
    careful: bool,
    /// Set when the batch failed in a way only a careful try attributes.
    retry_carefully: bool,
    stored: Vec<Stored>,
    files_written: Vec<PathBuf>,
}

impl Attempt<'_> {
    /// One try, inside the batch's transaction.
    fn write(&mut self, tx: &mut dyn Tx) -> Result<()> {
        let (items, careful) = (self.items, self.careful);
        self.stored.clear();
        let numeros: Vec<&str> = items.iter().map(|i| i.name.numero.as_str()).collect();
        let mut known = tx.known_dossiers(&numeros)?;
        for item in items {
            if careful {
                tx.savepoint()?;
            }
            let one = store_one(
                self.config,
                tx,
                item,
                self.at,
                &mut self.files_written,
                &mut known,
            );
            match one {
                Ok(s) => {
                    if careful {
                        tx.release()?;
                    }
                    self.stored.push(s);
                }
                Err(Failure { error, .. }) if error.temporary || items.len() == 1 => {
                    return Err(error)
                }
                Err(Failure {
                    error,
                    wrote: false,
                }) => {
                    if careful {
                        tx.release()?;
                    }
                    self.stored.push(Stored::Failed(error));
                }
                Err(Failure { error, wrote: true }) if careful => {
                    tx.rollback()?;
                    self.stored.push(Stored::Failed(error));
                }
                Err(Failure { error, wrote: true }) => {
                    self.retry_carefully = true;
                    return Err(error);
                }
            }
        }
        // Rows held back for multi-row inserts: a refusal here is
        // attributed by writing the batch again, carefully.
        if let Err(error) = tx.flush() {
            self.retry_carefully = !careful;
            return Err(error);
        }
        Ok(())
    }
}

/// Why one archive of a batch failed, and whether it had written rows
/// (then only a savepoint or the whole batch can undo them).
struct Failure {
    error: Error,
    wrote: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            wrote: false,
        }
    }
}

/// Decides and writes one archive inside the batch's transaction. `known`
/// holds the numbers of the batch's dossiers that exist (read once for the
/// batch); a dossier not in it needs no further read.
fn store_one(
    config: &Config,
    tx: &mut dyn Tx,
    item: &Ready,
    at: chrono::NaiveDateTime,
    files_written: &mut Vec<PathBuf>,
    known: &mut HashSet<String>,
) -> std::result::Result<Stored, Failure> {
    let numero = &item.name.numero;
    // A statement that fails may abort the transaction (PostgreSQL): only
    // a savepoint or the whole batch undoes it.
    let in_tx = |error: Error| Failure { error, wrote: true };
    let (existing, received) = if known.contains(numero) {
        (
            tx.dossier(numero).map_err(in_tx)?,
            tx.received(numero).map_err(in_tx)?,
        )
    } else {
        (None, Vec::new())
    };
    let existing = match redelivery::decide(
        &item.name,
        &item.sha256,
        item.message.recorded.message_id.as_deref(),
        existing,
        &received,
    )? {
        Decision::Duplicate => return Ok(Stored::Duplicate),
        Decision::New => None,
        Decision::Complement(d) => Some(d),
    };
    let stored_attachments = match &existing {
        Some(_) => tx.attachments(numero).map_err(in_tx)?,
        None => Vec::new(),
    };
    let plan = plan::plan(config, item, existing.as_ref(), &stored_attachments, at)?;
    let mark = files_written.len();
    let result =
        write_attachment_files(&plan, files_written).and_then(|()| tx.import(&plan.write(item)));
    if let Err(error) = result {
        for f in files_written.drain(mark..) {
            let _ = crate::folders::remove_file(f);
        }
        return Err(Failure { error, wrote: true });
    }
    known.insert(numero.clone());
    Ok(Stored::Imported(Box::new(plan)))
}

/// Attachments in `directory` mode: written (and synced) before the rows
/// that point at them.
fn write_attachment_files(plan: &ImportPlan, written: &mut Vec<PathBuf>) -> Result<()> {
    for (target, i) in &plan.files {
        let content = &plan.attachments[*i].content;
        let dir = target.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
        let result = (|| -> io::Result<()> {
            let mut out = File::create(target)?;
            io::copy(&mut content.reader()?, &mut out)?;
            out.sync_all()
        })();
        written.push(target.clone());
        result.map_err(|e| Error::io("cannot store attachment", target, e))?;
    }
    Ok(())
}
