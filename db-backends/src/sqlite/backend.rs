//! The SQLite engine: diesel over an r2d2 pool, WAL journal with
//! `synchronous = FULL`: a committed import survives a power cut, since its
//! archive is moved to done right after the commit.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::SqliteConnection;
use msp_core::backend::Backend;
use msp_core::{Error, Result};

use super::config::SqliteConfig;
use super::error::{map, map_pool};
use crate::generic::SqlBackend;

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
            // temp_store: the statement journals of a batch's savepoints
            // stay in memory instead of temporary files.
            "PRAGMA busy_timeout = {}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = MEMORY;",
            self.busy_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

crate::diesel_engine!(
    SqliteEngine,
    SqliteConnection,
    diesel::sqlite::Sqlite,
    crate::sql::Sqlite,
    map,
    map_pool,
    immediate_transaction
);

/// Opens (creating the file if needed) a SQLite database.
pub fn open(config: &SqliteConfig) -> Result<Arc<dyn Backend>> {
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
    Ok(SqlBackend::shared(Box::new(SqliteEngine { pool, label })))
}
