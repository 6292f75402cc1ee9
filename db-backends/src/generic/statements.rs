//! The statement cache and the statements run through it: texts are static
//! per table and dialect, built once, so the diesel engines keep them
//! prepared (see [`crate::engine`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use msp_core::Result;
use msp_plugins::{ColumnType, Value};

use super::decode::RowReader;
use crate::engine::{Param, RowToInsert, Session};
use crate::schema::{self, Table};
use crate::sql::{self, Dialect};

pub(super) fn msp_table(name: &str) -> &'static Table {
    schema::msp_tables()
        .iter()
        .find(|t| t.name == name)
        .expect("an MSP table")
}

pub(super) fn col_type(t: &Table, col: &str) -> ColumnType {
    t.columns
        .iter()
        .find(|c| c.name == col)
        .map_or(ColumnType::Text(4000), |c| c.ty)
}

/// Statement texts, built once per dialect and shape: the hot path runs
/// the same few statements thousands of times, and the diesel engines key
/// their prepared statements by this text.
#[derive(Hash, PartialEq, Eq)]
pub(super) struct SqlKey {
    pub(super) dialect: &'static str,
    pub(super) kind: u8,
    pub(super) table: &'static str,
    pub(super) cols: Vec<&'static str>,
    pub(super) where_: &'static str,
    pub(super) order: &'static str,
    pub(super) rows: usize,
}

pub(super) fn cached_sql(key: SqlKey, build: impl FnOnce() -> String) -> Arc<str> {
    static CACHE: OnceLock<Mutex<HashMap<SqlKey, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(key).or_insert_with(|| Arc::from(build())).clone()
}

/// Inserts a row: `values` by column name, types from the table.
pub(super) fn insert(
    s: &mut dyn Session,
    d: &dyn Dialect,
    t: &Table,
    values: Vec<(&'static str, Value)>,
) -> Result<()> {
    let names: Vec<&'static str> = values.iter().map(|(c, _)| *c).collect();
    let params: Vec<Param> = values
        .into_iter()
        .map(|(c, v)| Param {
            ty: col_type(t, c),
            value: v,
        })
        .collect();
    if let Some(params) = s.defer_insert(RowToInsert {
        table: t.name,
        columns: &names,
        params,
    }) {
        let sql = insert_sql(d, t.name, names);
        s.execute(&sql, &params)?;
    }
    Ok(())
}

pub(super) fn insert_sql(
    d: &dyn Dialect,
    table: &'static str,
    cols: Vec<&'static str>,
) -> Arc<str> {
    let key = SqlKey {
        dialect: d.name(),
        kind: 0,
        table,
        cols,
        where_: "",
        order: "",
        rows: 1,
    };
    let build_cols = key.cols.clone();
    cached_sql(key, || sql::insert(d, table, &build_cols))
}

/// Runs a statement written with `{n}` markers and backquoted identifiers.
pub(super) fn exec(
    s: &mut dyn Session,
    d: &dyn Dialect,
    template: &'static str,
    params: &[Param],
) -> Result<usize> {
    let key = SqlKey {
        dialect: d.name(),
        kind: 1,
        table: "",
        cols: Vec::new(),
        where_: template,
        order: "",
        rows: 0,
    };
    let sql = cached_sql(key, || sql::markers(d, template));
    s.execute(&sql, params)
}

/// [`exec`] for a statement whose text is built at run time.
pub(super) fn exec_dynamic(
    s: &mut dyn Session,
    d: &dyn Dialect,
    template: &str,
    params: &[Param],
) -> Result<usize> {
    s.execute(&sql::markers(d, template), params)
}

/// Rows of `t` (columns `cols`) matching `where_`, ready to decode.
pub(super) fn select<'t>(
    s: &mut dyn Session,
    d: &dyn Dialect,
    t: &'t Table,
    cols: &'t [&'static str],
    where_: &'static str,
    order: &'static str,
    params: &[Param],
) -> Result<Vec<RowReader<'t>>> {
    let key = SqlKey {
        dialect: d.name(),
        kind: 2,
        table: t.name,
        cols: cols.to_vec(),
        where_,
        order,
        rows: 0,
    };
    let sql = cached_sql(key, || {
        sql::select(d, t, cols, where_, &sql::markers(d, order))
    });
    read_rows(s, t, cols, &sql, params)
}

/// [`select`] with a condition built at run time.
pub(super) fn select_dynamic<'t>(
    s: &mut dyn Session,
    d: &dyn Dialect,
    t: &'t Table,
    cols: &'t [&'static str],
    where_: &str,
    params: &[Param],
) -> Result<Vec<RowReader<'t>>> {
    let sql = sql::select(d, t, cols, where_, "");
    read_rows(s, t, cols, &sql, params)
}

pub(super) fn read_rows<'t>(
    s: &mut dyn Session,
    t: &'t Table,
    cols: &'t [&'static str],
    sql: &str,
    params: &[Param],
) -> Result<Vec<RowReader<'t>>> {
    let rows = s.query(sql, params)?;
    Ok(rows
        .into_iter()
        .map(|row| RowReader {
            table: t.name,
            cols,
            row,
        })
        .collect())
}
