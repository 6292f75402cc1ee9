//! A HubEE simulator (`portal-sim hubee --listen 127.0.0.1:PORT`), written
//! from HUBEE.md and the OpenAPI file `api_folder_v1.2.7.yaml`: the token
//! endpoint, the SI's API under `/teledossiers/v1` (notifications, cases,
//! attachments with digests, events with their attachments), the portal's
//! own API (`/folders`, no token asked), the portal's actions and faults on
//! demand under `/sim/` (no token), state in memory.
//!
//! The rooms: this file the state and its model, `api` the SI's HTTP API,
//! `folders` the portal's API, `portal` the portal's actions and the faults, `server` the routes and the
//! listener.

mod api;
mod folders;
mod portal;
mod server;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use server::{serve, start, Options};

/// A subscription the token endpoint knows: its secret and process code.
#[derive(Debug, Clone)]
pub struct Subscriber {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub secret: String,
    /// The process (démarche) code, e.g. `recensementCitoyen`.
    pub process: String,
}

/// One file of a case or of an event.
#[derive(Debug, Clone)]
pub struct File {
    /// Its id.
    pub id: String,
    /// `PENDING, RECEIVED, CORRUPTED, REJECTED, DELETED`.
    pub status: String,
    /// The citizen's file name.
    pub file_name: String,
    /// Its type (`10870-XML`, a piece code...).
    pub kind: String,
    /// Declared size.
    pub size: u64,
    /// MIME type.
    pub mime: String,
    /// The bytes (empty until uploaded for an SI's deposit).
    pub bytes: Vec<u8>,
}

impl File {
    fn json(&self) -> Value {
        json!({"id": self.id, "status": self.status, "fileName": self.file_name,
               "type": self.kind, "size": self.size, "mimeType": self.mime})
    }
}

/// One event of a case.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its id.
    pub id: String,
    /// `STATUS_UPDATE, SENDING_MESSAGE, ATTACH_DEPOSIT`.
    pub action: String,
    /// `IN_PROGRESS, SENT, RECEIVED`.
    pub status: String,
    /// The case's new status (STATUS_UPDATE).
    pub new_status: Option<String>,
    /// For the citizen.
    pub message: Option<String>,
    /// Internal.
    pub comment: Option<String>,
    /// Who.
    pub author: Option<String>,
    /// `partnerAttributes`.
    pub partner: Option<String>,
    /// Whether the SI posted it (else the portal).
    pub from_si: bool,
    /// Its files.
    pub files: Vec<File>,
}

impl Event {
    fn json(&self) -> Value {
        json!({"id": self.id, "actionType": self.action, "status": self.status,
               "caseNewStatus": self.new_status, "message": self.message,
               "comment": self.comment, "author": self.author,
               "partnerAttributes": self.partner,
               "attachments": self.files.iter().map(File::json).collect::<Vec<_>>(),
               "createDate": "2026-12-06T10:00:00.000+00:00"})
    }
}

/// One case (a télédossier for one recipient).
#[derive(Debug, Clone)]
pub struct Case {
    /// Its id.
    pub id: String,
    /// The portal's number (msp's dossier number).
    pub external_id: String,
    /// Process code.
    pub process: String,
    /// Status.
    pub status: String,
    /// The commune's INSEE code.
    pub insee: String,
    /// Its files.
    pub files: Vec<File>,
    /// Its events.
    pub events: Vec<Event>,
    /// `PATCH /cases/{c}` calls received (older documents).
    pub patches: Vec<String>,
}

impl Case {
    fn json(&self) -> Value {
        json!({"id": self.id, "status": self.status, "externalId": self.external_id,
               "processCode": self.process,
               "recipient": {"type": "SI", "companyRegister": "21900010900019",
                              "branchCode": self.insee},
               "applicant": {"firstName": "Camille", "lastName": "Dubois",
                              "email": "camille.dubois@example.org"},
               "attachments": self.files.iter().map(File::json).collect::<Vec<_>>(),
               "events": self.events.iter().map(Event::json).collect::<Vec<_>>(),
               "creationDate": "2026-12-06T09:00:00.000+00:00",
               "transmissionDate": "2026-12-06T09:00:01.000+00:00"})
    }
}

