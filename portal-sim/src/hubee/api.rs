//! The SI's side of the hub: the token endpoint and `/teledossiers/v1`.

// The handlers answer early with the response itself (an error body).
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{base64, Event, File, Hub};

/// The value of a `Result<_, Response>`, or its response answered.
macro_rules! or_answer {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

/// The shared state.
pub type Shared = Arc<Mutex<Hub>>;

/// The hub, locked (a panicked holder does not poison the simulator).
pub fn lock(s: &Shared) -> MutexGuard<'_, Hub> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// An error body as HubEE writes it.
pub fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({"errors": [{"code": code, "message": message}]});
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A JSON answer.
pub fn json_ok(status: StatusCode, v: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    error(StatusCode::NOT_FOUND, 404, &format!("{what} not found"))
}

/// `POST /oauth2/token`: client credentials in HTTP Basic.
pub async fn token(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut hub = lock(&s);
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| decode64(b.trim()))
        .and_then(|b| String::from_utf8(b).ok());
    let invalid = || {
        let body =
            json!({"error": "invalid_client", "error_description": "Client authentication failed"});
        (
            StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            body.to_string(),
        )
            .into_response()
    };
    let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) else {
        return invalid();
    };
    if !body.contains("grant_type=client_credentials") {
        return error(StatusCode::BAD_REQUEST, 400, "unsupported_grant_type");
    }
    let Some(sub) = hub
        .subscribers
        .iter()
        .find(|s| s.client_id == id && s.secret == secret)
        .cloned()
    else {
        return invalid();
    };
    let token = hub.id("tok");
    hub.tokens.insert(token.clone(), sub.process);
    hub.tokens_issued += 1;
    json_ok(
        StatusCode::OK,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "SI"}),
    )
}

/// The process of the request's token, or its 401.
fn auth(hub: &mut Hub, headers: &HeaderMap, call: &str) -> Result<String, Response> {
    *hub.calls.entry(call.to_string()).or_default() += 1;
    for h in ["editorName", "applicationName", "softwareVersion"] {
        if headers.get(h).is_none_or(|v| v.len() > 50) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                400,
                &format!("header {h} missing or over 50 characters"),
            ));
        }
    }
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| hub.tokens.get(t).cloned())
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, 900901, "Invalid Credentials"))
}

/// The case `c` if the token's process owns it.
fn owned<'h>(hub: &'h mut Hub, process: &str, c: &str) -> Result<&'h mut super::Case, Response> {
    match hub.cases.get_mut(c) {
        None => Err(not_found("case")),
        Some(case) if case.process != process => {
            Err(error(StatusCode::FORBIDDEN, 403, "case of another process"))
        }
        Some(case) => Ok(case),
    }
}

/// `GET /notifications?eventDetails=&maxResult=&processCode=`.
pub async fn notifications(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "GET notifications"));
    let max = match q.get("maxResult").map(|m| m.parse::<usize>()) {
        None => 25,
        Some(Ok(m)) => m.min(25),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, 400, "maxResult is not a number"),
    };
    let details = q.get("eventDetails").is_some_and(|d| d == "true") && !hub.faults.legacy;
    let filter = q.get("processCode");
    let list: Vec<Value> = hub
        .notifications
        .iter()
        .filter(|n| n.process == process && filter.is_none_or(|f| *f == n.process))
        .take(max)
        .map(|n| {
            let mut v = json!({"id": n.id, "processCode": n.process, "caseId": n.case_id,
                               "eventId": n.event_id, "partnerInfo": null});
            if details {
                v["eventStatus"] = json!(n.event_status);
            }
            v
        })
        .collect();
    json_ok(StatusCode::OK, Value::Array(list))
}

/// `DELETE /notifications/{id}`.
pub async fn delete_notification(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "DELETE notification"));
    match hub
        .notifications
        .iter()
        .position(|n| n.id == id && n.process == process)
    {
        Some(i) => {
            hub.notifications.remove(i);
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found("notification"),
    }
}

