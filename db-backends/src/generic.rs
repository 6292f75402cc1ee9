//! The one implementation of [`Backend`] over any [`Engine`]: every engine
//! runs the same statements, written once here in the engine's dialect.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use msp_core::backend::{
    Backend, Dossier, Event, ImportKind, ImportWrite, PluginSchema, ReceivedArchive, ReturnFlow,
    StatusEntry, StatusUpdate, StoredAttachment,
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

fn msp_table(name: &str) -> Table {
    schema::msp_tables_v1()
        .into_iter()
        .chain(std::iter::once(schema::version_table()))
        .find(|t| t.name == name)
        .expect("an MSP table")
}

fn col_type(t: &Table, col: &str) -> ColumnType {
    t.columns
        .iter()
        .find(|c| c.name == col)
        .map_or(ColumnType::Text(4000), |c| c.ty)
}

/// Inserts a row: `values` by column name, types from the table.
fn insert(
    s: &mut dyn Session,
    d: &dyn Dialect,
    t: &Table,
    values: Vec<(&str, Value)>,
) -> Result<()> {
    let names: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    let params: Vec<Param> = values
        .into_iter()
        .map(|(c, v)| Param {
            ty: col_type(t, c),
            value: v,
        })
        .collect();
    s.execute(&sql::insert(d, t.name, &names), &params)?;
    Ok(())
}

fn exec(s: &mut dyn Session, d: &dyn Dialect, template: &str, params: &[Param]) -> Result<usize> {
    s.execute(&sql::markers(d, template), params)
}

fn select(
    s: &mut dyn Session,
    d: &dyn Dialect,
    t: &Table,
    cols: &[&str],
    where_: &str,
    order: &str,
    params: &[Param],
) -> Result<Vec<TextRow>> {
    let order = sql::markers(d, order);
    s.query(&sql::select(d, t, cols, where_, &order), params)
}

fn txt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}
fn int(v: &Option<String>) -> i64 {
    v.as_deref()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map_or(0, |f| f as i64)
}
fn opt_int(v: &Option<String>) -> Option<i64> {
    v.as_deref()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map(|f| f as i64)
}
fn boolean(v: &Option<String>) -> bool {
    matches!(
        v.as_deref().map(str::trim),
        Some("1" | "t" | "true" | "TRUE" | "True" | "-1" | "Y")
    )
}
/// Parses the text form of a timestamp on any engine.
pub fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%d-%b-%y %I.%M.%S%.f %p",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)))
}
fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
}
fn ts(v: &Option<String>) -> NaiveDateTime {
    v.as_deref().and_then(parse_ts).unwrap_or_default()
}
fn opt_ts(v: &Option<String>) -> Option<NaiveDateTime> {
    v.as_deref().and_then(parse_ts)
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

fn dossier(r: &TextRow) -> Dossier {
    Dossier {
        numero: txt(&r[0]),
        flow: txt(&r[1]),
        insee: txt(&r[2]),
        file_number: int(&r[3]) as u32,
        status: int(&r[4]) as u16,
        indicator: int(&r[5]) as u8,
        summary: txt(&r[6]),
        status_seq: int(&r[7]) as u32,
        created_at: ts(&r[8]),
        updated_at: ts(&r[9]),
    }
}

const STATUS_COLS: [&str; 10] = [
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

fn status(r: &TextRow) -> StatusEntry {
    StatusEntry {
        seq: int(&r[0]) as u32,
        status: int(&r[1]) as u16,
        indicator: int(&r[2]) as u8,
        comment: r[3].clone(),
        automatic: boolean(&r[4]),
        superseded: boolean(&r[5]),
        at: ts(&r[6]),
        transmitted_at: opt_ts(&r[7]),
        cancelled: boolean(&r[8]),
        return_increment: opt_int(&r[9]).map(|i| i as u32),
    }
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

impl SqlBackend {
    /// Return flows matching `where_`, with their dossier's flow.
    fn returns_where(&self, where_: &str, params: Vec<Param>) -> Result<Vec<ReturnFlow>> {
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_retour"),
                &RETURN_COLS,
                where_,
                "`numero`, `increment`",
                &params,
            )
        })?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // The dossiers' flows: one lookup for a single dossier (the hot
        // path), one query for all when the list spans several.
        let first = txt(&rows[0][0]);
        let flows: std::collections::HashMap<String, String> =
            if rows.iter().all(|r| txt(&r[0]) == first) {
                self.dossier(&first)?
                    .map(|d| (first, d.flow))
                    .into_iter()
                    .collect()
            } else {
                self.run(false, |s, d| {
                    select(
                        s,
                        d,
                        &msp_table("msp_dossier"),
                        &["numero", "flow"],
                        "",
                        "",
                        &[],
                    )
                })?
                .into_iter()
                .map(|r| (txt(&r[0]), txt(&r[1])))
                .collect()
            };
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let numero = txt(&r[0]);
            let flow = flows.get(&numero).cloned().unwrap_or_default();
            out.push(ReturnFlow {
                numero,
                flow,
                increment: int(&r[1]) as u32,
                status: int(&r[2]) as u16,
                comment: txt(&r[3]),
                file: txt(&r[4]),
                attachment: r[5].clone(),
                created_at: ts(&r[6]),
                written_at: opt_ts(&r[7]),
                collected_at: opt_ts(&r[8]),
            });
        }
        Ok(out)
    }
}

