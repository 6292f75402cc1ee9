//! Maps PostgreSQL errors (through diesel and r2d2) to msp's error kinds;
//! serialization failures, deadlocks, lock timeouts and lost connections
//! are temporary.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use msp_core::Error;

/// Maps a diesel error.
pub fn map(db: &str, e: DieselError) -> Error {
    match &e {
        DieselError::DatabaseError(kind, info) => {
            let msg = info.message().trim_end();
            let lower = msg.to_ascii_lowercase();
            let temporary = matches!(
                kind,
                DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::ClosedConnection
            ) || [
                "deadlock",
                "could not obtain lock",
                "lock timeout",
                "canceling statement due to lock",
                "terminating connection",
                "server closed the connection",
                "connection refused",
                "the database system is",
            ]
            .iter()
            .any(|k| lower.contains(k));
            if temporary {
                Error::temporary(format!("{db}: {msg} (temporary, retry later)"))
            } else {
                Error::trouble(format!("{db}: {msg}"))
            }
        }
        DieselError::BrokenTransactionManager => {
            Error::temporary(format!("{db}: the connection broke during a transaction"))
        }
        _ => Error::trouble(format!("{db}: {e}")),
    }
}

/// Maps a pool error (connection refused, authentication...): the real
/// cause is in the message.
pub fn map_pool(db: &str, e: impl std::fmt::Display) -> Error {
    Error::temporary(format!(
        "cannot connect to {db}: {}",
        e.to_string().trim_end()
    ))
}
