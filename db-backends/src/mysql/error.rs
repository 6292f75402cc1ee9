//! Maps MySQL and MariaDB errors (through diesel and r2d2) to msp's error
//! kinds: deadlocks, lock wait timeouts and lost connections are temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Words that mark a temporary failure among the errors diesel leaves
/// `Unknown` (a lost connection is known for every engine, and 1213 is
/// sorted by its kind in `engine::map_diesel`). diesel 2.3 does not expose
/// the error number of the others, so the server's message stands for it.
const TEMPORARY: &[&str] = &[
    // 1213 ER_LOCK_DEADLOCK (already `SerializationFailure`), and Galera's
    // "WSREP detected deadlock/conflict".
    "deadlock",
    // 1205 ER_LOCK_WAIT_TIMEOUT: "Lock wait timeout exceeded".
    "lock wait timeout",
    // Client 2002, 2003: "Can't connect to ... server".
    "can't connect",
    // 1040 ER_CON_COUNT_ERROR: "Too many connections".
    "too many connections",
];

/// Maps a diesel error (kept as the source).
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
