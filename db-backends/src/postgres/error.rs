//! Maps PostgreSQL errors (through diesel and r2d2) to msp's error kinds:
//! serialization failures, deadlocks, lock timeouts, terminated or refused
//! connections are temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Words that mark a temporary failure among the errors diesel leaves
/// `Unknown` (a lost connection, SQLSTATE 40001 and class 08 are sorted by
/// their kind in `engine::map_diesel`). diesel 2.3 does not expose the
/// SQLSTATE of the others, so libpq's primary message stands for it.
const TEMPORARY: &[&str] = &[
    // 40P01 deadlock_detected: "deadlock detected".
    "deadlock",
    // 55P03 lock_not_available: "could not obtain lock on row in relation".
    "could not obtain lock",
    // 57014 query_canceled by `lock_timeout`: "canceling statement due to
    // lock timeout".
    "lock timeout",
    "canceling statement due to lock",
    // libpq, no SQLSTATE: the server is not listening.
    "connection refused",
    // 57P03 cannot_connect_now: "the database system is starting up",
    // "... is shutting down", "... is not currently accepting connections".
    "the database system is",
    "not currently accepting connections",
];

/// Maps a diesel error (kept as the source).
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
