//! Receiving from the hub for one subscription: new cases written into
//! input as bundles, the portal's events applied, each notification
//! deleted only once what it brought is durable (see the module doc).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::Backend;
use crate::config::{Config, HubeeConfig, HubeeSubscription};
use crate::digest::base64_sha256;
use crate::envelope::hubee::{bundle_entry, HubCase, HubEvent, HubFile, CASE_FILE, EVENT_FILE};
use crate::error::{Error, Result};
use crate::folders;
use crate::naming::valid_numero;
use crate::status::Action;

use super::{CaseRecord, Download, Hub, Journal, Notification};

/// The most notifications the hub gives at once.
const BATCH: usize = 25;

/// What a receive did, for the log and the summary.
#[derive(Debug, Default)]
pub struct Received {
    /// One line per thing done.
    pub lines: Vec<String>,
    /// Bundles written into input.
    pub bundles: u32,
    /// What failed, case by case (the notification waits for next run).
    pub failed: Vec<Error>,
}

/// One subscription's receive.
pub(super) struct Receiver<'a> {
    pub(super) config: &'a Config,
    pub(super) hubee: &'a HubeeConfig,
    pub(super) sub: &'a HubeeSubscription,
    pub(super) journal: &'a Journal,
    pub(super) backend: Option<&'a Arc<dyn Backend>>,
}

/// Receives what waits for the subscription `sub` of `client`: new cases
/// and the portal's events, until the queue is empty or nothing more can
/// be done. An error of the queue itself is returned (the rest waits);
/// a failing case is in [`Received::failed`] and the others go on.
pub fn receive(
    config: &Config,
    client: &str,
    sub: &HubeeSubscription,
    hub: &mut dyn Hub,
    backend: Option<&Arc<dyn Backend>>,
) -> Result<Received> {
    let hubee = config
        .hubee
        .as_ref()
        .ok_or_else(|| Error::config("[hubee] is not configured"))?;
    let journal = Journal::open(&config.folders.work, client);
    remove_leftovers(&config.folders.input);
    let r = Receiver {
        config,
        hubee,
        sub,
        journal: &journal,
        backend,
    };
    let mut out = Received::default();
    // Each notification handled once a run: one the hub lists again (a
    // failure, or a delete it answered 404 but kept) is no progress, and
    // the loop ends when a batch brings nothing new.
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let batch = hub.notifications()?;
        let full = batch.len() >= BATCH;
        let mut progressed = false;
        for n in &batch {
            if !seen.insert(n.id.clone()) {
                continue;
            }
            let done = r
                .handle(hub, n, &mut out)
                .and_then(|()| hub.delete_notification(&n.id));
            match done {
                Ok(()) => progressed = true,
                // The hub down (after the client's retries): the rest of
                // this subscription waits for the next run, said once.
                Err(e) if e.temporary => {
                    out.failed.push(e);
                    return Ok(out);
                }
                Err(e) => out.failed.push(e),
            }
        }
        if !full || !progressed {
            return Ok(out);
        }
    }
}

