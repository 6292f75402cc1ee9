//! The run's SFTP transfers, for the clients with `[client.sftp]`: inbound
//! archives are pulled before the import (step 0), return archives pushed
//! after the return flows (step 8). One process at a time moves a client's
//! archives ([`crate::locks::sftp`]); a server is connected once per client
//! per run.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::config::{ClientConfig, SftpConfig};
use crate::error::Result;
use crate::synclog::SyncLog;
use crate::transport::{self, Moved, Remote, RemoteConnector};

use super::{RunReport, Synchronizer};

/// The servers connected in this run, by client name.
pub(super) type Remotes = HashMap<String, Box<dyn Remote>>;

impl Synchronizer<'_> {
    /// Pulls (`pull`) or pushes archives for every served client with an
    /// SFTP server, connecting once per client per run. A failure is
    /// trouble, once per cause; what was not moved is moved next run.
    pub(super) fn transport(
        &mut self,
        remotes: &mut Remotes,
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
            let _lock = match crate::locks::sftp(&self.config.folders.work, &client.name) {
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
            let connected = connect(connector, remotes, &client.name, sftp);
            let Some(remote) = or_trouble(connected, what, sftp, report, log) else {
                continue;
            };
            let result = self.move_archives(client, sftp, remote.as_mut(), pull);
            if !tell_moved(result, pull, what, sftp, report, log) {
                remotes.remove(&client.name);
            }
        }
    }

    /// Pulls or pushes one client's archives through its server.
    fn move_archives(
        &mut self,
        client: &ClientConfig,
        sftp: &SftpConfig,
        remote: &mut dyn Remote,
        pull: bool,
    ) -> Result<Moved> {
        if pull {
            transport::pull(self.config, sftp, remote)
        } else {
            match self.backend(client) {
                Ok(backend) => transport::push(self.config, client, sftp, &backend, remote),
                Err(e) => Err(e),
            }
        }
    }
}

/// The client's server, connected on first use in this run.
fn connect<'r>(
    connector: &dyn RemoteConnector,
    remotes: &'r mut Remotes,
    client: &str,
    sftp: &SftpConfig,
) -> Result<&'r mut Box<dyn Remote>> {
    match remotes.entry(client.to_string()) {
        Entry::Occupied(o) => Ok(o.into_mut()),
        Entry::Vacant(v) => Ok(v.insert(connector.connect(sftp)?)),
    }
}

/// A server connected, or the trouble of connecting logged and reported.
fn or_trouble<T>(
    connected: Result<T>,
    what: &str,
    sftp: &SftpConfig,
    report: &mut RunReport,
    log: &mut SyncLog,
) -> Option<T> {
    match connected {
        Ok(r) => Some(r),
        Err(e) => {
            log.line(&format!("TROUBLE {what} {}: {e}", sftp.label()));
            report.trouble(&e, None);
            None
        }
    }
}

/// Logs and counts what a pull or push moved, and its failures as
/// trouble. `false` when the connection is to be dropped (a failure: the
/// next use connects again).
fn tell_moved(
    result: Result<Moved>,
    pull: bool,
    what: &str,
    sftp: &SftpConfig,
    report: &mut RunReport,
    log: &mut SyncLog,
) -> bool {
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
            if pull {
                report.fetched += moved.count;
            } else {
                report.uploaded += moved.count;
            }
            moved.failed.is_empty()
        }
        Err(e) => {
            log.line(&format!(
                "TROUBLE {what} {} (retried next run): {e}",
                sftp.label()
            ));
            report.trouble(&e, None);
            false
        }
    }
}
