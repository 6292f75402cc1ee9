//! The msp pipeline.
//!
//! The core knows traits, not implementations: plugins are
//! [`msp_plugins::FlowPlugin`]s found in a [`msp_plugins::Registry`], and
//! databases are [`backend::Backend`]s opened through a
//! [`backend::Connector`] that the binary provides (from `db-backends`).
//!
//! One archive goes (`sync`, one file per step): input is listed once
//! (`sync::scan`: the archives of registered flows, the transport's wrapped
//! names read with [`naming::parse`], the files msp does not recognise
//! named with [`naming::why_unrecognised`]) → claimed into work
//! ([`folders::claim`]) and read once (`sync::prepare`: SHA-256 and
//! [`extract::extract`], safe, streamed, limited) → the envelope checks
//! ([`envelope::validate`]: message.xml, the header file, routing, the
//! documents sorted into XML data documents and files kept with the
//! dossier) → the plugin's rows, checked against its tables
//! (`sync::prepare`) → one transaction per batch (`sync::store`, through
//! [`backend::Tx::import`], re-delivery rules of `sync::plan`) →
//! done and the status-14 return archives (`sync::store`), then the other
//! return flows (`sync::returns_step`), with a line in the
//! [`synclog::SyncLog`]. Bad input ([`error::ErrorKind::BadInput`]) goes to
//! the error folder with a French log a clerk can act on; trouble
//! ([`error::ErrorKind::Trouble`]) puts the archive back into input.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod checks;
pub mod config;
pub mod display;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod folders;
pub mod lifecycle;
pub mod naming;
pub mod ops;
pub mod returns;
pub mod status;
pub mod sync;
pub mod synclog;
pub mod transport;

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
