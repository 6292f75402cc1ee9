//! HubEE, the State's hub (HUBEE.md): a transport like the SFTP pull and
//! push. The core knows a [`Hub`] (the API's calls, retries and tokens
//! inside) and the rules that make each direction exactly once across
//! crashes; the HTTP client lives in its own crate (`msp-hubee`).
//!
//! * **Receiving** ([`receive`]): each new case is written into input as a
//!   local bundle `<externalId>-<flow>-1.zip` (`hubee-case.json` as
//!   received, byte for byte, and its files, sizes and digests checked),
//!   durably, then recorded in the journal, and only then its notification
//!   deleted. The ordinary import reads the bundle (`envelope/hubee.rs`).
//!   The portal's events are applied (a closure recorded, a message traced,
//!   complements written as a bundle with the next file number), marked
//!   applied, acknowledged, and their notifications deleted.
//! * **Sending** ([`send`]): the return flows of a dossier that came by
//!   HubEE are posted as events instead of waiting in output (statuses by
//!   [`hub_status`], the attestation as an `ATTACH_DEPOSIT`), and a bundle
//!   the import rejected is answered `SI_INTG_ERROR` with its French
//!   reason. An intent is written before each post; found after a crash,
//!   the case's events are read back (each post carries its tag in
//!   `partnerAttributes`) before anything is posted again.
//!
//! The journal lives in `travail/.hubee/<client>/`: `cases/<caseId>.json`
//! (a case received), `events/<eventId>` (an event applied), `sending/`
//! (intents).

mod journal;
mod receive;
mod send;
#[cfg(test)]
mod tests;

use crate::config::{HubeeConfig, HubeeSubscription};
use crate::error::Result;

pub use crate::digest::{base64, base64_sha256};
pub use journal::{CaseRecord, Journal};
pub use receive::{receive, Received};
pub use send::{send, Sent};

/// A notification waiting in the hub's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id (to delete it).
    pub id: String,
    /// The case it concerns.
    pub case_id: String,
    /// The event, `None` for a new case.
    pub event_id: Option<String>,
    /// The event's status (`RECEIVED`: the other side acknowledged ours).
    pub event_status: Option<String>,
}

/// A file downloaded, with the digest the hub announced.
#[derive(Debug, Clone)]
pub struct Download {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The `digest` header (base64 SHA-256), if given.
    pub digest: Option<String>,
}

/// The hub's API for one subscription. Implementations renew the token on
/// a 401 and retry a 500 or a dropped connection with backoff; what still
/// fails is trouble.
pub trait Hub {
    /// One batch (at most 25) of the notifications waiting.
    fn notifications(&mut self) -> Result<Vec<Notification>>;
    /// Deletes a notification (one already gone is done).
    fn delete_notification(&mut self, id: &str) -> Result<()>;
    /// The case's JSON, as received.
    fn case(&mut self, case: &str) -> Result<Vec<u8>>;
    /// A file of a case; `None` when the hub has it no more (purged).
    fn attachment(&mut self, case: &str, id: &str) -> Result<Option<Download>>;
    /// An event's JSON, as received.
    fn event(&mut self, case: &str, event: &str) -> Result<Vec<u8>>;
    /// A file of an event; `None` when the hub has it no more.
    fn event_attachment(&mut self, case: &str, event: &str, id: &str) -> Result<Option<Download>>;
    /// Posts an event; returns the event created.
    fn post_event(&mut self, case: &str, body: &serde_json::Value) -> Result<serde_json::Value>;
    /// Sets an event's status (`SENT`, `RECEIVED`).
    fn patch_event(&mut self, case: &str, event: &str, status: &str) -> Result<()>;
    /// Cancels an event still `IN_PROGRESS`.
    fn delete_event(&mut self, case: &str, event: &str) -> Result<()>;
    /// Uploads the bytes of an event's file.
    fn put_event_attachment(
        &mut self,
        case: &str,
        event: &str,
        id: &str,
        bytes: &[u8],
    ) -> Result<()>;
}

/// Opens [`Hub`]s.
pub trait HubConnector: Sync {
    /// A hub for one subscription (its token is asked for on first use).
    fn connect(&self, hubee: &HubeeConfig, sub: &HubeeSubscription) -> Result<Box<dyn Hub>>;
}

/// The HubEE case status of an msp status (HUBEE.md's table); `None` for
/// 100 (closure comes from the portal) and statuses HubEE has no word for.
pub fn hub_status(status: u16) -> Option<&'static str> {
    Some(match status {
        14 => "SI_RECEIVED",
        15 | 20 => "REFUSED",
        16 => "IN_PROGRESS",
        17 => "ADD_AWAITING",
        19 => "DONE",
        _ => return None,
    })
}

/// A text cut to `max` characters (HubEE's limits on `message`).
pub(crate) fn clip_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
