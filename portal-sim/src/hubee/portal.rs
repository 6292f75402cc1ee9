//! The portal's side (`/sim/...`, no token): new cases with their data
//! document (generated like the ZIP archives' own, or given), messages,
//! closures and complements from the citizen, purges, and the faults the
//! next calls meet; `GET /sim/state` dumps the state.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::api::{error, json_ok, lock, Shared};
use super::{Case, Event, File, Hub};
use crate::{Archive, TINY_PDF};

/// What a new case is made of.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    /// Process code.
    pub process: String,
    /// The portal's number.
    pub external_id: String,
    /// The commune.
    pub insee: String,
    /// The data document and its type, when not generated.
    pub document: Option<(String, String)>,
}

impl Hub {
    /// Creates a case as the portal does (folder, case, attachments
    /// uploaded, `HUBEE_COMPLETED`) and notifies its subscriber.
    pub fn create_case(&mut self, new: &NewCase) -> Value {
        let (kind, text) = new.document.clone().unwrap_or_else(|| {
            let archive = if new.process == "EtatCivil" {
                Archive::aec(&new.external_id, 1)
            } else {
                Archive::rco(&new.external_id, 1)
            }
            .living_in(&new.insee);
            (archive.document_code, archive.document)
        });
        let doc_id = self.id("f");
        let pdf_id = self.id("f");
        let files = vec![
            file(
                doc_id,
                &format!("{}-donnees.xml", new.external_id),
                &kind,
                "application/xml",
                text.into_bytes(),
            ),
            file(
                pdf_id,
                "Pièce d'identité.pdf",
                "PJ",
                "application/pdf",
                TINY_PDF.to_vec(),
            ),
        ];
        let id = self.id("c");
        let case = Case {
            id: id.clone(),
            external_id: new.external_id.clone(),
            process: new.process.clone(),
            status: "SENT".into(),
            insee: new.insee.clone(),
            files,
            events: Vec::new(),
            patches: Vec::new(),
        };
        let answer = case.json();
        self.cases.insert(id.clone(), case);
        self.notify(&new.process, &id, None);
        answer
    }

    /// An event from the portal on the case `external` (message, closure,
    /// complement), notified to the subscriber.
    pub fn portal_event(
        &mut self,
        external: &str,
        action: &str,
        message: Option<String>,
        files: Vec<File>,
    ) -> Option<String> {
        let id = self.id("e");
        let case = self.by_external(external)?;
        let closing = action == "STATUS_UPDATE";
        if closing {
            case.status = "CLOSED".into();
        }
        case.events.push(Event {
            id: id.clone(),
            action: action.into(),
            status: "SENT".into(),
            new_status: closing.then(|| "CLOSED".into()),
            message,
            comment: None,
            author: Some("Portail".into()),
            partner: None,
            from_si: false,
            files,
        });
        let (process, case_id) = (case.process.clone(), case.id.clone());
        self.notify(&process, &case_id, Some((&id, "SENT")));
        Some(id)
    }
}

fn file(id: String, name: &str, kind: &str, mime: &str, bytes: Vec<u8>) -> File {
    File {
        id,
        status: "RECEIVED".into(),
        file_name: name.into(),
        kind: kind.into(),
        size: bytes.len() as u64,
        mime: mime.into(),
        bytes,
    }
}

fn body_json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// `POST /sim/cases` `{"process", "externalId", "insee", "document"?, "documentType"?}`.
pub async fn create(State(s): State<Shared>, body: Bytes) -> Response {
    let v = body_json(&body);
    let text = |k: &str| v[k].as_str().map(str::to_string);
    let (Some(process), Some(external_id)) = (text("process"), text("externalId")) else {
        return error(
            StatusCode::BAD_REQUEST,
            400,
            "process and externalId are required",
        );
    };
    let new = NewCase {
        process,
        external_id,
        insee: text("insee").unwrap_or_else(|| "75056".into()),
        document: text("document").map(|d| {
            (
                text("documentType").unwrap_or_else(|| "10870-XML".into()),
                d,
            )
        }),
    };
    json_ok(StatusCode::CREATED, lock(&s).create_case(&new))
}

