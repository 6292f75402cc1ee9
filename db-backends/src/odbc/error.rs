//! Maps ODBC diagnostics (SQLSTATE and native codes) to msp's error kinds.
//! Connection exceptions (08xxx), serialization failures and deadlocks
//! (40001, 40P01), timeouts (HYT00, HYT01), lock waits (MySQL 1205, 1213;
//! SQL Server 1205, 1222; Oracle ORA-00060, ORA-00054) and "database is
//! locked" are temporary.

use msp_core::Error;

/// Whether a SQLSTATE / native error marks a temporary failure. The
/// message decides only for what drivers report without a telling state
/// (SQLite's driver says HY000 for a locked database).
pub fn is_temporary(state: &str, native: i32, message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    state.starts_with("08")
        || matches!(
            state,
            "40001" | "40P01" | "HYT00" | "HYT01" | "57P01" | "57P03"
        )
        || matches!(native, 1205 | 1213 | 1222 | 60 | 54 | 2006 | 2013)
        || lower.contains("database is locked")
        || lower.contains("deadlock")
        || lower.contains("could not connect")
        || lower.contains("connection refused")
}

/// Maps an odbc-api error (kept as the source).
pub fn map(db: &str, e: odbc_api::Error) -> Error {
    let error = match &e {
        odbc_api::Error::Diagnostics { record, .. } => {
            let message = record.to_string();
            let state = record.state.as_str();
            if is_temporary(state, record.native_error, &message) {
                Error::temporary(format!("{db}: {message} (temporary, retry later)"))
            } else {
                Error::trouble(format!("{db}: {message}"))
            }
        }
        _ => Error::trouble(format!("{db}: {e}")),
    };
    error.with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_states() {
        assert!(is_temporary("08001", 0, "could not connect to server"));
        assert!(is_temporary("40001", 0, "serialization failure"));
        assert!(is_temporary("40P01", 0, "deadlock detected"));
        assert!(is_temporary("HY000", 1205, "Lock wait timeout exceeded"));
        assert!(is_temporary("HY000", 5, "database is locked"));
        assert!(!is_temporary("23505", 0, "duplicate key value"));
        assert!(!is_temporary("42P01", 0, "relation does not exist"));
    }
}
