//! `logs/web-access.log`: one line per request.

use std::io::Write;
use std::path::PathBuf;

use axum::http::{Method, StatusCode};
use msp_core::{Config, Error, Result};

use crate::state::{lock, App};

/// Opens (appending, created when missing) the access log of `config`'s
/// logs folder: its path and the file.
pub(crate) fn open(config: &Config) -> Result<(PathBuf, std::fs::File)> {
    let access_path = config.folders.logs.join("web-access.log");
    let access = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&access_path)
        .map_err(|e| Error::io("cannot open the access log", &access_path, e))?;
    Ok((access_path, access))
}

impl App {
    /// One line per request: time, address, user, method, path (never the
    /// query string: a search may hold a citizen's name), status.
    pub(crate) fn log_access(
        &self,
        peer: std::net::IpAddr,
        user: Option<&str>,
        method: &Method,
        path: &str,
        status: StatusCode,
    ) {
        if let Some(f) = lock(&self.access).as_mut() {
            let _ = writeln!(
                f,
                "{} {} {} {method} {path} {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                peer,
                user.unwrap_or("-"),
                status.as_u16()
            );
        }
    }
}
