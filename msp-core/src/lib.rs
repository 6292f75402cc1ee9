//! The msp pipeline.
//!
//! The core knows traits, not implementations: plugins are
//! [`msp_plugins::FlowPlugin`]s found in a [`msp_plugins::Registry`], and
//! databases are [`backend::Backend`]s opened through a
//! [`backend::Connector`] that the binary provides (from `db-backends`).
//!
//! One archive's walk, one file per step (`sync`, each entered once):
//!
//! 1. input is listed once (`sync/scan.rs`, `scan`: the archives of
//!    registered flows, the transport's wrapped names read with
//!    [`naming::parse`], the files msp does not recognise named with
//!    [`naming::why_unrecognised`]);
//! 2. claimed into work ([`folders::claim`]) and read once
//!    (`sync/prepare.rs`, `prepare`: SHA-256 and [`extract::extract`],
//!    safe, streamed, limited);
//! 3. the envelope checks ([`envelope::validate`], `envelope/checks.rs`:
//!    message.xml, the header file, routing, the documents sorted into XML
//!    data documents and files kept with the dossier);
//! 4. the plugin's rows, checked against its tables (`sync/parse.rs`,
//!    `parse`);
//! 5. one transaction per batch (`sync/store.rs`, `Writer::write_batch`,
//!    through [`backend::Tx::import`]; inside it the re-delivery rules of
//!    `sync/redelivery.rs`, [`sync::decide`], and the rows of
//!    `sync/plan.rs`, `plan`);
//! 6. done, rejections and the status-14 return archives
//!    (`sync/finish.rs`, `finish`);
//! 7. then the other return flows (`sync/returns_step.rs`,
//!    `write_pending_returns`), with a line in the [`synclog::SyncLog`].
//!
//! `sync/pipeline.rs` runs steps 2 to 6 on their threads, `sync/mod.rs`
//! ([`sync::Synchronizer::run`]) the whole run, `sync/transfer.rs` its SFTP
//! transfers; the locks that keep processes apart are listed in
//! `locks.rs`; the run's summary is a [`summary::RunSummary`]. Bad input
//! ([`error::ErrorKind::BadInput`]) goes to the error folder with a French
//! log a clerk can act on; trouble ([`error::ErrorKind::Trouble`]) puts the
//! archive back into input.
// No unsafe code, but for the one Windows call std has no safe form of
// (`MoveFileExW` without replacing, in win_fs.rs).
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]
#![warn(missing_docs)]

pub mod backend;
pub mod checks;
pub mod config;
pub mod databases;
mod digest;
pub mod display;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod folders;
pub mod hubee;
pub mod lifecycle;
mod locks;
pub mod naming;
pub mod ops;
pub mod returns;
pub mod status;
pub mod summary;
pub mod sync;
pub mod synclog;
pub mod transport;
#[cfg(windows)]
mod win_fs;

pub use config::Config;
pub use error::{Error, ErrorKind, Reason, Result};
pub use sync::{FlowCounts, RunReport, Synchronizer, Trouble};

/// Test hook (`MSP_FAULT`, read by the crash tests only): `MSP_FAULT=NAME`
/// ends the process at the point NAME (abort, as kill -9 would), and
/// `MSP_FAULT=pause-NAME` waits 3 s there, so that a test can run another
/// process in that window. Points: `after-commit`, `before-returns` (the
/// import), `before-push`, `after-journal`, `after-rename` (SFTP).
pub(crate) fn fault_point(point: &str) {
    let Some(fault) = std::env::var_os("MSP_FAULT") else {
        return;
    };
    if fault == point {
        std::process::abort();
    }
    if fault.to_str().and_then(|f| f.strip_prefix("pause-")) == Some(point) {
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
}
