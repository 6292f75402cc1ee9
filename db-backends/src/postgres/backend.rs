//! The PostgreSQL engine: diesel over an r2d2 pool.

use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{ConnectionManager, Pool};
use diesel::PgConnection;
use msp_core::backend::Backend;
use msp_core::Result;

use super::config::PostgresConfig;
use super::error::{map, map_pool};
use crate::generic::SqlBackend;

crate::diesel_engine!(
    PgEngine,
    PgConnection,
    diesel::pg::Pg,
    crate::sql::Postgres,
    map,
    map_pool,
    transaction
);

/// Connects (the first connection is made now, so a wrong URL or password
/// is reported at once with the server's own words).
pub fn open(config: &PostgresConfig) -> Result<Arc<dyn Backend>> {
    let manager = ConnectionManager::<PgConnection>::new(config.url.clone());
    let pool = Pool::builder()
        .max_size(4)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_millis(config.connect_timeout_ms.max(1000)))
        .build_unchecked(manager);
    let label = config.label.clone();
    // Surface the real connection error instead of the pool's timeout.
    {
        use diesel::Connection;
        PgConnection::establish(&config.url).map_err(|e| map_pool(&label, e))?;
    }
    let _ = &map;
    Ok(SqlBackend::shared(Box::new(PgEngine { pool, label })))
}
