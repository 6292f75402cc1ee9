//! The transport of archives between the portal's SFTP server and the
//! folders (PROTOCOL §7, optional per client): inbound archives pulled into
//! input before the import, return archives pushed from output after the
//! return flows are written.
//!
//! The core knows a [`Remote`] (a file store with list, stat, download,
//! upload, rename, remove) and the rules that make both directions exactly
//! once across crashes; the SSH client lives in its own crate
//! (`msp-sftp`), as database engines live in `db-backends`.
//!
//! * **Pull.** Each archive is downloaded into input under a temporary name
//!   (`.<name>.<pid>.msp-pull`, a dot file the scan ignores), made durable,
//!   checked unchanged on the server, renamed to its name (never over a file
//!   there), the folder synced, and only then deleted on the server. A crash
//!   before the delete downloads it again next time: the copy in input is
//!   identical (deleted on the server), or already imported (then the second
//!   copy is a duplicate by the re-delivery rules).
//! * **Push.** Each return archive not yet collected is uploaded under a
//!   temporary name (`.<name>.msp-part`), its size checked, a journal
//!   written in work, renamed on the server (an SFTP rename never
//!   overwrites), recorded collected, moved from output into the sent folder
//!   (or removed), and the journal removed. A journal found at the next run
//!   says a rename may have happened: the final name present, or the
//!   temporary one gone (the portal collected it), means delivered; else the
//!   rename is made then. So an increment is never under its final name
//!   twice, and never partial there.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::backend::Backend;
use crate::config::{AfterPush, ClientConfig, Config, SftpConfig};
use crate::error::{Error, Result};
use crate::folders;
use crate::lifecycle::now;

/// A file on the remote side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// Its name (no folder).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, if the server gives one.
    pub modified: Option<SystemTime>,
}

/// A file store on the portal's side. Errors are trouble (temporary) unless
/// they say otherwise.
pub trait Remote {
    /// The files of a folder (not `.` and `..`, not folders).
    fn list(&mut self, dir: &str) -> Result<Vec<RemoteEntry>>;
    /// A file, or `None` when there is none.
    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>>;
    /// Copies a file into `to`; returns the bytes copied.
    fn download(&mut self, path: &str, to: &mut dyn Write) -> Result<u64>;
    /// Creates (or truncates) `path` with the bytes of `from`.
    fn upload(&mut self, from: &Path, path: &str) -> Result<()>;
    /// Renames; fails when `to` exists.
    fn rename(&mut self, from: &str, to: &str) -> Result<()>;
    /// Removes a file.
    fn remove(&mut self, path: &str) -> Result<()>;
}

/// Opens [`Remote`]s.
pub trait RemoteConnector: Sync {
    /// Connects and authenticates to a client's server.
    fn connect(&self, sftp: &SftpConfig) -> Result<Box<dyn Remote>>;
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// What a pull or a push did, for the log and the summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Moved {
    /// One line per archive moved.
    pub lines: Vec<String>,
    /// Archives moved.
    pub count: u32,
    /// Archives that could not be moved this time (each is retried next
    /// run); the others were still tried.
    pub failed: Vec<Error>,
}

impl Moved {
    /// Records one archive's failure; `true` when the connection is gone
    /// (a listing of `dir` fails too): the rest waits for the next run and
    /// the cause is said once, not once per file.
    fn fail(&mut self, e: Error, remote: &mut dyn Remote, dir: &str) -> bool {
        self.failed.push(e);
        remote.list(dir).is_err()
    }
}

use crate::locks::client_key;
/// The SFTP lock ([`crate::locks::sftp`]), under its former name.
pub use crate::locks::sftp as lock_client;

/// The temporary name of a download in input.
fn pull_temp(name: &str) -> String {
    format!(".{name}.{}.msp-pull", std::process::id())
}

/// Removes downloads left in input by killed processes (their pid is gone).
fn clean_pull_leftovers(input: &Path) {
    crate::returns::remove_abandoned(input, |name| {
        name.strip_suffix(".msp-pull")?
            .rsplit_once('.')?
            .1
            .parse()
            .ok()
    });
}

