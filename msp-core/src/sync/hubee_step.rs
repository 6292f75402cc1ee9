//! The run's HubEE exchanges, for the clients with `[[client.hubee]]`:
//! received before the import (step 0, beside the SFTP pull), sent after
//! the return flows (step 8, beside the SFTP push). One process at a time
//! exchanges for a client (a lock in work); one subscription's failure
//! never stops another's, and is said once.

use std::sync::Arc;

use crate::backend::Backend;
use crate::config::{ClientConfig, HubeeSubscription};
use crate::error::{Error, Result};
use crate::hubee::{self, Hub};
use crate::synclog::SyncLog;

use super::{RunReport, Synchronizer};

impl Synchronizer<'_> {
    /// Receives (`receive`) or sends for every served client with HubEE
    /// subscriptions.
    pub(super) fn hubee(&mut self, receive: bool, report: &mut RunReport, log: &mut SyncLog) {
        let (Some(connector), Some(hubee)) = (self.hub, self.config.hubee.as_ref()) else {
            return;
        };
        let clients: Vec<ClientConfig> = self
            .config
            .clients
            .iter()
            .filter(|c| !c.hubee.is_empty() && self.serves(c))
            .cloned()
            .collect();
        for client in &clients {
            let what = if receive {
                "receiving from"
            } else {
                "sending to"
            };
            let lock_name = format!("hubee {}", client.name);
            let _lock = match crate::locks::sftp(&self.config.folders.work, &lock_name) {
                Ok(Some(lock)) => lock,
                Ok(None) => {
                    log.line(&format!(
                        "{what} HubEE for {}: another msp process is exchanging for this client; left to it",
                        client.name
                    ));
                    continue;
                }
                Err(e) => {
                    log.line(&format!("TROUBLE {what} HubEE for {}: {e}", client.name));
                    report.trouble(&e, None);
                    continue;
                }
            };
            let backend = self.backend(client);
            for sub in &client.hubee {
                let mut hub: Box<dyn Hub> = match connector.connect(hubee, sub) {
                    Ok(h) => h,
                    Err(e) => {
                        log.line(&format!("TROUBLE {what} HubEE for {}: {e}", client.name));
                        report.trouble(&e, None);
                        continue;
                    }
                };
                let (lines, failed, count) =
                    self.exchange(client, sub, hub.as_mut(), &backend, receive);
                for line in lines {
                    log.line(&line);
                }
                for e in &failed {
                    log.line(&format!(
                        "TROUBLE {what} HubEE for {} (retried next run): {e}",
                        client.name
                    ));
                    report.trouble(e, None);
                }
                if receive {
                    report.hubee_received += count;
                } else {
                    report.hubee_posted += count;
                }
            }
        }
    }

    /// One subscription's receive or send: its lines, its failures, and
    /// what it moved (bundles written, events posted).
    fn exchange(
        &self,
        client: &ClientConfig,
        sub: &HubeeSubscription,
        hub: &mut dyn Hub,
        backend: &Result<Arc<dyn Backend>>,
        receive: bool,
    ) -> (Vec<String>, Vec<Error>, u32) {
        if receive {
            return match hubee::receive(self.config, &client.name, sub, hub, backend.as_ref().ok())
            {
                Ok(r) => (r.lines, r.failed, r.bundles),
                Err(e) => (Vec::new(), vec![e], 0),
            };
        }
        let sent = match backend {
            Ok(b) => hubee::send(self.config, client, sub, hub, b),
            Err(e) => Err(e.clone()),
        };
        match sent {
            Ok(s) => (s.lines, s.failed, s.posted),
            Err(e) => (Vec::new(), vec![e], 0),
        }
    }
}
