//! The SQLite backend.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sql_types::{BigInt, Binary, Bool, Nullable, Text};
use diesel::sqlite::Sqlite as DieselSqlite;
use diesel::{sql_query, QueryableByName, RunQueryDsl, SqliteConnection};
use msp_core::backend::{
    Backend, Dossier, Event, ImportKind, ImportWrite, PluginSchema, ReceivedArchive, ReturnFlow,
    StatusEntry, StatusUpdate, StoredAttachment,
};
use msp_core::config::AttachmentMode;
use msp_core::{Error, Result};
use msp_plugins::{ColumnType, Row, TableDef, Value};

use super::config::SqliteConfig;
use super::error::{map, map_pool};
use crate::schema::{self, MSP_COMPONENT, MSP_VERSION};
use crate::sql::{self, Sqlite};

const TS: &str = "%Y-%m-%d %H:%M:%S";

#[derive(Debug)]
struct Pragmas {
    busy_timeout_ms: u64,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(
        &self,
        conn: &mut SqliteConnection,
    ) -> std::result::Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            self.busy_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A SQLite database holding the MSP and business tables.
pub struct SqliteBackend {
    pool: Pool<ConnectionManager<SqliteConnection>>,
    label: String,
}

type Conn = PooledConnection<ConnectionManager<SqliteConnection>>;

/// Errors inside a transaction: diesel's, or ours (rolled back alike).
enum TxError {
    Diesel(diesel::result::Error),
    Msp(Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Diesel(e)
    }
}

impl SqliteBackend {
    /// Opens (creating the file if needed) the database.
    pub fn open(config: &SqliteConfig) -> Result<Self> {
        let label = format!("sqlite://{}", config.path.display());
        if let Some(parent) = config.path.parent() {
            if !parent.as_os_str().is_empty() && !parent.is_dir() {
                return Err(Error::temporary(format!(
                    "cannot open database {label}: folder {} does not exist",
                    parent.display()
                )));
            }
        }
        let manager = ConnectionManager::<SqliteConnection>::new(config.path.to_string_lossy());
        let pool = Pool::builder()
            .max_size(4)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_millis(config.busy_timeout_ms.max(1000)))
            .connection_customizer(Box::new(Pragmas {
                busy_timeout_ms: config.busy_timeout_ms,
            }))
            .build(manager)
            .map_err(|e| map_pool(&label, e))?;
        // WAL is a property of the database file: set it once.
        let mut conn = pool.get().map_err(|e| map_pool(&label, e))?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| map(&label, e))?;
        drop(conn);
        Ok(SqliteBackend { pool, label })
    }

    fn conn(&self) -> Result<Conn> {
        self.pool.get().map_err(|e| map_pool(&self.label, e))
    }

    fn tx<T>(
        &self,
        f: impl FnOnce(&mut SqliteConnection) -> std::result::Result<T, TxError>,
    ) -> Result<T> {
        let mut conn = self.conn()?;
        match conn.immediate_transaction(f) {
            Ok(v) => Ok(v),
            Err(TxError::Diesel(e)) => Err(map(&self.label, e)),
            Err(TxError::Msp(e)) => Err(e),
        }
    }
}

fn ts(t: NaiveDateTime) -> String {
    t.format(TS).to_string()
}

fn parse_ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, TS)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .unwrap_or_default()
}

/// Executes `sql` with `values` bound in order.
fn exec(
    conn: &mut SqliteConnection,
    sql: &str,
    values: &[Value],
) -> std::result::Result<usize, diesel::result::Error> {
    let mut q = sql_query(sql).into_boxed::<DieselSqlite>();
    for v in values {
        q = match v.clone() {
            Value::Null => q.bind::<Nullable<Text>, _>(None::<String>),
            Value::Text(s) => q.bind::<Text, _>(s),
            Value::Integer(i) => q.bind::<BigInt, _>(i),
            Value::Boolean(b) => q.bind::<Bool, _>(b),
            Value::Date(d) => q.bind::<Text, _>(d.format("%Y-%m-%d").to_string()),
            Value::Timestamp(t) => q.bind::<Text, _>(ts(t)),
            Value::Blob(b) => q.bind::<Binary, _>(b),
        };
    }
    q.execute(conn)
}