/// Pulls the client's inbound archives into input.
pub fn pull(config: &Config, sftp: &SftpConfig, remote: &mut dyn Remote) -> Result<Moved> {
    let Some(dir) = &sftp.pull_dir else {
        return Ok(Moved::default());
    };
    let input = &config.folders.input;
    fs::create_dir_all(input).map_err(|e| Error::io("cannot create", input, e))?;
    clean_pull_leftovers(input);
    let settle = Duration::from_secs(config.settle_seconds.max(2));
    let mut entries = remote.list(dir)?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut moved = Moved::default();
    for e in entries {
        if crate::naming::is_temporary(&e.name) || !e.name.ends_with(".zip") || e.name.contains('/')
        {
            continue;
        }
        // Still being written: left for the next run.
        let recent = e
            .modified
            .is_some_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() < settle);
        if recent {
            continue;
        }
        // On failure the archive stays on the server, fetched next run;
        // the others still are.
        if let Err(err) = pull_one(config, sftp, remote, dir, &e, &mut moved) {
            if moved.fail(err, remote, dir) {
                break;
            }
        }
    }
    Ok(moved)
}

/// Fetches one archive (see [`pull`]).
fn pull_one(
    config: &Config,
    sftp: &SftpConfig,
    remote: &mut dyn Remote,
    dir: &str,
    e: &RemoteEntry,
    moved: &mut Moved,
) -> Result<()> {
    let input = &config.folders.input;
    let remote_path = join(dir, &e.name);
    let local = input.join(&e.name);
    let tmp = input.join(pull_temp(&e.name));
    let mut file = File::create(&tmp).map_err(|e| Error::io("cannot create", &tmp, e))?;
    let got = remote.download(&remote_path, &mut file);
    let synced = file.sync_all();
    drop(file);
    let size = match (got, synced) {
        (Ok(n), Ok(())) => n,
        (Err(err), _) => {
            let _ = crate::folders::remove_file(&tmp);
            return Err(err);
        }
        (_, Err(err)) => {
            let _ = crate::folders::remove_file(&tmp);
            return Err(Error::io("cannot write", &tmp, err));
        }
    };
    // Changed while it was read: still growing, next run.
    let now_there = remote.stat(&remote_path);
    if !matches!(&now_there, Ok(Some(n)) if n == e) || size != e.size {
        let _ = crate::folders::remove_file(&tmp);
        return now_there.map(|_| ());
    }
    match folders::rename_noreplace(&tmp, &local) {
        Ok(()) => {
            folders::sync_dir(input);
            moved.count += 1;
            moved
                .lines
                .push(format!("{}: fetched from {}", e.name, sftp.label()));
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let same = fs::read(&local).ok() == fs::read(&tmp).ok();
            let _ = crate::folders::remove_file(&tmp);
            if !same {
                // Another archive under that name waits in input: this
                // one is fetched once that one is imported.
                moved.lines.push(format!(
                    "{}: left on {}: another archive of that name waits in input",
                    e.name,
                    sftp.label()
                ));
                return Ok(());
            }
        }
        Err(err) => {
            let _ = crate::folders::remove_file(&tmp);
            return Err(Error::io("cannot rename into input", &local, err));
        }
    }
    remote.remove(&remote_path)
}

/// The temporary name of an upload.
fn push_temp(name: &str) -> String {
    format!(".{name}.msp-part")
}

/// The journal of a push whose rename may have happened.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Journal {
    client: String,
    numero: String,
    increment: u32,
    file: String,
    dir: String,
}

fn journal_path(work: &Path, client: &str, file: &str) -> PathBuf {
    work.join(format!(".msp-push-{}-{file}.json", client_key(client)))
}

