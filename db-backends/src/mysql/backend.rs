//! The MySQL / MariaDB engine: diesel over an r2d2 pool.

use std::sync::Arc;

use diesel::MysqlConnection;
use msp_core::backend::Backend;
use msp_core::Result;

use super::config::MysqlConfig;
use super::error::{map, map_pool};
use crate::generic::SqlBackend;

crate::diesel_engine!(
    MysqlEngine,
    MysqlConnection,
    diesel::mysql::Mysql,
    crate::sql::Mysql,
    map,
    map_pool,
    transaction
);

/// Connects (the first connection is made now: [`crate::engine::open_pool`]).
pub fn open(config: &MysqlConfig) -> Result<Arc<dyn Backend>> {
    let pool = crate::engine::open_pool::<MysqlConnection>(
        &config.url,
        config.connect_timeout_ms,
        &config.label,
    )?;
    let label = config.label.clone();
    Ok(SqlBackend::shared(Box::new(MysqlEngine { pool, label })))
}
