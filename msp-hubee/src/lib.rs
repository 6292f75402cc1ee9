//! The HubEE HTTP client behind [`msp_core::hubee::HubConnector`]: ureq
//! (blocking HTTP/1.1, no async runtime) with rustls and ring (no
//! OpenSSL), Mozilla's roots.
//!
//! Each request carries the bearer token (asked for on first use with the
//! client credentials, renewed once on a 401) and the editor headers
//! (`editorName` and `applicationName` `msp`, `softwareVersion` its
//! version). A 500 or more, a dropped connection or a timeout is tried
//! again `retries` times, waiting `backoff_ms` then twice as long each
//! time; what still fails is temporary trouble, said once by the caller.
//! The secret is read at connection and never written anywhere.

use std::time::Duration;

use msp_core::config::{HubeeConfig, HubeeSubscription};
use msp_core::error::{Error, Result};
use msp_core::hubee::{base64, Download, Hub, HubConnector, Notification};
use serde_json::Value;
use ureq::Agent;

/// The version sent as `softwareVersion`.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest answer read (a case's file).
const MAX_BODY: u64 = 1 << 30;

/// Opens [`Client`]s.
#[derive(Debug, Default, Clone, Copy)]
pub struct Connector;

impl HubConnector for Connector {
    fn connect(&self, hubee: &HubeeConfig, sub: &HubeeSubscription) -> Result<Box<dyn Hub>> {
        Ok(Box::new(Client::new(hubee, sub)?))
    }
}

/// A request's body.
enum Body<'a> {
    Empty,
    Json(&'a Value),
    Bytes(&'a [u8]),
}

/// An answer: status, `digest` header, bytes.
struct Answer {
    status: u16,
    digest: Option<String>,
    bytes: Vec<u8>,
}

impl Answer {
    /// The answer when its status is one of `ok`, else trouble with the
    /// hub's own words.
    fn expect(self, what: &str, ok: &[u16]) -> Result<Answer> {
        if ok.contains(&self.status) {
            return Ok(self);
        }
        let text: String = String::from_utf8_lossy(&self.bytes)
            .chars()
            .take(300)
            .collect();
        Err(Error::trouble(format!(
            "{what}: HTTP {}: {text}",
            self.status
        )))
    }

    fn json(&self, what: &str) -> Result<Value> {
        serde_json::from_slice(&self.bytes)
            .map_err(|e| Error::trouble(format!("{what}: not JSON: {e}")))
    }
}

/// One subscription's client.
pub struct Client {
    agent: Agent,
    token_url: String,
    api: String,
    client_id: String,
    secret: String,
    label: String,
    token: Option<String>,
    retries: u32,
    backoff: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.api)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl Client {
    /// A client for `sub` (its secret read now; no request made yet).
    pub fn new(hubee: &HubeeConfig, sub: &HubeeSubscription) -> Result<Self> {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(hubee.timeout_seconds.max(1))))
            .user_agent(format!("msp/{VERSION}"))
            .build()
            .into();
        Ok(Client {
            agent,
            token_url: hubee.token_url.clone(),
            api: format!("{}/teledossiers/v1", hubee.api_url.trim_end_matches('/')),
            client_id: sub.client_id.clone(),
            secret: sub.secret()?,
            label: sub.label(),
            token: None,
            retries: hubee.retries.max(1),
            backoff: Duration::from_millis(hubee.backoff_ms),
        })
    }

    /// `attempt` tried until it answers below 500, with backoff.
    fn retrying(
        &self,
        what: &str,
        attempt: impl FnMut() -> std::result::Result<Answer, ureq::Error>,
    ) -> Result<Answer> {
        self.tried(what, self.retries, attempt)
    }

    /// `attempt` tried at most `tries` times until it answers below 500.
    fn tried(
        &self,
        what: &str,
        tries: u32,
        mut attempt: impl FnMut() -> std::result::Result<Answer, ureq::Error>,
    ) -> Result<Answer> {
        let mut wait = self.backoff;
        let mut last = String::new();
        for n in 1..=tries {
            match attempt() {
                Ok(a) if a.status < 500 => return Ok(a),
                Ok(a) => last = format!("HTTP {}", a.status),
                Err(e) => last = e.to_string(),
            }
            tracing::debug!("{}: {what}: attempt {n}: {last}", self.label);
            if n < tries {
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            }
        }
        Err(Error::temporary(format!(
            "{}: {what}: {last} ({tries} attempts)",
            self.label
        )))
    }

    /// The token, asked for when there is none.
    fn token(&mut self) -> Result<String> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let basic = base64(format!("{}:{}", self.client_id, self.secret).as_bytes());
        let answer = self.retrying("token", || {
            let r = self
                .agent
                .post(&self.token_url)
                .header("Authorization", &format!("Basic {basic}"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send("grant_type=client_credentials&scope=SI")?;
            read(r)
        })?;
        if answer.status == 401 || answer.status == 400 {
            return Err(Error::config(format!(
                "{}: the hub refuses the client id and secret (HTTP {}: invalid_client)",
                self.label, answer.status
            )));
        }
        let token = answer
            .expect(&format!("{}: token", self.label), &[200])?
            .json("token")?["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                Error::trouble(format!(
                    "{}: the token answer has no access_token",
                    self.label
                ))
            })?;
        self.token = Some(token.clone());
        Ok(token)
    }

    /// A call to the API, the token renewed once on a 401.
    fn call(&mut self, method: &str, path: &str, body: Body) -> Result<Answer> {
        let url = format!("{}{path}", self.api);
        let what = format!("{}: {method} {path}", self.label);
        // A POST creates: sent once, whatever happens to its answer (a
        // lost answer may hide an event the hub created; the caller reads
        // the case's events back before posting again). The other calls
        // are idempotent and retried.
        let tries = if method == "POST" { 1 } else { self.retries };
        for renewed in [false, true] {
            let token = self.token()?;
            let answer = self.tried(&format!("{method} {path}"), tries, || {
                send(&self.agent, method, &url, &token, &body)
            })?;
            if answer.status == 401 && !renewed {
                self.token = None;
                continue;
            }
            return Ok(answer);
        }
        Err(Error::trouble(format!("{what}: refused")))
    }
}