/// After a delivery: recorded collected, out of output, journal gone.
fn delivered(
    config: &Config,
    sftp: &SftpConfig,
    backend: &dyn Backend,
    j: &Journal,
    journal: &Path,
) -> Result<()> {
    backend.mark_returns_collected(&[(j.numero.clone(), j.increment)], now())?;
    let local = config.folders.output.join(&j.file);
    if local.exists() {
        match sftp.after_push {
            AfterPush::Move => {
                fs::create_dir_all(&config.sent)
                    .map_err(|e| Error::io("cannot create", &config.sent, e))?;
                folders::move_into(&local, &config.sent, &j.file)?;
            }
            AfterPush::Remove => {
                folders::remove_file(&local).map_err(|e| Error::io("cannot remove", &local, e))?
            }
        }
    }
    let _ = crate::folders::remove_file(journal);
    Ok(())
}

/// What one client's push works with.
#[derive(Clone, Copy)]
struct PushTo<'a> {
    config: &'a Config,
    client: &'a ClientConfig,
    sftp: &'a SftpConfig,
    backend: &'a Arc<dyn Backend>,
}

/// Pushes the client's return archives that wait in output.
pub fn push(
    config: &Config,
    client: &ClientConfig,
    sftp: &SftpConfig,
    backend: &Arc<dyn Backend>,
    remote: &mut dyn Remote,
) -> Result<Moved> {
    let to = PushTo {
        config,
        client,
        sftp,
        backend,
    };
    // Journals of an interrupted push first.
    let mut moved = complete_interrupted(&to, remote)?;
    // This client's return archives in output, not collected yet.
    let shared = config
        .clients
        .iter()
        .filter(|c| c.database == client.database)
        .count()
        > 1;
    // The dossiers that came by HubEE get their statuses as events
    // (`hubee::send`), never as archives on this server.
    let by_hubee: HashSet<String> = config
        .clients
        .iter()
        .filter(|c| c.database == client.database && !c.hubee.is_empty())
        .flat_map(|c| crate::hubee::Journal::open(&config.folders.work, &c.name).cases())
        .map(|r| r.external_id)
        .collect();
    let mut pending = Vec::new();
    backend.each_uncollected_return(&mut |r| {
        if r.written_at.is_some()
            && !by_hubee.contains(&r.numero)
            && config.folders.output.join(&r.file).is_file()
        {
            pending.push(r);
        }
        Ok(())
    })?;
    let mut owner: HashMap<String, bool> = HashMap::new();
    for r in pending {
        if shared && !is_mine(config, client, backend.as_ref(), &r.numero, &mut owner)? {
            continue;
        }
        // On failure it is left untransmitted in output, pushed next run;
        // the others still are.
        if let Err(err) = push_one(&to, remote, &r, &mut moved) {
            if moved.fail(err, remote, &sftp.push_dir) {
                break;
            }
        }
    }
    Ok(moved)
}

/// Completes the pushes an interrupted run left journals of (the upload
/// renamed to its final name if need be, then [`delivered`]).
fn complete_interrupted(to: &PushTo, remote: &mut dyn Remote) -> Result<Moved> {
    let work = &to.config.folders.work;
    let mut moved = Moved::default();
    let prefix = journal_path(work, &to.client.name, "")
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".json").to_string())
        .unwrap_or_default();
    if let Ok(rd) = fs::read_dir(work) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if !(n.starts_with(&prefix) && n.ends_with(".json")) {
                continue;
            }
            let Ok(j) = fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Journal>(&b).ok())
                .ok_or(())
            else {
                let _ = crate::folders::remove_file(e.path());
                continue;
            };
            let final_path = join(&j.dir, &j.file);
            let tmp = join(&j.dir, &push_temp(&j.file));
            if remote.stat(&final_path)?.is_none() && remote.stat(&tmp)?.is_some() {
                remote.rename(&tmp, &final_path)?;
            }
            delivered(to.config, to.sftp, to.backend.as_ref(), &j, &e.path())?;
            moved.count += 1;
            moved.lines.push(format!(
                "{}: return flow {} delivered to {} (interrupted push completed)",
                j.numero,
                j.increment,
                to.sftp.label()
            ));
        }
    }
    Ok(moved)
}

