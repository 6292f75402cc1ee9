//! The writes of one archive's import, in order: the dossier (inserted, or
//! updated and its plugin rows cleared for a complement), the initial
//! status and return, the plugin's rows, the attachments (large ones in
//! parts), the archive received and the journal's event.

use msp_core::backend::{
    Dossier, ImportKind, ImportWrite, NewAttachment, ReceivedArchive, StoredAttachment,
};
use msp_core::config::AttachmentMode;
use msp_core::{Error, Result};
use msp_plugins::{ColumnType, Row, TableDef, Value};

use super::mapping::message_values;
use super::reads::{by_numero, next_seq};
use super::statements::{col_type, exec, exec_dynamic, insert, insert_sql, msp_table};
use super::writes::{add_event, insert_return, insert_status, truncate};
use crate::engine::{Param, RowToInsert, Session};
use crate::schema;
use crate::sql::Dialect;

/// Writes one archive's import (inside the caller's transaction).
pub(super) fn write_import(
    s: &mut dyn Session,
    d: &dyn Dialect,
    w: &ImportWrite<'_>,
) -> Result<()> {
    let numero = w.dossier.numero.as_str();
    let new = w.kind == ImportKind::New;
    match w.kind {
        ImportKind::New => insert_dossier(s, d, w.dossier)?,
        ImportKind::Complement => update_dossier(s, d, w.dossier, w.tables)?,
    }
    if let Some(st) = w.initial_status {
        insert_status(s, d, numero, st)?;
    }
    if let Some(r) = w.initial_return {
        insert_return(s, d, r)?;
    }
    for row in w.rows {
        insert_plugin_row(s, d, numero, w.tables, row)?;
    }
    if !w.attachments.is_empty() {
        let first = if new {
            1
        } else {
            next_seq(s, d, "msp_piece_jointe", numero)?
        };
        for (seq, a) in (first..).zip(w.attachments) {
            insert_attachment(s, d, numero, seq, a, w.received)?;
        }
    }
    insert_received(s, d, numero, w.received)?;
    add_event(
        s,
        d,
        numero,
        new.then_some(1),
        w.received.received_at,
        &w.event,
    )
}

/// A new dossier's row.
fn insert_dossier(s: &mut dyn Session, d: &dyn Dialect, dos: &Dossier) -> Result<()> {
    insert(
        s,
        d,
        msp_table("msp_dossier"),
        vec![
            ("numero", dos.numero.as_str().into()),
            ("flow", dos.flow.clone().into()),
            ("insee", dos.insee.clone().into()),
            ("file_number", i64::from(dos.file_number).into()),
            ("status", i64::from(dos.status).into()),
            ("indicator", i64::from(dos.indicator).into()),
            ("summary", truncate(&dos.summary, 255).into()),
            ("status_seq", i64::from(dos.status_seq).into()),
            ("created_at", dos.created_at.into()),
            ("updated_at", dos.updated_at.into()),
        ],
    )
}

/// A complement: the dossier's file number, summary and time updated, and
/// the plugin's rows of the previous file deleted.
fn update_dossier(
    s: &mut dyn Session,
    d: &dyn Dialect,
    dos: &Dossier,
    tables: &[TableDef],
) -> Result<()> {
    let numero = dos.numero.as_str();
    exec(
        s,
        d,
        "UPDATE `msp_dossier` SET `file_number` = {1}, `summary` = {2}, `updated_at` = {3} WHERE `numero` = {4}",
        &[
            Param::int(i64::from(dos.file_number)),
            Param::text(truncate(&dos.summary, 255)),
            Param::new(dos.updated_at, ColumnType::Timestamp),
            Param::text(numero),
        ],
    )?;
    for t in tables {
        exec_dynamic(
            s,
            d,
            &format!("DELETE FROM `{}` WHERE `numero` = {{1}}", t.name),
            &by_numero(numero),
        )?;
    }
    Ok(())
}