/// `GET /cases/{c}`.
pub async fn get_case(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(c): Path<String>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "GET case"));
    match owned(&mut hub, &process, &c) {
        Ok(case) => json_ok(StatusCode::OK, case.json()),
        Err(r) => r,
    }
}

/// `PATCH /cases/{c}` `{"status": X}` (older documents).
pub async fn patch_case(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(c): Path<String>,
    body: Bytes,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "PATCH case"));
    let Some(status) = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string))
    else {
        return error(StatusCode::BAD_REQUEST, 400, "status is required");
    };
    match owned(&mut hub, &process, &c) {
        Ok(case) => {
            case.status = status.clone();
            case.patches.push(status);
            json_ok(StatusCode::OK, case.json())
        }
        Err(r) => r,
    }
}

/// The bytes of a file with its `digest` (wrong on demand).
pub(super) fn file_bytes(wrong: bool, f: &File) -> Response {
    if f.status == "DELETED" {
        return not_found("attachment (purged)");
    }
    let mut digest = base64(&Sha256::digest(&f.bytes));
    if wrong {
        digest = base64(&Sha256::digest(b"not these bytes"));
    }
    (
        StatusCode::OK,
        [("content-type", f.mime.clone()), ("digest", digest)],
        f.bytes.clone(),
    )
        .into_response()
}

/// `GET /cases/{c}/attachments/{a}`.
pub async fn get_attachment(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((c, a)): Path<(String, String)>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "GET attachment"));
    let wrong = hub.faults.wrong_digest > 0;
    let case = or_answer!(owned(&mut hub, &process, &c));
    let Some(f) = case.files.iter().find(|f| f.id == a) else {
        return not_found("attachment");
    };
    let r = file_bytes(wrong, f);
    if wrong {
        hub.faults.wrong_digest -= 1;
    }
    r
}

/// `POST /cases/{c}/events`.
pub async fn post_event(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(c): Path<String>,
    body: Bytes,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "POST event"));
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, 400, "not JSON");
    };
    let text = |k: &str| v[k].as_str().map(str::to_string);
    let action = text("actionType").unwrap_or_default();
    if !["STATUS_UPDATE", "ATTACH_DEPOSIT", "SENDING_MESSAGE"].contains(&action.as_str()) {
        return error(StatusCode::BAD_REQUEST, 400, "actionType is invalid");
    }
    if [text("message"), text("comment")]
        .iter()
        .flatten()
        .any(|t| t.chars().count() > 1000)
    {
        return error(
            StatusCode::BAD_REQUEST,
            400,
            "message or comment over 1000 characters",
        );
    }
    let id = hub.id("e");
    let mut files = Vec::new();
    for f in v["attachments"].as_array().into_iter().flatten() {
        let fid = hub.id("f");
        files.push(File {
            id: fid,
            status: "PENDING".into(),
            file_name: f["fileName"].as_str().unwrap_or_default().into(),
            kind: f["type"].as_str().unwrap_or_default().into(),
            size: f["size"].as_u64().unwrap_or(0),
            mime: f["mimeType"]
                .as_str()
                .unwrap_or("application/octet-stream")
                .into(),
            bytes: Vec::new(),
        });
    }
    let status_update = action == "STATUS_UPDATE";
    let event = Event {
        id: id.clone(),
        action,
        status: if status_update { "SENT" } else { "IN_PROGRESS" }.into(),
        new_status: text("caseNewStatus"),
        message: text("message"),
        comment: text("comment"),
        author: text("author"),
        partner: text("partnerAttributes"),
        from_si: true,
        files,
    };
    let case = or_answer!(owned(&mut hub, &process, &c));
    if let (true, Some(s)) = (status_update, &event.new_status) {
        case.status = s.clone();
    }
    let answer = event.json();
    case.events.push(event);
    if status_update {
        hub.notify(&process, &c, Some((&id, "RECEIVED")));
    }
    json_ok(StatusCode::CREATED, answer)
}

