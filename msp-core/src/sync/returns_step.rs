//! Step 7, once per database: collections, statuses written by business
//! applications, then one return flow per untransmitted status. The
//! dossiers concerned are found by index ([`lifecycle::dossiers_to_transmit`]).

use std::collections::HashSet;
use std::sync::Arc;

use crate::backend::Backend;
use crate::lifecycle;
use crate::synclog::SyncLog;

use super::{RunReport, Synchronizer};

/// The returns step for every database this run serves. One process at a
/// time writes the return flows of one database (a lock file in work per
/// database, [`crate::locks::returns`]): a second run started meanwhile
/// leaves them to the first, and increments are never reused.
pub(super) fn write_pending_returns(
    sync: &mut Synchronizer<'_>,
    report: &mut RunReport,
    log: &mut SyncLog,
) {
    let mut seen = HashSet::new();
    let clients: Vec<_> = sync
        .config
        .clients
        .iter()
        .filter(|c| sync.serves(c))
        .filter(|c| seen.insert(c.database.clone()))
        .cloned()
        .collect();
    for client in &clients {
        // Asked to stop: the other databases' return flows wait for the
        // next run.
        if sync.stopping() {
            break;
        }
        let _lock = match crate::locks::returns(&sync.config.folders.work, &client.database, false)
        {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                log.line(&format!(
                    "return flows of client {}: another synchronisation is writing them, left to it",
                    client.name
                ));
                continue;
            }
            Err(e) => {
                log.line(&format!("TROUBLE: {e}"));
                report.trouble(&e, None);
                continue;
            }
        };
        let backend = match sync.backend(client) {
            Ok(b) => b,
            Err(e) => {
                log.line(&format!("TROUBLE: {e}"));
                report.trouble(&e, None);
                continue;
            }
        };
        returns_of_database(sync, &backend, &client.name, report, log);
    }
}

fn returns_of_database(
    sync: &Synchronizer<'_>,
    backend: &Arc<dyn Backend>,
    client: &str,
    report: &mut RunReport,
    log: &mut SyncLog,
) {
    match lifecycle::record_collections(backend.as_ref(), &sync.config.folders.output) {
        Ok(collected) => {
            for r in collected {
                report.collected += 1;
                log.line(&format!(
                    "{}: return flow {} ({}) collected by the portal",
                    r.numero, r.increment, r.file
                ));
            }
        }
        Err(e) => {
            log.line(&format!("TROUBLE checking collected return flows: {e}"));
            report.trouble(&e, None);
        }
    }
    let mut numeros: Vec<String> = match backend.unwritten_returns() {
        Ok(r) => r.into_iter().map(|r| r.numero).collect(),
        Err(e) => {
            log.line(&format!(
                "TROUBLE listing pending return flows in {}: {e}",
                backend.describe()
            ));
            report.trouble(&e, None);
            return;
        }
    };
    match lifecycle::dossiers_to_transmit(backend.as_ref()) {
        Ok(n) => numeros.extend(n),
        Err(e) => {
            log.line(&format!(
                "TROUBLE listing dossiers to transmit in {}: {e}",
                backend.describe()
            ));
            report.trouble(&e, None);
            return;
        }
    }
    numeros.sort();
    numeros.dedup();
    for numero in numeros {
        transmit_dossier(sync, backend, client, &numero, report, log);
    }
}

/// Transmits one dossier's pending statuses, logging each return flow. A
/// failure (a value a business application wrote that does not decode, a
/// disk error) is reported and the other dossiers go on.
fn transmit_dossier(
    sync: &Synchronizer<'_>,
    backend: &Arc<dyn Backend>,
    client: &str,
    numero: &str,
    report: &mut RunReport,
    log: &mut SyncLog,
) {
    let flow = match backend.dossier(numero) {
        Ok(Some(d)) => d.flow,
        Ok(None) => return,
        Err(e) => {
            log.line(&format!("{numero}: TROUBLE reading the dossier: {e}"));
            report.trouble_in(&format!("dossier {numero}"), &e, None);
            return;
        }
    };
    let Some(plugin) = sync.registry.get(&flow) else {
        return; // flow not selected in this run
    };
    match lifecycle::adopt_written_statuses(backend.as_ref(), numero) {
        Ok(a) => {
            for line in a.adopted {
                log.line(&format!("{numero}: {line}"));
            }
            for refusal in a.refused {
                log.line(&format!(
                    "{numero}: REFUSED status written by the business application: {refusal}"
                ));
                report.refused.push(refusal);
            }
        }
        Err(e) => {
            log.line(&format!("{numero}: TROUBLE applying written statuses: {e}"));
            report.trouble_in(&format!("dossier {numero}"), &e, None);
            return;
        }
    }
    let town = sync.config.clients.iter().find(|c| c.name == client);
    match lifecycle::transmit(
        backend.as_ref(),
        plugin.as_ref(),
        &sync.config.folders,
        town,
        numero,
    ) {
        Ok(written) => {
            for w in written {
                report.count(&flow, Some(client), |c| c.returns_written += 1);
                log.line(&format!(
                    "{numero}: return flow {} (status {}) written: {}",
                    w.ret.increment,
                    w.ret.status,
                    w.path.display()
                ));
            }
        }
        Err(e) => {
            log.line(&format!(
                "{numero}: TROUBLE writing return flows (retried next run): {e}"
            ));
            report.trouble_in(&format!("dossier {numero}"), &e, None);
        }
    }
}