fn insert(
    conn: &mut SqliteConnection,
    table: &str,
    cols: &[(&str, Value)],
) -> std::result::Result<usize, diesel::result::Error> {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let values: Vec<Value> = cols.iter().map(|(_, v)| v.clone()).collect();
    exec(conn, &sql::insert(&Sqlite, table, &names), &values)
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    component: String,
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct DossierRow {
    #[diesel(sql_type = Text)]
    numero: String,
    #[diesel(sql_type = Text)]
    flow: String,
    #[diesel(sql_type = Text)]
    insee: String,
    #[diesel(sql_type = BigInt)]
    file_number: i64,
    #[diesel(sql_type = BigInt)]
    status: i64,
    #[diesel(sql_type = BigInt)]
    indicator: i64,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = BigInt)]
    status_seq: i64,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = Text)]
    updated_at: String,
}

impl From<DossierRow> for Dossier {
    fn from(r: DossierRow) -> Self {
        Dossier {
            numero: r.numero,
            flow: r.flow,
            insee: r.insee,
            file_number: r.file_number as u32,
            status: r.status as u16,
            indicator: r.indicator as u8,
            summary: r.summary,
            status_seq: r.status_seq as u32,
            created_at: parse_ts(&r.created_at),
            updated_at: parse_ts(&r.updated_at),
        }
    }
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = BigInt)]
    status: i64,
    #[diesel(sql_type = BigInt)]
    indicator: i64,
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
    #[diesel(sql_type = Bool)]
    automatic: bool,
    #[diesel(sql_type = Bool)]
    superseded: bool,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = Nullable<Text>)]
    transmitted_at: Option<String>,
    #[diesel(sql_type = Bool)]
    cancelled: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    return_increment: Option<i64>,
}

#[derive(QueryableByName)]
struct ReturnRow {
    #[diesel(sql_type = Text)]
    numero: String,
    #[diesel(sql_type = Text)]
    flow: String,
    #[diesel(sql_type = BigInt)]
    increment: i64,
    #[diesel(sql_type = BigInt)]
    status: i64,
    #[diesel(sql_type = Text)]
    comment: String,
    #[diesel(sql_type = Text)]
    file_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    attachment_name: Option<String>,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = Nullable<Text>)]
    written_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    collected_at: Option<String>,
}

impl From<ReturnRow> for ReturnFlow {
    fn from(r: ReturnRow) -> Self {
        ReturnFlow {
            numero: r.numero,
            flow: r.flow,
            increment: r.increment as u32,
            status: r.status as u16,
            comment: r.comment,
            file: r.file_name,
            attachment: r.attachment_name,
            created_at: parse_ts(&r.created_at),
            written_at: r.written_at.as_deref().map(parse_ts),
            collected_at: r.collected_at.as_deref().map(parse_ts),
        }
    }
}

#[derive(QueryableByName)]
struct ReceivedRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    numero: String,
    #[diesel(sql_type = BigInt)]
    file_number: i64,
    #[diesel(sql_type = Text)]
    sha256: String,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Text)]
    received_at: String,
}

#[derive(QueryableByName)]
struct AttachmentRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = BigInt)]
    file_number: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    file_name: String,
    #[diesel(sql_type = BigInt)]
    size_bytes: i64,
    #[diesel(sql_type = Text)]
    sha256: String,
    #[diesel(sql_type = Nullable<Text>)]
    path: Option<String>,
}

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = Text)]
    at: String,
    #[diesel(sql_type = Text)]
    text: String,
}

fn next_seq(
    conn: &mut SqliteConnection,
    table: &str,
    numero: &str,
) -> std::result::Result<i64, diesel::result::Error> {
    let rows: Vec<CountRow> = sql_query(format!(
        "SELECT COALESCE(MAX(\"seq\"), 0) AS n FROM \"{table}\" WHERE \"numero\" = ?"
    ))
    .bind::<Text, _>(numero)
    .load(conn)?;
    Ok(rows.first().map_or(0, |r| r.n) + 1)
}

