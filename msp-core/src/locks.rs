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

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

pub(crate) use crate::transport::lock_client as sftp;

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
    use sha2::{Digest, Sha256};
    crate::sync::hex(&Sha256::digest(database.as_bytes())[..8])
}