/// `POST /sim/cases/{externalId}/{message|close|complement|purge|files}`
/// (`files`: `{"status": "PENDING" | "CORRUPTED" | "RECEIVED" ...}`, the
/// status of every file of the case, as the hub's antivirus sets it).
pub async fn act(
    State(s): State<Shared>,
    Path((ext, what)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let v = body_json(&body);
    let mut hub = lock(&s);
    let done = match what.as_str() {
        "message" => hub.portal_event(
            &ext,
            "SENDING_MESSAGE",
            v["message"].as_str().map(str::to_string),
            Vec::new(),
        ),
        "close" => hub.portal_event(
            &ext,
            "STATUS_UPDATE",
            Some("Démarche clôturée par l'usager".into()),
            Vec::new(),
        ),
        "complement" => {
            let name = v["fileName"]
                .as_str()
                .unwrap_or("Complément.pdf")
                .to_string();
            let bytes = v["content"]
                .as_str()
                .map(|c| c.as_bytes().to_vec())
                .unwrap_or_else(|| TINY_PDF.to_vec());
            let id = hub.id("f");
            let f = file(id, &name, "PJ", "application/pdf", bytes);
            hub.portal_event(
                &ext,
                "ATTACH_DEPOSIT",
                Some("Pièces complémentaires".into()),
                vec![f],
            )
        }
        "files" => {
            let status = v["status"].as_str().unwrap_or("RECEIVED").to_string();
            hub.by_external(&ext).map(|c| {
                for f in &mut c.files {
                    f.status = status.clone();
                }
                c.id.clone()
            })
        }
        "purge" => hub.by_external(&ext).map(|c| {
            for f in &mut c.files {
                f.status = "DELETED".into();
            }
            c.id.clone()
        }),
        _ => return error(StatusCode::NOT_FOUND, 404, "unknown action"),
    };
    match done {
        Some(id) => json_ok(StatusCode::OK, json!({"id": id})),
        None => error(StatusCode::NOT_FOUND, 404, "case not found"),
    }
}

/// `POST /sim/faults` `{"fail500": n, "drop": n, "wrongDigest": n,
/// "lostAnswer": n, "expireTokens": true, "expireAfter": n, "legacy": true,
/// "clear": true}`.
pub async fn faults(State(s): State<Shared>, body: Bytes) -> Response {
    let v = body_json(&body);
    let mut hub = lock(&s);
    hub.arm(&v);
    json_ok(
        StatusCode::OK,
        json!({"fail500": hub.faults.fail500, "drop": hub.faults.drop, "wrongDigest": hub.faults.wrong_digest}),
    )
}

impl Hub {
    /// Arms the faults `v` names (counts add up; `expireTokens` expires
    /// every token issued).
    pub fn arm(&mut self, v: &Value) {
        let n = |k: &str| v[k].as_u64().unwrap_or(0) as u32;
        if v["clear"].as_bool() == Some(true) {
            self.faults = super::Faults::default();
        }
        self.faults.fail500 += n("fail500");
        self.faults.drop += n("drop");
        self.faults.wrong_digest += n("wrongDigest");
        self.faults.lost_answer += n("lostAnswer");
        if let Some(legacy) = v["legacy"].as_bool() {
            self.faults.legacy = legacy;
        }
        if n("expireAfter") > 0 {
            self.faults.expire_after = n("expireAfter");
        }
        if v["expireTokens"].as_bool() == Some(true) {
            self.tokens.clear();
        }
    }

    /// The fault the next API call meets, consumed: `Some(true)` a 500,
    /// `Some(false)` a dropped connection.
    pub fn next_fault(&mut self) -> Option<bool> {
        self.fault_before()
    }

    /// Whether the event being posted is to be created and its answer lost
    /// (consumed).
    pub fn loses_answer(&mut self) -> bool {
        let lose = self.faults.lost_answer > 0;
        self.faults.lost_answer = self.faults.lost_answer.saturating_sub(1);
        lose
    }

    fn fault_before(&mut self) -> Option<bool> {
        if self.faults.expire_after > 0 {
            self.faults.expire_after -= 1;
            if self.faults.expire_after == 0 {
                self.tokens.clear();
            }
        }
        if self.faults.fail500 > 0 {
            self.faults.fail500 -= 1;
            return Some(true);
        }
        if self.faults.drop > 0 {
            self.faults.drop -= 1;
            return Some(false);
        }
        None
    }
}

/// `GET /sim/state`.
pub async fn state(State(s): State<Shared>) -> Response {
    json_ok(StatusCode::OK, lock(&s).dump())
}