/// A notification waiting for its subscriber.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Its id.
    pub id: String,
    /// Process code (whose subscriber sees it).
    pub process: String,
    /// The case.
    pub case_id: String,
    /// The event, `None` for a new case.
    pub event_id: Option<String>,
    /// The event's status.
    pub event_status: Option<String>,
}

/// Faults the next calls meet.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// The next N API calls answer 500.
    pub fail500: u32,
    /// The next N API calls see their connection dropped.
    pub drop: u32,
    /// The next N attachment downloads carry a wrong digest.
    pub wrong_digest: u32,
    /// After N more API calls, every token expires (0: not armed).
    pub expire_after: u32,
    /// Notifications without `eventStatus`, as API 1.2.7 lists them.
    pub legacy: bool,
    /// The next N events posted are created, then answered 500 (the
    /// answer lost on the way back).
    pub lost_answer: u32,
}

/// The hub's whole state.
#[derive(Debug, Default)]
pub struct Hub {
    /// Known subscriptions.
    pub subscribers: Vec<Subscriber>,
    /// Tokens issued and valid: token → process.
    pub tokens: BTreeMap<String, String>,
    /// Tokens issued.
    pub tokens_issued: u32,
    /// Cases by id.
    pub cases: BTreeMap<String, Case>,
    /// The portal's folders by id.
    pub folders: BTreeMap<String, folders::Folder>,
    /// Notifications waiting, in creation order.
    pub notifications: Vec<Notification>,
    /// Faults armed.
    pub faults: Faults,
    /// Counter for ids.
    pub next_id: u64,
    /// API calls answered (for tests), by "METHOD path-shape".
    pub calls: BTreeMap<String, u32>,
}

impl Hub {
    /// A new id with a prefix.
    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:06}", self.next_id)
    }

    /// Queues a notification.
    pub fn notify(&mut self, process: &str, case_id: &str, event: Option<(&str, &str)>) {
        let id = self.id("n");
        self.notifications.push(Notification {
            id,
            process: process.to_string(),
            case_id: case_id.to_string(),
            event_id: event.map(|e| e.0.to_string()),
            event_status: event.map(|e| e.1.to_string()),
        });
    }

    /// The case whose `externalId` is `external`.
    pub fn by_external(&mut self, external: &str) -> Option<&mut Case> {
        self.cases.values_mut().find(|c| c.external_id == external)
    }

    /// The state as JSON, for tests and curious users: cases with their
    /// events (files as sizes and SHA-256), notifications waiting, counters.
    pub fn dump(&self) -> Value {
        let file = |f: &File| {
            let mut v = f.json();
            v["sha256"] = json!(hex(&Sha256::digest(&f.bytes)));
            v["stored"] = json!(f.bytes.len());
            v
        };
        let cases: Vec<Value> = self
            .cases
            .values()
            .map(|c| {
                let mut v = c.json();
                v["attachments"] = c.files.iter().map(file).collect();
                v["events"] = c
                    .events
                    .iter()
                    .map(|e| {
                        let mut ev = e.json();
                        ev["fromSI"] = json!(e.from_si);
                        ev["attachments"] = e.files.iter().map(file).collect();
                        ev
                    })
                    .collect();
                v["patches"] = json!(c.patches);
                v
            })
            .collect();
        let notifications: Vec<Value> = self
            .notifications
            .iter()
            .map(|n| {
                json!({"id": n.id, "processCode": n.process, "caseId": n.case_id,
                            "eventId": n.event_id, "eventStatus": n.event_status})
            })
            .collect();
        json!({"cases": cases, "notifications": notifications,
               "tokensIssued": self.tokens_issued, "calls": self.calls})
    }
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding (the `digest` header).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
