//! The portal's (OSL's) own API, as the OpenAPI file writes it: a folder
//! and its cases created (`POST /folders`), its files uploaded (`PUT
//! /folders/{f}/attachments/{a}`, REJECTED when the size differs), then
//! completed (`PATCH /folders/{f}` `{"globalStatus": "HUBEE_COMPLETED"}`):
//! each case is then the recipient's, notified with `eventId` null. The
//! simulator asks no token of the portal's side.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::api::{error, json_ok, lock, Shared};
use super::{Case, File, Hub};

/// A folder being filled by the portal.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Its id.
    pub id: String,
    /// Process code.
    pub process: String,
    /// `HUBEE_RECEIVED`, then `HUBEE_COMPLETED`.
    pub status: String,
    /// Its cases: (id, externalId, INSEE code).
    pub cases: Vec<(String, String, String)>,
    /// Its files.
    pub files: Vec<File>,
}

impl Folder {
    fn json(&self) -> Value {
        json!({"id": self.id, "processCode": self.process, "globalStatus": self.status,
               "cases": self.cases.iter().map(|(id, ext, insee)| json!({
                   "id": id, "externalId": ext, "status": self.status,
                   "recipient": {"type": "SI", "branchCode": insee}})).collect::<Vec<_>>(),
               "attachments": self.files.iter().map(File::json).collect::<Vec<_>>()})
    }
}

impl Hub {
    /// A folder from the portal's JSON; `None` when it lacks a process or
    /// a case.
    pub fn create_folder(&mut self, v: &Value) -> Option<Value> {
        let process = v["processCode"].as_str()?.to_string();
        let mut cases = Vec::new();
        for c in v["cases"].as_array()? {
            let ext = c["externalId"].as_str()?.to_string();
            let insee = c["recipient"]["branchCode"]
                .as_str()
                .unwrap_or("75056")
                .to_string();
            cases.push((self.id("c"), ext, insee));
        }
        if cases.is_empty() {
            return None;
        }
        let mut files = Vec::new();
        for f in v["attachments"].as_array().into_iter().flatten() {
            files.push(File {
                id: self.id("f"),
                status: "PENDING".into(),
                file_name: f["fileName"].as_str().unwrap_or("fichier").into(),
                kind: f["type"].as_str().unwrap_or_default().into(),
                size: f["size"].as_u64().unwrap_or(0),
                mime: f["mimeType"]
                    .as_str()
                    .unwrap_or("application/octet-stream")
                    .into(),
                bytes: Vec::new(),
            });
        }
        let folder = Folder {
            id: self.id("d"),
            process,
            status: "HUBEE_RECEIVED".into(),
            cases,
            files,
        };
        let answer = folder.json();
        self.folders.insert(folder.id.clone(), folder);
        Some(answer)
    }

    /// Completes a folder: its cases given to their recipient, notified.
    pub fn complete_folder(&mut self, id: &str) -> Result<Value, &'static str> {
        let folder = self.folders.get_mut(id).ok_or("folder not found")?;
        if folder.files.iter().any(|f| f.status != "RECEIVED") {
            return Err("a file is not uploaded");
        }
        folder.status = "HUBEE_COMPLETED".into();
        let folder = folder.clone();
        for (case_id, ext, insee) in &folder.cases {
            let case = Case {
                id: case_id.clone(),
                external_id: ext.clone(),
                process: folder.process.clone(),
                status: "SENT".into(),
                insee: insee.clone(),
                files: folder.files.clone(),
                events: Vec::new(),
                patches: Vec::new(),
            };
            self.cases.insert(case_id.clone(), case);
            self.notify(&folder.process, case_id, None);
        }
        Ok(folder.json())
    }
}

/// `POST /folders`.
pub async fn create(State(s): State<Shared>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match lock(&s).create_folder(&v) {
        Some(answer) => json_ok(StatusCode::CREATED, answer),
        None => error(
            StatusCode::BAD_REQUEST,
            400,
            "processCode and cases[].externalId are required",
        ),
    }
}

/// `GET /folders/{f}`.
pub async fn get(State(s): State<Shared>, Path(f): Path<String>) -> Response {
    match lock(&s).folders.get(&f) {
        Some(folder) => json_ok(StatusCode::OK, folder.json()),
        None => error(StatusCode::NOT_FOUND, 404, "folder not found"),
    }
}

/// `PUT /folders/{f}/attachments/{a}`.
pub async fn put_file(
    State(s): State<Shared>,
    Path((f, a)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut hub = lock(&s);
    let Some(file) = hub
        .folders
        .get_mut(&f)
        .and_then(|d| d.files.iter_mut().find(|x| x.id == a))
    else {
        return error(StatusCode::NOT_FOUND, 404, "attachment not found");
    };
    file.bytes = body.to_vec();
    if file.bytes.len() as u64 != file.size {
        file.status = "REJECTED".into();
        return error(
            StatusCode::BAD_REQUEST,
            400,
            "size differs from the declared size",
        );
    }
    file.status = "RECEIVED".into();
    StatusCode::NO_CONTENT.into_response()
}

/// `PATCH /folders/{f}` `{"globalStatus": "HUBEE_COMPLETED"}`.
pub async fn patch(State(s): State<Shared>, Path(f): Path<String>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if v["globalStatus"] != "HUBEE_COMPLETED" {
        return error(
            StatusCode::BAD_REQUEST,
            400,
            "only globalStatus HUBEE_COMPLETED is accepted",
        );
    }
    match lock(&s).complete_folder(&f) {
        Ok(answer) => json_ok(StatusCode::OK, answer),
        Err(e) => error(StatusCode::BAD_REQUEST, 400, e),
    }
}
