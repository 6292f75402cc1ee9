//! Reads of one dossier's rows: the dossier, its archives received, its
//! attachments, its history, its events, a plugin table's rows.

use msp_core::backend::{Dossier, Event, ReceivedArchive, StatusEntry, StoredAttachment};
use msp_core::Result;
use msp_plugins::{Row, TableDef};

use super::mapping::{
    attachment, dossier, received, status, ATTACHMENT_COLS, DOSSIER_COLS, RECEIVED_COLS,
    STATUS_COLS,
};
use super::statements::{msp_table, select, select_dynamic};
use crate::engine::{Param, Session};
use crate::schema;
use crate::sql::Dialect;

pub(super) fn by_numero(numero: &str) -> [Param; 1] {
    [Param::text(numero)]
}

pub(super) fn read_dossier(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
) -> Result<Option<Dossier>> {
    let rows = select(
        s,
        d,
        msp_table("msp_dossier"),
        &DOSSIER_COLS,
        "`numero` = {1}",
        "",
        &by_numero(numero),
    )?;
    rows.first().map(dossier).transpose()
}

pub(super) fn read_received(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
) -> Result<Vec<ReceivedArchive>> {
    select(
        s,
        d,
        msp_table("msp_archive_recue"),
        &RECEIVED_COLS,
        "`numero` = {1}",
        "`file_number`",
        &by_numero(numero),
    )?
    .iter()
    .map(received)
    .collect()
}

pub(super) fn read_attachments(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
) -> Result<Vec<StoredAttachment>> {
    select(
        s,
        d,
        msp_table("msp_piece_jointe"),
        &ATTACHMENT_COLS,
        "`numero` = {1}",
        "`seq`",
        &by_numero(numero),
    )?
    .iter()
    .map(attachment)
    .collect()
}

pub(super) fn next_seq(
    s: &mut dyn Session,
    d: &dyn Dialect,
    table: &str,
    numero: &str,
) -> Result<i64> {
    let rows = select(
        s,
        d,
        msp_table(table),
        &["numero", "seq"],
        "`numero` = {1}",
        "",
        &by_numero(numero),
    )?;
    let mut max = 0;
    for r in &rows {
        max = max.max(r.int(1)?);
    }
    Ok(max + 1)
}

/// Every dossier, by number.
pub(super) fn all_dossiers(s: &mut dyn Session, d: &dyn Dialect) -> Result<Vec<Dossier>> {
    select(
        s,
        d,
        msp_table("msp_dossier"),
        &DOSSIER_COLS,
        "",
        "`numero`",
        &[],
    )?
    .iter()
    .map(dossier)
    .collect::<Result<Vec<_>>>()
}

/// A dossier's status history, in order.
pub(super) fn history(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
) -> Result<Vec<StatusEntry>> {
    select(
        s,
        d,
        msp_table("msp_statut"),
        &STATUS_COLS,
        "`numero` = {1}",
        "`seq`",
        &by_numero(numero),
    )?
    .iter()
    .map(status)
    .collect()
}

/// An attachment's content stored in the database: inline, or its parts
/// in order (`None` on engines that cannot read blobs back).
pub(super) fn attachment_content(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    seq: u32,
) -> Result<Option<Vec<u8>>> {
    if d.blob_hex("x").is_none() {
        return Ok(None);
    }
    let key = [Param::text(numero), Param::int(i64::from(seq))];
    let rows = select(
        s,
        d,
        msp_table("msp_piece_jointe"),
        &["numero", "content"],
        "`numero` = {1} AND `seq` = {2}",
        "",
        &key,
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if let Some(bytes) = row.blob(1)? {
        return Ok(Some(bytes));
    }
    // A large attachment: its parts, in order.
    let parts = select(
        s,
        d,
        msp_table("msp_piece_morceau"),
        &["numero", "content"],
        "`numero` = {1} AND `seq` = {2}",
        "`part`",
        &key,
    )?;
    if parts.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for p in &parts {
        out.extend(p.blob(1)?.unwrap_or_default());
    }
    Ok(Some(out))
}

/// A dossier's journal, in order.
pub(super) fn events(s: &mut dyn Session, d: &dyn Dialect, numero: &str) -> Result<Vec<Event>> {
    select(
        s,
        d,
        msp_table("msp_evenement"),
        &["at", "text"],
        "`numero` = {1}",
        "`seq`",
        &by_numero(numero),
    )?
    .iter()
    .map(|r| {
        Ok(Event {
            at: r.ts(0)?,
            text: r.opt_text(1).unwrap_or_default(),
        })
    })
    .collect()
}

/// The statuses not transmitted yet (neither superseded nor cancelled):
/// (numero, seq).
pub(super) fn untransmitted_statuses(
    s: &mut dyn Session,
    d: &dyn Dialect,
) -> Result<Vec<(String, u32)>> {
    let f = d.bool_literal(false);
    select_dynamic(
        s,
        d,
        msp_table("msp_statut"),
        &["numero", "seq"],
        &format!("`indicator` = 0 AND `superseded` = {f} AND `cancelled` = {f}"),
        &[],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.int_as(1)?)))
    .collect()
}

/// The dossiers whose current status is not transmitted yet.
pub(super) fn untransmitted_dossiers(s: &mut dyn Session, d: &dyn Dialect) -> Result<Vec<String>> {
    select(
        s,
        d,
        msp_table("msp_dossier"),
        &["numero"],
        "`indicator` = 0",
        "",
        &[],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// A dossier's rows of a plugin's table.
pub(super) fn plugin_rows(
    s: &mut dyn Session,
    d: &dyn Dialect,
    table: &TableDef,
    numero: &str,
) -> Result<Vec<Row>> {
    let t = schema::plugin_table(table);
    let cols: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
    let mut out = Vec::new();
    for r in select(s, d, &t, &cols, "`numero` = {1}", "", &by_numero(numero))? {
        let mut row = Row::new(table.name);
        for (i, col) in table.columns.iter().enumerate() {
            row = row.set(col.name, r.value(i + 1, col.ty)?);
        }
        out.push(row);
    }
    Ok(out)
}
