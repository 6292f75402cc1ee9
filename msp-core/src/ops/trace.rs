//! The operations log (`logs/operations.log`): what operators did, and
//! who they are.

use std::fs;
use std::io::Write;

use chrono::Local;

use crate::error::{Error, Result};
use crate::folders::Folders;

/// The Unix account running this process (its name from `/etc/passwd`,
/// else `uid N`): who an operation traced from the command line was made by.
pub fn unix_account() -> String {
    #[cfg(unix)]
    {
        let uid = rustix::process::getuid().as_raw();
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        passwd
            .lines()
            .find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
            .unwrap_or_else(|| format!("uid {uid}"))
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "unknown".to_string())
    }
}

/// Appends a line to `logs/operations.log` (what operators did).
pub fn trace(folders: &Folders, line: &str) -> Result<()> {
    let path = folders.logs.join("operations.log");
    fs::create_dir_all(&folders.logs)
        .and_then(|_| {
            let mut f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            writeln!(f, "{} {line}", Local::now().format("%Y-%m-%d %H:%M:%S"))
        })
        .map_err(|e| Error::io("cannot write", &path, e))
}
