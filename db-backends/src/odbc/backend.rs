//! The ODBC engine (odbc-api): one connection per backend, serialised by a
//! mutex, reconnected after a connection failure. Parameters are bound with
//! their ODBC types (VARCHAR, BIGINT, BIT, DATE, TIMESTAMP, VARBINARY) so
//! drivers convert them into the column's type; rows are read as text.

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, Timelike};
use msp_core::backend::Backend;
use msp_core::{Error, Result};
use msp_plugins::{ColumnType, Value};
use odbc_api::parameter::{InputParameter, VarBinaryBox, VarCharBox, WithDataType};
use odbc_api::{Bit, Connection, ConnectionOptions, Cursor, DataType, Environment, Nullable};

use super::config::OdbcConfig;
use super::error::map;
use crate::engine::{Engine, Param, Session, TextRow};
use crate::generic::SqlBackend;
use crate::sql::{Dialect, Syntax};

fn environment() -> Result<&'static Environment> {
    static ENV: OnceLock<Environment> = OnceLock::new();
    if let Some(e) = ENV.get() {
        return Ok(e);
    }
    let env = Environment::new()
        .map_err(|e| Error::trouble(format!("cannot start ODBC (is unixODBC installed?): {e}")))?;
    Ok(ENV.get_or_init(|| env))
}

/// The ODBC engine.
pub struct OdbcEngine {
    config: OdbcConfig,
    dialect: &'static dyn Dialect,
    conn: Mutex<Option<Connection<'static>>>,
}

impl OdbcEngine {
    fn connect(&self) -> Result<Connection<'static>> {
        let env = environment()?;
        let options = ConnectionOptions {
            login_timeout_sec: Some(self.config.timeout_sec as u32),
            ..ConnectionOptions::default()
        };
        env.connect_with_connection_string(&self.config.connection_string, options)
            .map_err(|e| {
                let mut err = map(&self.config.label, e);
                err.temporary = true; // a data source we cannot reach now
                if err.message.contains("Can't open lib") {
                    err = err.context(
                        "the ODBC driver's library was not found: give its full path, \
                         in the connection string (Driver=/path/to/driver.so) or in odbcinst.ini",
                    );
                }
                err.context("cannot connect")
            })
    }
}

fn param(p: &Param) -> Box<dyn InputParameter> {
    match (&p.value, p.ty) {
        (Value::Null, ColumnType::Integer) => Box::new(Nullable::<i64>::null()),
        (Value::Null, ColumnType::Boolean) => Box::new(Nullable::<Bit>::null()),
        (Value::Null, ColumnType::Date) => Box::new(Nullable::<odbc_api::sys::Date>::null()),
        (Value::Null, ColumnType::Timestamp) => Box::new(WithDataType {
            value: Nullable::<odbc_api::sys::Timestamp>::null(),
            data_type: DataType::Timestamp { precision: 0 },
        }),
        (Value::Null, ColumnType::Blob) => Box::new(VarBinaryBox::null()),
        (Value::Null, ColumnType::Text(_)) => Box::new(VarCharBox::null()),
        (Value::Text(s), _) => Box::new(VarCharBox::from_string(s.clone())),
        (Value::Integer(i), _) => Box::new(*i),
        (Value::Boolean(b), _) => Box::new(Bit(u8::from(*b))),
        (Value::Date(d), _) => Box::new(odbc_api::sys::Date {
            year: d.year() as i16,
            month: d.month() as u16,
            day: d.day() as u16,
        }),
        (Value::Timestamp(t), _) => Box::new(WithDataType {
            value: odbc_api::sys::Timestamp {
                year: t.year() as i16,
                month: t.month() as u16,
                day: t.day() as u16,
                hour: t.hour() as u16,
                minute: t.minute() as u16,
                second: t.second() as u16,
                fraction: 0,
            },
            data_type: DataType::Timestamp { precision: 0 },
        }),
        (Value::Blob(b), _) => Box::new(VarBinaryBox::from_vec(b.clone())),
    }
}

struct OdbcSession<'c> {
    conn: &'c Connection<'static>,
    label: &'c str,
}

