//! Maps SQLite errors (through diesel and r2d2) to msp's error kinds: a
//! locked or busy database is temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Messages that mark a temporary failure.
const TEMPORARY: &[&str] = &["locked", "busy"];

/// Maps a diesel error.
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
