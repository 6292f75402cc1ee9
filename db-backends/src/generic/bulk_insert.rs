//! Multi-row inserts: a session that holds rows back and writes them
//! grouped by table and columns, in statements cut by rows and bytes.

use msp_core::Result;

use super::statements::{cached_sql, SqlKey};
use crate::engine::{Param, RowSink, RowToInsert, Session, TextRow};
use crate::sql::{self, Dialect};

/// Rows waiting to be inserted, grouped by table and columns; flushed with
/// the dossiers' table first (the other tables' foreign keys), then in the
/// order of each group's first row.
#[derive(Default)]
pub(super) struct PendingRows {
    groups: Vec<RowGroup>,
}

/// Rows for one table with the same columns: (table, columns, rows).
pub(super) type RowGroup = (&'static str, Vec<&'static str>, Vec<Vec<Param>>);

/// A session that defers inserts and writes them as multi-row statements:
/// any other statement, and [`Deferring::flush`], writes what is pending
/// first, so every statement sees the rows inserted before it.
pub(super) struct Deferring<'s> {
    pub(super) inner: &'s mut dyn Session,
    pub(super) dialect: &'static dyn Dialect,
    pub(super) pending: PendingRows,
    /// Off while a savepoint is open: rows are then written at once, so a
    /// refusal is attributed to its archive.
    pub(super) on: bool,
}

impl Deferring<'_> {
    /// Writes the rows held back.
    pub(super) fn flush(&mut self) -> Result<()> {
        let mut groups = std::mem::take(&mut self.pending.groups);
        // The dossiers first: every other table's rows reference them.
        groups.sort_by_key(|(table, _, _)| *table != "msp_dossier");
        for (table, cols, rows) in groups {
            let per = self.dialect.max_insert_rows(cols.len());
            let sizes: Vec<usize> = rows.iter().map(|r| row_bytes(r)).collect();
            let mut rows = rows.into_iter();
            let mut at = 0;
            while at < sizes.len() {
                let n = chunk_rows(per, &sizes[at..]);
                at += n;
                let chunk: Vec<Vec<Param>> = rows.by_ref().take(n).collect();
                let key = SqlKey {
                    dialect: self.dialect.name(),
                    kind: 3,
                    table,
                    cols: cols.clone(),
                    where_: "",
                    order: "",
                    rows: chunk.len(),
                };
                let d = self.dialect;
                let n = chunk.len();
                let sql = cached_sql(key, || sql::insert_rows(d, table, &cols, n));
                let params: Vec<Param> = chunk.into_iter().flatten().collect();
                self.inner.execute(&sql, &params)?;
            }
        }
        Ok(())
    }
}

/// The bytes a statement may carry (MariaDB's default `max_allowed_packet`
/// is 16 MiB; attachments up to 1 MiB are inline, so 256 of them in one
/// statement would exceed it).
pub(super) const STATEMENT_BYTES: usize = 4 << 20;

/// About how many bytes a row sends.
pub(super) fn row_bytes(row: &[Param]) -> usize {
    row.iter()
        .map(|p| match &p.value {
            msp_plugins::Value::Text(s) => s.len() + 8,
            msp_plugins::Value::Blob(b) => b.len() + 8,
            _ => 16,
        })
        .sum()
}

/// How many of the rows waiting (their sizes) go into the next statement:
/// at most `per` (the engine's parameter limit) and [`STATEMENT_BYTES`] (one
/// row at least), and below `per` a power of two, so that a table's inserts
/// use a handful of statement shapes the connection's statement cache keeps
/// prepared, instead of one shape per row count.
pub(super) fn chunk_rows(per: usize, sizes: &[usize]) -> usize {
    let mut n = 0;
    let mut bytes = 0;
    for &size in sizes.iter().take(per) {
        if n > 0 && bytes + size > STATEMENT_BYTES {
            break;
        }
        bytes += size;
        n += 1;
    }
    match n {
        0 => 1,
        n if n == per => n,
        n => 1 << n.ilog2(),
    }
}

impl Session for Deferring<'_> {
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<usize> {
        self.flush()?;
        self.inner.execute(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<TextRow>> {
        self.flush()?;
        self.inner.query(sql, params)
    }
    fn query_each(&mut self, sql: &str, params: &[Param], f: RowSink<'_>) -> Result<()> {
        self.flush()?;
        self.inner.query_each(sql, params, f)
    }
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.flush()?;
        self.inner.batch(sql)
    }
    fn defer_insert(&mut self, row: RowToInsert<'_>) -> Option<Vec<Param>> {
        let RowToInsert {
            table,
            columns,
            params,
        } = row;
        if !self.on {
            return Some(params);
        }
        match self
            .pending
            .groups
            .iter_mut()
            .find(|(t, c, _)| *t == table && c.as_slice() == columns)
        {
            Some((_, _, rows)) => rows.push(params),
            None => self
                .pending
                .groups
                .push((table, columns.to_vec(), vec![params])),
        }
        None
    }
}