fn table_exists(
    conn: &mut SqliteConnection,
    name: &str,
) -> std::result::Result<bool, diesel::result::Error> {
    let rows: Vec<CountRow> =
        sql_query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind::<Text, _>(name)
            .load(conn)?;
    Ok(rows.first().is_some_and(|r| r.n > 0))
}

impl Backend for SqliteBackend {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn init(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        let label = self.label.clone();
        self.tx(|c| {
            let mut done = Vec::new();
            let vt = schema::version_table();
            if !table_exists(c, vt.name)? {
                c.batch_execute(&sql::create_table(&Sqlite, &vt))?;
            }
            let versions: Vec<VersionRow> =
                sql_query("SELECT component, version FROM msp_schema_version").load(c)?;
            let current = |component: &str| versions.iter().find(|v| v.component == component).map(|v| v.version as u32);
            let now = ts(chrono::Local::now().naive_local());
            match current(MSP_COMPONENT) {
                None => {
                    for t in schema::msp_tables_v1() {
                        c.batch_execute(&sql::create_table(&Sqlite, &t))?;
                    }
                    insert(
                        c,
                        "msp_schema_version",
                        &[
                            ("component", MSP_COMPONENT.into()),
                            ("version", i64::from(MSP_VERSION).into()),
                            ("applied_at", now.clone().into()),
                        ],
                    )?;
                    done.push(format!("MSP tables created (version {MSP_VERSION})"));
                }
                Some(v) if v > MSP_VERSION => {
                    return Err(TxError::Msp(Error::config(format!(
                        "{label}: MSP tables are version {v}, newer than this msp (version {MSP_VERSION}); upgrade msp"
                    ))))
                }
                Some(_) => {}
            }
            for p in plugins {
                let component = format!("plugin:{}", p.flow);
                match current(&component) {
                    None => {
                        for t in &p.tables {
                            c.batch_execute(&sql::create_table(&Sqlite, &schema::plugin_table(t)))?;
                        }
                        insert(
                            c,
                            "msp_schema_version",
                            &[
                                ("component", component.clone().into()),
                                ("version", i64::from(p.version).into()),
                                ("applied_at", now.clone().into()),
                            ],
                        )?;
                        done.push(format!(
                            "{} tables created (version {}): {}",
                            p.flow,
                            p.version,
                            p.tables.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    Some(v) if v != p.version => {
                        return Err(TxError::Msp(Error::config(format!(
                            "{label}: the {} tables are version {v} but the plugin expects version {}; no automatic migration between these versions",
                            p.flow, p.version
                        ))))
                    }
                    Some(_) => {}
                }
            }
            Ok(done)
        })
    }

    fn import(&self, w: &ImportWrite<'_>) -> Result<()> {
        let label = self.label.clone();
        self.tx(|c| {
            let d = w.dossier;
            let numero: Value = d.numero.clone().into();
            match w.kind {
                ImportKind::New => {
                    insert(
                        c,
                        "msp_dossier",
                        &[
                            ("numero", numero.clone()),
                            ("flow", d.flow.clone().into()),
                            ("insee", d.insee.clone().into()),
                            ("file_number", i64::from(d.file_number).into()),
                            ("status", i64::from(d.status).into()),
                            ("indicator", i64::from(d.indicator).into()),
                            ("summary", truncate(&d.summary, 255).into()),
                            ("status_seq", i64::from(d.status_seq).into()),
                            ("created_at", ts(d.created_at).into()),
                            ("updated_at", ts(d.updated_at).into()),
                        ],
                    )?;
                }
                ImportKind::Complement => {
                    exec(
                        c,
                        "UPDATE \"msp_dossier\" SET \"file_number\" = ?, \"summary\" = ?, \"updated_at\" = ? WHERE \"numero\" = ?",
                        &[
                            i64::from(d.file_number).into(),
                            truncate(&d.summary, 255).into(),
                            ts(d.updated_at).into(),
                            numero.clone(),
                        ],
                    )?;
                    for t in w.tables {
                        exec(c, &format!("DELETE FROM \"{}\" WHERE \"numero\" = ?", t.name), std::slice::from_ref(&numero))?;
                    }
                }
            }
            if let Some(s) = w.initial_status {
                insert(
                    c,
                    "msp_statut",
                    &[
                        ("numero", numero.clone()),
                        ("seq", i64::from(s.seq).into()),
                        ("status", i64::from(s.status).into()),
                        ("indicator", i64::from(s.indicator).into()),
                        ("comment", s.comment.clone().into()),
                        ("automatic", s.automatic.into()),
                        ("superseded", s.superseded.into()),
                        ("created_at", ts(s.at).into()),
                        ("transmitted_at", s.transmitted_at.map(ts).into()),
                        ("cancelled", false.into()),
                        ("return_increment", w.initial_return.map(|r| i64::from(r.increment)).into()),
                    ],
                )?;
            }
            if let Some(r) = w.initial_return {
                insert_return(c, r)?;
            }
            for row in w.rows {
                let mut cols: Vec<(&str, Value)> = vec![("numero", numero.clone())];
                cols.extend(row.values.iter().map(|(k, v)| (*k, v.clone())));
                insert(c, row.table, &cols)?;
            }
            let first = next_seq(c, "msp_piece_jointe", &d.numero)?;
            for (seq, a) in (first..).zip(w.attachments) {
                let content = match a.mode {
                    AttachmentMode::Database => Value::Blob(std::fs::read(&a.source).map_err(|e| {
                        TxError::Msp(Error::io("cannot read attachment", &a.source, e))
                    })?),
                    AttachmentMode::Directory => Value::Null,
                };
                let m = &a.meta;
                insert(
                    c,
                    "msp_piece_jointe",
                    &[
                        ("numero", numero.clone()),
                        ("seq", seq.into()),
                        ("file_number", i64::from(m.file_number).into()),
                        ("code", truncate(&m.code, 32).into()),
                        ("label", truncate(&m.label, 255).into()),
                        ("file_name", truncate(&m.file_name, 255).into()),
                        ("size_bytes", (m.size as i64).into()),
                        ("sha256", m.sha256.clone().into()),
                        ("path", m.path.clone().into()),
                        ("content", content),
                        ("created_at", ts(w.received.received_at).into()),
                    ],
                )?;
            }
            let r = w.received;
            insert(
                c,
                "msp_archive_recue",
                &[
                    ("numero", numero.clone()),
                    ("file_number", i64::from(r.file_number).into()),
                    ("name", r.name.clone().into()),
                    ("sha256", r.sha256.clone().into()),
                    ("outcome", r.outcome.clone().into()),
                    ("received_at", ts(r.received_at).into()),
                ],
            )?;
            add_event(c, &d.numero, r.received_at, &w.event)?;
            Ok(())
        })
        .map_err(|e| e.context(format!("import into {label}")))
    }

    fn dossier(&self, numero: &str) -> Result<Option<Dossier>> {
        let mut c = self.conn()?;
        let rows: Vec<DossierRow> = sql_query("SELECT * FROM msp_dossier WHERE numero = ?")
            .bind::<Text, _>(numero)
            .load(&mut c)
            .map_err(|e| map(&self.label, e))?;
        Ok(rows.into_iter().next().map(Dossier::from))
    }

    fn dossiers(&self, flows: &[String]) -> Result<Vec<Dossier>> {
        let mut c = self.conn()?;
        let rows: Vec<DossierRow> = sql_query("SELECT * FROM msp_dossier ORDER BY numero")
            .load(&mut c)
            .map_err(|e| map(&self.label, e))?;
        Ok(rows
            .into_iter()
            .map(Dossier::from)
            .filter(|d| flows.is_empty() || flows.contains(&d.flow))
            .collect())
    }

    fn history(&self, numero: &str) -> Result<Vec<StatusEntry>> {
        let mut c = self.conn()?;
        let rows: Vec<StatusRow> =
            sql_query("SELECT * FROM msp_statut WHERE numero = ? ORDER BY seq")
                .bind::<Text, _>(numero)
                .load(&mut c)
                .map_err(|e| map(&self.label, e))?;
        Ok(rows
            .into_iter()
            .map(|r| StatusEntry {
                seq: r.seq as u32,
                status: r.status as u16,
                indicator: r.indicator as u8,
                comment: r.comment,
                automatic: r.automatic,
                superseded: r.superseded,
                at: parse_ts(&r.created_at),
                transmitted_at: r.transmitted_at.as_deref().map(parse_ts),
                cancelled: r.cancelled,
                return_increment: r.return_increment.map(|i| i as u32),
            })
            .collect())
    }

    fn returns(&self, numero: &str) -> Result<Vec<ReturnFlow>> {
        let mut c = self.conn()?;
        let rows: Vec<ReturnRow> = sql_query(
            "SELECT r.*, d.flow FROM msp_retour r JOIN msp_dossier d ON d.numero = r.numero WHERE r.numero = ? ORDER BY r.increment",
        )
        .bind::<Text, _>(numero)
        .load(&mut c)
        .map_err(|e| map(&self.label, e))?;
        Ok(rows.into_iter().map(ReturnFlow::from).collect())
    }

    fn received(&self, numero: &str) -> Result<Vec<ReceivedArchive>> {
        let mut c = self.conn()?;
        let rows: Vec<ReceivedRow> =
            sql_query("SELECT * FROM msp_archive_recue WHERE numero = ? ORDER BY file_number")
                .bind::<Text, _>(numero)
                .load(&mut c)
                .map_err(|e| map(&self.label, e))?;
        Ok(rows
            .into_iter()
            .map(|r| ReceivedArchive {
                name: r.name,
                numero: r.numero,
                file_number: r.file_number as u32,
                sha256: r.sha256,
                outcome: r.outcome,
                received_at: parse_ts(&r.received_at),
            })
            .collect())
    }

    fn attachments(&self, numero: &str) -> Result<Vec<StoredAttachment>> {
        let mut c = self.conn()?;
        let rows: Vec<AttachmentRow> = sql_query(
            "SELECT seq, file_number, code, label, file_name, size_bytes, sha256, path FROM msp_piece_jointe WHERE numero = ? ORDER BY seq",
        )
        .bind::<Text, _>(numero)
        .load(&mut c)
        .map_err(|e| map(&self.label, e))?;
        Ok(rows
            .into_iter()
            .map(|r| StoredAttachment {
                seq: r.seq as u32,
                file_number: r.file_number as u32,
                code: r.code,
                label: r.label,
                file_name: r.file_name,
                size: r.size_bytes as u64,
                sha256: r.sha256,
                path: r.path,
            })
            .collect())
    }

    fn events(&self, numero: &str) -> Result<Vec<Event>> {
        let mut c = self.conn()?;
        let rows: Vec<EventRow> =
            sql_query("SELECT at, text FROM msp_evenement WHERE numero = ? ORDER BY seq")
                .bind::<Text, _>(numero)
                .load(&mut c)
                .map_err(|e| map(&self.label, e))?;
        Ok(rows
            .into_iter()
            .map(|r| Event {
                at: parse_ts(&r.at),
                text: r.text,
            })
            .collect())
    }

    fn unwritten_returns(&self) -> Result<Vec<ReturnFlow>> {
        let mut c = self.conn()?;
        let rows: Vec<ReturnRow> = sql_query(
            "SELECT r.*, d.flow FROM msp_retour r JOIN msp_dossier d ON d.numero = r.numero WHERE r.written_at IS NULL ORDER BY r.numero, r.increment",
        )
        .load(&mut c)
        .map_err(|e| map(&self.label, e))?;
        Ok(rows.into_iter().map(ReturnFlow::from).collect())
    }

    fn mark_return_written(&self, numero: &str, increment: u32, at: NaiveDateTime) -> Result<()> {
        self.tx(|c| {
            let at: Value = ts(at).into();
            let inc: Value = i64::from(increment).into();
            exec(
                c,
                "UPDATE msp_retour SET written_at = ? WHERE numero = ? AND increment = ?",
                &[at.clone(), numero.into(), inc.clone()],
            )?;
            exec(
                c,
                "UPDATE msp_statut SET indicator = 2, transmitted_at = ? WHERE numero = ? AND return_increment = ?",
                &[at, numero.into(), inc.clone()],
            )?;
            exec(
                c,
                "UPDATE msp_dossier SET indicator = 2 WHERE numero = ? AND status_seq IN (SELECT seq FROM msp_statut WHERE numero = ? AND return_increment = ?)",
                &[numero.into(), numero.into(), inc],
            )?;
            Ok(())
        })
    }

    fn update_statuses(&self, numero: &str, u: &StatusUpdate) -> Result<()> {
        self.tx(|c| {
            let n: Value = numero.into();
            for seq in &u.supersede {
                exec(c, "UPDATE msp_statut SET superseded = 1 WHERE numero = ? AND seq = ?", &[n.clone(), i64::from(*seq).into()])?;
            }
            for seq in &u.cancel {
                exec(
                    c,
                    "UPDATE msp_statut SET superseded = 1, cancelled = 1 WHERE numero = ? AND seq = ?",
                    &[n.clone(), i64::from(*seq).into()],
                )?;
            }
            for seq in &u.restore {
                exec(c, "UPDATE msp_statut SET superseded = 0 WHERE numero = ? AND seq = ?", &[n.clone(), i64::from(*seq).into()])?;
            }
            if let Some(s) = &u.append {
                insert(
                    c,
                    "msp_statut",
                    &[
                        ("numero", n.clone()),
                        ("seq", i64::from(s.seq).into()),
                        ("status", i64::from(s.status).into()),
                        ("indicator", i64::from(s.indicator).into()),
                        ("comment", s.comment.clone().into()),
                        ("automatic", s.automatic.into()),
                        ("superseded", s.superseded.into()),
                        ("created_at", ts(s.at).into()),
                        ("transmitted_at", s.transmitted_at.map(ts).into()),
                        ("cancelled", s.cancelled.into()),
                        ("return_increment", s.return_increment.map(i64::from).into()),
                    ],
                )?;
            }
            let (seq, status, indicator) = u.current;
            exec(
                c,
                "UPDATE msp_dossier SET status_seq = ?, status = ?, indicator = ?, updated_at = ? WHERE numero = ?",
                &[i64::from(seq).into(), i64::from(status).into(), i64::from(indicator).into(), ts(u.at).into(), n.clone()],
            )?;
            add_event(c, numero, u.at, &u.event)?;
            Ok(())
        })
    }

    fn record_return(&self, ret: &ReturnFlow, status_seq: u32) -> Result<()> {
        self.tx(|c| {
            insert_return(c, ret)?;
            exec(
                c,
                "UPDATE msp_statut SET return_increment = ? WHERE numero = ? AND seq = ?",
                &[
                    i64::from(ret.increment).into(),
                    ret.numero.clone().into(),
                    i64::from(status_seq).into(),
                ],
            )?;
            Ok(())
        })
    }

    fn mark_return_collected(&self, numero: &str, increment: u32, at: NaiveDateTime) -> Result<()> {
        self.tx(|c| {
            exec(
                c,
                "UPDATE msp_retour SET collected_at = ? WHERE numero = ? AND increment = ? AND collected_at IS NULL",
                &[ts(at).into(), numero.into(), i64::from(increment).into()],
            )?;
            Ok(())
        })
    }

    fn uncollected_returns(&self) -> Result<Vec<ReturnFlow>> {
        let mut c = self.conn()?;
        let rows: Vec<ReturnRow> = sql_query(
            "SELECT r.*, d.flow FROM msp_retour r JOIN msp_dossier d ON d.numero = r.numero WHERE r.written_at IS NOT NULL AND r.collected_at IS NULL ORDER BY r.numero, r.increment",
        )
        .load(&mut c)
        .map_err(|e| map(&self.label, e))?;
        Ok(rows.into_iter().map(ReturnFlow::from).collect())
    }

    fn dossiers_to_transmit(&self) -> Result<Vec<String>> {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = Text)]
            numero: String,
        }
        let mut c = self.conn()?;
        let rows: Vec<N> = sql_query(
            "SELECT numero FROM msp_dossier WHERE indicator = 0 \
             UNION SELECT s.numero FROM msp_statut s JOIN msp_dossier d ON d.numero = s.numero \
             WHERE s.seq > d.status_seq AND s.cancelled = 0 AND s.superseded = 0 ORDER BY numero",
        )
        .load(&mut c)
        .map_err(|e| map(&self.label, e))?;
        Ok(rows.into_iter().map(|r| r.numero).collect())
    }