/// One request sent and its answer read.
fn send(
    agent: &Agent,
    method: &str,
    url: &str,
    token: &str,
    body: &Body,
) -> std::result::Result<Answer, ureq::Error> {
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("editorName", "msp"),
        ("applicationName", "msp"),
        ("softwareVersion", VERSION),
    ];
    macro_rules! with_headers {
        ($r:expr) => {{
            let mut r = $r;
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r
        }};
    }
    let (json, bytes): (Option<Vec<u8>>, &[u8]) = match body {
        Body::Empty => (None, &[]),
        Body::Json(v) => (Some(v.to_string().into_bytes()), &[]),
        Body::Bytes(b) => (None, b),
    };
    let response = match (method, json) {
        ("GET", _) => with_headers!(agent.get(url)).call()?,
        ("DELETE", _) => with_headers!(agent.delete(url)).call()?,
        (m, Some(j)) => with_headers!(builder(agent, m, url))
            .header("Content-Type", "application/json")
            .send(&j[..])?,
        (m, None) => with_headers!(builder(agent, m, url))
            .header("Content-Type", "application/octet-stream")
            .send(bytes)?,
    };
    read(response)
}

/// A request with a body.
fn builder(
    agent: &Agent,
    method: &str,
    url: &str,
) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
    match method {
        "PUT" => agent.put(url),
        "PATCH" => agent.patch(url),
        _ => agent.post(url),
    }
}

