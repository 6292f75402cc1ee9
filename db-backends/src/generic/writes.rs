//! Rows msp adds to a dossier outside the import's own: an event, a
//! return flow, a status entry, and the status updates.

use chrono::NaiveDateTime;
use msp_core::backend::{ReturnFlow, StatusEntry, StatusUpdate};
use msp_core::Result;
use msp_plugins::ColumnType;

use super::reads::next_seq;
use super::statements::{exec, exec_dynamic, insert, msp_table};
use crate::engine::{Param, Session};
use crate::sql::Dialect;

pub(super) fn add_event(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    seq: Option<i64>,
    at: NaiveDateTime,
    text: &str,
) -> Result<()> {
    let seq = match seq {
        Some(seq) => seq,
        None => next_seq(s, d, "msp_evenement", numero)?,
    };
    insert(
        s,
        d,
        msp_table("msp_evenement"),
        vec![
            ("numero", numero.into()),
            ("seq", seq.into()),
            ("at", at.into()),
            ("text", truncate(text, 2000).into()),
        ],
    )
}

pub(super) fn insert_return(s: &mut dyn Session, d: &dyn Dialect, r: &ReturnFlow) -> Result<()> {
    insert(
        s,
        d,
        msp_table("msp_retour"),
        vec![
            ("numero", r.numero.clone().into()),
            ("increment", i64::from(r.increment).into()),
            ("status", i64::from(r.status).into()),
            ("comment", truncate(&r.comment, 2000).into()),
            ("file_name", r.file.clone().into()),
            ("attachment_name", r.attachment.clone().into()),
            ("created_at", r.created_at.into()),
        ],
    )
}

pub(super) fn insert_status(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    e: &StatusEntry,
) -> Result<()> {
    insert(
        s,
        d,
        msp_table("msp_statut"),
        vec![
            ("numero", numero.into()),
            ("seq", i64::from(e.seq).into()),
            ("status", i64::from(e.status).into()),
            ("indicator", i64::from(e.indicator).into()),
            (
                "comment",
                e.comment.clone().map(|c| truncate(&c, 2000)).into(),
            ),
            ("automatic", e.automatic.into()),
            ("superseded", e.superseded.into()),
            ("created_at", e.at.into()),
            ("transmitted_at", e.transmitted_at.into()),
            ("cancelled", e.cancelled.into()),
            ("return_increment", e.return_increment.map(i64::from).into()),
        ],
    )
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    s.chars().take(max).collect()
}

/// A dossier's statuses superseded, cancelled or restored, one appended,
/// the current one set on the dossier, and the event journaled.
pub(super) fn update_statuses(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    u: &StatusUpdate,
) -> Result<()> {
    let n = Param::text(numero);
    let t = d.bool_literal(true);
    let f = d.bool_literal(false);
    for seq in &u.supersede {
        exec_dynamic(s, d, &format!("UPDATE `msp_statut` SET `superseded` = {t} WHERE `numero` = {{1}} AND `seq` = {{2}}"), &[n.clone(), Param::int(i64::from(*seq))])?;
    }
    for seq in &u.cancel {
        exec_dynamic(
            s,
            d,
            &format!("UPDATE `msp_statut` SET `superseded` = {t}, `cancelled` = {t} WHERE `numero` = {{1}} AND `seq` = {{2}}"),
            &[n.clone(), Param::int(i64::from(*seq))],
        )?;
    }
    for seq in &u.restore {
        exec_dynamic(s, d, &format!("UPDATE `msp_statut` SET `superseded` = {f} WHERE `numero` = {{1}} AND `seq` = {{2}}"), &[n.clone(), Param::int(i64::from(*seq))])?;
    }
    if let Some(e) = &u.append {
        insert_status(s, d, numero, e)?;
    }
    let (seq, status, indicator) = u.current;
    exec(
        s,
        d,
        "UPDATE `msp_dossier` SET `status_seq` = {1}, `status` = {2}, `indicator` = {3}, `updated_at` = {4} WHERE `numero` = {5}",
        &[
            Param::int(i64::from(seq)),
            Param::int(i64::from(status)),
            Param::int(i64::from(indicator)),
            Param::new(u.at, ColumnType::Timestamp),
            n.clone(),
        ],
    )?;
    add_event(s, d, numero, None, u.at, &u.event)
}