/// One row of a plugin's table, its values typed by the table's columns.
fn insert_plugin_row(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    tables: &[TableDef],
    row: &Row,
) -> Result<()> {
    let def = tables
        .iter()
        .find(|t| t.name == row.table)
        .ok_or_else(|| Error::trouble(format!("row for unknown table {}", row.table)))?;
    let names: Vec<&str> = std::iter::once("numero")
        .chain(row.values.iter().map(|(k, _)| *k))
        .collect();
    let mut params = Vec::with_capacity(names.len());
    params.push(Param::text(numero));
    for (k, v) in &row.values {
        let ty = def
            .columns
            .iter()
            .find(|c| c.name == *k)
            .map_or(ColumnType::Text(4000), |c| c.ty);
        params.push(Param {
            value: v.clone(),
            ty,
        });
    }
    if let Some(params) = s.defer_insert(RowToInsert {
        table: def.name,
        columns: &names,
        params,
    }) {
        s.execute(&insert_sql(d, def.name, names), &params)?;
    }
    Ok(())
}

/// One attachment's row: its content inline, in parts (a large one in the
/// database) or none (stored in a folder).
fn insert_attachment(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    seq: i64,
    a: &NewAttachment,
    received: &ReceivedArchive,
) -> Result<()> {
    let in_parts = a.mode == AttachmentMode::Database && a.meta.size > schema::PART_BYTES as u64;
    let content = match a.mode {
        AttachmentMode::Database if in_parts => Value::Null,
        AttachmentMode::Database => Value::Blob(
            a.content
                .bytes()
                .map_err(|e| {
                    Error::trouble(format!("cannot read attachment {}: {e}", a.meta.file_name))
                })?
                .into_owned(),
        ),
        AttachmentMode::Directory => Value::Null,
    };
    let mut values = attachment_values(numero, seq, &a.meta);
    values.push(("content", content));
    values.push(("created_at", received.received_at.into()));
    insert(s, d, msp_table("msp_piece_jointe"), values)?;
    if in_parts {
        write_parts(s, d, numero, seq, a)?;
    }
    Ok(())
}

/// An attachment's columns before its content.
fn attachment_values(numero: &str, seq: i64, m: &StoredAttachment) -> Vec<(&'static str, Value)> {
    vec![
        ("numero", numero.into()),
        ("seq", seq.into()),
        ("file_number", i64::from(m.file_number).into()),
        ("code", truncate(&m.code, 32).into()),
        ("label", truncate(&m.label, 255).into()),
        ("file_name", truncate(&m.file_name, 255).into()),
        ("size_bytes", (m.size as i64).into()),
        ("sha256", m.sha256.clone().into()),
        ("path", m.path.clone().into()),
    ]
}

/// The archive received, with its recorded message.
fn insert_received(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    r: &ReceivedArchive,
) -> Result<()> {
    let mut values = vec![
        ("numero", numero.into()),
        ("file_number", i64::from(r.file_number).into()),
        ("name", r.name.clone().into()),
        ("sha256", r.sha256.clone().into()),
        ("outcome", r.outcome.clone().into()),
        ("received_at", r.received_at.into()),
    ];
    values.extend(message_values(&r.message));
    insert(s, d, msp_table("msp_archive_recue"), values)
}

/// Writes a large attachment in parts of [`schema::PART_BYTES`], read from
/// its scratch file one part at a time (never whole in memory), each part
/// its own statement (never grouped: a statement stays far below the
/// engines' packet limits).
fn write_parts(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    seq: i64,
    a: &NewAttachment,
) -> Result<()> {
    use std::io::Read;
    // (A statement executed now first writes the rows held back: the
    // dossier the parts reference is there.)
    let unreadable = |e: std::io::Error| {
        Error::trouble(format!("cannot read attachment {}: {e}", a.meta.file_name))
    };
    let mut reader = a.content.reader().map_err(unreadable)?;
    let t = msp_table("msp_piece_morceau");
    let sql = insert_sql(d, t.name, vec!["numero", "seq", "part", "content"]);
    for part in 1i64.. {
        let mut buf = Vec::with_capacity(schema::PART_BYTES);
        (&mut reader)
            .take(schema::PART_BYTES as u64)
            .read_to_end(&mut buf)
            .map_err(unreadable)?;
        if buf.is_empty() {
            break;
        }
        let params = [
            Param::text(numero),
            Param::int(seq),
            Param::int(part),
            Param::new(Value::Blob(buf), col_type(t, "content")),
        ];
        s.execute(&sql, &params)?;
    }
    Ok(())
}
