//! Return flows: read with their dossier's flow, marked written and
//! collected many at a time, recorded with their status.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use msp_core::backend::ReturnFlow;
use msp_core::Result;
use msp_plugins::ColumnType;

use super::decode::RowReader;
use super::in_list::{each_of_dossiers, in_list, IN_LIST_MAX};
use super::mapping::{return_flow, RETURN_COLS};
use super::reads::read_dossier;
use super::statements::{cached_sql, exec, exec_dynamic, msp_table, select, SqlKey};
use super::writes::insert_return;
use super::SqlBackend;
use crate::engine::{Param, Session};
use crate::sql::{self, Dialect};

impl SqlBackend {
    /// Return flows matching `where_`, with their dossier's flow when
    /// `with_flow` (one indexed lookup per dossier concerned).
    pub(super) fn returns_where(
        &self,
        where_: &'static str,
        params: Vec<Param>,
        with_flow: bool,
    ) -> Result<Vec<ReturnFlow>> {
        self.run(false, |s, d| {
            let rows = select(
                s,
                d,
                msp_table("msp_retour"),
                &RETURN_COLS,
                where_,
                "`numero`, `increment`",
                &params,
            )?;
            let mut flows: HashMap<String, String> = Default::default();
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let numero = r.text(0)?;
                if !with_flow {
                    out.push(return_flow(r, String::new())?);
                    continue;
                }
                if !flows.contains_key(&numero) {
                    let flow = read_dossier(s, d, &numero)?
                        .map(|x| x.flow)
                        .unwrap_or_default();
                    flows.insert(numero.clone(), flow);
                }
                out.push(return_flow(r, flows[&numero].clone())?);
            }
            Ok(out)
        })
    }
}

/// Which of these dossiers' returns are not written yet: (numero,
/// increment).
pub(super) fn unwritten_of(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numeros: &[&str],
) -> Result<HashSet<(String, u32)>> {
    let mut out = HashSet::new();
    // By primary key only: with `written_at IS NULL` in the query,
    // SQLite (no ANALYZE statistics) prefers the index of every
    // unwritten return to the dossiers' keys. The few written
    // returns of these dossiers are dropped here.
    each_of_dossiers(
        s,
        d,
        msp_table("msp_retour"),
        &["numero", "increment", "written_at"],
        numeros,
        |r| {
            if r.raw(2).is_none() {
                out.insert((r.text(0)?, r.int_as(1)?));
            }
            Ok(())
        },
    )?;
    Ok(out)
}

/// Marks return flows written: the return, its status transmitted and,
/// when that status is the current one, the dossier's indicator.
pub(super) fn mark_written(
    s: &mut dyn Session,
    d: &dyn Dialect,
    returns: &[(String, u32)],
    at: NaiveDateTime,
) -> Result<()> {
    let at = Param::new(at, ColumnType::Timestamp);
    // The imports' status-14 returns (increment 1), many at a time.
    let firsts: Vec<&str> = returns
        .iter()
        .filter(|(_, i)| *i == 1)
        .map(|(n, _)| n.as_str())
        .collect();
    for chunk in firsts.chunks(IN_LIST_MAX) {
        let (list, names) = in_list(2, chunk);
        let mut params = vec![at.clone()];
        params.extend(names);
        exec_dynamic(
            s,
            d,
            &format!("UPDATE `msp_retour` SET `written_at` = {{1}} WHERE `increment` = 1 AND `numero` IN ({list})"),
            &params,
        )?;
        exec_dynamic(
            s,
            d,
            &format!("UPDATE `msp_statut` SET `indicator` = 2, `transmitted_at` = {{1}} WHERE `return_increment` = 1 AND `transmitted_at` IS NULL AND `numero` IN ({list})"),
            &params,
        )?;
    }
    for (numero, increment) in returns.iter().filter(|(_, i)| *i != 1) {
        let (n, inc) = (Param::text(numero), Param::int(i64::from(*increment)));
        exec(
            s,
            d,
            "UPDATE `msp_retour` SET `written_at` = {1} WHERE `numero` = {2} AND `increment` = {3}",
            &[at.clone(), n.clone(), inc.clone()],
        )?;
        exec(
            s,
            d,
            "UPDATE `msp_statut` SET `indicator` = 2, `transmitted_at` = {1} WHERE `numero` = {2} AND `return_increment` = {3} AND `transmitted_at` IS NULL",
            &[at.clone(), n.clone(), inc.clone()],
        )?;
        exec(
            s,
            d,
            "UPDATE `msp_dossier` SET `indicator` = 2 WHERE `numero` = {1} AND `indicator` = 0 AND `status_seq` IN (SELECT `seq` FROM `msp_statut` WHERE `numero` = {2} AND `return_increment` = {3})",
            &[n.clone(), n, inc],
        )?;
    }
    Ok(())
}

