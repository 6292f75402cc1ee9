//! Sending to the hub for one subscription: the return flows of the
//! dossiers that came by HubEE posted as events, and the bundles the
//! import rejected answered `SI_INTG_ERROR`, each exactly once (an intent
//! before the post, the case's events read back after a crash).

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::backend::{Backend, ReturnFlow};
use crate::config::{ClientConfig, Config, HubeeSubscription};
use crate::envelope::hubee::{HubCase, HubEvent};
use crate::error::{Error, Result};
use crate::folders;
use crate::lifecycle::now;

use super::{clip_chars, hub_status, CaseRecord, Hub, Journal};

/// What a send did, for the log and the summary.
#[derive(Debug, Default)]
pub struct Sent {
    /// One line per thing done.
    pub lines: Vec<String>,
    /// Events posted.
    pub posted: u32,
    /// What failed (waits for the next run).
    pub failed: Vec<Error>,
}

/// The author of msp's events.
const AUTHOR: &str = "msp";

/// Posts what waits for the dossiers of subscription `sub` of `client`:
/// rejections answered, then return flows as events. A temporary failure
/// (the hub down after the retries) stops the rest, said once; another
/// failure names its dossier and the others go on.
pub fn send(
    config: &Config,
    client: &ClientConfig,
    sub: &HubeeSubscription,
    hub: &mut dyn Hub,
    backend: &Arc<dyn Backend>,
) -> Result<Sent> {
    let journal = Journal::open(&config.folders.work, &client.name);
    let records: HashMap<String, CaseRecord> = journal
        .cases()
        .into_iter()
        .filter(|r| r.process == sub.process)
        .map(|r| (r.external_id.clone(), r))
        .collect();
    let mut sent = Sent::default();
    if records.is_empty() {
        return Ok(sent);
    }
    remove_stale_intents(config, &journal, &records);
    for record in records.values() {
        // One record for the case across its bundles: each answer is added
        // to what the previous ones recorded, never saved over them.
        let mut r = record.clone();
        for n in 1..=record.file_number {
            let Some(reason) = (!r.rejections_answered.contains(&n))
                .then(|| rejection(&config.folders.error, &r, n))
                .flatten()
            else {
                continue;
            };
            let outcome = answer_rejection(hub, &journal, &mut r, n, &reason).map(|()| {
                Some(format!(
                    "hubee: dossier {}: rejection of bundle {n} answered SI_INTG_ERROR",
                    r.external_id
                ))
            });
            if tell(outcome, &mut sent) {
                return Ok(sent);
            }
        }
    }
    let mut pending = Vec::new();
    backend.each_uncollected_return(&mut |r| {
        if r.written_at.is_some()
            && records.contains_key(&r.numero)
            && config.folders.output.join(&r.file).is_file()
        {
            pending.push(r);
        }
        Ok(())
    })?;
    pending.sort_by(|a, b| (&a.numero, a.increment).cmp(&(&b.numero, b.increment)));
    for r in pending {
        let outcome = send_return(config, hub, &journal, backend, &records[&r.numero], &r);
        if tell(outcome, &mut sent) {
            break;
        }
    }
    Ok(sent)
}

/// Removes the intents a killed run left after its post was recorded (the
/// return out of output, the rejection recorded answered): nothing to
/// read back for them any more.
fn remove_stale_intents(config: &Config, journal: &Journal, records: &HashMap<String, CaseRecord>) {
    for tag in journal.intents() {
        let Some(rest) = tag.strip_prefix("msp=") else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let Some(record) = parts.first().and_then(|n| records.get(*n)) else {
            continue;
        };
        let stale = match parts[1..] {
            ["rejet", n] => n
                .parse()
                .is_ok_and(|n| record.rejections_answered.contains(&n)),
            [inc] | [inc, "piece"] => {
                let file = format!("{}-{}-{inc}.zip", record.external_id, record.flow);
                !config.folders.output.join(file).exists()
            }
            _ => false,
        };
        if stale {
            journal.clear_intent(&tag);
        }
    }
}

