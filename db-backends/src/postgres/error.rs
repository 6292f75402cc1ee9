//! Maps PostgreSQL errors (through diesel and r2d2) to msp's error kinds:
//! serialization failures, deadlocks, lock timeouts, terminated or refused
//! connections are temporary.

use diesel::result::Error as DieselError;
use msp_core::Error;

pub use crate::engine::map_pool;

/// Messages that mark a temporary failure (besides a lost connection,
/// which `engine::map_diesel` knows for every engine).
const TEMPORARY: &[&str] = &[
    "deadlock",
    "could not obtain lock",
    "lock timeout",
    "canceling statement due to lock",
    "connection refused",
    "the database system is",
    "not currently accepting connections",
];

/// Maps a diesel error.
pub fn map(db: &str, e: DieselError) -> Error {
    crate::engine::map_diesel(db, e, TEMPORARY)
}