impl Receiver<'_> {
    fn handle(&self, hub: &mut dyn Hub, n: &Notification, out: &mut Received) -> Result<()> {
        match &n.event_id {
            None => self.new_case(hub, &n.case_id, out),
            // The other side acknowledged one of our events.
            Some(_) if n.event_status.as_deref() == Some("RECEIVED") => Ok(()),
            Some(e) if self.journal.event_applied(e) => Ok(()),
            Some(e) => self.apply_event(hub, &n.case_id, e, out),
        }
    }

    /// A new case: its bundle written into input, then recorded.
    fn new_case(&self, hub: &mut dyn Hub, case_id: &str, out: &mut Received) -> Result<()> {
        if self.journal.case(case_id).is_some() {
            return Ok(());
        }
        let bytes = hub.case(case_id)?;
        let case: HubCase = serde_json::from_slice(&bytes).map_err(|e| {
            Error::trouble(format!("case {case_id}: the hub's JSON is not a case: {e}"))
        })?;
        let mut record = CaseRecord {
            case_id: case_id.to_string(),
            external_id: case.external_id.clone(),
            flow: self.sub.flow.clone(),
            process: self.sub.process.clone(),
            file_number: 1,
            rejections_answered: Vec::new(),
            complements: Default::default(),
        };
        if !valid_numero(&case.external_id) {
            // No bundle can carry this number: answered at once.
            let reason = format!(
                "Le numéro de la demande « {} » n'est pas utilisable (lettres, chiffres, tirets, 64 caractères au plus) : elle n'a pas été intégrée.",
                super::clip_chars(&case.external_id, 80)
            );
            super::send::answer_rejection(hub, self.journal, &mut record, 1, &reason)?;
            self.journal.save_case(&record)?;
            out.lines.push(format!(
                "hubee case {case_id}: unusable number, answered SI_INTG_ERROR"
            ));
            return Ok(());
        }
        let mut entries = vec![(CASE_FILE.to_string(), bytes)];
        self.case_files(hub, &case, &case.attachments, true, &mut entries)?;
        let name = format!("{}-{}-1.zip", case.external_id, self.sub.flow);
        write_bundle(&self.config.folders.input, &name, &entries)?;
        self.journal.save_case(&record)?;
        out.bundles += 1;
        out.lines.push(format!(
            "{name}: received from HubEE (case {case_id}), written into input"
        ));
        Ok(())
    }

    /// The case's files (`data`: the data documents and pieces; else the
    /// data documents only), downloaded and checked, as bundle entries.
    fn case_files(
        &self,
        hub: &mut dyn Hub,
        case: &HubCase,
        files: &[HubFile],
        pieces: bool,
        entries: &mut Vec<(String, Vec<u8>)>,
    ) -> Result<()> {
        for (i, f) in files.iter().enumerate() {
            if !pieces && !f.is_data() {
                continue;
            }
            match f.status.as_str() {
                "RECEIVED" => {}
                "DELETED" => return Err(purged(case, f)),
                // Still with the hub's antivirus: the case waits, whole.
                "PENDING" => {
                    return Err(Error::trouble(format!(
                        "hubee case {} ({}): file \"{}\" is still being checked by the hub (PENDING): received at a next run",
                        case.external_id, case.id, f.file_name
                    )))
                }
                // Refused by the hub's antivirus: without its data document
                // the case cannot be imported; a piece is left out, said.
                other if f.is_data() => {
                    return Err(Error::trouble(format!(
                        "hubee case {} ({}): its data document \"{}\" is {other} on the hub: the case cannot be received; ask the portal to send it again",
                        case.external_id, case.id, f.file_name
                    )))
                }
                other => {
                    tracing::warn!(
                        "hubee case {} ({}): file \"{}\" is {other} on the hub: received without it",
                        case.external_id,
                        case.id,
                        f.file_name
                    );
                    continue;
                }
            }
            let bytes = self.checked(case, f, |h| h.attachment(&case.id, &f.id), hub)?;
            entries.push((bundle_entry('c', i, &f.file_name), bytes));
        }
        Ok(())
    }

    /// A file downloaded until its size and digest are the announced ones
    /// (a wrong one is downloaded again, `retries` times, then trouble).
    fn checked(
        &self,
        case: &HubCase,
        f: &HubFile,
        fetch: impl Fn(&mut dyn Hub) -> Result<Option<Download>>,
        hub: &mut dyn Hub,
    ) -> Result<Vec<u8>> {
        let mut wait = Duration::from_millis(self.hubee.backoff_ms);
        let mut problem = String::new();
        for attempt in 1..=self.hubee.retries.max(1) {
            let Some(d) = fetch(hub)? else {
                return Err(purged(case, f));
            };
            if d.bytes.len() as u64 != f.size {
                problem = format!("{} bytes received, {} announced", d.bytes.len(), f.size);
            } else if d
                .digest
                .as_deref()
                .is_some_and(|g| g != base64_sha256(&d.bytes))
            {
                problem = "its digest is not the one announced".into();
            } else {
                return Ok(d.bytes);
            }
            if attempt < self.hubee.retries {
                std::thread::sleep(wait);
                wait *= 2;
            }
        }
        Err(Error::trouble(format!(
            "hubee case {} ({}): file \"{}\" downloaded {} times and still wrong ({problem}): not received, tried again next run",
            case.external_id, case.id, f.file_name, self.hubee.retries.max(1)
        )))
    }

    /// An event of the portal: applied, acknowledged, recorded.
    fn apply_event(
        &self,
        hub: &mut dyn Hub,
        case_id: &str,
        event_id: &str,
        out: &mut Received,
    ) -> Result<()> {
        let mut record = self.journal.case(case_id).ok_or_else(|| {
            Error::trouble(format!(
                "hubee event {event_id}: its case {case_id} was never received by msp"
            ))
        })?;
        let bytes = hub.event(case_id, event_id)?;
        let event: HubEvent = serde_json::from_slice(&bytes)
            .map_err(|e| Error::trouble(format!("hubee event {event_id}: not an event: {e}")))?;
        let numero = record.external_id.clone();
        // One of msp's own events acknowledged (an API without
        // `eventStatus` in its notifications): nothing to apply.
        let ours = event
            .partner_attributes
            .as_deref()
            .is_some_and(|a| a.split(';').any(|p| p.starts_with("msp=")));
        if ours {
            return Ok(());
        }
        match event.action_type.as_str() {
            "STATUS_UPDATE" => out.lines.push(self.status_update(&numero, &event)?),
            "SENDING_MESSAGE" => {
                let text = event.message.as_deref().unwrap_or_default();
                let line = format!("hubee: dossier {numero}: message du portail : {text}");
                crate::ops::trace(&self.config.folders, &line)?;
                out.lines.push(line);
            }
            "ATTACH_DEPOSIT" => {
                let name = self.complement(hub, &mut record, &event, bytes)?;
                out.bundles += 1;
                out.lines.push(format!(
                    "{name}: complement received from HubEE (event {event_id}), written into input"
                ));
            }
            other => out
                .lines
                .push(format!("hubee: dossier {numero}: event {other} ignored")),
        }
        hub.patch_event(case_id, event_id, "RECEIVED")?;
        self.journal.mark_event(event_id)
    }

    /// The portal closed (or changed) the case: a closure is recorded as
    /// status 100 (refused when the dossier cannot be closed: said).
    fn status_update(&self, numero: &str, event: &HubEvent) -> Result<String> {
        let new = event.case_new_status.as_deref().unwrap_or("?");
        if new != "CLOSED" {
            return Ok(format!(
                "hubee: dossier {numero}: the portal set the case {new}"
            ));
        }
        let backend = self.backend.ok_or_else(|| {
            Error::trouble(format!(
                "hubee: dossier {numero}: closed on the portal, its database is unreachable"
            ))
        })?;
        let comment = Some("Démarche clôturée sur le portail (HubEE)".to_string());
        match crate::lifecycle::change(
            backend.as_ref(),
            numero,
            Action::Set(crate::status::CLOSED),
            comment,
        ) {
            Ok(line) => Ok(format!(
                "hubee: dossier {numero}: closed on the portal: {line}"
            )),
            Err(e) if e.kind == crate::error::ErrorKind::Refused => Ok(format!(
                "hubee: dossier {numero}: closed on the portal; not recorded: {}",
                e.message
            )),
            Err(e) => Err(e),
        }
    }

    /// A complement: a bundle with the next file number (the same one
    /// again after a crash), holding the case, the event and their files.
    fn complement(
        &self,
        hub: &mut dyn Hub,
        record: &mut CaseRecord,
        event: &HubEvent,
        event_bytes: Vec<u8>,
    ) -> Result<String> {
        let number = match record.complements.get(&event.id) {
            Some(n) => *n,
            None => record.file_number + 1,
        };
        let name = format!("{}-{}-{number}.zip", record.external_id, record.flow);
        let bytes = hub.case(&record.case_id)?;
        let case: HubCase = serde_json::from_slice(&bytes)
            .map_err(|e| Error::trouble(format!("case {}: not a case: {e}", record.case_id)))?;
        let mut entries = vec![
            (CASE_FILE.to_string(), bytes),
            (EVENT_FILE.to_string(), event_bytes),
        ];
        self.case_files(hub, &case, &case.attachments, false, &mut entries)?;
        for (i, f) in event.attachments.iter().enumerate() {
            if f.status == "DELETED" {
                return Err(purged(&case, f));
            }
            let bytes = self.checked(
                &case,
                f,
                |h| h.event_attachment(&case.id, &event.id, &f.id),
                hub,
            )?;
            entries.push((bundle_entry('e', i, &f.file_name), bytes));
        }
        write_bundle(&self.config.folders.input, &name, &entries)?;
        record.complements.insert(event.id.clone(), number);
        record.file_number = record.file_number.max(number);
        self.journal.save_case(record)?;
        Ok(name)
    }
}

