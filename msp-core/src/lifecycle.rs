//! Status changes and return flows after import (PROTOCOL §5 and §7).
//!
//! * [`change`] is the agent API (`msp dossier status` / `cancel`): it
//!   applies the state machine of [`crate::status`] and records the change.
//! * [`adopt_written_statuses`] gives statuses that a business application
//!   wrote straight into `msp_statut` (indicator 0) the same treatment at the
//!   next synchronisation.
//! * [`transmit`] writes, for a dossier whose current status is not
//!   transmitted, the return archive with the next increment, marks it
//!   transmitted, and records and transmits the automatic closure after 15,
//!   19 or 20 in the same run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Local, NaiveDateTime, Timelike};
use msp_plugins::{DossierData, FlowPlugin};

use crate::backend::{Backend, Dossier, Party, ReturnFlow, StatusEntry, StatusUpdate};
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::folders::Folders;
use crate::naming;
use crate::returns::{self, ReturnMessage};
use crate::status::{self, Action, Change, Current, AUTO_CLOSE_AFTER, CLOSED};

/// Now, to the second, local time.
pub fn now() -> NaiveDateTime {
    let t = Local::now().naive_local();
    t.with_nanosecond(0).unwrap_or(t)
}

fn load(backend: &dyn Backend, numero: &str) -> Result<(Dossier, Vec<StatusEntry>)> {
    let d = backend.dossier(numero)?.ok_or_else(|| {
        Error::not_found(format!("no dossier {numero} in {}", backend.describe()))
    })?;
    let history = backend.history(numero)?;
    Ok((d, history))
}

fn current_entry<'h>(d: &Dossier, history: &'h [StatusEntry]) -> Result<&'h StatusEntry> {
    history
        .iter()
        .find(|h| h.seq == d.status_seq)
        .ok_or_else(|| {
            Error::trouble(format!(
                "dossier {}: current status #{} missing from the history",
                d.numero, d.status_seq
            ))
        })
}

fn as_current(e: &StatusEntry) -> Current {
    Current {
        status: e.status,
        transmitted: e.transmitted(),
        automatic: e.automatic,
    }
}

/// Computes the update for `action` on a dossier, or the refusal.
fn plan(
    d: &Dossier,
    history: &[StatusEntry],
    action: Action,
    comment: Option<String>,
    automatic: bool,
    at: NaiveDateTime,
    origin: &str,
) -> Result<StatusUpdate> {
    let cur = current_entry(d, history)?;
    let change = status::decide(as_current(cur), action).map_err(|r| {
        Error::refused(format!("dossier {}: {r}", d.numero)).with_french(format!(
            "Dossier {} : {}",
            d.numero,
            status::after_colon(r.french())
        ))
    })?;
    let next_seq = history.iter().map(|h| h.seq).max().unwrap_or(0) + 1;
    Ok(match change {
        Change::Set { status, supersedes } => StatusUpdate {
            append: Some(StatusEntry {
                seq: next_seq,
                status,
                indicator: 0,
                comment: comment.filter(|c| !c.trim().is_empty()),
                automatic,
                superseded: false,
                at,
                transmitted_at: None,
                cancelled: false,
                return_increment: None,
            }),
            supersede: if supersedes { vec![cur.seq] } else { vec![] },
            current: (next_seq, status, 0),
            event: format!(
                "statut {status} ({}) posé {origin}{}",
                status::label_fr(status),
                if supersedes {
                    format!(", à la place du statut {} (jamais transmis)", cur.status)
                } else {
                    String::new()
                }
            ),
            at,
            ..StatusUpdate::default()
        },
        Change::Cancel => {
            let prev = history
                .iter()
                .rfind(|h| h.seq < cur.seq && !h.cancelled)
                .ok_or_else(|| {
                    Error::refused(format!(
                        "dossier {}: there is no status to go back to",
                        d.numero
                    ))
                    .with_french(format!(
                        "Dossier {} : il n'y a pas de statut précédent à rétablir.",
                        d.numero
                    ))
                })?;
            StatusUpdate {
                cancel: vec![cur.seq],
                restore: if prev.superseded {
                    vec![prev.seq]
                } else {
                    vec![]
                },
                current: (prev.seq, prev.status, prev.indicator),
                event: format!(
                    "statut {} annulé {origin}, retour au statut {}",
                    cur.status, prev.status
                ),
                at,
                ..StatusUpdate::default()
            }
        }
    })
}

