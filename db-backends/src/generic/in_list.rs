//! `IN (...)` lists: rows of many dossiers at once, a bounded number of
//! names per statement, padded to a few statement shapes.

use msp_core::Result;

use super::decode::RowReader;
use super::statements::select_dynamic;
use crate::engine::{Param, Session};
use crate::schema::Table;
use crate::sql::Dialect;

/// The most names one `IN (...)` list holds (engines limit the parameters
/// of one statement).
pub(super) const IN_LIST_MAX: usize = 256;

/// Calls `f` with the rows of `table` (columns `cols`) whose `numero` is
/// one of `numeros`: one `IN` query per [`IN_LIST_MAX`] numbers (engines
/// limit the parameters of one statement), found by the table's key.
pub(super) fn each_of_dossiers<'t>(
    s: &mut dyn Session,
    d: &dyn Dialect,
    table: &'t Table,
    cols: &'t [&'static str],
    numeros: &[&str],
    mut f: impl FnMut(&RowReader<'t>) -> Result<()>,
) -> Result<()> {
    for chunk in numeros.chunks(IN_LIST_MAX) {
        let (list, params) = in_list(1, chunk);
        let where_ = format!("`numero` IN ({list})");
        for r in select_dynamic(s, d, table, cols, &where_, &params)? {
            f(&r)?;
        }
    }
    Ok(())
}

/// The markers of an `IN (...)` list of `names` (at most [`IN_LIST_MAX`],
/// never empty), numbered from `first`, and their parameters. The list's
/// length is rounded up to a power of two, its last name repeated: a handful
/// of statement texts the diesel engines keep prepared, instead of one new
/// text (parsed anew) per batch size.
pub(super) fn in_list(first: usize, names: &[&str]) -> (String, Vec<Param>) {
    let width = names.len().next_power_of_two();
    let markers: Vec<String> = (first..first + width).map(|i| format!("{{{i}}}")).collect();
    let mut params: Vec<Param> = names.iter().map(|n| Param::text(*n)).collect();
    let last = params.last().cloned().expect("an IN list is never empty");
    params.resize(width, last);
    (markers.join(", "), params)
}
