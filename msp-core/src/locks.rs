//! The locks msp takes so that several processes (a timer's run, a clerk's
//! `msp run`, the console) never do one thing twice. Each is an advisory
//! lock on a file, held for as long as the value lives (dropping it, or the
//! process dying, releases it):
//!
//! * the claim lock: an archive claimed into work is locked for as long as
//!   this process works on it ([`crate::folders::claim`] moves and locks it
//!   in one step, [`crate::folders::Claim`] holds it; a recovery skips
//!   locked files);
//! * the SFTP lock ([`sftp`], `work/.msp-sftp-<client>.lock`): one process
//!   at a time moves a client's archives to or from its server;
//! * the returns lock ([`returns`], `work/.msp-returns-<database>.lock`): one
//!   process at a time writes the return flows of a database, so an
//!   increment is never written twice.

use std::fs::{self, File};
use std::path::Path;

use crate::error::{Error, Result};

/// Takes the lock that lets one process at a time write the return flows
/// of a database (a file in work named after the database URL): waits for
/// it when `wait`, else gives `None` when another process holds it.
pub(crate) fn returns(work: &Path, database: &str, wait: bool) -> Result<Option<File>> {
    let path = work.join(format!(".msp-returns-{}.lock", lock_name(database)));
    let lock = File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
    if wait {
        lock.lock()
            .map_err(|e| Error::io("cannot lock", &path, e))?;
    } else if lock.try_lock().is_err() {
        return Ok(None);
    }
    Ok(Some(lock))
}

/// A file-name-safe key for a database URL (stable across runs).
fn lock_name(database: &str) -> String {
    crate::digest::key(database, 8)
}

/// Takes the lock that lets one process at a time move a client's archives
/// (`work/.msp-sftp-<client>.lock`, held until dropped): two runs never
/// upload the same temporary name nor download the same archive at once.
/// `None` when another process holds it (it moves them).
pub fn sftp(work: &Path, client: &str) -> Result<Option<File>> {
    fs::create_dir_all(work).map_err(|e| Error::io("cannot create", work, e))?;
    let path = work.join(format!(".msp-sftp-{}.lock", client_key(client)));
    let lock = File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", &path, e)),
    }
}

/// A file-name-safe key for a client's name (the SFTP lock and the push
/// records).
pub(crate) fn client_key(client: &str) -> String {
    crate::digest::key(client, 6)
}