/// An agent's change: `action` on dossier `numero`, with an optional
/// comment for the citizen. Returns the journal line written.
pub fn change(
    backend: &dyn Backend,
    numero: &str,
    action: Action,
    comment: Option<String>,
) -> Result<String> {
    // The comment goes to the citizen in the return's message.xml: a
    // character XML 1.0 forbids (an ESC, a BEL) would make it invalid.
    if let Some(c) = comment
        .as_deref()
        .and_then(|t| t.chars().find(|c| !msp_plugins::xml::is_xml_char(*c)))
    {
        let code = format!("U+{:04X}", c as u32);
        return Err(Error::refused(format!(
            "dossier {numero}: the comment holds the control character {code}, which a return message cannot carry"
        ))
        .with_french(format!(
            "Dossier {numero} : le commentaire contient un caractère de contrôle ({code}) qui ne peut pas être transmis au portail ; retirez-le."
        )));
    }
    let (d, history) = load(backend, numero)?;
    let u = plan(&d, &history, action, comment, false, now(), "par un agent")?;
    backend.update_statuses(numero, &u)?;
    Ok(u.event)
}

/// [`change`], traced in `logs/operations.log` whoever made it — `who` is
/// `cli (account)` or `web console (user)` — the refusals included.
pub fn change_audited(
    backend: &dyn Backend,
    folders: &Folders,
    who: &str,
    numero: &str,
    action: Action,
    comment: Option<String>,
) -> Result<String> {
    match change(backend, numero, action, comment) {
        Ok(line) => {
            // The change is committed: a trace that cannot be written is
            // said, never turned into a failure (the agent would retry).
            if let Err(e) = crate::ops::trace(folders, &format!("{who}: dossier {numero}: {line}"))
            {
                tracing::warn!("{e}");
            }
            Ok(line)
        }
        Err(e) if e.kind == crate::error::ErrorKind::Refused => {
            // The refusal is what was asked; a trace that cannot be
            // written does not hide it.
            let _ = crate::ops::trace(folders, &format!("{who}: REFUSED: {}", e.message));
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// What an agent may do now on a dossier (the same rules as [`change`]):
/// the statuses it may be set to, and whether its current status may be
/// cancelled.
pub fn choices(d: &Dossier, history: &[StatusEntry]) -> (Vec<u16>, bool) {
    let Ok(cur) = current_entry(d, history) else {
        return (Vec::new(), false);
    };
    let c = as_current(cur);
    let allowed = status::STATUSES
        .iter()
        .copied()
        .filter(|t| status::decide(c, Action::Set(*t)).is_ok())
        .collect();
    let cancel = status::decide(c, Action::Cancel).is_ok()
        && history.iter().any(|h| h.seq < cur.seq && !h.cancelled);
    (allowed, cancel)
}

/// What happened to statuses written by a business application.
#[derive(Debug, Clone, Default)]
pub struct Adoption {
    /// Journal lines of the statuses taken into account.
    pub adopted: Vec<String>,
    /// Refusals (the rule broken); the status is cancelled, never sent.
    pub refused: Vec<String>,
}

/// Applies the rules to statuses written straight into the history by a
/// business application since the current one (seq greater than the
/// dossier's current status, indicator 0), oldest first.
pub fn adopt_written_statuses(backend: &dyn Backend, numero: &str) -> Result<Adoption> {
    let mut out = Adoption::default();
    loop {
        let (d, history) = load(backend, numero)?;
        let Some(e) = history
            .iter()
            .find(|h| h.seq > d.status_seq && !h.cancelled && !h.superseded)
            .cloned()
        else {
            return Ok(out);
        };
        let at = now();
        match plan(
            &d,
            &history,
            Action::Set(e.status),
            None,
            false,
            at,
            "par l'application métier",
        ) {
            Ok(mut u) => {
                // Adopt the written row itself instead of appending a copy.
                u.append = None;
                u.current = (e.seq, e.status, 0);
                backend.update_statuses(numero, &u)?;
                out.adopted.push(u.event);
            }
            Err(err) if matches!(err.kind, crate::error::ErrorKind::Refused) => {
                let u = StatusUpdate {
                    cancel: vec![e.seq],
                    current: (d.status_seq, d.status, d.indicator),
                    event: format!(
                        "statut {} écrit par l'application métier refusé : {}",
                        e.status,
                        status::after_colon(err.french.as_deref().unwrap_or(&err.message))
                    ),
                    at,
                    ..StatusUpdate::default()
                };
                backend.update_statuses(numero, &u)?;
                out.refused.push(err.message);
            }
            Err(err) => return Err(err),
        }
    }
}

/// One return archive written by [`transmit`].
#[derive(Debug, Clone)]
pub struct Written {
    /// The return flow.
    pub ret: ReturnFlow,
    /// Where the archive is.
    pub path: std::path::PathBuf,
}

/// Who a dossier's return flows answer: the `Sender` of its latest inbound
/// message that named one (PROTOCOL §7), if any did.
pub fn inbound_sender(backend: &dyn Backend, numero: &str) -> Result<Option<Party>> {
    Ok(backend
        .received(numero)?
        .into_iter()
        .rev()
        .map(|r| r.message.sender)
        .find(|s| !s.is_empty()))
}

/// Writes the archive of a recorded return flow and marks it transmitted.
/// Its message answers the dossier's latest inbound message that named its
/// sender, from the town of `client` (PROTOCOL §7).
pub fn write_recorded(
    backend: &dyn Backend,
    plugin: &dyn FlowPlugin,
    folders: &Folders,
    client: Option<&ClientConfig>,
    d: &Dossier,
    ret: &ReturnFlow,
) -> Result<Written> {
    let attachment = match &ret.attachment {
        None => None,
        Some(_) => {
            let status_at = backend
                .history(&d.numero)?
                .iter()
                .find(|h| h.return_increment == Some(ret.increment))
                .map_or(ret.created_at, |h| h.at);
            let mut rows = Vec::new();
            for t in plugin.tables() {
                rows.extend(backend.rows(&t, &d.numero)?);
            }
            let data = DossierData {
                numero: d.numero.clone(),
                flow: d.flow.clone(),
                insee: d.insee.clone(),
                status: ret.status,
                status_at,
                rows,
                // The client's settings, for the documents it issues.
                commune: client
                    .and_then(|c| c.commune.as_deref())
                    .map(|s| s.trim().to_string()),
                departement: client
                    .and_then(|c| c.departement.as_deref())
                    .map(|s| s.trim().to_string()),
            };
            plugin.return_attachment(&data).map_err(|e| {
                Error::trouble(format!(
                    "dossier {}: cannot build the return document: {e}",
                    d.numero
                ))
            })?
        }
    };
    let recipient = inbound_sender(backend, &d.numero)?;
    let routing = returns::Routing {
        town: returns::Town::of(client, &d.insee),
        recipient: recipient.as_ref(),
    };
    let m = ReturnMessage::of(ret, attachment.as_ref(), routing);
    let path = returns::write_return(&folders.work, &folders.output, &m)?;
    backend.mark_return_written(&ret.numero, ret.increment, now())?;
    Ok(Written {
        ret: ret.clone(),
        path,
    })
}

/// Transmits a dossier's untransmitted current status (and the automatic
/// closure that follows 15, 19 or 20), one return flow each, in increment
/// order. Returns what was written.
pub fn transmit(
    backend: &dyn Backend,
    plugin: &dyn FlowPlugin,
    folders: &Folders,
    client: Option<&ClientConfig>,
    numero: &str,
) -> Result<Vec<Written>> {
    let mut written = Vec::new();
    // Return flows recorded but never written (e.g. the status-14 return of
    // the import, or a run killed in between): same increment, in order.
    if let Some(d) = backend.dossier(numero)? {
        for r in backend
            .returns(numero)?
            .iter()
            .filter(|r| r.written_at.is_none())
        {
            written.push(write_recorded(backend, plugin, folders, client, &d, r)?);
        }
    }
    // Bounded: at most the status itself and its automatic closure.
    for _ in 0..4 {
        let (d, history) = load(backend, numero)?;
        let cur = current_entry(&d, &history)?.clone();
        if cur.transmitted() && cur.indicator != 0 {
            if AUTO_CLOSE_AFTER.contains(&cur.status) {
                // Not an agent's change: the rules make msp close the dossier.
                backend.update_statuses(numero, &automatic_closure(&cur, &history))?;
                continue;
            }
            break;
        }
        let ret = return_of(backend, plugin, numero, &d, &cur)?;
        if ret.written_at.is_none() {
            written.push(write_recorded(backend, plugin, folders, client, &d, &ret)?);
        } else {
            // Written but not marked (crash in between): mark it now.
            backend.mark_return_written(numero, ret.increment, now())?;
        }
    }
    Ok(written)
}

/// The automatic closure (100) that follows the transmission of `cur`
/// (15, 19 or 20), appended to `history`.
fn automatic_closure(cur: &StatusEntry, history: &[StatusEntry]) -> StatusUpdate {
    let seq = history.iter().map(|h| h.seq).max().unwrap_or(0) + 1;
    let at = now();
    StatusUpdate {
        append: Some(StatusEntry {
            seq,
            status: CLOSED,
            indicator: 0,
            comment: None,
            automatic: true,
            superseded: false,
            at,
            transmitted_at: None,
            cancelled: false,
            return_increment: None,
        }),
        current: (seq, CLOSED, 0),
        event: format!(
            "statut 100 (dossier clos) enregistré automatiquement après la transmission du statut {}",
            cur.status
        ),
        at,
        ..StatusUpdate::default()
    }
}

/// The return flow of dossier `numero`'s current status `cur`: the one
/// recorded for it, else a new one (the next increment), recorded now.
fn return_of(
    backend: &dyn Backend,
    plugin: &dyn FlowPlugin,
    numero: &str,
    d: &Dossier,
    cur: &StatusEntry,
) -> Result<ReturnFlow> {
    let returns = backend.returns(numero)?;
    if let Some(r) = cur
        .return_increment
        .and_then(|i| returns.iter().find(|r| r.increment == i))
    {
        return Ok(r.clone());
    }
    let increment = returns.iter().map(|r| r.increment).max().unwrap_or(0) + 1;
    let ret = ReturnFlow {
        numero: d.numero.clone(),
        flow: d.flow.clone(),
        increment,
        status: cur.status,
        comment: cur
            .comment
            .clone()
            .unwrap_or_else(|| plugin.default_comment(cur.status).to_string()),
        file: naming::return_name(&d.numero, &d.flow, increment),
        attachment: plugin.attachment_name(&d.numero, cur.status),
        created_at: now(),
        written_at: None,
        collected_at: None,
    };
    backend.record_return(&ret, cur.seq)?;
    Ok(ret)
}

/// Whether a dossier needs the returns step (the rule of PROTOCOL §7):
/// its current status is not transmitted, or a business application wrote
/// a status after the current one (`pending_seqs`: the seqs of its standing
/// untransmitted statuses).
pub fn needs_transmission(d: &Dossier, pending_seqs: &[u32]) -> bool {
    d.indicator == 0 || pending_seqs.iter().any(|s| *s > d.status_seq)
}

/// The dossiers that need the returns step, by number. The backend answers
/// two indexed queries (untransmitted dossiers, standing untransmitted
/// statuses); only the dossiers they name are read, so the cost follows the
/// pending work, never the history.
pub fn dossiers_to_transmit(backend: &dyn Backend) -> Result<Vec<String>> {
    let mut out: BTreeSet<String> = backend.untransmitted_dossiers()?.into_iter().collect();
    let mut pending: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (numero, seq) in backend.untransmitted_statuses()? {
        if !out.contains(&numero) {
            pending.entry(numero).or_default().push(seq);
        }
    }
    for (numero, seqs) in pending {
        if let Some(d) = backend.dossier(&numero)? {
            if needs_transmission(&d, &seqs) {
                out.insert(numero);
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Records the collection of return archives that have left `output`:
/// one listing of the folder, the pending returns read as a stream, so
/// memory follows the folder, not the history.
pub fn record_collections(backend: &dyn Backend, output: &Path) -> Result<Vec<ReturnFlow>> {
    let mut present: Option<BTreeSet<String>> = None;
    let mut collected = Vec::new();
    backend.each_uncollected_return(&mut |r| {
        let present = match &mut present {
            Some(p) => p,
            None => present.insert(
                std::fs::read_dir(output)
                    .map_err(|e| Error::io("cannot read", output, e))?
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
            ),
        };
        if !present.contains(&r.file) {
            collected.push(r);
        }
        Ok(())
    })?;
    let keys: Vec<(String, u32)> = collected
        .iter()
        .map(|r| (r.numero.clone(), r.increment))
        .collect();
    if !keys.is_empty() {
        backend.mark_returns_collected(&keys, now())?;
    }
    Ok(collected)
}
