//! The PostgreSQL engine: diesel over an r2d2 pool.

use std::sync::Arc;

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

/// Connects (the first connection is made now: [`crate::engine::open_pool`]).
pub fn open(config: &PostgresConfig) -> Result<Arc<dyn Backend>> {
    let pool = crate::engine::open_pool::<PgConnection>(
        &config.url,
        config.connect_timeout_ms,
        &config.label,
    )?;
    let label = config.label.clone();
    Ok(SqlBackend::shared(Box::new(PgEngine { pool, label })))
}
