//! `msp dossier show`: one dossier with its history, return flows,
//! archives received, attachments, events and (asked) its business rows.

use anyhow::Result;
use msp_core::backend::{
    Backend, Dossier, Event, InboundMessage, ReceivedArchive, ReturnFlow, StatusEntry,
    StoredAttachment,
};
use msp_plugins::{Registry, Row, TableDef};
use serde_json::{json, Value};

use super::{not_found, warn_unreachable, Databases};
use crate::cli::ExitStatus;
use crate::render::json::{dossier_json, json_text, value_json};
use crate::render::text::say;

/// How the dossier is shown.
#[derive(Clone, Copy)]
pub struct Asked {
    /// JSON instead of text.
    pub json: bool,
    /// Also its rows in its plugin's business tables.
    pub rows: bool,
    /// The portal's follow-up passwords unmasked.
    pub password: bool,
}

/// Everything said of a dossier, read from its database.
struct Shown {
    business: Vec<Row>,
    history: Vec<StatusEntry>,
    returns: Vec<ReturnFlow>,
    received: Vec<ReceivedArchive>,
    attachments: Vec<StoredAttachment>,
    events: Vec<Event>,
    /// Whether the business rows were asked for.
    with_rows: bool,
}

/// `msp dossier show NUMERO`: from the first database that holds it.
pub fn run(
    registry: &Registry,
    databases: &Databases,
    numero: &str,
    asked: Asked,
) -> Result<ExitStatus> {
    for b in &databases.open {
        if let Some(d) = b.dossier(numero)? {
            let tables = match (asked.rows, registry.get(&d.flow)) {
                (false, _) => None,
                (true, Some(p)) => Some(p.tables()),
                (true, None) => {
                    return Err(msp_core::Error::config(format!(
                        "no plugin for flow {} here: its business rows cannot be read",
                        d.flow
                    ))
                    .into())
                }
            };
            let shown = read(b.as_ref(), &d, tables.as_deref())?;
            if asked.json {
                let v = as_json(b.as_ref(), &d, &shown, asked.password)?;
                println!("{}", json_text(&v)?);
            } else {
                as_text(&d, &shown, asked.password);
            }
            return Ok(ExitStatus::Success);
        }
    }
    warn_unreachable(databases);
    Err(not_found(numero, &databases.unreachable).into())
}

/// Reads what is shown of `d`; its business rows from `tables`.
fn read(b: &dyn Backend, d: &Dossier, tables: Option<&[TableDef]>) -> Result<Shown> {
    let mut business: Vec<Row> = Vec::new();
    for t in tables.unwrap_or_default() {
        business.extend(b.rows(t, &d.numero)?);
    }
    Ok(Shown {
        business,
        history: b.history(&d.numero)?,
        returns: b.returns(&d.numero)?,
        received: b.received(&d.numero)?,
        attachments: b.attachments(&d.numero)?,
        events: b.events(&d.numero)?,
        with_rows: tables.is_some(),
    })
}

/// The dossier as one JSON object.
fn as_json(b: &dyn Backend, d: &Dossier, s: &Shown, reveal_password: bool) -> Result<Value> {
    let mut v = dossier_json(d);
    v["history"] = json!(s
        .history
        .iter()
        .map(|h| json!({
            "seq": h.seq, "status": h.status, "indicator": h.indicator, "comment": h.comment,
            "automatic": h.automatic, "superseded": h.superseded, "cancelled": h.cancelled,
            "at": h.at, "transmitted_at": h.transmitted_at, "return_increment": h.return_increment,
        }))
        .collect::<Vec<_>>());
    v["returns"] = json!(s
        .returns
        .iter()
        .map(|r| json!({
            "increment": r.increment, "status": r.status, "comment": r.comment, "file": r.file,
            "attachment": r.attachment,
            "created_at": r.created_at, "written_at": r.written_at, "collected_at": r.collected_at,
        }))
        .collect::<Vec<_>>());
    v["archives"] = serde_json::to_value(&s.received)?;
    if reveal_password {
        for (i, a) in s.received.iter().enumerate() {
            if let Some(p) = &a.message.password {
                v["archives"][i]["message"]["password"] = json!(p.reveal());
            }
        }
    }
    v["attachments"] = serde_json::to_value(&s.attachments)?;
    v["events"] = serde_json::to_value(&s.events)?;
    v["database"] = json!(b.describe());
    if s.with_rows {
        v["rows"] = json!(s
            .business
            .iter()
            .map(|r| json!({
                "table": r.table,
                "values": r.values.iter().map(|(k, v)| (k.to_string(), value_json(v))).collect::<serde_json::Map<_, _>>(),
            }))
            .collect::<Vec<_>>());
    }
    Ok(v)
}

