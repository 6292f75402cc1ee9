//! Maps SQLite / diesel / r2d2 errors to msp's error kinds.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use msp_core::Error;

/// Maps a diesel error; locks and busy databases are temporary.
pub fn map(db: &str, e: DieselError) -> Error {
    match &e {
        DieselError::DatabaseError(kind, info) => {
            let msg = info.message();
            let lower = msg.to_ascii_lowercase();
            if lower.contains("locked") || lower.contains("busy") {
                Error::temporary(format!("{db}: database is locked ({msg}), retry later"))
            } else if matches!(
                kind,
                DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation
            ) {
                Error::trouble(format!("{db}: constraint violated: {msg}"))
            } else {
                Error::trouble(format!("{db}: {msg}"))
            }
        }
        _ => Error::trouble(format!("{db}: {e}")),
    }
}

/// Maps a pool error (it wraps connection failures).
pub fn map_pool(db: &str, e: impl std::fmt::Display) -> Error {
    Error::temporary(format!("cannot open database {db}: {e}"))
}
