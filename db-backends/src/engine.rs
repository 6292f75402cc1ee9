//! What an engine module provides to the generic backend: sessions that
//! execute SQL with typed parameters and return rows as text, inside a
//! transaction when asked.

use msp_core::Result;
use msp_plugins::{ColumnType, Value};

use crate::sql::Dialect;

mod diesel_errors;

pub use diesel_errors::{map_diesel, map_pool};

/// A parameter: its value and the column type it goes into (so NULLs are
/// typed, which PostgreSQL and ODBC drivers need).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The value.
    pub value: Value,
    /// The column type.
    pub ty: ColumnType,
}

impl Param {
    /// A parameter of type `ty`.
    pub fn new(value: impl Into<Value>, ty: ColumnType) -> Self {
        Param {
            value: value.into(),
            ty,
        }
    }
    /// A text parameter.
    pub fn text(s: impl Into<String>) -> Self {
        Param::new(s.into(), ColumnType::Text(4000))
    }
    /// An integer parameter.
    pub fn int(i: i64) -> Self {
        Param::new(i, ColumnType::Integer)
    }
}

/// One row read back, every column as text (NULL is `None`).
pub type TextRow = Vec<Option<String>>;

/// A row offered to [`Session::defer_insert`].
pub struct RowToInsert<'a> {
    /// Its table.
    pub table: &'static str,
    /// The columns it sets.
    pub columns: &'a [&'static str],
    /// Their values, in the same order.
    pub params: Vec<Param>,
}

/// What takes each row of [`Session::query_each`] as it is read.
pub type RowSink<'a> = &'a mut dyn FnMut(TextRow) -> Result<()>;

/// A connection in use.
pub trait Session {
    /// Executes a statement; returns the number of rows affected.
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<usize>;
    /// Runs a query whose columns are all cast to text.
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<TextRow>>;
    /// Runs a query and hands each row to `f` as it is read (a long result
    /// is never held whole in memory).
    fn query_each(&mut self, sql: &str, params: &[Param], f: RowSink<'_>) -> Result<()> {
        for row in self.query(sql, params)? {
            f(row)?;
        }
        Ok(())
    }
    /// Runs a statement without parameters and without preparing it
    /// (transaction control such as savepoints).
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.execute(sql, &[]).map(|_| ())
    }
    /// Offers a row to insert for later, grouped with others into
    /// multi-row statements; returns the parameters back when the row must
    /// be inserted now (the default).
    fn defer_insert(&mut self, row: RowToInsert<'_>) -> Option<Vec<Param>> {
        Some(row.params)
    }
}

/// An engine: a connection pool and its dialect.
pub trait Engine: Send + Sync {
    /// The SQL dialect.
    fn dialect(&self) -> &'static dyn Dialect;
    /// The database, password hidden, for messages.
    fn label(&self) -> &str;
    /// Runs `f` on a session, in one transaction when `tx` (committed when
    /// `f` succeeds, rolled back otherwise).
    fn with_session(
        &self,
        tx: bool,
        f: &mut dyn FnMut(&mut dyn Session) -> Result<()>,
    ) -> Result<()>;
}

/// Splits SQL text at its parameter markers (`?` or `$n`): the text before
/// each marker and the 0-based index of the parameter it stands for.
/// Markers inside quoted literals are never produced by msp's statements.
pub fn split_markers(sql: &str) -> (Vec<(&str, usize)>, &str) {
    let bytes = sql.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut i, mut next) = (0, 0, 0);
    while i < bytes.len() {
        match bytes[i..].iter().position(|b| *b == b'?' || *b == b'$') {
            Some(n) => i += n,
            None => break,
        }
        match bytes[i] {
            b'?' => {
                parts.push((&sql[start..i], next));
                next += 1;
                i += 1;
                start = i;
            }
            b'$' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                let n: usize = sql[i + 1..j].parse().unwrap_or(1);
                parts.push((&sql[start..i], n.saturating_sub(1)));
                i = j;
                start = i;
            }
            _ => i += 1,
        }
    }
    (parts, &sql[start..])
}