/// The dossier as text, a section each.
fn as_text(d: &Dossier, s: &Shown, reveal_password: bool) {
    say!("Dossier {} ({}), CodeINSEE {}", d.numero, d.flow, d.insee);
    say!("  {}", d.summary);
    say!(
        "  status {} (indicator {}), file number {}",
        d.status,
        d.indicator,
        d.file_number
    );
    say!("  created {}, updated {}", d.created_at, d.updated_at);
    history_text(&s.history);
    returns_text(&s.returns);
    archives_text(&s.received, reveal_password);
    attachments_text(&s.attachments);
    say!("Events:");
    for e in &s.events {
        say!("  {} {}", e.at, e.text);
    }
    if s.with_rows {
        rows_text(&s.business);
    }
}

fn history_text(history: &[StatusEntry]) {
    say!("History:");
    for h in history {
        say!(
            "  #{} {} ind {}{}{} at {}{}",
            h.seq,
            h.status,
            h.indicator,
            if h.automatic { " automatic" } else { "" },
            if h.cancelled {
                " cancelled"
            } else if h.superseded {
                " superseded"
            } else {
                ""
            },
            h.at,
            h.comment
                .as_deref()
                .map(|c| format!(" — {c}"))
                .unwrap_or_default()
        );
    }
}

fn returns_text(returns: &[ReturnFlow]) {
    say!("Return flows:");
    for r in returns {
        say!(
            "  {} status {} {} written {} collected {}",
            r.increment,
            r.status,
            r.file,
            r.written_at.map_or("-".into(), |t| t.to_string()),
            r.collected_at.map_or("-".into(), |t| t.to_string())
        );
    }
}

fn archives_text(received: &[ReceivedArchive], reveal_password: bool) {
    say!("Archives received:");
    for a in received {
        say!(
            "  file {} {} ({}) at {}",
            a.file_number,
            a.name,
            a.outcome,
            a.received_at
        );
        for line in message_lines(&a.message, reveal_password) {
            say!("    {line}");
        }
    }
}

fn attachments_text(attachments: &[StoredAttachment]) {
    say!("Attachments:");
    for a in attachments {
        say!(
            "  {} {} {} ({} bytes){}",
            a.seq,
            a.code,
            a.file_name,
            a.size,
            a.path
                .as_deref()
                .map(|p| format!(" at {p}"))
                .unwrap_or(" in the database".into())
        );
    }
}

fn rows_text(business: &[Row]) {
    say!("Business rows:");
    for r in business {
        say!("  {}", r.table);
        let w = r.values.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in &r.values {
            let text = match value_json(v) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            say!("    {k:<w$} {text}");
        }
    }
}

/// What `dossier show` says of an inbound message: its id, who sent it to
/// whom, the acknowledgements it asked for, the citizen's e-mail and the
/// follow-up password (masked unless asked for).
fn message_lines(m: &InboundMessage, reveal_password: bool) -> Vec<String> {
    let party = msp_core::backend::Party::describe;
    let mut out = Vec::new();
    if let Some(id) = &m.message_id {
        out.push(format!("MessageId {id}"));
    }
    if let Some(n) = &m.numero_demarche {
        out.push(format!("NumeroDemarche {n}"));
    }
    if !m.sender.is_empty() {
        out.push(format!("from {}", party(&m.sender)));
    }
    if !m.recipient.is_empty() {
        out.push(format!("to {}", party(&m.recipient)));
    }
    if m.ack_required.is_some() || m.ack_types.is_some() {
        out.push(format!(
            "acknowledgement required {} ({})",
            m.ack_required.as_deref().unwrap_or("-"),
            m.ack_types.as_deref().unwrap_or("no type")
        ));
    }
    if let Some(t) = &m.security_datetime {
        out.push(format!("sent {t}"));
    }
    if let Some(e) = &m.email {
        out.push(format!("citizen's e-mail {e}"));
    }
    if let Some(p) = &m.password {
        out.push(if reveal_password {
            format!("follow-up password {}", p.reveal())
        } else {
            format!(
                "follow-up password {} (--password shows it)",
                msp_core::backend::MASKED
            )
        });
    }
    out
}
