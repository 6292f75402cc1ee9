//! Maps MySQL and MariaDB errors (through diesel and r2d2) to msp's error
//! kinds: deadlocks, lock wait timeouts and lost connections are temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Messages that mark a temporary failure (besides a lost connection,
/// which `engine::map_diesel` knows for every engine).
const TEMPORARY: &[&str] = &[
    "deadlock",
    "lock wait timeout",
    "can't connect",
    "too many connections",
];

/// Maps a diesel error.
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
