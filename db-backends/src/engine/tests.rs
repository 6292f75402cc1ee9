//! Unit tests of the engine helpers: errors sorted, SQLite temporal text.

use super::*;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

#[test]
fn a_session_ended_is_one_cause_whatever_the_server_said() {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    let said = [
        "terminating connection due to administrator command",
        "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally",
        "no connection to the server",
        "Lost connection to MySQL server during query",
        "MySQL server has gone away",
    ];
    let messages: Vec<_> = said
        .iter()
        .map(|w| {
            let e = DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(w.to_string()));
            let e = map_diesel("PostgreSQL test", e, &[]);
            assert!(e.temporary, "{w}");
            e.message
        })
        .chain([
            map_diesel(
                "PostgreSQL test",
                DieselError::BrokenTransactionManager,
                &[],
            )
            .message,
            map_pool(
                "PostgreSQL test",
                "terminating connection due to administrator command",
            )
            .message,
        ])
        .collect();
    assert!(messages.iter().all(|m| m == &messages[0]), "{messages:#?}");
    assert_eq!(
        messages[0],
        "PostgreSQL test: the connection to the server was lost (temporary, retry later)"
    );
    // Other failures keep the server's words.
    let refused = map_pool("PostgreSQL test", "Connection refused (os error 111)");
    assert!(refused.temporary);
    assert!(
        refused.message.contains("Connection refused"),
        "{}",
        refused.message
    );
    let e = DieselError::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new("relation \"x\" does not exist".to_string()),
    );
    let e = map_diesel("PostgreSQL test", e, &[]);
    assert!(!e.temporary);
    assert!(e.message.contains("does not exist"));
}

#[test]
fn sqlite_temporal_text_is_what_diesel_writes() {
    let dates = [
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(1000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(0, 2, 29).unwrap(),
        NaiveDate::from_ymd_opt(-44, 3, 15).unwrap(),
    ];
    let times = [
        NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(23, 59, 59).unwrap(),
        NaiveTime::from_hms_milli_opt(9, 5, 7, 120).unwrap(),
        NaiveTime::from_hms_micro_opt(9, 5, 7, 120_450).unwrap(),
        NaiveTime::from_hms_nano_opt(9, 5, 7, 1).unwrap(),
        NaiveTime::from_hms_nano_opt(9, 5, 7, 1_000).unwrap(),
        NaiveTime::from_hms_nano_opt(9, 5, 7, 1_000_000).unwrap(),
        NaiveTime::from_hms_nano_opt(9, 5, 7, 999_999_999).unwrap(),
        // Leap seconds.
        NaiveTime::from_hms_milli_opt(23, 59, 59, 1_500).unwrap(),
        NaiveTime::from_hms_nano_opt(23, 59, 59, 1_000_000_000).unwrap(),
    ];
    for d in dates {
        assert_eq!(sqlite_date(&d), d.format("%F").to_string());
        for t in times {
            let at = NaiveDateTime::new(d, t);
            assert_eq!(sqlite_timestamp(&at), at.format("%F %T%.f").to_string());
        }
    }
}

/// What diesel itself binds for a date and a timestamp on SQLite, read
/// back from the database: the text the engine binds instead must be it
/// (a diesel upgrade that changed its format would fail here).
#[test]
fn sqlite_temporal_text_is_what_diesel_binds() {
    use diesel::{sql_types as st, Connection, RunQueryDsl};
    let mut c = diesel::SqliteConnection::establish(":memory:").unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    for t in [
        NaiveTime::from_hms_opt(10, 15, 12).unwrap(),
        NaiveTime::from_hms_milli_opt(10, 15, 12, 250).unwrap(),
        NaiveTime::from_hms_micro_opt(10, 15, 12, 250_001).unwrap(),
        NaiveTime::from_hms_nano_opt(10, 15, 12, 7).unwrap(),
    ] {
        let at = NaiveDateTime::new(day, t);
        let rows: Vec<DieselTextRow> = diesel::sql_query("SELECT ?, ?")
            .bind::<st::Timestamp, _>(at)
            .bind::<st::Date, _>(day)
            .load(&mut c)
            .unwrap();
        assert_eq!(
            rows[0].0[0].as_deref(),
            Some(sqlite_timestamp(&at).as_str())
        );
        assert_eq!(rows[0].0[1].as_deref(), Some(sqlite_date(&day).as_str()));
    }
}

#[test]
fn errors_are_sorted_by_kind_first_and_keep_the_driver_error() {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    use std::error::Error as _;
    let db = |kind, words: &str| DieselError::DatabaseError(kind, Box::new(words.to_string()));
    // diesel's kind decides, whatever the words.
    let e = map_diesel(
        "SQLite test",
        db(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: t.locked",
        ),
        &["locked"],
    );
    assert!(!e.temporary, "{}", e.message);
    assert_eq!(e.message, "SQLite test: UNIQUE constraint failed: t.locked");
    let e = map_diesel(
        "MariaDB test",
        db(
            DatabaseErrorKind::SerializationFailure,
            "Deadlock found when trying to get lock",
        ),
        &[],
    );
    assert!(e.temporary);
    let e = map_diesel(
        "PostgreSQL test",
        db(DatabaseErrorKind::ClosedConnection, "SSL SYSCALL error"),
        &[],
    );
    assert_eq!(
        e.message,
        "PostgreSQL test: the connection to the server was lost (temporary, retry later)"
    );
    // Unknown to diesel: the engine's words decide.
    let e = map_diesel(
        "SQLite test",
        db(DatabaseErrorKind::Unknown, "database is locked"),
        &["locked"],
    );
    assert!(e.temporary);
    assert_eq!(
        e.message,
        "SQLite test: database is locked (temporary, retry later)"
    );
    // The driver's error is the source; the message is unchanged.
    assert_eq!(
        e.source().map(|s| s.to_string()).as_deref(),
        Some("database is locked")
    );
    let e = map_pool("PostgreSQL test", "Connection refused (os error 111)");
    assert_eq!(
        e.source().map(|s| s.to_string()).as_deref(),
        Some("Connection refused (os error 111)")
    );
}