/// The event `e` of case `c`, owned by the token's process.
fn event_of<'h>(
    hub: &'h mut Hub,
    process: &str,
    c: &str,
    e: &str,
) -> Result<&'h mut Event, Response> {
    owned(hub, process, c)?
        .events
        .iter_mut()
        .find(|x| x.id == e)
        .ok_or_else(|| not_found("event"))
}

/// `GET /cases/{c}/events/{e}`.
pub async fn get_event(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((c, e)): Path<(String, String)>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "GET event"));
    match event_of(&mut hub, &process, &c, &e) {
        Ok(ev) => json_ok(StatusCode::OK, ev.json()),
        Err(r) => r,
    }
}

/// `PATCH /cases/{c}/events/{e}` `{"status": "SENT" | "RECEIVED"}`.
pub async fn patch_event(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((c, e)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "PATCH event"));
    let status = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string));
    let ev = or_answer!(event_of(&mut hub, &process, &c, &e));
    match status.as_deref() {
        Some("SENT") if ev.from_si && ev.status == "IN_PROGRESS" => {
            if ev.files.iter().any(|f| f.status != "RECEIVED") {
                return error(
                    StatusCode::BAD_REQUEST,
                    400,
                    "an attachment is not uploaded",
                );
            }
            ev.status = "SENT".into();
            let answer = ev.json();
            hub.notify(&process, &c, Some((&e, "RECEIVED")));
            json_ok(StatusCode::OK, answer)
        }
        Some("RECEIVED") if !ev.from_si => {
            ev.status = "RECEIVED".into();
            json_ok(StatusCode::OK, ev.json())
        }
        _ => error(StatusCode::BAD_REQUEST, 400, "status change not allowed"),
    }
}

/// `DELETE /cases/{c}/events/{e}` (an SI's event still `IN_PROGRESS`).
pub async fn delete_event(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((c, e)): Path<(String, String)>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "DELETE event"));
    let case = or_answer!(owned(&mut hub, &process, &c));
    match case.events.iter().position(|x| x.id == e) {
        Some(i) if case.events[i].status == "IN_PROGRESS" && case.events[i].from_si => {
            case.events.remove(i);
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) => error(StatusCode::BAD_REQUEST, 400, "event is not IN_PROGRESS"),
        None => not_found("event"),
    }
}

/// `PUT /cases/{c}/events/{e}/attachments/{a}`: the bytes, REJECTED when
/// their count is not the declared size.
pub async fn put_event_file(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((c, e, a)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "PUT event attachment"));
    let ev = or_answer!(event_of(&mut hub, &process, &c, &e));
    let Some(f) = ev.files.iter_mut().find(|f| f.id == a) else {
        return not_found("attachment");
    };
    f.bytes = body.to_vec();
    if f.bytes.len() as u64 != f.size {
        f.status = "REJECTED".into();
        return error(
            StatusCode::BAD_REQUEST,
            400,
            "size differs from the declared size",
        );
    }
    f.status = "RECEIVED".into();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /cases/{c}/events/{e}/attachments/{a}`.
pub async fn get_event_file(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((c, e, a)): Path<(String, String, String)>,
) -> Response {
    let mut hub = lock(&s);
    let process = or_answer!(auth(&mut hub, &headers, "GET event attachment"));
    let wrong = hub.faults.wrong_digest > 0;
    let ev = or_answer!(event_of(&mut hub, &process, &c, &e));
    let Some(f) = ev.files.iter().find(|f| f.id == a) else {
        return not_found("attachment");
    };
    let r = file_bytes(wrong, f);
    if wrong {
        hub.faults.wrong_digest -= 1;
    }
    r
}

/// Standard base64 decoding (HTTP Basic), `None` when malformed.
fn decode64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}