/// Counts what was posted; `true` when the rest must wait (the hub is
/// down: said once).
fn tell(outcome: Result<Option<String>>, sent: &mut Sent) -> bool {
    match outcome {
        Ok(Some(line)) => {
            sent.posted += 1;
            sent.lines.push(line);
            false
        }
        Ok(None) => false,
        Err(e) => {
            let stop = e.temporary;
            sent.failed.push(e);
            stop
        }
    }
}

/// The French reason of a rejected bundle, from its log in the error
/// folder (`Motif`, `Explication`), if bundle `n` of the case was rejected.
fn rejection(error_dir: &Path, record: &CaseRecord, n: u32) -> Option<String> {
    let log = error_dir.join(format!(
        "{}-{}-{n}.zip.log",
        record.external_id, record.flow
    ));
    let text = fs::read_to_string(log).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
    };
    let mut reason = format!(
        "La demande n'a pas pu être intégrée par la mairie : {}.",
        field("Motif :")
            .unwrap_or("demande illisible")
            .trim_end_matches('.')
    );
    if let Some(e) = field("Explication :") {
        reason.push(' ');
        reason.push_str(e);
    }
    Some(reason)
}

/// Answers bundle `n` of a case `SI_INTG_ERROR` with `reason`, once, and
/// records it answered.
pub(super) fn answer_rejection(
    hub: &mut dyn Hub,
    journal: &Journal,
    record: &mut CaseRecord,
    n: u32,
    reason: &str,
) -> Result<()> {
    let tag = format!("msp={}/rejet/{n}", record.external_id);
    let body = json!({
        "actionType": "STATUS_UPDATE", "caseNewStatus": "SI_INTG_ERROR",
        "message": clip_chars(reason, 1000), "comment": clip_chars(reason, 1000),
        "author": AUTHOR, "notification": true, "partnerAttributes": tag,
    });
    post_once(hub, journal, &record.case_id, &tag, &body)?;
    record.rejections_answered.push(n);
    journal.save_case(record)?;
    journal.clear_intent(&tag);
    Ok(())
}

/// One return flow posted (its status, then its document), recorded
/// collected, moved to the sent folder.
fn send_return(
    config: &Config,
    hub: &mut dyn Hub,
    journal: &Journal,
    backend: &Arc<dyn Backend>,
    record: &CaseRecord,
    r: &ReturnFlow,
) -> Result<Option<String>> {
    let tag = format!("msp={}/{}", r.numero, r.increment);
    let piece_tag = format!("{tag}/piece");
    let what = match hub_status(r.status) {
        Some(status) => {
            let message = if r.comment.trim().is_empty() {
                default_message(r.status)
            } else {
                r.comment.clone()
            };
            let body = json!({
                "actionType": "STATUS_UPDATE", "caseNewStatus": status,
                "message": clip_chars(&message, 1000), "comment": format!("msp: statut {}", r.status),
                "author": AUTHOR, "notification": true,
                "partnerAttributes": format!("statut={};{tag}", r.status),
            });
            post_once(hub, journal, &record.case_id, &tag, &body)?;
            if let Some(file) = &r.attachment {
                let bytes = return_attachment(&config.folders.output.join(&r.file), file)?;
                deposit_once(hub, journal, &record.case_id, &piece_tag, file, &bytes)?;
            }
            format!(
                "{}: status {} posted to HubEE as {status}",
                r.file, r.status
            )
        }
        None => format!(
            "{}: status {} has no HubEE event (nothing sent)",
            r.file, r.status
        ),
    };
    // Out of output first: a return that left output is recorded
    // collected by the next run's return step if this one is killed.
    let local = config.folders.output.join(&r.file);
    fs::create_dir_all(&config.sent).map_err(|e| Error::io("cannot create", &config.sent, e))?;
    folders::move_into(&local, &config.sent, &r.file)?;
    journal.clear_intent(&tag);
    journal.clear_intent(&piece_tag);
    backend.mark_returns_collected(&[(r.numero.clone(), r.increment)], now())?;
    Ok(Some(what))
}