fn read(mut r: ureq::http::Response<ureq::Body>) -> std::result::Result<Answer, ureq::Error> {
    let status = r.status().as_u16();
    let digest = r
        .headers()
        .get("digest")
        .and_then(|v| v.to_str().ok())
        .map(|d| {
            // `sha-256=...` as RFC 3230 writes it, or the bare value.
            d.strip_prefix("sha-256=")
                .or_else(|| d.strip_prefix("SHA-256="))
                .unwrap_or(d)
                .to_string()
        });
    let bytes = r.body_mut().with_config().limit(MAX_BODY).read_to_vec()?;
    Ok(Answer {
        status,
        digest,
        bytes,
    })
}

impl Hub for Client {
    fn notifications(&mut self) -> Result<Vec<Notification>> {
        let path = "/notifications?eventDetails=true&maxResult=25";
        let v = self
            .call("GET", path, Body::Empty)?
            .expect(&self.label, &[200])?
            .json(path)?;
        let text = |n: &Value, k: &str| n[k].as_str().map(str::to_string);
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| {
                Some(Notification {
                    id: text(n, "id")?,
                    case_id: text(n, "caseId")?,
                    event_id: text(n, "eventId"),
                    event_status: text(n, "eventStatus"),
                })
            })
            .collect())
    }

    fn delete_notification(&mut self, id: &str) -> Result<()> {
        let path = format!("/notifications/{id}");
        self.call("DELETE", &path, Body::Empty)?
            .expect(&path, &[200, 204, 404])
            .map(drop)
    }

    fn case(&mut self, case: &str) -> Result<Vec<u8>> {
        let path = format!("/cases/{case}");
        Ok(self
            .call("GET", &path, Body::Empty)?
            .expect(&path, &[200])?
            .bytes)
    }

    fn attachment(&mut self, case: &str, id: &str) -> Result<Option<Download>> {
        self.download(format!("/cases/{case}/attachments/{id}"))
    }

    fn event(&mut self, case: &str, event: &str) -> Result<Vec<u8>> {
        let path = format!("/cases/{case}/events/{event}");
        Ok(self
            .call("GET", &path, Body::Empty)?
            .expect(&path, &[200])?
            .bytes)
    }

    fn event_attachment(&mut self, case: &str, event: &str, id: &str) -> Result<Option<Download>> {
        self.download(format!("/cases/{case}/events/{event}/attachments/{id}"))
    }

    fn post_event(&mut self, case: &str, body: &Value) -> Result<Value> {
        let path = format!("/cases/{case}/events");
        self.call("POST", &path, Body::Json(body))?
            .expect(&path, &[200, 201])?
            .json(&path)
    }

    fn patch_event(&mut self, case: &str, event: &str, status: &str) -> Result<()> {
        let path = format!("/cases/{case}/events/{event}");
        let body = serde_json::json!({ "status": status });
        self.call("PATCH", &path, Body::Json(&body))?
            .expect(&path, &[200, 204])
            .map(drop)
    }

    fn delete_event(&mut self, case: &str, event: &str) -> Result<()> {
        let path = format!("/cases/{case}/events/{event}");
        self.call("DELETE", &path, Body::Empty)?
            .expect(&path, &[200, 204, 404])
            .map(drop)
    }

    fn put_event_attachment(
        &mut self,
        case: &str,
        event: &str,
        id: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let path = format!("/cases/{case}/events/{event}/attachments/{id}");
        self.call("PUT", &path, Body::Bytes(bytes))?
            .expect(&path, &[200, 204])
            .map(drop)
    }
}

impl Client {
    /// A file, `None` on a 404 (purged).
    fn download(&mut self, path: String) -> Result<Option<Download>> {
        let a = self.call("GET", &path, Body::Empty)?;
        if a.status == 404 {
            return Ok(None);
        }
        let a = a.expect(&path, &[200])?;
        Ok(Some(Download {
            bytes: a.bytes,
            digest: a.digest,
        }))
    }
}
