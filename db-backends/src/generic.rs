//! The one implementation of [`Backend`] over any [`Engine`]: every engine
//! runs the same statements, written once here in the engine's dialect.
//!
//! * Statement texts are static per table and dialect, so the diesel
//!   engines keep them prepared (see [`crate::engine`]).
//! * Rows come back as text and are decoded by the columns' declared types
//!   with [`RowReader`]: a value that does not decode is an error naming
//!   the table, the column and the value, never a silent 0 or 1970.
//! * Imports run in batches ([`Backend::batch`]): one transaction, a
//!   savepoint around each archive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{NaiveDate, NaiveDateTime};
use msp_core::backend::{
    Backend, Dossier, Event, ImportKind, ImportWrite, InboundMessage, Party, PluginSchema,
    ReceivedArchive, ReturnFlow, Secret, StatusEntry, StatusUpdate, StoredAttachment, Tx,
};
use msp_core::config::AttachmentMode;
use msp_core::{Error, Result};
use msp_plugins::{ColumnType, Row, TableDef, Value};

use crate::engine::{Engine, Param, Session, TextRow};
use crate::schema::{self, Table, MSP_COMPONENT, MSP_VERSION};
use crate::sql::{self, Dialect};

/// A database reached through an [`Engine`].
pub struct SqlBackend {
    engine: Box<dyn Engine>,
}

impl SqlBackend {
    /// Wraps an engine.
    pub fn shared(engine: Box<dyn Engine>) -> Arc<dyn Backend> {
        Arc::new(SqlBackend { engine })
    }