/// The message of a status the agent gave no comment for.
fn default_message(status: u16) -> String {
    match status {
        14 => "Votre demande a été reçue par la mairie.",
        16 => "Votre demande est en cours de traitement.",
        17 => "Des pièces complémentaires sont nécessaires.",
        19 => "Votre demande a été traitée.",
        _ => "Votre demande n'a pas pu être acceptée.",
    }
    .to_string()
}

/// The bytes of the return archive's document.
fn return_attachment(archive: &Path, file: &str) -> Result<Vec<u8>> {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut zip =
            zip::ZipArchive::new(fs::File::open(archive)?).map_err(std::io::Error::other)?;
        let mut entry = zip.by_name(file).map_err(std::io::Error::other)?;
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    read().map_err(|e| Error::io("cannot read the document of", archive, e))
}

/// The event tagged `tag` among the case's, if the hub has one.
fn tagged(hub: &mut dyn Hub, case_id: &str, tag: &str) -> Result<Option<HubEvent>> {
    let case: HubCase = serde_json::from_slice(&hub.case(case_id)?)
        .map_err(|e| Error::trouble(format!("case {case_id}: not a case: {e}")))?;
    Ok(case.events.into_iter().find(|e| {
        e.partner_attributes
            .as_deref()
            .is_some_and(|a| a.split(';').any(|p| p == tag))
    }))
}

/// Posts `body` unless an interrupted run did: with an intent left, the
/// case's events are read back first (an event left `IN_PROGRESS` is
/// cancelled and posted again). `None` when it was already posted.
fn post_once(
    hub: &mut dyn Hub,
    journal: &Journal,
    case_id: &str,
    tag: &str,
    body: &Value,
) -> Result<Option<Value>> {
    if journal.intent(tag) {
        if let Some(e) = tagged(hub, case_id, tag)? {
            if e.status != "IN_PROGRESS" {
                return Ok(None);
            }
            hub.delete_event(case_id, &e.id)?;
        }
    }
    journal.write_intent(tag)?;
    // A post is sent once by the hub's client: when it fails for want of
    // an answer, the event may exist all the same, so it is looked for
    // before posting again (a few times; then the intent waits for the
    // next run, which does the same).
    let mut tries = 1;
    loop {
        match hub.post_event(case_id, body) {
            Ok(created) => return Ok(Some(created)),
            Err(e) if e.temporary && tries < POST_TRIES => {
                tries += 1;
                if let Some(e) = tagged(hub, case_id, tag)? {
                    if e.status != "IN_PROGRESS" {
                        return Ok(None);
                    }
                    hub.delete_event(case_id, &e.id)?;
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// How many times an event is posted in one run when its answer is lost.
const POST_TRIES: u32 = 3;

/// The document of a status as an `ATTACH_DEPOSIT` (declared with its
/// exact size, uploaded, then sent), once.
fn deposit_once(
    hub: &mut dyn Hub,
    journal: &Journal,
    case_id: &str,
    tag: &str,
    file: &str,
    bytes: &[u8],
) -> Result<()> {
    let mime = if file.to_ascii_lowercase().ends_with(".pdf") {
        "application/pdf"
    } else {
        "application/octet-stream"
    };
    let body = json!({
        "actionType": "ATTACH_DEPOSIT", "author": AUTHOR, "notification": true,
        "message": "Document délivré par la mairie", "partnerAttributes": tag,
        "attachments": [{"fileName": file, "type": "DOCUMENT", "size": bytes.len(), "mimeType": mime}],
    });
    let Some(event) = post_once(hub, journal, case_id, tag, &body)? else {
        return Ok(());
    };
    let id = |v: &Value| v["id"].as_str().map(str::to_string);
    let (Some(event_id), Some(file_id)) = (id(&event), id(&event["attachments"][0])) else {
        return Err(Error::trouble(format!(
            "case {case_id}: the hub's answer to a deposit has no ids"
        )));
    };
    hub.put_event_attachment(case_id, &event_id, &file_id, bytes)?;
    hub.patch_event(case_id, &event_id, "SENT")
}
