//! Diesel's and r2d2's errors sorted into msp's kinds: a lost connection
//! (temporary, worded once whatever the server said), another temporary
//! failure (a lock, a deadlock, a server starting), or trouble. Every
//! error made here keeps the driver's error as its source.
//!
//! The sort goes by what diesel says first: its [`DatabaseErrorKind`]
//! (PostgreSQL's SQLSTATE classes 08 and 40001, a connection gone bad, the
//! constraint violations; MySQL's 1213 deadlock). diesel 2.3 gives nothing
//! finer: neither PostgreSQL's SQLSTATE (libpq's `PG_DIAG_SQLSTATE` stays
//! inside diesel's private error type), nor MySQL's error number, nor
//! SQLite's result code, and r2d2 reports a refused connection as text.
//! Where diesel's kind is `Unknown`, and only there, the server's words
//! decide: [`CONNECTION_LOST`] for every engine, and each engine's
//! `temporary` words (in its `error.rs`, each with the code it stands for).

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What a database error means for msp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The session ended under msp (server restarted, network cut).
    ConnectionLost,
    /// A lock, a deadlock, a busy server: the same work may succeed later.
    Temporary,
    /// Anything else: the environment or the statement is wrong.
    Trouble,
}

/// What servers and their client libraries say when a session ends under
/// msp (a server restarted, an administrator's `pg_terminate_backend`, a
/// network cut), lower case: PostgreSQL's libpq, then MySQL and MariaDB.
/// They all are one cause, the connection lost, whatever the words. diesel
/// marks PostgreSQL's lost connections `ClosedConnection` "on a best-effort
/// basis" (SQLSTATE 57P01 `admin_shutdown` is not among them) and MySQL's
/// (client errors 2006, 2013) not at all: these words catch the rest.
const CONNECTION_LOST: &[&str] = &[
    "terminating connection",
    "server closed the connection",
    "no connection to the server",
    "connection to server was lost",
    "could not receive data from server",
    "could not send data to server",
    "ssl connection has been closed",
    "server has gone away",
    "lost connection",
];

/// Whether a server's words say the session ended (see [`CONNECTION_LOST`]).
fn is_connection_lost(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    CONNECTION_LOST.iter().any(|k| lower.contains(k))
}

/// Sorts a database error by diesel's kind; an `Unknown` one (diesel
/// sorted nothing) by the server's words: a lost connection, then one of
/// the engine's `temporary` words (lower case).
fn cause(kind: &DatabaseErrorKind, message: &str, temporary: &[&str]) -> Cause {
    match kind {
        // PostgreSQL's SQLSTATE class 08, or libpq's connection gone bad.
        DatabaseErrorKind::ClosedConnection => Cause::ConnectionLost,
        // PostgreSQL's 40001; MySQL's and MariaDB's 1213 (a deadlock).
        DatabaseErrorKind::SerializationFailure => Cause::Temporary,
        // The statement itself is refused: it would be again.
        DatabaseErrorKind::UniqueViolation
        | DatabaseErrorKind::ForeignKeyViolation
        | DatabaseErrorKind::NotNullViolation
        | DatabaseErrorKind::CheckViolation
        | DatabaseErrorKind::RestrictViolation
        | DatabaseErrorKind::ExclusionViolation
        | DatabaseErrorKind::ReadOnlyTransaction => Cause::Trouble,
        // `Unknown`, `UnableToSendCommand` (libpq could not send: its words
        // say why) and kinds a later diesel may add: the words decide.
        _ => by_words(message, temporary),
    }
}

/// The cause the words of an error diesel did not sort say.
fn by_words(message: &str, temporary: &[&str]) -> Cause {
    let lower = message.to_ascii_lowercase();
    if is_connection_lost(message) {
        Cause::ConnectionLost
    } else if temporary.iter().any(|k| lower.contains(k)) {
        Cause::Temporary
    } else {
        Cause::Trouble
    }
}

/// The error of a session that ended under msp: temporary, and worded the
/// same whatever the server said (logged here), so that a run reports the
/// cause once however many ways it met it.
fn connection_lost(db: &str, words: &str) -> msp_core::Error {
    tracing::warn!(database = db, "connection lost: {words}");
    msp_core::Error::temporary(format!(
        "{db}: the connection to the server was lost (temporary, retry later)"
    ))
    .with_french(format!(
        "La connexion au serveur de base de données ({db}) a été perdue (serveur redémarré ou réseau coupé). Rien n'est perdu : les archives restent en attente et seront reprises à la prochaine synchronisation."
    ))
}

/// Maps a diesel error to msp's kinds: a lost connection (whatever the
/// server's words), serialization failures and, among the errors diesel
/// could not sort, any message containing one of the engine's `temporary`
/// words are temporary (retry later); the rest is trouble. The diesel
/// error is kept as the source.
pub fn map_diesel(db: &str, e: DieselError, temporary: &[&str]) -> msp_core::Error {
    let error = match &e {
        DieselError::DatabaseError(kind, info) => {
            let msg = info.message().trim_end();
            match cause(kind, msg, temporary) {
                Cause::ConnectionLost => connection_lost(db, msg),
                Cause::Temporary => {
                    msp_core::Error::temporary(format!("{db}: {msg} (temporary, retry later)"))
                }
                Cause::Trouble => msp_core::Error::trouble(format!("{db}: {msg}")),
            }
        }
        DieselError::BrokenTransactionManager => {
            connection_lost(db, "the connection broke during a transaction")
        }
        _ => msp_core::Error::trouble(format!("{db}: {e}")),
    };
    error.with_source(e)
}

/// Maps a pool or connection error (refused, authentication, unknown
/// database): temporary, with the server's own words, except a session
/// ended while it was being opened, which is the connection lost. r2d2 and
/// diesel's `ConnectionError` carry only the client library's text, so
/// the words decide here. The error is kept as the source.
pub fn map_pool(
    db: &str,
    e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> msp_core::Error {
    let e = e.into();
    // libpq words its refusals on two lines (`...failed: Connection
    // refused\n\tIs the server running...`): one line for every log.
    let words = e
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let words = words.as_str();
    if is_connection_lost(words) {
        return connection_lost(db, words).with_source(e);
    }
    msp_core::Error::temporary(format!("cannot connect to {db}: {words}"))
        .with_french(format!(
            "La base de données {db} ne répond pas ou refuse la connexion (serveur arrêté, mot de passe ou nom de base à vérifier). Rien n'est perdu : les archives restent en attente et seront reprises à la prochaine synchronisation."
        ))
        .with_source(e)
}