    fn d(&self) -> &'static dyn Dialect {
        self.engine.dialect()
    }

    /// Runs `f` and returns its value (in a transaction when `tx`).
    fn run<T>(
        &self,
        tx: bool,
        mut f: impl FnMut(&mut dyn Session, &'static dyn Dialect) -> Result<T>,
    ) -> Result<T> {
        let d = self.d();
        let mut out = None;
        self.engine.with_session(tx, &mut |s| {
            out = Some(f(s, d)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::trouble(format!("{}: no result", self.engine.label())))
    }
}

fn msp_table(name: &str) -> &'static Table {
    schema::msp_tables()
        .iter()
        .find(|t| t.name == name)
        .expect("an MSP table")
}

fn col_type(t: &Table, col: &str) -> ColumnType {
    t.columns
        .iter()
        .find(|c| c.name == col)
        .map_or(ColumnType::Text(4000), |c| c.ty)
}

/// Statement texts, built once per dialect and shape: the hot path runs
/// the same few statements thousands of times, and the diesel engines key
/// their prepared statements by this text.
#[derive(Hash, PartialEq, Eq)]
struct SqlKey {
    dialect: &'static str,
    kind: u8,
    table: &'static str,
    cols: Vec<&'static str>,
    where_: &'static str,
    order: &'static str,
    rows: usize,
}

fn cached_sql(key: SqlKey, build: impl FnOnce() -> String) -> Arc<str> {
    static CACHE: OnceLock<Mutex<HashMap<SqlKey, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(key).or_insert_with(|| Arc::from(build())).clone()
}

/// Inserts a row: `values` by column name, types from the table.
fn insert(
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
    if let Some(params) = s.defer_insert(t.name, &names, params) {
        let sql = insert_sql(d, t.name, names);
        s.execute(&sql, &params)?;
    }
    Ok(())
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
    a: &msp_core::backend::NewAttachment,
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

/// Rows waiting to be inserted, grouped by table and columns; flushed with
/// the dossiers' table first (the other tables' foreign keys), then in the
/// order of each group's first row.
#[derive(Default)]
struct PendingRows {
    groups: Vec<RowGroup>,
}

/// Rows for one table with the same columns: (table, columns, rows).
type RowGroup = (&'static str, Vec<&'static str>, Vec<Vec<Param>>);

/// A session that defers inserts and writes them as multi-row statements:
/// any other statement, and [`Deferring::flush`], writes what is pending
/// first, so every statement sees the rows inserted before it.
struct Deferring<'s> {
    inner: &'s mut dyn Session,
    dialect: &'static dyn Dialect,
    pending: PendingRows,
    /// Off while a savepoint is open: rows are then written at once, so a
    /// refusal is attributed to its archive.
    on: bool,
}

impl Deferring<'_> {
    fn flush(&mut self) -> Result<()> {
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
const STATEMENT_BYTES: usize = 4 << 20;

/// About how many bytes a row sends.
fn row_bytes(row: &[Param]) -> usize {
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
fn chunk_rows(per: usize, sizes: &[usize]) -> usize {
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
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Param],
        f: &mut dyn FnMut(TextRow) -> Result<()>,
    ) -> Result<()> {
        self.flush()?;
        self.inner.query_each(sql, params, f)
    }
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.flush()?;
        self.inner.batch(sql)
    }
    fn defer_insert(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        params: Vec<Param>,
    ) -> Option<Vec<Param>> {
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

fn insert_sql(d: &dyn Dialect, table: &'static str, cols: Vec<&'static str>) -> Arc<str> {
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
fn exec(
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
fn exec_dynamic(
    s: &mut dyn Session,
    d: &dyn Dialect,
    template: &str,
    params: &[Param],
) -> Result<usize> {
    s.execute(&sql::markers(d, template), params)
}

/// Rows of `t` (columns `cols`) matching `where_`, ready to decode.
fn select<'t>(
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
fn select_dynamic<'t>(
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

fn read_rows<'t>(
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

/// One row read back as text, decoded column by column with the type the
/// caller expects. Every decoding error names the table, the column, the
/// value and the row's key (its first column).
pub struct RowReader<'t> {
    table: &'t str,
    cols: &'t [&'t str],
    row: TextRow,
}

impl RowReader<'_> {
    fn raw(&self, i: usize) -> Option<&str> {
        self.row.get(i).and_then(|v| v.as_deref())
    }

    fn bad(&self, i: usize, what: &str) -> Error {
        let col = self.cols.get(i).copied().unwrap_or("?");
        let value = match self.raw(i) {
            Some(v) => format!("\"{}\"", v.chars().take(80).collect::<String>()),
            None => "NULL".to_string(),
        };
        let key = match (self.cols.first(), self.raw(0)) {
            (Some(k), Some(v)) if i != 0 => format!(" (row {k} = {v})"),
            _ => String::new(),
        };
        Error::trouble(format!(
            "table {}, column {col}: value {value} is not {what}{key}",
            self.table
        ))
    }

    /// A required text.
    pub fn text(&self, i: usize) -> Result<String> {
        self.raw(i)
            .map(str::to_string)
            .ok_or_else(|| self.bad(i, "a text (the column is required)"))
    }

    /// An optional text.
    pub fn opt_text(&self, i: usize) -> Option<String> {
        self.raw(i).map(str::to_string)
    }

    /// An optional integer.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.raw(i) {
            None => Ok(None),
            Some(v) => parse_int(v)
                .map(Some)
                .ok_or_else(|| self.bad(i, "an integer")),
        }
    }

    /// A required integer.
    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| self.bad(i, "an integer (the column is required)"))
    }

    /// A required integer that fits `T` (a status code, a sequence...).
    pub fn int_as<T: TryFrom<i64>>(&self, i: usize) -> Result<T> {
        let v = self.int(i)?;
        T::try_from(v).map_err(|_| self.bad(i, "in range"))
    }

    /// An optional integer that fits `T`.
    pub fn opt_int_as<T: TryFrom<i64>>(&self, i: usize) -> Result<Option<T>> {
        match self.opt_int(i)? {
            None => Ok(None),
            Some(v) => T::try_from(v)
                .map(Some)
                .map_err(|_| self.bad(i, "in range")),
        }
    }

    /// A required boolean.
    pub fn boolean(&self, i: usize) -> Result<bool> {
        self.raw(i)
            .and_then(parse_bool)
            .ok_or_else(|| self.bad(i, "a boolean"))
    }

    /// A required timestamp.
    pub fn ts(&self, i: usize) -> Result<NaiveDateTime> {
        self.raw(i)
            .and_then(parse_ts)
            .ok_or_else(|| self.bad(i, "a timestamp"))
    }

    /// An optional timestamp.
    pub fn opt_ts(&self, i: usize) -> Result<Option<NaiveDateTime>> {
        match self.raw(i) {
            None => Ok(None),
            Some(v) => parse_ts(v)
                .map(Some)
                .ok_or_else(|| self.bad(i, "a timestamp")),
        }
    }

    /// A blob, read as the hexadecimal text of [`Dialect::blob_hex`] (NULL
    /// on engines without it).
    pub fn blob(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.raw(i) {
            None => Ok(None),
            Some(v) => from_hex(v.trim())
                .map(Some)
                .ok_or_else(|| self.bad(i, "hexadecimal bytes")),
        }
    }

    /// A value of a plugin column, by its declared type.
    fn value(&self, i: usize, ty: ColumnType) -> Result<Value> {
        let Some(v) = self.raw(i) else {
            return Ok(Value::Null);
        };
        Ok(match ty {
            ColumnType::Text(_) => Value::Text(v.to_string()),
            ColumnType::Integer => Value::Integer(self.int(i)?),
            ColumnType::Boolean => Value::Boolean(self.boolean(i)?),
            ColumnType::Date => Value::Date(parse_date(v).ok_or_else(|| self.bad(i, "a date"))?),
            ColumnType::Timestamp => Value::Timestamp(self.ts(i)?),
            ColumnType::Blob => match self.blob(i)? {
                Some(b) => Value::Blob(b),
                None => Value::Null,
            },
        })
    }
}

