//! Maps SQLite errors (through diesel and r2d2) to msp's error kinds: a
//! locked or busy database is temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Words that mark a temporary failure. diesel 2.3 keeps SQLite's result
/// code to itself (a busy or locked database comes as `Unknown`), so
/// SQLite's own text, never translated, stands for it: SQLITE_BUSY "database
/// is locked", SQLITE_LOCKED "database table is locked".
const TEMPORARY: &[&str] = &["locked", "busy"];

/// Maps a diesel error (kept as the source).
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