/// How a diesel backend is sent dates and timestamps. SQLite stores them as
/// text, and diesel formats each one with chrono's `strftime` machinery
/// (about 3,000 instructions a value, eight values an archive): for SQLite
/// each value is formatted without `strftime` by [`sqlite_timestamp`] or
/// [`sqlite_date`], to the same text, and bound as that text.
#[doc(hidden)]
pub trait DieselTemporal {
    /// True when dates and timestamps are bound as preformatted text.
    const AS_TEXT: bool;
}

impl DieselTemporal for diesel::sqlite::Sqlite {
    const AS_TEXT: bool = true;
}

impl DieselTemporal for diesel::pg::Pg {
    const AS_TEXT: bool = false;
}

#[cfg(feature = "mysql")]
impl DieselTemporal for diesel::mysql::Mysql {
    const AS_TEXT: bool = false;
}

/// A timestamp as diesel's SQLite backend writes it (`%F %T%.f`: no
/// fraction when it is zero, else 3, 6 or 9 digits), without `strftime`.
pub fn sqlite_timestamp(t: &chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
        // Signed or five-digit years, leap seconds: chrono's own rules.
        return t.format("%F %T%.f").to_string();
    }
    let mut out = String::with_capacity(29);
    push_date(&mut out, t.date());
    out.push(' ');
    push_digits(&mut out, t.hour(), 2);
    out.push(':');
    push_digits(&mut out, t.minute(), 2);
    out.push(':');
    push_digits(&mut out, t.second(), 2);
    if nanos != 0 {
        out.push('.');
        if nanos.is_multiple_of(1_000_000) {
            push_digits(&mut out, nanos / 1_000_000, 3);
        } else if nanos.is_multiple_of(1_000) {
            push_digits(&mut out, nanos / 1_000, 6);
        } else {
            push_digits(&mut out, nanos, 9);
        }
    }
    out
}

/// A date as diesel's SQLite backend writes it (`%F`), without `strftime`.
pub fn sqlite_date(d: &chrono::NaiveDate) -> String {
    use chrono::Datelike;
    if !(0..=9999).contains(&d.year()) {
        return d.format("%F").to_string();
    }
    let mut out = String::with_capacity(10);
    push_date(&mut out, *d);
    out
}

fn push_date(out: &mut String, d: chrono::NaiveDate) {
    use chrono::Datelike;
    push_digits(out, d.year() as u32, 4);
    out.push('-');
    push_digits(out, d.month(), 2);
    out.push('-');
    push_digits(out, d.day(), 2);
}

/// `v` in decimal, zero-padded to `width` digits (`v` has at most `width`).
fn push_digits(out: &mut String, v: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (v / 10u32.pow(i) % 10) as u8));
    }
}