/// Whether dossier `numero` is routed to `client` (for a database shared
/// by several clients); `owner` remembers the answers.
fn is_mine(
    config: &Config,
    client: &ClientConfig,
    backend: &dyn Backend,
    numero: &str,
    owner: &mut HashMap<String, bool>,
) -> Result<bool> {
    if let Some(m) = owner.get(numero) {
        return Ok(*m);
    }
    let m = backend
        .dossier(numero)?
        .and_then(|d| config.client_for(&d.insee).map(|c| c.name == client.name))
        .unwrap_or(false);
    owner.insert(numero.to_string(), m);
    Ok(m)
}

/// Uploads one return archive (see [`push`]).
fn push_one(
    to: &PushTo,
    remote: &mut dyn Remote,
    r: &crate::backend::ReturnFlow,
    moved: &mut Moved,
) -> Result<()> {
    let work = &to.config.folders.work;
    let dir = to.sftp.push_dir.as_str();
    let local = to.config.folders.output.join(&r.file);
    let final_path = join(dir, &r.file);
    let tmp = join(dir, &push_temp(&r.file));
    let journal = journal_path(work, &to.client.name, &r.file);
    let j = Journal {
        client: to.client.name.clone(),
        numero: r.numero.clone(),
        increment: r.increment,
        file: r.file.clone(),
        dir: dir.to_string(),
    };
    if remote.stat(&final_path)?.is_some() {
        // Already there (uploaded by a run whose journal was lost):
        // never a second time under the final name.
        delivered(to.config, to.sftp, to.backend.as_ref(), &j, &journal)?;
        moved.lines.push(format!(
            "{}: return flow {} already on {}, recorded delivered",
            r.numero,
            r.increment,
            to.sftp.label()
        ));
        return Ok(());
    }
    // A link put in output is never followed: its target (any file this
    // account can read) would be uploaded to the portal.
    if crate::folders::is_link(&local) {
        return Err(crate::folders::link_refused(&local));
    }
    remote.upload(&local, &tmp)?;
    let size = fs::symlink_metadata(&local)
        .map_err(|e| Error::io("cannot read", &local, e))?
        .len();
    match remote.stat(&tmp)? {
        Some(e) if e.size == size => {}
        other => {
            return Err(Error::trouble(format!(
                "{}: upload of {} incomplete ({} of {size} bytes)",
                to.sftp.label(),
                r.file,
                other.map_or(0, |e| e.size)
            )))
        }
    }
    write_journal(&journal, &j)?;
    crate::fault_point("after-journal");
    remote.rename(&tmp, &final_path)?;
    crate::fault_point("after-rename");
    delivered(to.config, to.sftp, to.backend.as_ref(), &j, &journal)?;
    moved.count += 1;
    moved.lines.push(format!(
        "{}: return flow {} ({}) uploaded to {}",
        r.numero,
        r.increment,
        r.file,
        to.sftp.label()
    ));
    Ok(())
}

fn write_journal(path: &Path, j: &Journal) -> Result<()> {
    let text = serde_json::to_vec(j).unwrap_or_default();
    File::create(path)
        .and_then(|mut f| {
            f.write_all(&text)?;
            f.sync_all()
        })
        .map_err(|e| Error::io("cannot write the push journal", path, e))?;
    if let Some(dir) = path.parent() {
        folders::sync_dir(dir);
    }
    Ok(())
}

/// `msp config check` for a client's server: connects, authenticates,
/// lists both folders. Returns one line per problem.
pub fn check(connector: &dyn RemoteConnector, sftp: &SftpConfig) -> Vec<String> {
    let mut problems = Vec::new();
    match connector.connect(sftp) {
        Err(e) => problems.push(e.message),
        Ok(mut remote) => {
            let dirs = std::iter::once(("push_dir", Some(&sftp.push_dir)))
                .chain(std::iter::once(("pull_dir", sftp.pull_dir.as_ref())));
            for (key, dir) in dirs {
                if let Some(dir) = dir {
                    if let Err(e) = remote.list(dir) {
                        problems.push(format!("{key} {dir}: {e}"));
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests;
