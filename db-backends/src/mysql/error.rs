//! Maps MySQL and MariaDB errors (through diesel and r2d2) to msp's error
//! kinds: deadlocks, lock wait timeouts and lost connections are temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Messages that mark a temporary failure.
const TEMPORARY: &[&str] = &[
    "deadlock",
    "lock wait timeout",
    "server has gone away",
    "lost connection",
    "can't connect",
    "too many connections",
];

/// Maps a diesel error.
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