/// A statement for a diesel connection whose text is known only at run
/// time but is the same for every call of one kind (static SQL per table
/// and dialect): unlike `sql_query`, diesel keeps it in the connection's
/// prepared-statement cache, keyed by its text and bind types.
#[macro_export]
#[doc(hidden)]
macro_rules! diesel_cached_query {
    ($backend:ty) => {
        struct CachedQuery<'a> {
            /// The text between markers and the parameter each marker
            /// stands for (split once: diesel walks a query several times).
            parts: Vec<(&'a str, usize)>,
            tail: &'a str,
            params: &'a [$crate::engine::Param],
            /// The dates and timestamps as text, by parameter index, when
            /// the backend takes them so ([`$crate::engine::DieselTemporal`]).
            temporal: Vec<(usize, String)>,
        }

        impl<'a> CachedQuery<'a> {
            fn new(sql: &'a str, params: &'a [$crate::engine::Param]) -> Self {
                use msp_plugins::Value as V;
                let (parts, tail) = $crate::engine::split_markers(sql);
                let mut temporal = Vec::new();
                if <$backend as $crate::engine::DieselTemporal>::AS_TEXT {
                    for (i, p) in params.iter().enumerate() {
                        match &p.value {
                            V::Timestamp(t) => {
                                temporal.push((i, $crate::engine::sqlite_timestamp(t)))
                            }
                            V::Date(d) => temporal.push((i, $crate::engine::sqlite_date(d))),
                            _ => {}
                        }
                    }
                }
                CachedQuery {
                    parts,
                    tail,
                    params,
                    temporal,
                }
            }

            /// The preformatted text of parameter `index`, if any.
            fn temporal_text(&self, index: usize) -> Option<&String> {
                self.temporal
                    .binary_search_by_key(&index, |(i, _)| *i)
                    .ok()
                    .map(|at| &self.temporal[at].1)
            }
        }

        impl diesel::query_builder::QueryId for CachedQuery<'_> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl diesel::query_builder::Query for CachedQuery<'_> {
            type SqlType = diesel::sql_types::Untyped;
        }

        impl<C> diesel::RunQueryDsl<C> for CachedQuery<'_> {}

        impl diesel::query_builder::QueryFragment<$backend> for CachedQuery<'_> {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, $backend>,
            ) -> diesel::QueryResult<()> {
                use diesel::sql_types as st;
                use msp_plugins::{ColumnType as CT, Value as V};
                static NO_TEXT: Option<String> = None;
                static NO_INT: Option<i64> = None;
                static NO_BOOL: Option<bool> = None;
                static NO_DATE: Option<chrono::NaiveDate> = None;
                static NO_TS: Option<chrono::NaiveDateTime> = None;
                static NO_BLOB: Option<Vec<u8>> = None;
                for (text, index) in &self.parts {
                    let index = *index;
                    out.push_sql(text);
                    let p = self.params.get(index).ok_or_else(|| {
                        diesel::result::Error::QueryBuilderError(
                            format!("parameter {} missing", index + 1).into(),
                        )
                    })?;
                    if let Some(stamp) = self.temporal_text(index) {
                        out.push_bind_param::<st::Text, _>(stamp)?;
                        continue;
                    }
                    match (&p.value, p.ty) {
                        (V::Null, CT::Text(_)) => {
                            out.push_bind_param::<st::Nullable<st::Text>, _>(&NO_TEXT)?
                        }
                        (V::Null, CT::Integer) => {
                            out.push_bind_param::<st::Nullable<st::BigInt>, _>(&NO_INT)?
                        }
                        (V::Null, CT::Boolean) => {
                            out.push_bind_param::<st::Nullable<st::Bool>, _>(&NO_BOOL)?
                        }
                        (V::Null, CT::Date) => {
                            out.push_bind_param::<st::Nullable<st::Date>, _>(&NO_DATE)?
                        }
                        (V::Null, CT::Timestamp) => {
                            out.push_bind_param::<st::Nullable<st::Timestamp>, _>(&NO_TS)?
                        }
                        (V::Null, CT::Blob) => {
                            out.push_bind_param::<st::Nullable<st::Binary>, _>(&NO_BLOB)?
                        }
                        (V::Text(s), _) => out.push_bind_param::<st::Text, _>(s)?,
                        (V::Integer(i), _) => out.push_bind_param::<st::BigInt, _>(i)?,
                        (V::Boolean(b), _) => out.push_bind_param::<st::Bool, _>(b)?,
                        (V::Date(d), _) => out.push_bind_param::<st::Date, _>(d)?,
                        (V::Timestamp(t), _) => out.push_bind_param::<st::Timestamp, _>(t)?,
                        (V::Blob(b), _) => out.push_bind_param::<st::Binary, _>(b)?,
                    }
                }
                out.push_sql(self.tail);
                Ok(())
            }
        }
    };
}

/// A row of any diesel backend read as text, column by column.
pub struct DieselTextRow(pub TextRow);

impl<DB> diesel::QueryableByName<DB> for DieselTextRow
where
    DB: diesel::backend::Backend,
    Option<String>:
        diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
{
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        use diesel::row::{Field, Row};
        let n = row.field_count();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let field = Row::get(row, i).ok_or("missing column")?;
            let v = <Option<String> as diesel::deserialize::FromSql<
                diesel::sql_types::Nullable<diesel::sql_types::Text>,
                DB,
            >>::from_nullable_sql(field.value())?;
            out.push(v);
        }
        Ok(DieselTextRow(out))
    }
}