fn next_seq(s: &mut dyn Session, d: &dyn Dialect, table: &str, numero: &str) -> Result<i64> {
    let t = msp_table(table);
    let rows = select(
        s,
        d,
        &t,
        &["seq"],
        "`numero` = {1}",
        "",
        &[Param::text(numero)],
    )?;
    Ok(rows.iter().map(|r| int(&r[0])).max().unwrap_or(0) + 1)
}

fn add_event(
    s: &mut dyn Session,
    d: &dyn Dialect,
    numero: &str,
    at: NaiveDateTime,
    text: &str,
) -> Result<()> {
    let seq = next_seq(s, d, "msp_evenement", numero)?;
    insert(
        s,
        d,
        &msp_table("msp_evenement"),
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
        &msp_table("msp_retour"),
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
        &msp_table("msp_statut"),
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
    s.chars().take(max).collect()
}

impl Backend for SqlBackend {
    fn describe(&self) -> String {
        self.engine.label().to_string()
    }

    fn init(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        let label = self.describe();
        let vt = schema::version_table();
        // Probe the version table outside the transaction: on PostgreSQL a
        // failed statement aborts the transaction it runs in.
        let existing = self
            .run(false, |s, d| {
                s.query(&sql::select(d, &vt, &["component", "version"], "", ""), &[])
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
            let current = |c: &str| versions.iter().find(|r| txt(&r[0]) == c).map(|r| int(&r[1]) as u32);
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
                    s.execute(&sql::create_table(d, t).map_err(Error::config)?, &[])?;
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
                            s.execute(&ddl, &[])?;
                        }
                        record(s, &component, p.version)?;
                        done.push(format!(
                            "{} tables created (version {}): {}",
                            p.flow,
                            p.version,
                            p.tables.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    Some(v) if v != p.version => {
                        return Err(Error::config(format!(
                            "{label}: the {} tables are version {v} but the plugin expects version {}; no automatic migration between these versions",
                            p.flow, p.version
                        )))
                    }
                    Some(_) => {}
                }
            }
            Ok(done)
        })
    }

    fn import(&self, w: &ImportWrite<'_>) -> Result<()> {
        let label = self.describe();
        self.run(true, |s, d| {
            let dos = w.dossier;
            let numero = dos.numero.as_str();
            match w.kind {
                ImportKind::New => insert(
                    s,
                    d,
                    &msp_table("msp_dossier"),
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
                        exec(s, d, &format!("DELETE FROM `{}` WHERE `numero` = {{1}}", t.name), &[Param::text(numero)])?;
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
                let t = schema::plugin_table(def);
                let mut values: Vec<(&str, Value)> = vec![("numero", numero.into())];
                values.extend(row.values.iter().map(|(k, v)| (*k, v.clone())));
                insert(s, d, &t, values)?;
            }
            let first = next_seq(s, d, "msp_piece_jointe", numero)?;
            for (seq, a) in (first..).zip(w.attachments) {
                let content = match a.mode {
                    AttachmentMode::Database => Value::Blob(
                        std::fs::read(&a.source).map_err(|e| Error::io("cannot read attachment", &a.source, e))?,
                    ),
                    AttachmentMode::Directory => Value::Null,
                };
                let m = &a.meta;
                insert(
                    s,
                    d,
                    &msp_table("msp_piece_jointe"),
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
            }
            let r = w.received;
            insert(
                s,
                d,
                &msp_table("msp_archive_recue"),
                vec![
                    ("numero", numero.into()),
                    ("file_number", i64::from(r.file_number).into()),
                    ("name", r.name.clone().into()),
                    ("sha256", r.sha256.clone().into()),
                    ("outcome", r.outcome.clone().into()),
                    ("received_at", r.received_at.into()),
                ],
            )?;
            add_event(s, d, numero, r.received_at, &w.event)?;
            Ok(())
        })
        .map_err(|e| e.context(format!("import into {label}")))
    }

    fn dossier(&self, numero: &str) -> Result<Option<Dossier>> {
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_dossier"),
                &DOSSIER_COLS,
                "`numero` = {1}",
                "",
                &[Param::text(numero)],
            )
        })?;
        Ok(rows.first().map(dossier))
    }

    fn dossiers(&self, flows: &[String]) -> Result<Vec<Dossier>> {
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_dossier"),
                &DOSSIER_COLS,
                "",
                "`numero`",
                &[],
            )
        })?;
        Ok(rows
            .iter()
            .map(dossier)
            .filter(|d| flows.is_empty() || flows.contains(&d.flow))
            .collect())
    }

    fn history(&self, numero: &str) -> Result<Vec<StatusEntry>> {
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_statut"),
                &STATUS_COLS,
                "`numero` = {1}",
                "`seq`",
                &[Param::text(numero)],
            )
        })?;
        Ok(rows.iter().map(status).collect())
    }

    fn returns(&self, numero: &str) -> Result<Vec<ReturnFlow>> {
        self.returns_where("`numero` = {1}", vec![Param::text(numero)])
    }

    fn received(&self, numero: &str) -> Result<Vec<ReceivedArchive>> {
        let cols = [
            "name",
            "numero",
            "file_number",
            "sha256",
            "outcome",
            "received_at",
        ];
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_archive_recue"),
                &cols,
                "`numero` = {1}",
                "`file_number`",
                &[Param::text(numero)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| ReceivedArchive {
                name: txt(&r[0]),
                numero: txt(&r[1]),
                file_number: int(&r[2]) as u32,
                sha256: txt(&r[3]),
                outcome: txt(&r[4]),
                received_at: ts(&r[5]),
            })
            .collect())
    }

    fn attachments(&self, numero: &str) -> Result<Vec<StoredAttachment>> {
        let cols = [
            "seq",
            "file_number",
            "code",
            "label",
            "file_name",
            "size_bytes",
            "sha256",
            "path",
        ];
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_piece_jointe"),
                &cols,
                "`numero` = {1}",
                "`seq`",
                &[Param::text(numero)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| StoredAttachment {
                seq: int(&r[0]) as u32,
                file_number: int(&r[1]) as u32,
                code: txt(&r[2]),
                label: txt(&r[3]),
                file_name: txt(&r[4]),
                size: int(&r[5]) as u64,
                sha256: txt(&r[6]),
                path: r[7].clone(),
            })
            .collect())
    }

    fn events(&self, numero: &str) -> Result<Vec<Event>> {
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &msp_table("msp_evenement"),
                &["at", "text"],
                "`numero` = {1}",
                "`seq`",
                &[Param::text(numero)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| Event {
                at: ts(&r[0]),
                text: txt(&r[1]),
            })
            .collect())
    }

    fn unwritten_returns(&self) -> Result<Vec<ReturnFlow>> {
        self.returns_where("`written_at` IS NULL", vec![])
    }

    fn mark_return_written(&self, numero: &str, increment: u32, at: NaiveDateTime) -> Result<()> {
        self.run(true, |s, d| {
            let at = Param::new(at, ColumnType::Timestamp);
            let (n, inc) = (Param::text(numero), Param::int(i64::from(increment)));
            exec(s, d, "UPDATE `msp_retour` SET `written_at` = {1} WHERE `numero` = {2} AND `increment` = {3}", &[at.clone(), n.clone(), inc.clone()])?;
            exec(
                s,
                d,
                "UPDATE `msp_statut` SET `indicator` = 2, `transmitted_at` = {1} WHERE `numero` = {2} AND `return_increment` = {3}",
                &[at, n.clone(), inc.clone()],
            )?;
            let seqs = select(s, d, &msp_table("msp_statut"), &["seq"], "`numero` = {1} AND `return_increment` = {2}", "", &[n.clone(), inc])?;
            for r in seqs {
                exec(
                    s,
                    d,
                    "UPDATE `msp_dossier` SET `indicator` = 2 WHERE `numero` = {1} AND `status_seq` = {2}",
                    &[n.clone(), Param::int(int(&r[0]))],
                )?;
            }
            Ok(())
        })
    }

    fn update_statuses(&self, numero: &str, u: &StatusUpdate) -> Result<()> {
        self.run(true, |s, d| {
            let n = Param::text(numero);
            let t = d.bool_literal(true);
            let f = d.bool_literal(false);
            for seq in &u.supersede {
                exec(s, d, &format!("UPDATE `msp_statut` SET `superseded` = {t} WHERE `numero` = {{1}} AND `seq` = {{2}}"), &[n.clone(), Param::int(i64::from(*seq))])?;
            }
            for seq in &u.cancel {
                exec(
                    s,
                    d,
                    &format!("UPDATE `msp_statut` SET `superseded` = {t}, `cancelled` = {t} WHERE `numero` = {{1}} AND `seq` = {{2}}"),
                    &[n.clone(), Param::int(i64::from(*seq))],
                )?;
            }
            for seq in &u.restore {
                exec(s, d, &format!("UPDATE `msp_statut` SET `superseded` = {f} WHERE `numero` = {{1}} AND `seq` = {{2}}"), &[n.clone(), Param::int(i64::from(*seq))])?;
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
            add_event(s, d, numero, u.at, &u.event)
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

    fn mark_return_collected(&self, numero: &str, increment: u32, at: NaiveDateTime) -> Result<()> {
        self.run(true, |s, d| {
            exec(
                s,
                d,
                "UPDATE `msp_retour` SET `collected_at` = {1} WHERE `numero` = {2} AND `increment` = {3} AND `collected_at` IS NULL",
                &[Param::new(at, ColumnType::Timestamp), Param::text(numero), Param::int(i64::from(increment))],
            )?;
            Ok(())
        })
    }

    fn uncollected_returns(&self) -> Result<Vec<ReturnFlow>> {
        self.returns_where(
            "`written_at` IS NOT NULL AND `collected_at` IS NULL",
            vec![],
        )
    }

    fn dossiers_to_transmit(&self) -> Result<Vec<String>> {
        let (dossiers, statuses) = self.run(false, |s, d| {
            let dossiers = select(
                s,
                d,
                &msp_table("msp_dossier"),
                &["numero", "indicator", "status_seq"],
                "",
                "",
                &[],
            )?;
            let f = d.bool_literal(false);
            let statuses = select(
                s,
                d,
                &msp_table("msp_statut"),
                &["numero", "seq"],
                &format!("`cancelled` = {f} AND `superseded` = {f} AND `indicator` = 0"),
                "",
                &[],
            )?;
            Ok((dossiers, statuses))
        })?;
        let mut out: Vec<String> = Vec::new();
        for r in &dossiers {
            let numero = txt(&r[0]);
            let current = int(&r[2]);
            if int(&r[1]) == 0
                || statuses
                    .iter()
                    .any(|st| txt(&st[0]) == numero && int(&st[1]) > current)
            {
                out.push(numero);
            }
        }
        out.sort();
        Ok(out)
    }

    fn rows(&self, table: &TableDef, numero: &str) -> Result<Vec<Row>> {
        let t = schema::plugin_table(table);
        let cols: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        let rows = self.run(false, |s, d| {
            select(
                s,
                d,
                &t,
                &cols,
                "`numero` = {1}",
                "",
                &[Param::text(numero)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut row = Row::new(table.name);
                for (col, v) in table.columns.iter().zip(r) {
                    let value = match (v, col.ty) {
                        (None, _) => Value::Null,
                        (Some(s), ColumnType::Integer) => {
                            opt_int(&Some(s.clone())).map_or(Value::Null, Value::Integer)
                        }
                        (Some(_), ColumnType::Boolean) => Value::Boolean(boolean(v)),
                        (Some(s), ColumnType::Date) => {
                            parse_date(s).map_or(Value::Null, Value::Date)
                        }
                        (Some(s), ColumnType::Timestamp) => {
                            parse_ts(s).map_or(Value::Null, Value::Timestamp)
                        }
                        (Some(_), ColumnType::Blob) => Value::Null,
                        (Some(s), ColumnType::Text(_)) => Value::Text(s.clone()),
                    };
                    row = row.set(col.name, value);
                }
                row
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
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
        assert!(
            boolean(&Some("true".into()))
                && boolean(&Some("1".into()))
                && !boolean(&Some("0".into()))
        );
        assert_eq!(int(&Some("19.0".into())), 19);
    }
}