/// Bytes from hexadecimal text (either case).
fn from_hex(s: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// An integer in the text forms engines give (`19`, `19.0` from NUMBER).
fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    s.parse::<i64>().ok().or_else(|| {
        let f = s.parse::<f64>().ok()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// A boolean in the text forms engines give.
fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "-1" | "t" | "true" | "TRUE" | "True" | "Y" | "y" => Some(true),
        "0" | "f" | "false" | "FALSE" | "False" | "N" | "n" => Some(false),
        _ => None,
    }
}

/// Parses the text form of a timestamp: the formats each dialect's
/// [`Dialect::cast_timestamp`] produces, and what diesel stores in SQLite.
pub fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)))
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
}

const DOSSIER_COLS: [&str; 10] = [
    "numero",
    "flow",
    "insee",
    "file_number",
    "status",
    "indicator",
    "summary",
    "status_seq",
    "created_at",
    "updated_at",
];

fn dossier(r: &RowReader<'_>) -> Result<Dossier> {
    Ok(Dossier {
        numero: r.text(0)?,
        flow: r.text(1)?,
        insee: r.text(2)?,
        file_number: r.int_as(3)?,
        status: r.int_as(4)?,
        indicator: r.int_as(5)?,
        summary: r.opt_text(6).unwrap_or_default(),
        status_seq: r.int_as(7)?,
        created_at: r.ts(8)?,
        updated_at: r.ts(9)?,
    })
}

const STATUS_COLS: [&str; 11] = [
    "numero",
    "seq",
    "status",
    "indicator",
    "comment",
    "automatic",
    "superseded",
    "created_at",
    "transmitted_at",
    "cancelled",
    "return_increment",
];

fn status(r: &RowReader<'_>) -> Result<StatusEntry> {
    Ok(StatusEntry {
        seq: r.int_as(1)?,
        status: r.int_as(2)?,
        indicator: r.int_as(3)?,
        comment: r.opt_text(4),
        automatic: r.boolean(5)?,
        superseded: r.boolean(6)?,
        at: r.ts(7)?,
        transmitted_at: r.opt_ts(8)?,
        cancelled: r.boolean(9)?,
        return_increment: r.opt_int_as(10)?,
    })
}

const RETURN_COLS: [&str; 9] = [
    "numero",
    "increment",
    "status",
    "comment",
    "file_name",
    "attachment_name",
    "created_at",
    "written_at",
    "collected_at",
];

fn return_flow(r: &RowReader<'_>, flow: String) -> Result<ReturnFlow> {
    Ok(ReturnFlow {
        numero: r.text(0)?,
        flow,
        increment: r.int_as(1)?,
        status: r.int_as(2)?,
        comment: r.opt_text(3).unwrap_or_default(),
        file: r.text(4)?,
        attachment: r.opt_text(5),
        created_at: r.ts(6)?,
        written_at: r.opt_ts(7)?,
        collected_at: r.opt_ts(8)?,
    })
}

const RECEIVED_COLS: [&str; 19] = [
    "numero",
    "file_number",
    "name",
    "sha256",
    "outcome",
    "received_at",
    "message_id",
    "numero_demarche",
    "sender_siret",
    "sender_service",
    "sender_guichet",
    "recipient_siret",
    "recipient_service",
    "recipient_guichet",
    "ack_required",
    "ack_types",
    "security_datetime",
    "email",
    "password",
];

fn received(r: &RowReader<'_>) -> Result<ReceivedArchive> {
    let party = |i: usize| Party {
        siret: r.opt_text(i),
        service: r.opt_text(i + 1),
        guichet: r.opt_text(i + 2),
    };
    Ok(ReceivedArchive {
        numero: r.text(0)?,
        file_number: r.int_as(1)?,
        name: r.text(2)?,
        sha256: r.text(3)?,
        outcome: r.text(4)?,
        received_at: r.ts(5)?,
        message: InboundMessage {
            message_id: r.opt_text(6),
            numero_demarche: r.opt_text(7),
            sender: party(8),
            recipient: party(11),
            ack_required: r.opt_text(14),
            ack_types: r.opt_text(15),
            security_datetime: r.opt_text(16),
            email: r.opt_text(17),
            password: r.opt_text(18).map(Secret::new),
        },
    })
}

/// The recorded message's columns of `msp_archive_recue` (version 4).
fn message_values(m: &InboundMessage) -> Vec<(&'static str, Value)> {
    let party = |p: &Party| {
        [
            p.siret.clone().into(),
            p.service.clone().into(),
            p.guichet.clone().into(),
        ]
    };
    let [ss, sv, sg] = party(&m.sender);
    let [rs, rv, rg] = party(&m.recipient);
    vec![
        ("message_id", m.message_id.clone().into()),
        ("numero_demarche", m.numero_demarche.clone().into()),
        ("sender_siret", ss),
        ("sender_service", sv),
        ("sender_guichet", sg),
        ("recipient_siret", rs),
        ("recipient_service", rv),
        ("recipient_guichet", rg),
        ("ack_required", m.ack_required.clone().into()),
        ("ack_types", m.ack_types.clone().into()),
        ("security_datetime", m.security_datetime.clone().into()),
        ("email", m.email.clone().into()),
        (
            "password",
            m.password.as_ref().map(|p| p.reveal().to_string()).into(),
        ),
    ]
}

