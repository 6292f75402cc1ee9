//! The import's pipeline: two threads prepare archives ([`super::prepare`]),
//! this thread puts them back in the run's order and writes them in batches
//! per database ([`super::store`]), a finisher settles each batch
//! ([`super::finish`]: its file-system waits overlap the next batch).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use msp_plugins::Registry;

use crate::backend::Backend;
use crate::config::Config;
use crate::error::Error;
use crate::synclog::SyncLog;

use super::finish::{self, Finish};
use super::{prepare, requested, scan, store, Progress, RunReport, Synchronizer};

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

/// A prepared archive and its place in the run's order (`None`: another
/// process claimed it first).
type Numbered = (usize, Option<prepare::Prepared>);

/// What the preparing threads share: the archives not yet taken, in the
/// run's order, and the tickets.
struct Queue<'a> {
    archives: Mutex<std::iter::Enumerate<std::vec::IntoIter<scan::Candidate>>>,
    tickets: Tickets,
    stop: Option<&'a AtomicBool>,
    config: &'a Config,
    registry: &'a Registry,
}

impl Synchronizer<'_> {
    /// The pipeline: workers prepare archives, this thread writes them in
    /// batches, a finisher writes the return archives and moves the
    /// originals (its file-system waits overlap the next batch).
    ///
    /// Returns how many archives a stop requested meanwhile left in input
    /// (never claimed, or prepared and put back).
    pub(super) fn import_all(
        &mut self,
        candidates: Vec<scan::Candidate>,
        report: &mut RunReport,
        log: &mut SyncLog,
    ) -> usize {
        if candidates.is_empty() {
            return 0;
        }
        let total = candidates.len() as u64;
        let queue = Queue {
            archives: Mutex::new(candidates.into_iter().enumerate()),
            tickets: Tickets::new(AHEAD),
            stop: self.stop,
            config: self.config,
            registry: self.registry,
        };
        let progress = self.progress;
        let put_back = std::thread::scope(|scope| {
            let (prepared_tx, prepared_rx) = mpsc::sync_channel::<Numbered>(AHEAD);
            let (finish_tx, finish_rx) = mpsc::sync_channel::<Finish>(1);
            if let Some(p) = progress {
                p.start(total);
            }
            let mut threads: Vec<NamedThread<'_>> = (0..PREPARING_THREADS)
                .map(|_| {
                    let tx = prepared_tx.clone();
                    let queue = &queue;
                    let work = move || prepare_in_turn(queue, tx);
                    ("msp-prepare", Box::new(work) as Box<dyn FnOnce() + Send>)
                })
                .collect();
            drop(prepared_tx);
            let config = self.config;
            let finisher = move || settle_batches(config, finish_rx, progress, report, log);
            threads.push(("msp-finish", Box::new(finisher)));
            for (name, f) in threads {
                if let Err(e) = std::thread::Builder::new()
                    .name(name.into())
                    .spawn_scoped(scope, f)
                {
                    tracing::error!("cannot start thread {name}: {e}");
                }
            }
            self.write_in_order(&queue, prepared_rx, store::Writer::new(finish_tx))
        });
        let never_claimed = queue.archives.lock().map(|q| q.len()).unwrap_or(0);
        never_claimed + put_back
    }

    /// The writer: takes the prepared archives back in the run's order,
    /// gathers them in batches per database and writes each batch when it
    /// is full or has waited [`BATCH_WAIT`]. Returns how many prepared
    /// archives a stop sent back to input. The finisher ends with the last
    /// batch (the writer is dropped).
    fn write_in_order(
        &mut self,
        queue: &Queue<'_>,
        prepared: mpsc::Receiver<Numbered>,
        writer: store::Writer,
    ) -> usize {
        let (config, stop) = (self.config, self.stop);
        let mut put_back = 0;
        let mut batches: HashMap<String, Batch> = HashMap::new();
        let mut waiting: BTreeMap<usize, Option<prepare::Prepared>> = BTreeMap::new();
        let mut next = 0;
        loop {
            let timeout = batches
                .values()
                .map(|b| BATCH_WAIT.saturating_sub(b.since.elapsed()))
                .min()
                .unwrap_or(BATCH_WAIT);
            match prepared.recv_timeout(timeout) {
                Ok((i, p)) => {
                    waiting.insert(i, p);
                    while let Some(p) = waiting.remove(&next) {
                        next += 1;
                        queue.tickets.give();
                        match p {
                            // Asked to stop: an archive prepared but
                            // not yet in a batch goes back to input.
                            Some(prepare::Prepared::Ready(ready)) if requested(stop) => {
                                put_back += 1;
                                writer.send(Finish::PutBack(ready));
                            }
                            Some(p) => self.accept(p, &mut batches, &writer),
                            None => {}
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            write_due(config, stop, &mut batches, &writer);
        }
        for (key, b) in batches.drain() {
            writer.write_batch(config, key, b.backend, b.items);
        }
        put_back
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
            writer.send(Finish::NotServed(ready));
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

/// Writes the batches that are full or have waited long enough (all of
/// them when a stop is requested: the batch in hand is written now).
fn write_due(
    config: &Config,
    stop: Option<&AtomicBool>,
    batches: &mut HashMap<String, Batch>,
    writer: &store::Writer,
) {
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

/// The finisher thread: settles each batch and failure the writer sends,
/// telling `progress` how many archives it settled.
fn settle_batches(
    config: &Config,
    finish_rx: mpsc::Receiver<Finish>,
    progress: Option<&dyn Progress>,
    report: &mut RunReport,
    log: &mut SyncLog,
) {
    for f in finish_rx {
        let n = f.archives();
        finish::finish(config, f, report, log);
        if let Some(p) = progress {
            p.advance(n);
        }
    }
}

/// A preparing thread: takes the next archive of the queue (after a
/// ticket), prepares it and sends it with its place in the run's order,
/// until the queue is empty, a stop is requested or the writer is gone.
fn prepare_in_turn(queue: &Queue<'_>, tx: mpsc::SyncSender<Numbered>) {
    loop {
        queue.tickets.take();
        // Asked to stop: claim nothing more (what is not
        // claimed stays in input).
        let next = if requested(queue.stop) {
            None
        } else {
            queue.archives.lock().map(|mut q| q.next()).unwrap_or(None)
        };
        let Some((i, c)) = next else {
            queue.tickets.give();
            break;
        };
        let prepared = prepare_caught(queue.config, queue.registry, c);
        if tx.send((i, prepared)).is_err() {
            break;
        }
    }
}

/// Prepares one archive; a panic (a bug) still gives something for its
/// index, or the writer would wait for it with every ticket taken: trouble
/// naming the archive, which stays in work, recovered by the next run.
fn prepare_caught(
    config: &Config,
    registry: &Registry,
    c: scan::Candidate,
) -> Option<prepare::Prepared> {
    let name = c.name.clone();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
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
    })
}