/// Implements [`Engine`] for a diesel connection type behind an r2d2 pool.
#[macro_export]
#[doc(hidden)]
macro_rules! diesel_engine {
    ($engine:ident, $conn:ty, $backend:ty, $dialect:expr, $map:path, $map_pool:path, $tx:ident) => {
        /// The engine: a pool of connections.
        pub struct $engine {
            pool: diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<$conn>>,
            label: String,
        }

        struct DieselSession<'c> {
            conn: &'c mut $conn,
            label: &'c str,
        }

        $crate::diesel_cached_query!($backend);

        impl $crate::engine::Session for DieselSession<'_> {
            fn execute(
                &mut self,
                sql: &str,
                params: &[$crate::engine::Param],
            ) -> msp_core::Result<usize> {
                use diesel::RunQueryDsl;
                CachedQuery::new(sql, params)
                    .execute(self.conn)
                    .map_err(|e| $map(self.label, e))
            }
            fn query(
                &mut self,
                sql: &str,
                params: &[$crate::engine::Param],
            ) -> msp_core::Result<Vec<$crate::engine::TextRow>> {
                use diesel::RunQueryDsl;
                let rows: Vec<$crate::engine::DieselTextRow> = CachedQuery::new(sql, params)
                    .load(self.conn)
                    .map_err(|e| $map(self.label, e))?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }
            fn query_each(
                &mut self,
                sql: &str,
                params: &[$crate::engine::Param],
                f: $crate::engine::RowSink<'_>,
            ) -> msp_core::Result<()> {
                use diesel::RunQueryDsl;
                let label = self.label;
                let rows = CachedQuery::new(sql, params)
                    .load_iter::<$crate::engine::DieselTextRow, diesel::connection::DefaultLoadingMode>(
                        self.conn,
                    )
                    .map_err(|e| $map(label, e))?;
                for row in rows {
                    f(row.map_err(|e| $map(label, e))?.0)?;
                }
                Ok(())
            }
            fn batch(&mut self, sql: &str) -> msp_core::Result<()> {
                use diesel::connection::SimpleConnection;
                self.conn
                    .batch_execute(sql)
                    .map_err(|e| $map(self.label, e))
            }
        }

        enum TxError {
            Diesel(diesel::result::Error),
            Msp(msp_core::Error),
        }

        impl From<diesel::result::Error> for TxError {
            fn from(e: diesel::result::Error) -> Self {
                TxError::Diesel(e)
            }
        }

        impl $crate::engine::Engine for $engine {
            fn dialect(&self) -> &'static dyn $crate::sql::Dialect {
                &$dialect
            }
            fn label(&self) -> &str {
                &self.label
            }
            fn with_session(
                &self,
                tx: bool,
                f: &mut dyn FnMut(&mut dyn $crate::engine::Session) -> msp_core::Result<()>,
            ) -> msp_core::Result<()> {
                #[allow(unused_imports)]
                use diesel::Connection as _;
                let mut conn = self.pool.get().map_err(|e| $map_pool(&self.label, e))?;
                let label = self.label.as_str();
                if !tx {
                    return f(&mut DieselSession {
                        conn: &mut conn,
                        label,
                    });
                }
                let result = conn.$tx(|c| -> std::result::Result<(), TxError> {
                    f(&mut DieselSession { conn: c, label }).map_err(TxError::Msp)
                });
                match result {
                    Ok(()) => Ok(()),
                    Err(TxError::Msp(e)) => Err(e),
                    Err(TxError::Diesel(e)) => Err($map(label, e)),
                }
            }
        }
    };
}

/// Opens the pool of a server engine (PostgreSQL, MySQL): at most 4
/// connections, none kept idle, `connect_timeout_ms` (at least a second) to
/// get one. The first connection is made now, so that a wrong URL or
/// password is reported at once in the server's own words (a pool would
/// only say it timed out).
pub fn open_pool<C>(
    url: &str,
    connect_timeout_ms: u64,
    label: &str,
) -> msp_core::Result<diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<C>>>
where
    C: diesel::r2d2::R2D2Connection + 'static,
{
    use diesel::r2d2::{ConnectionManager, Pool};
    let pool = Pool::builder()
        .max_size(4)
        .min_idle(Some(0))
        .connection_timeout(std::time::Duration::from_millis(
            connect_timeout_ms.max(1000),
        ))
        .build_unchecked(ConnectionManager::<C>::new(url));
    C::establish(url).map_err(|e| map_pool(label, e))?;
    Ok(pool)
}

#[cfg(test)]
mod tests;