    fn rows(&self, table: &TableDef, numero: &str) -> Result<Vec<Row>> {
        // One JSON object per row, so columns known only at run time can be
        // read back through a static diesel row type.
        let pairs: Vec<String> = table
            .columns
            .iter()
            .map(|col| format!("'{0}', \"{0}\"", col.name))
            .collect();
        let sql = format!(
            "SELECT json_object({}) AS v FROM \"{}\" WHERE numero = ?",
            pairs.join(", "),
            table.name
        );
        #[derive(QueryableByName)]
        struct J {
            #[diesel(sql_type = Text)]
            v: String,
        }
        let mut c = self.conn()?;
        let rows: Vec<J> = sql_query(sql)
            .bind::<Text, _>(numero)
            .load(&mut c)
            .map_err(|e| map(&self.label, e))?;
        rows.iter()
            .map(|j| {
                json_row(table, &j.v).map_err(|m| Error::trouble(format!("{}: {m}", self.label)))
            })
            .collect()
    }
}

fn insert_return(
    c: &mut SqliteConnection,
    r: &ReturnFlow,
) -> std::result::Result<usize, diesel::result::Error> {
    insert(
        c,
        "msp_retour",
        &[
            ("numero", r.numero.clone().into()),
            ("increment", i64::from(r.increment).into()),
            ("status", i64::from(r.status).into()),
            ("comment", r.comment.clone().into()),
            ("file_name", r.file.clone().into()),
            ("attachment_name", r.attachment.clone().into()),
            ("created_at", ts(r.created_at).into()),
        ],
    )
}