/// The trouble of a file the hub purged.
fn purged(case: &HubCase, f: &HubFile) -> Error {
    Error::trouble(format!(
        "hubee case {} ({}): file \"{}\" was purged by the hub (DELETED): the case cannot be received; ask the portal to send it again",
        case.external_id, case.id, f.file_name
    ))
    .with_french(format!(
        "Le dossier {} transmis par HubEE ne peut pas être reçu : sa pièce « {} » a été purgée par HubEE. Demandez au portail de le renvoyer.",
        case.external_id, f.file_name
    ))
}

/// Removes the bundles a killed process left half written in input
/// (`.<name>.<pid>.msp-hubee`, the process gone: the one rule of
/// [`crate::returns::remove_abandoned`], which asks Windows too).
fn remove_leftovers(input: &Path) {
    crate::returns::remove_abandoned(input, |name| {
        name.strip_suffix(".msp-hubee")
            .filter(|_| name.starts_with('.'))
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(_, pid)| pid.parse().ok())
    });
}

/// Writes a bundle into input durably: a dot name (the scan ignores it),
/// synced, renamed (never over a file: one already there is the same
/// bundle written by an interrupted run), the folder synced.
fn write_bundle(input: &Path, name: &str, entries: &[(String, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(input).map_err(|e| Error::io("cannot create", input, e))?;
    let tmp = input.join(format!(".{name}.{}.msp-hubee", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (entry, bytes) in entries {
            zip.start_file(entry.as_str(), options)
                .map_err(std::io::Error::other)?;
            zip.write_all(bytes)?;
        }
        zip.finish().map_err(std::io::Error::other)?.sync_all()
    })();
    if let Err(e) = written {
        let _ = crate::folders::remove_file(&tmp);
        return Err(Error::io("cannot write", &tmp, e));
    }
    let dest = input.join(name);
    match folders::rename_noreplace(&tmp, &dest) {
        Ok(()) => {}
        // The same bundle written by an interrupted run: done. Another file
        // of that name (an archive by SFTP, a case sent again with other
        // contents) is never taken for it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let same = fs::read(&dest).ok() == fs::read(&tmp).ok();
            let _ = crate::folders::remove_file(&tmp);
            if !same {
                return Err(Error::trouble(format!(
                    "{} is already in input with other contents: this case is not received until it is imported or moved away",
                    dest.display()
                )));
            }
        }
        Err(e) => {
            let _ = crate::folders::remove_file(&tmp);
            return Err(Error::io("cannot rename", &tmp, e));
        }
    }
    folders::sync_dir(input);
    Ok(())
}