/// Records a return flow and links it to the status it answers.
pub(super) fn record(
    s: &mut dyn Session,
    d: &dyn Dialect,
    ret: &ReturnFlow,
    status_seq: u32,
) -> Result<()> {
    insert_return(s, d, ret)?;
    exec(
        s,
        d,
        "UPDATE `msp_statut` SET `return_increment` = {1} WHERE `numero` = {2} AND `seq` = {3}",
        &[
            Param::int(i64::from(ret.increment)),
            Param::text(&ret.numero),
            Param::int(i64::from(status_seq)),
        ],
    )?;
    Ok(())
}

/// The returns by increment, for [`mark_collected`].
pub(super) fn by_increment(returns: &[(String, u32)]) -> BTreeMap<u32, Vec<&str>> {
    let mut by_increment: BTreeMap<u32, Vec<&str>> = Default::default();
    for (numero, increment) in returns {
        by_increment.entry(*increment).or_default().push(numero);
    }
    by_increment
}

/// Marks returns collected, grouped by increment ([`by_increment`]), a few
/// hundred dossiers per statement.
pub(super) fn mark_collected(
    s: &mut dyn Session,
    d: &dyn Dialect,
    by_increment: &BTreeMap<u32, Vec<&str>>,
    at: NaiveDateTime,
) -> Result<()> {
    let at = Param::new(at, ColumnType::Timestamp);
    for (increment, numeros) in by_increment {
        for chunk in numeros.chunks(400) {
            let list: Vec<String> = (3..chunk.len() + 3).map(|i| format!("{{{i}}}")).collect();
            let mut params = vec![at.clone(), Param::int(i64::from(*increment))];
            params.extend(chunk.iter().map(|n| Param::text(*n)));
            exec_dynamic(
                s,
                d,
                &format!(
                    "UPDATE `msp_retour` SET `collected_at` = {{1}} WHERE `increment` = {{2}} AND `collected_at` IS NULL AND `numero` IN ({})",
                    list.join(", ")
                ),
                &params,
            )?;
        }
    }
    Ok(())
}

/// Hands each return written but not collected to `f`, as it is read.
pub(super) fn each_uncollected(
    s: &mut dyn Session,
    d: &dyn Dialect,
    f: &mut dyn FnMut(ReturnFlow) -> Result<()>,
) -> Result<()> {
    const WHERE: &str = "`collected_at` IS NULL AND `written_at` IS NOT NULL";
    let table = msp_table("msp_retour");
    let key = SqlKey {
        dialect: d.name(),
        kind: 2,
        table: table.name,
        cols: RETURN_COLS.to_vec(),
        where_: WHERE,
        order: "",
        rows: 0,
    };
    let sql = cached_sql(key, || sql::select(d, table, &RETURN_COLS, WHERE, ""));
    s.query_each(&sql, &[], &mut |row| {
        let r = RowReader {
            table: table.name,
            cols: &RETURN_COLS,
            row,
        };
        f(return_flow(&r, String::new())?)
    })
}