fn add_event(
    c: &mut SqliteConnection,
    numero: &str,
    at: NaiveDateTime,
    text: &str,
) -> std::result::Result<(), diesel::result::Error> {
    let seq = next_seq(c, "msp_evenement", numero)?;
    insert(
        c,
        "msp_evenement",
        &[
            ("numero", numero.into()),
            ("seq", seq.into()),
            ("at", ts(at).into()),
            ("text", truncate(text, 2000).into()),
        ],
    )?;
    Ok(())
}

/// Reads a `json_object` row back into typed values.
fn json_row(table: &TableDef, json: &str) -> std::result::Result<Row, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("bad row JSON: {e}"))?;
    let mut row = Row::new(table.name);
    for col in &table.columns {
        let x = &v[col.name];
        let value = match (x, col.ty) {
            (serde_json::Value::Null, _) => Value::Null,
            (x, ColumnType::Integer) => x.as_i64().map(Value::Integer).unwrap_or(Value::Null),
            (x, ColumnType::Boolean) => {
                Value::Boolean(x.as_i64() == Some(1) || x.as_bool() == Some(true))
            }
            (serde_json::Value::String(s), ColumnType::Date) => {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Value::Date)
                    .unwrap_or(Value::Null)
            }
            (serde_json::Value::String(s), ColumnType::Timestamp) => Value::Timestamp(parse_ts(s)),
            (serde_json::Value::String(s), _) => Value::Text(s.clone()),
            (other, _) => Value::Text(other.to_string()),
        };
        row = row.set(col.name, value);
    }
    Ok(row)
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