impl Session for OdbcSession<'_> {
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<usize> {
        let bound: Vec<Box<dyn InputParameter>> = params.iter().map(param).collect();
        let mut stmt = self.conn.preallocate().map_err(|e| map(self.label, e))?;
        stmt.execute(sql, bound.as_slice())
            .map_err(|e| map(self.label, e))?;
        Ok(stmt
            .row_count()
            .map_err(|e| map(self.label, e))?
            .unwrap_or(0))
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<TextRow>> {
        let bound: Vec<Box<dyn InputParameter>> = params.iter().map(param).collect();
        let mut out = Vec::new();
        let Some(mut cursor) = self
            .conn
            .execute(sql, bound.as_slice(), None)
            .map_err(|e| map(self.label, e))?
        else {
            return Ok(out);
        };
        let cols = odbc_api::ResultSetMetadata::num_result_cols(&mut cursor)
            .map_err(|e| map(self.label, e))? as u16;
        let mut buf = Vec::new();
        while let Some(mut row) = cursor.next_row().map_err(|e| map(self.label, e))? {
            let mut values = Vec::with_capacity(cols as usize);
            for c in 1..=cols {
                buf.clear();
                let present = row.get_text(c, &mut buf).map_err(|e| map(self.label, e))?;
                values.push(present.then(|| String::from_utf8_lossy(&buf).into_owned()));
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl Engine for OdbcEngine {
    fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    fn label(&self) -> &str {
        &self.config.label
    }

    fn with_session(
        &self,
        tx: bool,
        f: &mut dyn FnMut(&mut dyn Session) -> Result<()>,
    ) -> Result<()> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| Error::trouble("ODBC connection lock poisoned"))?;
        if guard.is_none() {
            *guard = Some(self.connect()?);
        }
        let conn = guard.as_ref().expect("connected above");
        let label = self.config.label.as_str();
        let mut session = OdbcSession { conn, label };
        let result = if tx {
            conn.set_autocommit(false).map_err(|e| map(label, e))?;
            let r = f(&mut session);
            let end = match &r {
                Ok(()) => conn.commit(),
                Err(_) => conn.rollback(),
            };
            let restore = conn.set_autocommit(true);
            match (
                r,
                end.map_err(|e| map(label, e)),
                restore.map_err(|e| map(label, e)),
            ) {
                (Err(e), _, _) => Err(e),
                (Ok(()), Err(e), _) | (Ok(()), Ok(()), Err(e)) => Err(e),
                (Ok(()), Ok(()), Ok(())) => Ok(()),
            }
        } else {
            f(&mut session)
        };
        // A broken connection is dropped and reopened next time.
        if let Err(e) = &result {
            if e.temporary {
                *guard = None;
            }
        }
        result
    }
}

/// The database's dialect as ODBC sends it ([`Syntax::through_odbc`]): its
/// own types, casts, savepoints and DDL rules, with ODBC's `?` markers.
struct ThroughOdbc {
    name: &'static str,
    syntax: &'static Syntax,
}

impl Dialect for ThroughOdbc {
    fn name(&self) -> &'static str {
        self.name
    }
    fn syntax(&self) -> &'static Syntax {
        self.syntax
    }
}

fn odbc_dialect(d: &'static dyn Dialect) -> &'static dyn Dialect {
    use std::collections::HashMap;
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static ThroughOdbc>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    *cache.entry(d.name()).or_insert_with(|| {
        Box::leak(Box::new(ThroughOdbc {
            name: d.name(),
            syntax: Box::leak(Box::new(d.syntax().through_odbc())),
        }))
    })
}

/// Opens an ODBC data source (connecting now, so a wrong connection string
/// is reported at once with the driver's own words).
pub fn open(config: &OdbcConfig) -> Result<Arc<dyn Backend>> {
    let engine = OdbcEngine {
        config: config.clone(),
        dialect: odbc_dialect(config.dialect),
        conn: Mutex::new(None),
    };
    let first = engine.connect()?;
    *engine
        .conn
        .lock()
        .map_err(|_| Error::trouble("ODBC connection lock poisoned"))? = Some(first);
    Ok(SqlBackend::shared(Box::new(engine)))
}