const ATTACHMENT_COLS: [&str; 9] = [
    "numero",
    "seq",
    "file_number",
    "code",
    "label",
    "file_name",
    "size_bytes",
    "sha256",
    "path",
];

fn attachment(r: &RowReader<'_>) -> Result<StoredAttachment> {
    Ok(StoredAttachment {
        seq: r.int_as(1)?,
        file_number: r.int_as(2)?,
        code: r.text(3)?,
        label: r.opt_text(4).unwrap_or_default(),
        file_name: r.text(5)?,
        size: r.int_as(6)?,
        sha256: r.text(7)?,
        path: r.opt_text(8),
    })
}

fn by_numero(numero: &str) -> [Param; 1] {
    [Param::text(numero)]
}

fn read_dossier(s: &mut dyn Session, d: &dyn Dialect, numero: &str) -> Result<Option<Dossier>> {
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

fn read_received(
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

fn read_attachments(
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

fn next_seq(s: &mut dyn Session, d: &dyn Dialect, table: &str, numero: &str) -> Result<i64> {
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

fn add_event(
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

fn insert_return(s: &mut dyn Session, d: &dyn Dialect, r: &ReturnFlow) -> Result<()> {
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

fn insert_status(
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

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    s.chars().take(max).collect()
}

/// Writes one archive's import (inside the caller's transaction).
fn write_import(s: &mut dyn Session, d: &dyn Dialect, w: &ImportWrite<'_>) -> Result<()> {
    let dos = w.dossier;
    let numero = dos.numero.as_str();
    let new = w.kind == ImportKind::New;
    match w.kind {
        ImportKind::New => insert(
            s,
            d,
            msp_table("msp_dossier"),
            vec![
                ("numero", numero.into()),
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
        )?,
        ImportKind::Complement => {
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
            for t in w.tables {
                exec_dynamic(
                    s,
                    d,
                    &format!("DELETE FROM `{}` WHERE `numero` = {{1}}", t.name),
                    &by_numero(numero),
                )?;
            }
        }
    }
    if let Some(st) = w.initial_status {
        insert_status(s, d, numero, st)?;
    }
    if let Some(r) = w.initial_return {
        insert_return(s, d, r)?;
    }
    for row in w.rows {
        let def = w
            .tables
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
        if let Some(params) = s.defer_insert(def.name, &names, params) {
            s.execute(&insert_sql(d, def.name, names), &params)?;
        }
    }
    if !w.attachments.is_empty() {
        let first = if new {
            1
        } else {
            next_seq(s, d, "msp_piece_jointe", numero)?
        };
        for (seq, a) in (first..).zip(w.attachments) {
            let in_parts =
                a.mode == AttachmentMode::Database && a.meta.size > schema::PART_BYTES as u64;
            let content = match a.mode {
                AttachmentMode::Database if in_parts => Value::Null,
                AttachmentMode::Database => Value::Blob(
                    a.content
                        .bytes()
                        .map_err(|e| {
                            Error::trouble(format!(
                                "cannot read attachment {}: {e}",
                                a.meta.file_name
                            ))
                        })?
                        .into_owned(),
                ),
                AttachmentMode::Directory => Value::Null,
            };
            let m = &a.meta;
            insert(
                s,
                d,
                msp_table("msp_piece_jointe"),
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
                    ("content", content),
                    ("created_at", w.received.received_at.into()),
                ],
            )?;
            if in_parts {
                write_parts(s, d, numero, seq, a)?;
            }
        }
    }
    let r = w.received;
    let mut values = vec![
        ("numero", numero.into()),
        ("file_number", i64::from(r.file_number).into()),
        ("name", r.name.clone().into()),
        ("sha256", r.sha256.clone().into()),
        ("outcome", r.outcome.clone().into()),
        ("received_at", r.received_at.into()),
    ];
    values.extend(message_values(&r.message));
    insert(s, d, msp_table("msp_archive_recue"), values)?;
    add_event(s, d, numero, new.then_some(1), r.received_at, &w.event)
}

/// Runs a `CREATE`. Where DDL is not transactional (MySQL, Oracle), a
/// process that lost a race, or was killed halfway, finds objects created
/// but not yet recorded in `msp_schema_version`: "already exists" then
/// means done, or the database would stay stuck.
/// Applies one step of a plugin's migration; says what it did.
fn migrate_plugin(
    s: &mut dyn Session,
    d: &dyn Dialect,
    tables: &[TableDef],
    step: &msp_plugins::MigrationStep,
) -> Result<String> {
    use msp_plugins::MigrationStep as M;
    let table = |name: &str| {
        tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::config(format!("table {name} is not declared")))
    };
    Ok(match step {
        M::AddTable(name) => {
            let ddl = sql::create_table(d, &schema::plugin_table(table(name)?))
                .map_err(|m| Error::config(format!("table {name}: {m}")))?;
            create(s, d, &ddl)?;
            format!("table {name} added")
        }
        M::AddColumn { table: t, column } => {
            let col = table(t)?
                .column(column)
                .ok_or_else(|| Error::config(format!("column {t}.{column} is not declared")))?;
            if !col.nullable {
                return Err(Error::config(format!(
                    "column {t}.{column} is required: an added column must be optional"
                )));
            }
            s.execute(
                &format!(
                    "ALTER TABLE {} ADD {} {}",
                    d.quote(t),
                    d.quote(column),
                    d.column_type(col.ty)
                ),
                &[],
            )?;
            format!("column {t}.{column} added")
        }
        M::AddIndex {
            table: t,
            name,
            columns,
        } => {
            create(s, d, &sql::create_index(d, name, t, columns))?;
            format!("index {name} on {t} added")
        }
    })
}

fn create(s: &mut dyn Session, d: &dyn Dialect, ddl: &str) -> Result<()> {
    match s.execute(ddl, &[]) {
        Ok(_) => Ok(()),
        Err(e)
            if !d.transactional_ddl() && {
                let m = e.message.to_ascii_lowercase();
                m.contains("already exists")
                    || m.contains("duplicate key name")
                    || m.contains("ora-00955")
            } =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The most names one `IN (...)` list holds (engines limit the parameters
/// of one statement).
const IN_LIST_MAX: usize = 256;

/// Calls `f` with the rows of `table` (columns `cols`) whose `numero` is
/// one of `numeros`: one `IN` query per [`IN_LIST_MAX`] numbers (engines
/// limit the parameters of one statement), found by the table's key.
fn each_of_dossiers<'t>(
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
fn in_list(first: usize, names: &[&str]) -> (String, Vec<Param>) {
    let width = names.len().next_power_of_two();
    let markers: Vec<String> = (first..first + width).map(|i| format!("{{{i}}}")).collect();
    let mut params: Vec<Param> = names.iter().map(|n| Param::text(*n)).collect();
    let last = params.last().cloned().expect("an IN list is never empty");
    params.resize(width, last);
    (markers.join(", "), params)
}

/// Marks return flows written: the return, its status transmitted and,
/// when that status is the current one, the dossier's indicator.
fn mark_written(
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

/// The transaction of one batch.
struct SqlTx<'s> {
    session: Deferring<'s>,
    dialect: &'static dyn Dialect,
}

impl SqlTx<'_> {
    fn savepoint_statement(&mut self, which: usize) -> Result<()> {
        // Rows inside a savepoint are written at once; outside, deferred.
        self.session.flush()?;
        self.session.on = which != 0;
        match self.dialect.savepoints() {
            Some(statements) => match statements[which] {
                Some(sql) => self.session.inner.batch(sql),
                None => Ok(()),
            },
            // No savepoints (batches of one): a rollback aborts the batch.
            None if which == 2 => Err(Error::trouble(
                "this engine has no savepoints: the archive's transaction is rolled back",
            )),
            None => Ok(()),
        }
    }
}

impl Tx for SqlTx<'_> {
    fn known_dossiers(&mut self, numeros: &[&str]) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        each_of_dossiers(
            &mut self.session,
            self.dialect,
            msp_table("msp_dossier"),
            &["numero"],
            numeros,
            |r| {
                out.insert(r.text(0)?);
                Ok(())
            },
        )?;
        Ok(out)
    }
    fn dossier(&mut self, numero: &str) -> Result<Option<Dossier>> {
        read_dossier(&mut self.session, self.dialect, numero)
    }
    fn received(&mut self, numero: &str) -> Result<Vec<ReceivedArchive>> {
        read_received(&mut self.session, self.dialect, numero)
    }
    fn attachments(&mut self, numero: &str) -> Result<Vec<StoredAttachment>> {
        read_attachments(&mut self.session, self.dialect, numero)
    }
    fn import(&mut self, write: &ImportWrite<'_>) -> Result<()> {
        write_import(&mut self.session, self.dialect, write)
    }
    fn flush(&mut self) -> Result<()> {
        self.session.flush()
    }
    fn savepoint(&mut self) -> Result<()> {
        self.savepoint_statement(0)
    }
    fn release(&mut self) -> Result<()> {
        self.savepoint_statement(1)
    }
    fn rollback(&mut self) -> Result<()> {
        self.savepoint_statement(2)
    }
}

impl SqlBackend {
    /// Return flows matching `where_`, with their dossier's flow when
    /// `with_flow` (one indexed lookup per dossier concerned).
    fn returns_where(
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

    fn init_once(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        let label = self.describe();
        let vt = schema::version_table();
        let version_cols = ["component", "version"];
        // Probe the version table outside the transaction: on PostgreSQL a
        // failed statement aborts the transaction it runs in.
        let existing: Option<Vec<(String, i64)>> = self
            .run(false, |s, d| {
                select(s, d, &vt, &version_cols, "", "", &[])?
                    .iter()
                    .map(|r| Ok((r.text(0)?, r.int(1)?)))
                    .collect::<Result<Vec<_>>>()
            })
            .ok();
        self.run(true, |s, d| {
            let mut done = Vec::new();
            let versions = match &existing {
                Some(rows) => rows.clone(),
                None => {
                    let ddl = sql::create_table(d, &vt).map_err(Error::config)?;
                    s.execute(&ddl, &[])?;
                    Vec::new()
                }
            };
            let current = |c: &str| {
                versions
                    .iter()
                    .find(|(name, _)| name == c)
                    .map(|(_, v)| *v as u32)
            };
            let now = msp_core::lifecycle::now();
            let record = |s: &mut dyn Session, component: &str, version: u32| {
                insert(
                    s,
                    d,
                    &vt,
                    vec![
                        ("component", component.into()),
                        ("version", i64::from(version).into()),
                        ("applied_at", now.into()),
                    ],
                )
            };
            let at = current(MSP_COMPONENT).unwrap_or(0);
            if at > MSP_VERSION {
                return Err(Error::config(format!(
                    "{label}: MSP tables are version {at}, newer than this msp (version {MSP_VERSION}); upgrade msp"
                )));
            }
            for m in schema::msp_migrations().into_iter().filter(|m| m.version > at) {
                for t in &m.create {
                    create(s, d, &sql::create_table(d, t).map_err(Error::config)?)?;
                }
                for (table, col) in &m.add_columns {
                    s.execute(
                        &format!(
                            "ALTER TABLE {} ADD {} {}",
                            d.quote(table),
                            d.quote(col.name),
                            d.column_type(col.ty)
                        ),
                        &[],
                    )?;
                }
                for i in &m.indexes {
                    create(s, d, &sql::create_index(d, i.name, i.table, &i.columns))?;
                }
                done.push(format!("{} (version {})", m.description, m.version));
            }
            if at == 0 {
                record(s, MSP_COMPONENT, MSP_VERSION)?;
            } else if at < MSP_VERSION {
                exec(
                    s,
                    d,
                    "UPDATE `msp_schema_version` SET `version` = {1}, `applied_at` = {2} WHERE `component` = {3}",
                    &[Param::int(i64::from(MSP_VERSION)), Param::new(now, ColumnType::Timestamp), Param::text(MSP_COMPONENT)],
                )?;
            }
            for p in plugins {
                let component = format!("plugin:{}", p.flow);
                match current(&component) {
                    None => {
                        for t in &p.tables {
                            let ddl = sql::create_table(d, &schema::plugin_table(t))
                                .map_err(|m| Error::config(format!("{label}: {} table {}: {m}", p.flow, t.name)))?;
                            create(s, d, &ddl)?;
                        }
                        record(s, &component, p.version)?;
                        done.push(format!(
                            "{} tables created (version {}): {}",
                            p.flow,
                            p.version,
                            p.tables.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    Some(v) if v > p.version => {
                        return Err(Error::config(format!(
                            "{label}: the {} tables are version {v}, newer than this plugin (version {}); upgrade the plugin",
                            p.flow, p.version
                        )))
                    }
                    Some(v) if v < p.version => {
                        // Every version after the one in the database, in
                        // order, in this transaction (where the engine's
                        // DDL is transactional).
                        for to in v + 1..=p.version {
                            let m = p.migrations.iter().find(|m| m.version == to).ok_or_else(|| {
                                Error::config(format!(
                                    "{label}: the {} tables are version {v}, the plugin expects version {}, and it declares no migration to version {to} (FlowPlugin::migrations)",
                                    p.flow, p.version
                                ))
                            })?;
                            let mut what = Vec::new();
                            for step in &m.steps {
                                what.push(migrate_plugin(s, d, &p.tables, step).map_err(|e| {
                                    Error::config(format!(
                                        "{label}: {} migration to version {to}: {e}",
                                        p.flow
                                    ))
                                })?);
                            }
                            done.push(format!(
                                "{} tables migrated to version {to}: {}",
                                p.flow,
                                what.join(", ")
                            ));
                        }
                        exec(
                            s,
                            d,
                            "UPDATE `msp_schema_version` SET `version` = {1}, `applied_at` = {2} WHERE `component` = {3}",
                            &[Param::int(i64::from(p.version)), Param::new(now, ColumnType::Timestamp), Param::text(&component)],
                        )?;
                    }
                    Some(_) => {}
                }
            }
            Ok(done)
        })
    }
}

impl Backend for SqlBackend {
    fn describe(&self) -> String {
        self.engine.label().to_string()
    }

    /// Creates or upgrades the tables. Several processes may start at once
    /// on a new database: the loser of a race on the DDL (a table "already
    /// exists", a lock, a deadlock) tries again, sees the winner's work and
    /// has nothing left to do.
    fn init(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        let mut attempt = 0u32;
        loop {
            match self.init_once(plugins) {
                Ok(done) => return Ok(done),
                Err(e) if e.kind == msp_core::ErrorKind::Config || attempt >= 12 => return Err(e),
                Err(e) => {
                    attempt += 1;
                    tracing::debug!("schema creation raced with another process, retrying: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(25 * u64::from(attempt)));
                }
            }
        }
    }

    fn batch(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let label = self.describe();
        let dialect = self.d();
        self.engine
            .with_session(true, &mut |session| {
                let mut tx = SqlTx {
                    session: Deferring {
                        inner: session,
                        dialect,
                        pending: PendingRows::default(),
                        on: true,
                    },
                    dialect,
                };
                f(&mut tx)?;
                tx.session.flush()
            })
            .map_err(|mut e| {
                // The engine's errors already name the database once.
                if let Some(rest) = e.message.strip_prefix(&format!("{label}: ")) {
                    e.message = rest.to_string();
                }
                e.context(format!("import into {label}"))
            })
    }

    fn max_batch(&self) -> usize {
        if self.d().savepoints().is_some() {
            128
        } else {
            1
        }
    }

    fn dossier(&self, numero: &str) -> Result<Option<Dossier>> {
        self.run(false, |s, d| read_dossier(s, d, numero))
    }

    fn dossiers(&self, flows: &[String]) -> Result<Vec<Dossier>> {
        let all = self.run(false, |s, d| {
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
        })?;
        Ok(all
            .into_iter()
            .filter(|d| flows.is_empty() || flows.contains(&d.flow))
            .collect())
    }

    fn history(&self, numero: &str) -> Result<Vec<StatusEntry>> {
        self.run(false, |s, d| {
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
        })
        .map_err(|e| e.context(format!("dossier {numero}")))
    }

    fn returns(&self, numero: &str) -> Result<Vec<ReturnFlow>> {
        self.returns_where("`numero` = {1}", by_numero(numero).to_vec(), true)
    }

    fn received(&self, numero: &str) -> Result<Vec<ReceivedArchive>> {
        self.run(false, |s, d| read_received(s, d, numero))
    }

    fn attachments(&self, numero: &str) -> Result<Vec<StoredAttachment>> {
        self.run(false, |s, d| read_attachments(s, d, numero))
    }

    fn attachment_content(&self, numero: &str, seq: u32) -> Result<Option<Vec<u8>>> {
        self.run(false, |s, d| {
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
        })
        .map_err(|e| e.context(format!("dossier {numero}, attachment {seq}")))
    }

    fn events(&self, numero: &str) -> Result<Vec<Event>> {
        self.run(false, |s, d| {
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
        })
    }

    fn unwritten_returns(&self) -> Result<Vec<ReturnFlow>> {
        self.returns_where("`written_at` IS NULL", vec![], false)
    }

    fn unwritten_returns_of(
        &self,
        numeros: &[&str],
    ) -> Result<std::collections::HashSet<(String, u32)>> {
        self.run(false, |s, d| {
            let mut out = std::collections::HashSet::new();
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
        })
    }

    fn mark_returns_written(&self, returns: &[(String, u32)], at: NaiveDateTime) -> Result<()> {
        if returns.is_empty() {
            return Ok(());
        }
        self.run(true, |s, d| mark_written(s, d, returns, at))
    }

    fn update_statuses(&self, numero: &str, u: &StatusUpdate) -> Result<()> {
        self.run(true, |s, d| {
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
        })
    }

    fn record_return(&self, ret: &ReturnFlow, status_seq: u32) -> Result<()> {
        self.run(true, |s, d| {
            insert_return(s, d, ret)?;
            exec(
                s,
                d,
                "UPDATE `msp_statut` SET `return_increment` = {1} WHERE `numero` = {2} AND `seq` = {3}",
                &[Param::int(i64::from(ret.increment)), Param::text(&ret.numero), Param::int(i64::from(status_seq))],
            )?;
            Ok(())
        })
    }

    fn mark_returns_collected(&self, returns: &[(String, u32)], at: NaiveDateTime) -> Result<()> {
        if returns.is_empty() {
            return Ok(());
        }
        // Grouped by increment, a few hundred dossiers per statement.
        let mut by_increment: std::collections::BTreeMap<u32, Vec<&str>> = Default::default();
        for (numero, increment) in returns {
            by_increment.entry(*increment).or_default().push(numero);
        }
        self.run(true, |s, d| {
            let at = Param::new(at, ColumnType::Timestamp);
            for (increment, numeros) in &by_increment {
                for chunk in numeros.chunks(400) {
                    let list: Vec<String> =
                        (3..chunk.len() + 3).map(|i| format!("{{{i}}}")).collect();
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
        })
    }

    fn each_uncollected_return(&self, f: &mut dyn FnMut(ReturnFlow) -> Result<()>) -> Result<()> {
        const WHERE: &str = "`collected_at` IS NULL AND `written_at` IS NOT NULL";
        let table = msp_table("msp_retour");
        self.run(false, |s, d| {
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
        })
    }

    fn untransmitted_statuses(&self) -> Result<Vec<(String, u32)>> {
        self.run(false, |s, d| {
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
        })
    }

    fn untransmitted_dossiers(&self) -> Result<Vec<String>> {
        self.run(false, |s, d| {
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
        })
    }

    fn rows(&self, table: &TableDef, numero: &str) -> Result<Vec<Row>> {
        let t = schema::plugin_table(table);
        let cols: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
        self.run(false, |s, d| {
            let mut out = Vec::new();
            for r in select(s, d, &t, &cols, "`numero` = {1}", "", &by_numero(numero))? {
                let mut row = Row::new(table.name);
                for (i, col) in table.columns.iter().enumerate() {
                    row = row.set(col.name, r.value(i + 1, col.ty)?);
                }
                out.push(row);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn in_lists_are_padded_to_a_power_of_two_with_the_last_name() {
        let (list, params) = super::in_list(2, &["a", "b", "c"]);
        assert_eq!(list, "{2}, {3}, {4}, {5}");
        let names: Vec<_> = params.iter().map(|p| p.value.clone()).collect();
        assert_eq!(names, ["a", "b", "c", "c"].map(msp_plugins::Value::from));
        let (list, params) = super::in_list(1, &["a"]);
        assert_eq!((list.as_str(), params.len()), ("{1}", 1));
    }

    #[test]
    fn inserts_are_cut_by_rows_by_bytes_and_in_few_shapes() {
        use super::{chunk_rows, STATEMENT_BYTES};
        let small = vec![100; 600];
        assert_eq!(chunk_rows(256, &small), 256);
        assert_eq!(chunk_rows(256, &small[..37]), 32);
        assert_eq!(chunk_rows(256, &small[..5]), 4);
        assert_eq!(chunk_rows(256, &small[..1]), 1);
        assert_eq!(chunk_rows(100, &small), 100, "the engine's limit as is");
        // 1 MiB attachments: a few per statement, never 16 MiB.
        let big = vec![(1 << 20) + 8; 40];
        assert_eq!(chunk_rows(256, &big), 2);
        let n = chunk_rows(256, &big);
        assert!(big[..n].iter().sum::<usize>() <= STATEMENT_BYTES);
        // A row larger than the budget goes alone.
        assert_eq!(chunk_rows(256, &[STATEMENT_BYTES * 2, 10]), 1);
    }

    use super::*;

    #[test]
    fn timestamps_of_every_engine_parse() {
        for s in [
            "2026-11-28 10:11:58",
            "2026-11-28T10:11:58",
            "2026-11-28 10:11:58.000000",
            "2026-11-28 10:11:58.5",
        ] {
            assert_eq!(
                parse_ts(s).unwrap().format("%F %T").to_string(),
                "2026-11-28 10:11:58",
                "{s}"
            );
        }
        assert_eq!(
            parse_date("2009-08-16 00:00:00"),
            NaiveDate::from_ymd_opt(2009, 8, 16)
        );
        assert_eq!(parse_int("19.0"), Some(19));
        assert_eq!(parse_int(" 19 "), Some(19));
        assert_eq!(parse_int("19.5"), None);
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_bool("-1"), Some(true));
        assert_eq!(parse_bool("oui"), None);
    }

    #[test]
    fn decoding_errors_name_table_column_and_value() {
        let cols = ["numero", "seq", "status", "created_at"];
        let r = RowReader {
            table: "msp_statut",
            cols: &cols,
            row: vec![
                Some("A-1".into()),
                Some("2".into()),
                Some("dix-neuf".into()),
                Some("hier".into()),
            ],
        };
        assert_eq!(r.int(1).unwrap(), 2);
        let e = r.int(2).unwrap_err().message;
        assert_eq!(
            e,
            "table msp_statut, column status: value \"dix-neuf\" is not an integer (row numero = A-1)"
        );
        let e = r.ts(3).unwrap_err().message;
        assert!(
            e.contains("column created_at: value \"hier\" is not a timestamp"),
            "{e}"
        );
        let e = r.int_as::<u16>(1).map(|_| ()).and_then(|_| {
            RowReader {
                table: "t",
                cols: &cols,
                row: vec![None, Some("70000".into())],
            }
            .int_as::<u16>(1)
            .map(|_| ())
        });
        assert!(e.unwrap_err().message.contains("is not in range"));
    }
}
