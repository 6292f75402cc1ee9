//! `msp serve`: the town hall's web console.
//!
//! Server-rendered French pages (maud), the stylesheet embedded, no
//! script. Every page reads through the core's traits ([`Backend`],
//! [`msp_core::ops`], [`msp_core::lifecycle`]): the console changes a
//! status with the same rules as `msp dossier status`, runs a
//! synchronisation with the same [`Synchronizer`] (and so the same locks)
//! as `msp run`, and puts a rejected archive back with the same
//! [`msp_core::ops::retry`] as `msp errors retry`.
//!
//! Security: it listens on 127.0.0.1 by default, where it may be used
//! without signing in (the Host header must then name the loopback, so a
//! web page elsewhere cannot reach it through DNS rebinding). Any other
//! address, or any configured `[[web.user]]`, requires signing in. Every
//! form carries the session's CSRF token; the session cookie is HttpOnly
//! and SameSite=Strict (and Secure behind TLS); sign-in is rate-limited.
//! Downloads are looked up by dossier number and sequence in the
//! database, never by a path from the request, and no file is opened
//! through a symbolic link ([`safe`]). Without users, any proxy header
//! (`X-Forwarded-*`, `Forwarded`, `X-Real-IP`, `Via`) is refused; a
//! session ends when its user's password hash changes. The server
//! ([`server`]) closes a client slow to send its headers or body and caps
//! the connections per address. Bidirectional controls in what pages show
//! are made visible, and dropped from download names. Every request is
//! written to `logs/web-access.log`.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::Markup;
use msp_core::backend::{Backend, Connector, Dossier};
use msp_core::status::Action;
use msp_core::transport::RemoteConnector;
use msp_core::{lifecycle, ops, Config, Error, ErrorKind, Result, Synchronizer};
use msp_plugins::Registry;
use serde::Deserialize;

pub mod auth;
pub mod pages;
pub mod safe;
pub mod server;

use auth::{Flash, Limiter, Sessions, COOKIE};
use pages::{Frame, SyncOutcome};

/// The address `msp serve` listens on by default.
pub const DEFAULT_LISTEN: &str = msp_core::config::DEFAULT_LISTEN;

/// What the console serves.
pub struct Options {
    /// The configuration (folders, clients, `[web]`).
    pub config: Config,
    /// The démarches.
    pub registry: Registry,
    /// Opens the clients' databases (with their tables brought up to date).
    pub connector: Arc<dyn Connector>,
    /// Opens SFTP connections for the synchronisations it runs.
    pub remotes: Arc<dyn RemoteConnector + Send>,
    /// Overrides `[web] listen`.
    pub listen: Option<String>,
}

/// One browser's view of its session, for the handlers.
#[derive(Clone)]
struct Visitor {
    token: String,
    user: Option<String>,
    csrf: String,
    /// The Secure flag for cookies set in answer (TLS, or configured).
    secure: bool,
    /// The client's address (through a trusted proxy: the one it names).
    client: std::net::IpAddr,
    /// The configuration as it is for this request (read once, in the guard).
    config: Arc<Config>,
}

struct App {
    /// The configuration, read again when its file changes (a client
    /// added, a user removed or given a new password take effect without
    /// a restart).
    loaded: Mutex<(Option<SystemTime>, Arc<Config>)>,
    registry: Registry,
    connector: Arc<dyn Connector>,
    remotes: Arc<dyn RemoteConnector + Send>,
    /// Sign-in required.
    auth: bool,
    secure: bool,
    /// Host headers accepted without sign-in (the loopback names).
    local_hosts: Vec<String>,
    sessions: Mutex<Sessions>,
    limiter: Mutex<Limiter>,
    /// Password checks running at once.
    verifying: tokio::sync::Semaphore,
    /// Time a client has to send a request's body.
    body_timeout: Duration,
    syncing: Mutex<()>,
    last_sync: Mutex<Option<SyncOutcome>>,
    backends: Mutex<HashMap<String, Arc<dyn Backend>>>,
    access: Mutex<Option<std::fs::File>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Binds and serves until Ctrl-C or SIGTERM. Prints the address it
/// listens on (one line on stdout) once it accepts connections.
pub fn serve(o: Options) -> Result<()> {
    let listen = o
        .listen
        .clone()
        .or_else(|| o.config.web.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Error::config(format!(
            "\"{listen}\" is not an address to listen on (e.g. 127.0.0.1:8080, 0.0.0.0:8080)"
        ))
    })?;
    let auth = !o.config.web.users.is_empty() || !addr.ip().is_loopback();
    if auth && o.config.web.users.is_empty() {
        return Err(Error::config(format!(
            "listening on {addr} (not the loopback) requires signing in, and no user is configured: add one with `msp user add NAME` (configuration {})",
            o.config.source
        )));
    }
    o.config.folders.ensure()?;
    let access_path = o.config.folders.logs.join("web-access.log");
    let access = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&access_path)
        .map_err(|e| Error::io("cannot open the access log", &access_path, e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::trouble(format!("cannot start the web server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::trouble(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::trouble(format!("cannot listen on {addr}: {e}")))?;
        let port = bound.port();
        let idle = Duration::from_secs(
            o.config
                .web
                .session_minutes
                .unwrap_or(msp_core::config::DEFAULT_SESSION_MINUTES)
                .clamp(1, 24 * 60)
                .saturating_mul(60),
        );
        let app = Arc::new(App {
            secure: o.config.web.secure_cookies,
            local_hosts: vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
                bound.to_string(),
            ],
            auth,
            loaded: Mutex::new((modified(&o.config.source), Arc::new(o.config))),
            registry: o.registry,
            connector: o.connector,
            remotes: o.remotes,
            sessions: Mutex::new(Sessions::new(idle)),
            limiter: Mutex::new(Limiter::default()),
            verifying: tokio::sync::Semaphore::new(2),
            body_timeout: server::timeouts().1,
            syncing: Mutex::new(()),
            last_sync: Mutex::new(None),
            backends: Mutex::new(HashMap::new()),
            access: Mutex::new(Some(access)),
        });
        let router = router(app.clone());
        println!(
            "msp serve: http://{bound}/ ({}; access log {})",
            if auth {
                "sign-in required"
            } else {
                "no sign-in: loopback only"
            },
            access_path.display()
        );
        let _ = std::io::stdout().flush();
        let trusted = move |ip| app.config().web.trusted_proxies.contains(&ip);
        server::run(listener, router, trusted, shutdown()).await;
        eprintln!("msp serve: stopped");
        Ok(())
    })
}

/// Set when `msp serve` stops: a synchronisation started from the console
/// stops after the archives in hand ([`Synchronizer::with_stop`]).
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Completes at the first SIGTERM or SIGINT (handled even when SIGINT was
/// inherited ignored): the server then accepts no connection and lets the
/// requests in progress finish. A second signal ends the process at once
/// (exit 143 or 130).
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        };
        let first = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
        eprintln!(
            "msp serve: {first}: no new connection, the requests in progress finish (a second signal stops at once)"
        );
        tokio::spawn(async move {
            let code = tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            };
            eprintln!("msp serve: second signal: stopped at once");
            std::process::exit(code);
        });
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/synchroniser", post(synchronise))
        .route("/synchronisation", get(sync_result))
        .route("/dossiers", get(dossiers))
        .route("/dossiers/{numero}", get(dossier))
        .route("/dossiers/{numero}/statut", post(set_status))
        .route("/dossiers/{numero}/annuler", post(cancel_status))
        .route(
            "/dossiers/{numero}/retours/{increment}",
            get(download_return),
        )
        .route("/dossiers/{numero}/pieces/{seq}", get(download_attachment))
        .route(
            "/dossiers/{numero}/archives/{file_number}",
            get(download_archive),
        )
        .route("/rejets", get(rejects))
        .route("/rejets/remettre", post(retry_rejected))
        .route("/connexion", get(login_page).post(login))
        .route("/deconnexion", post(logout))
        .route("/static/msp.css", get(css))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), read_body))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// The session cookie of a request.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_string())
        })
}

/// Every request: the Host check without sign-in, the session (created
/// when needed), sign-in required outside the sign-in page, the Origin
/// check of forms, security headers, the access log.
async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let behind_tls = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        == Some("https");
    let public = path == "/connexion";
    let secure = app.secure || behind_tls;
    let config = app.config();
    // Any header a proxy adds: `X-Forwarded-*` whatever follows (Proto,
    // Port, Server, Prefix...), `Forwarded`, `X-Real-IP`, `Via`.
    let proxied = req.headers().keys().any(|k| {
        let k = k.as_str();
        k.starts_with("x-forwarded-") || matches!(k, "forwarded" | "x-real-ip" | "via")
    });
    // Behind a trusted reverse proxy, the client is the last address it adds.
    let client = match req
        .headers()
        .get("x-forwarded-for")
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok())
    {
        Some(ip) if config.web.trusted_proxies.contains(&peer.ip()) => ip,
        _ => peer.ip(),
    };
    let mut new_cookie = None;
    let mut user = None;
    let mut response = if !app.auth && (proxied || !app.local_hosts.contains(&host)) {
        // Without sign-in, only pages asked for by the loopback's names,
        // never through a proxy (which would open them to its clients).
        plain(
            StatusCode::FORBIDDEN,
            "Cette console n'accepte sans identification que les adresses locales (127.0.0.1, localhost), sans proxy : ajoutez des utilisateurs (msp user add) pour l'ouvrir au réseau.",
        )
    } else if method == Method::POST && !same_origin(req.headers(), &host) {
        plain(
            StatusCode::FORBIDDEN,
            "Formulaire envoyé depuis un autre site : refusé.",
        )
    } else if path.starts_with("/static/") {
        next.run(req).await
    } else {
        let visitor = {
            let mut sessions = lock(&app.sessions);
            let token = cookie(req.headers());
            let found = token.as_deref().and_then(|t| {
                let s = sessions.get(t)?;
                // A user removed from the configuration, or given a new
                // password since signing in, is signed out.
                let stale = s.user.as_ref().is_some_and(|u| {
                    !config
                        .web
                        .users
                        .iter()
                        .any(|x| x.name == *u && s.signed_with(&x.password_hash))
                });
                if stale {
                    sessions.remove(t);
                    return None;
                }
                Some(Visitor {
                    token: t.to_string(),
                    user: s.user.clone(),
                    csrf: s.csrf.clone(),
                    secure,
                    client,
                    config: config.clone(),
                })
            });
            match found {
                Some(v) => Some(v),
                None if !app.auth || public => {
                    let t = sessions.create(None, None);
                    let csrf = sessions.get(&t).map(|s| s.csrf.clone()).unwrap_or_default();
                    new_cookie = Some(t.clone());
                    Some(Visitor {
                        token: t,
                        user: None,
                        csrf,
                        secure,
                        client,
                        config: config.clone(),
                    })
                }
                None => None,
            }
        };
        match visitor {
            Some(v) if !app.auth || v.user.is_some() || public => {
                user = v.user.clone();
                req.extensions_mut().insert(v);
                next.run(req).await
            }
            _ => Redirect::to("/connexion").into_response(),
        }
    };
    if let Some(t) = new_cookie {
        if let Ok(v) = HeaderValue::from_str(&session_cookie(&t, secure)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    let h = response.headers_mut();
    for (k, v) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        // Not no-referrer: with it, Chromium sends `Origin: null` on this
        // console's own forms, which the Origin check refuses.
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    if !path.starts_with("/static/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    app.log_access(client, user.as_deref(), &method, &path, response.status());
    response
}

/// Reads a request's body before the handlers, within the body timeout
/// (a body announced and never sent ends in 408 and a closed connection)
/// and up to [`server::MAX_BODY`] (beyond: 413).
async fn read_body(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Requête trop volumineuse pour cette console.",
        )
    };
    if announced.is_some_and(|n| n > server::MAX_BODY as u64) {
        return closing(too_large());
    }
    match tokio::time::timeout(
        app.body_timeout,
        axum::body::to_bytes(body, server::MAX_BODY),
    )
    .await
    {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        // Cut short, or longer than announced or allowed.
        Ok(Err(_)) => closing(plain(
            StatusCode::BAD_REQUEST,
            "Requête incomplète ou trop volumineuse pour cette console.",
        )),
        Err(_) => closing(plain(
            StatusCode::REQUEST_TIMEOUT,
            "La requête n'est pas arrivée entière à temps : réessayez.",
        )),
    }
}

/// A response after which the connection is closed (its request's body
/// was not read whole).
fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// The Set-Cookie value of a session.
fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A form's Origin (when the browser sends one) names this host.
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => origin
            .split_once("://")
            .map(|(_, rest)| rest == host)
            .unwrap_or(false),
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// When a configuration file was last changed (None: the embedded default).
fn modified(source: &str) -> Option<SystemTime> {
    std::fs::metadata(source).and_then(|m| m.modified()).ok()
}

impl App {
    /// The configuration as its file says now: read again when the file
    /// changed; a file that no longer loads leaves the previous one in use
    /// (said in the server's log).
    fn config(&self) -> Arc<Config> {
        let mut loaded = lock(&self.loaded);
        let source = loaded.1.source.clone();
        let now = modified(&source);
        if now.is_some() && now != loaded.0 {
            match Config::load(std::path::Path::new(&source)) {
                Ok(c) => *loaded = (now, Arc::new(c)),
                Err(e) => {
                    tracing::warn!("web console: {e}; the previous configuration stays in use");
                    loaded.0 = now;
                }
            }
        }
        loaded.1.clone()
    }

    /// One line per request: time, address, user, method, path (never the
    /// query string: a search may hold a citizen's name), status.
    fn log_access(
        &self,
        peer: std::net::IpAddr,
        user: Option<&str>,
        method: &Method,
        path: &str,
        status: StatusCode,
    ) {
        if let Some(f) = lock(&self.access).as_mut() {
            let _ = writeln!(
                f,
                "{} {} {} {method} {path} {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                peer,
                user.unwrap_or("-"),
                status.as_u16()
            );
        }
    }

    /// The frame of a page for `v`, taking its flash message.
    fn frame<'v>(&self, v: &'v Visitor) -> Frame<'v> {
        let flash = lock(&self.sessions)
            .get(&v.token)
            .and_then(|s| s.flash.take());
        Frame {
            user: v.user.as_deref(),
            csrf: &v.csrf,
            flash,
        }
    }

    fn flash(&self, v: &Visitor, ok: bool, text: impl Into<String>) {
        if let Some(s) = lock(&self.sessions).get(&v.token) {
            s.flash = Some(Flash {
                ok,
                text: text.into(),
            });
        }
    }

    /// Every client database (once each: towns may share one), opened on
    /// first use and kept; those that cannot be opened, with the cause.
    fn backends(&self, config: &Config) -> (Vec<Arc<dyn Backend>>, Vec<String>) {
        let mut open = Vec::new();
        let mut failed = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for client in &config.clients {
            if !seen.insert(client.database.clone()) {
                continue;
            }
            if let Some(b) = lock(&self.backends).get(&client.database) {
                open.push(b.clone());
                continue;
            }
            match self.connector.connect(client, &config.root) {
                Ok(b) => {
                    lock(&self.backends).insert(client.database.clone(), b.clone());
                    open.push(b);
                }
                Err(e) => failed.push(format!("client {} : {e}", client.name)),
            }
        }
        (open, failed)
    }

    /// The database holding dossier `numero`, and the dossier.
    fn holder(&self, config: &Config, numero: &str) -> Result<(Arc<dyn Backend>, Dossier)> {
        let (backends, failed) = self.backends(config);
        if let Some(found) = msp_core::backend::find_dossier(&backends, numero)? {
            return Ok(found);
        }
        if !failed.is_empty() {
            return Err(Error::trouble(failed.join(" ; ")));
        }
        Err(Error::not_found(format!("Aucun dossier {numero}.")))
    }

    fn csrf_ok(&self, v: &Visitor, token: &str) -> bool {
        auth::same_token(token, &v.csrf)
    }
}

/// Runs blocking work (database, files) off the server's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::trouble(format!("the request's work failed: {e}")))
}

/// A page; bidirectional controls in what it shows are made visible.
fn page(m: Markup) -> Response {
    Html(safe::neutralise_html(m.into_string())).into_response()
}

fn error_page(app: &App, v: &Visitor, e: &Error) -> Response {
    let (status, title) = match e.kind {
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "Introuvable"),
        ErrorKind::Refused => (StatusCode::CONFLICT, "Refusé"),
        ErrorKind::Config | ErrorKind::Usage => (StatusCode::BAD_REQUEST, "Demande impossible"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "Incident"),
    };
    let text = e.french.clone().unwrap_or_else(|| e.message.clone());
    (status, page(pages::error(&app.frame(v), title, &text))).into_response()
}

fn csrf_refused(app: &App, v: &Visitor) -> Response {
    (
        StatusCode::FORBIDDEN,
        page(pages::error(
            &app.frame(v),
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne vient pas de cette console : rechargez la page et recommencez.",
        )),
    )
        .into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::CSS,
    )
        .into_response()
}

async fn not_found(State(app): State<Arc<App>>, v: Option<Extension<Visitor>>) -> Response {
    match v {
        Some(Extension(v)) => (
            StatusCode::NOT_FOUND,
            page(pages::error(
                &app.frame(&v),
                "Page introuvable",
                "Cette page n'existe pas.",
            )),
        )
            .into_response(),
        None => plain(StatusCode::NOT_FOUND, "Page introuvable."),
    }
}

/// The rejections of a run with the French reason of their log (the
/// clerk's words), the run's own message when the log cannot be read.
fn french_reasons(config: &Config, rejected: &[(String, String)]) -> Vec<(String, String)> {
    let logs = ops::rejected(&config.folders).unwrap_or_default();
    rejected
        .iter()
        .map(|(name, message)| {
            // A log that is a symbolic link is not read.
            let reason = logs
                .iter()
                .rev()
                .find(|r| {
                    r.name == *name
                        && !r.reason.is_empty()
                        && linked_rejection(&config.folders, name).is_none()
                })
                .map(|r| r.reason.clone())
                .unwrap_or_else(|| message.clone());
            (name.clone(), safe::quote(&reason))
        })
        .collect()
}

/// The type a browser is told for an attachment, from its extension.
fn attachment_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// (name, age in seconds) of the archives waiting; (name, reason in
/// French) of the files msp does not recognise.
type Input = (Vec<(String, u64)>, Vec<(String, String)>);

/// Input, listed once: the archives waiting, oldest first, and the files
/// msp does not recognise.
fn input(config: &Config, registry: &Registry) -> Input {
    let now = SystemTime::now();
    let found = ops::input_files(&config.folders, &registry.codes());
    let mut waiting: Vec<(String, u64)> = found
        .archives
        .into_iter()
        .map(|(name, t)| {
            let age = now.duration_since(t).map(|d| d.as_secs()).unwrap_or(0);
            (name, age)
        })
        .collect();
    waiting.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut unrecognised: Vec<(String, String)> = found
        .unrecognised
        .into_iter()
        .map(|(name, _, why)| (name, why.french()))
        .collect();
    unrecognised.sort();
    (waiting, unrecognised)
}

/// The causes of trouble of the last synchronisation, and the archives
/// each held back.
fn held_back(config: &Config) -> Vec<pages::HeldBack> {
    let Some(last) = ops::last_run(&config.folders) else {
        return Vec::new();
    };
    last.summary["troubles"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|t| pages::HeldBack {
                    // The clerk's French first, the technical words after
                    // (a record written before French causes has none).
                    cause: match (
                        t["french"].as_str(),
                        t["cause"].as_str().unwrap_or_default(),
                    ) {
                        (Some(fr), cause) => format!("{fr} (Détail technique : {cause})"),
                        (None, cause) => cause.to_string(),
                    },
                    count: t["archives"].as_u64().unwrap_or(0) as usize,
                    archives: t["first_archives"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn dashboard(State(app): State<Arc<App>>, Extension(v): Extension<Visitor>) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let figures = blocking(move || {
        let (backends, unreachable) = a.backends(&config);
        let mut figures = ops::DatabaseFigures {
            unreachable,
            ..ops::DatabaseFigures::default()
        };
        for b in &backends {
            if let Err(e) = figures.add(b.as_ref()) {
                figures.unreachable.push(format!("{} : {e}", b.describe()));
            }
        }
        let now = lifecycle::now();
        let late = |times: &[chrono::NaiveDateTime], hours: u64| ops::count_late(times, hours, now);
        let t = &config.status;
        let (waiting, unrecognised) = input(&config, &a.registry);
        let (rejected, rejected_trouble) = match ops::rejected(&config.folders) {
            Ok(r) => (r.len(), None),
            Err(e) => (0, Some(e.french.unwrap_or(e.message))),
        };
        let recent = ops::recent_activity(&config.folders, 10);
        pages::Dashboard {
            runs: recent.runs,
            empty_runs: (recent.empty_since, recent.last_empty),
            waiting,
            unrecognised,
            rejected,
            rejected_trouble,
            untransmitted: (
                figures.untransmitted.len(),
                late(&figures.untransmitted, t.untransmitted_hours),
            ),
            uncollected: (
                figures.uncollected.len(),
                late(&figures.uncollected, t.uncollected_hours),
            ),
            late_hours: (t.untransmitted_hours, t.uncollected_hours),
            unreachable: figures.unreachable,
            troubles: held_back(&config).into_iter().map(|h| h.cause).collect(),
        }
    })
    .await;
    match figures {
        Ok(d) => page(pages::dashboard(&app.frame(&v), &d)),
        Err(e) => error_page(&app, &v, &e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn synchronise(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let a = app.clone();
    let config = v.config.clone();
    let ran = blocking(move || {
        // A synchronisation that panicked released the lock all the same.
        let _running = match a.syncing.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return false,
        };
        let started = Instant::now();
        let outcome = match Synchronizer::new(&config, &a.registry, a.connector.as_ref())
            .with_remotes(a.remotes.as_ref())
            .with_stop(&STOPPING)
            .run_once()
        {
            Ok(r) => SyncOutcome {
                at: lifecycle::now(),
                exit_code: r.exit_code(),
                flows: r
                    .flows
                    .iter()
                    .map(|(f, c)| {
                        (
                            f.clone(),
                            [
                                c.imported,
                                c.complements,
                                c.duplicates,
                                c.rejected,
                                c.returns_written,
                                c.errors,
                            ],
                        )
                    })
                    .collect(),
                rejected: french_reasons(&config, &r.rejected),
                troubles: r
                    .troubles
                    .iter()
                    .map(msp_core::sync::trouble_line_fr)
                    .collect(),
                refused: r.refused.clone(),
                failed: None,
                log: r
                    .log_path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            },
            Err(e) => SyncOutcome {
                at: lifecycle::now(),
                exit_code: 2,
                flows: Vec::new(),
                rejected: Vec::new(),
                troubles: Vec::new(),
                refused: Vec::new(),
                failed: Some(e.to_string()),
                log: String::new(),
            },
        };
        tracing::info!(
            "console synchronisation finished in {} ms, exit {}",
            started.elapsed().as_millis(),
            outcome.exit_code
        );
        *lock(&a.last_sync) = Some(outcome);
        true
    })
    .await;
    match ran {
        Ok(true) => Redirect::to("/synchronisation").into_response(),
        Ok(false) => {
            app.flash(
                &v,
                false,
                "Une synchronisation lancée depuis la console est déjà en cours : attendez qu'elle se termine.",
            );
            Redirect::to("/").into_response()
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

async fn sync_result(State(app): State<Arc<App>>, Extension(v): Extension<Visitor>) -> Response {
    let frame = app.frame(&v);
    let last = lock(&app.last_sync);
    page(pages::sync_result(&frame, last.as_ref()))
}

async fn dossiers(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Query(f): Query<pages::DossierFilter>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let filter = f.clone();
    let found = blocking(move || {
        let (backends, mut errors) = a.backends(&config);
        let flows: Vec<String> = if filter.flux.is_empty() {
            Vec::new()
        } else {
            vec![filter.flux.clone()]
        };
        let mut all: Vec<Dossier> = Vec::new();
        for b in &backends {
            match b.dossiers(&flows) {
                Ok(d) => all.extend(d),
                Err(e) => errors.push(format!("{} : {e}", b.describe())),
            }
        }
        let status: Option<u16> = filter.statut.parse().ok();
        let q = filter.q.trim().to_lowercase();
        let insee = filter.commune.trim();
        all.retain(|d| {
            status.is_none_or(|s| d.status == s)
                && (insee.is_empty() || d.insee == insee)
                && (filter.non_transmis != "1" || d.indicator == 0)
                && (q.is_empty()
                    || d.numero.to_lowercase().contains(&q)
                    || d.summary.to_lowercase().contains(&q))
        });
        // The latest activity first.
        all.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.numero.cmp(&b.numero))
        });
        (all, errors)
    })
    .await;
    let (all, errors) = match found {
        Ok(x) => x,
        Err(e) => return error_page(&app, &v, &e),
    };
    let pages_count = all.len().div_ceil(pages::PAGE).max(1);
    let page_no = f.page.unwrap_or(1).clamp(1, pages_count);
    let shown: Vec<Dossier> = all
        .iter()
        .skip((page_no - 1) * pages::PAGE)
        .take(pages::PAGE)
        .cloned()
        .collect();
    let codes = app.registry.codes();
    let list = pages::DossierList {
        shown: &shown,
        total: all.len(),
        page: page_no,
        towns: &pages::Towns::of(&v.config),
    };
    page(pages::dossiers(&app.frame(&v), &codes, &f, &list, &errors))
}

/// A name read from the database used as a file name: a plain name only.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Whether a file (or a symbolic link, which its download then refuses)
/// is at `path`; a link is not followed to tell.
fn present(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() || m.file_type().is_symlink())
}

/// The dossier page's query: `?mot_de_passe=N` shows the follow-up
/// password of file N to a signed-in user.
#[derive(Deserialize, Default)]
struct DossierQuery {
    #[serde(default)]
    mot_de_passe: Option<u32>,
}

async fn dossier(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(numero): Path<String>,
    Query(q): Query<DossierQuery>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    // A secret: shown on demand to a signed-in user only, and traced.
    let reveal = match (&v.user, q.mot_de_passe) {
        (Some(user), Some(n)) => {
            // In the operators' trail (never the password itself).
            if let Err(e) = ops::trace(
                &v.config.folders,
                &format!(
                    "web console ({user}): dossier {numero}: follow-up password of file {n} shown"
                ),
            ) {
                tracing::warn!("{e}");
            }
            Some(n)
        }
        _ => None,
    };
    let signed_in = v.user.is_some();
    let view = blocking(move || {
        dossier_view(
            &a,
            &config,
            &numero,
            reveal,
            signed_in,
            pages::Draft::default(),
        )
    })
    .await
    .and_then(|r| r);
    match view {
        Ok(view) => page(pages::dossier(&app.frame(&v), &view)),
        Err(e) => error_page(&app, &v, &e),
    }
}

/// What the dossier page shows, read from the dossier's database; `draft`
/// is the status form as the agent filled it.
fn dossier_view(
    a: &App,
    config: &Config,
    numero: &str,
    reveal: Option<u32>,
    signed_in: bool,
    draft: pages::Draft,
) -> Result<pages::DossierView> {
    let (b, d) = a.holder(config, numero)?;
    let history = b.history(numero)?;
    let (allowed, cancellable) = lifecycle::choices(&d, &history);
    let folders = &config.folders;
    let returns = b
        .returns(numero)?
        .into_iter()
        .map(|r| {
            let on_disk = plain_name(&r.file)
                && (present(&folders.output.join(&r.file)) || present(&config.sent.join(&r.file)));
            (r, on_disk)
        })
        .collect();
    let received = b
        .received(numero)?
        .into_iter()
        .map(|r| {
            let in_done = plain_name(&r.name) && present(&folders.done.join(&r.name));
            (r, in_done)
        })
        .collect();
    Ok(pages::DossierView {
        attachments: b.attachments(numero)?,
        events: b.events(numero)?,
        database: b.describe(),
        history,
        returns,
        received,
        reveal,
        signed_in,
        allowed: allowed.into_iter().filter(|s| *s != 14).collect(),
        cancellable,
        towns: pages::Towns::of(config),
        draft,
        dossier: d,
    })
}

/// The dossier page again, answering a status form that could not be
/// applied: the reason in an alert, the form as the agent filled it (the
/// comment typed is not lost).
async fn dossier_again(
    app: Arc<App>,
    v: Visitor,
    numero: String,
    status: StatusCode,
    why: String,
    draft: pages::Draft,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let signed_in = v.user.is_some();
    let view = blocking(move || dossier_view(&a, &config, &numero, None, signed_in, draft))
        .await
        .and_then(|r| r);
    match view {
        Ok(view) => {
            let mut frame = app.frame(&v);
            frame.flash = Some(Flash {
                ok: false,
                text: why,
            });
            (status, page(pages::dossier(&frame, &view))).into_response()
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    commentaire: String,
}

async fn change_status(
    app: Arc<App>,
    v: Visitor,
    numero: String,
    action: Action,
    comment: Option<String>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let n = numero.clone();
    let who = v.user.clone();
    let typed = comment.clone();
    let done = blocking(move || -> Result<String> {
        let (b, _) = a.holder(&config, &n)?;
        let who = format!(
            "web console{}",
            who.map(|u| format!(" ({u})")).unwrap_or_default()
        );
        lifecycle::change_audited(b.as_ref(), &config.folders, &who, &n, action, comment)
    })
    .await
    .and_then(|r| r);
    let back = pages::dossier_href(&numero);
    match done {
        Ok(_) => {
            let text = match action {
                Action::Set(code) => format!(
                    "Nouveau statut enregistré : {}. Il sera transmis au portail à la prochaine synchronisation.",
                    pages::status_text(code)
                ),
                Action::Cancel => "Statut annulé : le statut précédent est rétabli.".to_string(),
            };
            app.flash(&v, true, text);
            Redirect::to(&back).into_response()
        }
        Err(e) if e.kind == ErrorKind::Refused => {
            let why = format!("Changement refusé. {}", e.french.unwrap_or(e.message));
            match action {
                // The form is shown again as it was filled.
                Action::Set(code) => {
                    let draft = pages::Draft {
                        code: Some(code),
                        comment: typed.unwrap_or_default(),
                    };
                    dossier_again(app, v, numero, StatusCode::CONFLICT, why, draft).await
                }
                Action::Cancel => {
                    app.flash(&v, false, why);
                    Redirect::to(&back).into_response()
                }
            }
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

async fn set_status(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(numero): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let Ok(code) = f.code.trim().parse::<u16>() else {
        // The comment typed stays in the form.
        let draft = pages::Draft {
            code: None,
            comment: f.commentaire,
        };
        let why = "Choisissez un statut.".to_string();
        return dossier_again(app, v, numero, StatusCode::UNPROCESSABLE_ENTITY, why, draft).await;
    };
    let comment = Some(f.commentaire.trim().to_string()).filter(|c| !c.is_empty());
    change_status(app, v, numero, Action::Set(code), comment).await
}

async fn cancel_status(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(numero): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    change_status(app, v, numero, Action::Cancel, None).await
}

/// What a download sends.
enum Payload {
    /// A file opened by [`safe::open_plain`] (never through a link),
    /// streamed (never read whole into memory).
    File(std::fs::File),
    /// Bytes built or read from the database.
    Bytes(Vec<u8>),
}

/// A download: the file name the browser saves, its type, its content.
struct Download {
    name: String,
    content_type: &'static str,
    payload: Payload,
}

/// The number in a download's address (`/pieces/2`); anything else is a
/// page that does not exist.
fn number(n: &str, what: &str, numero: &str) -> Result<u32> {
    n.parse()
        .map_err(|_| Error::not_found(format!("Le dossier {numero} n'a pas de {what} « {n} ».")))
}

/// Sends a download under its name (ASCII fallback and UTF-8 name,
/// without bidirectional controls).
async fn send(d: Download) -> Result<Response> {
    let name = safe::download_name(&d.name);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-~".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = pages::encode(&name);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut r = match d.payload {
        Payload::Bytes(b) => b.into_response(),
        Payload::File(file) => {
            let len = file.metadata().map(|m| m.len()).ok();
            let file = tokio::fs::File::from_std(file);
            let mut r = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file))
                .into_response();
            if let Some(len) = len {
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            r
        }
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(d.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Runs a download's lookup off the server's threads, then sends it.
async fn deliver(
    app: &Arc<App>,
    v: &Visitor,
    find: impl FnOnce() -> Result<Download> + Send + 'static,
) -> Response {
    let found = blocking(find).await.and_then(|r| r);
    let sent = match found {
        Ok(d) => send(d).await,
        Err(e) => Err(e),
    };
    sent.unwrap_or_else(|e| error_page(app, v, &e))
}

async fn download_return(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path((numero, increment)): Path<(String, String)>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    deliver(&app, &v, move || {
        let increment = number(&increment, "retour", &numero)?;
        let (b, d) = a.holder(&config, &numero)?;
        let mut r = b
            .returns(&numero)?
            .into_iter()
            .find(|r| r.increment == increment && r.written_at.is_some())
            .ok_or_else(|| {
                Error::not_found(format!(
                    "Le dossier {numero} n'a pas de retour n° {increment} écrit."
                ))
            })?;
        let config = a.config();
        if plain_name(&r.file) {
            for dir in [&config.folders.output, &config.sent] {
                let path = dir.join(&r.file);
                if present(&path) {
                    // A symbolic link there is refused, named.
                    return Ok(Download {
                        payload: Payload::File(safe::open_plain(&path)?),
                        name: r.file,
                        content_type: "application/zip",
                    });
                }
            }
        }
        // Collected by the portal: what it said, rebuilt from the record.
        if r.flow.is_empty() {
            r.flow = d.flow.clone();
        }
        let recipient = msp_core::lifecycle::inbound_sender(b.as_ref(), &numero)?;
        let routing = msp_core::returns::Routing {
            town: msp_core::returns::Town::of(config.client_for(&d.insee), &d.insee),
            recipient: recipient.as_ref(),
        };
        let m = msp_core::returns::ReturnMessage::of(&r, None, routing);
        let xml = msp_core::returns::message_xml(&m);
        let stem = r.file.trim_end_matches(".zip").to_string();
        Ok(Download {
            name: format!("{stem}-message.xml"),
            content_type: "application/xml",
            payload: Payload::Bytes(xml.into_bytes()),
        })
    })
    .await
}

async fn download_attachment(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path((numero, seq)): Path<(String, String)>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    deliver(&app, &v, move || {
        let seq = number(&seq, "pièce", &numero)?;
        let (b, _) = a.holder(&config, &numero)?;
        // Only a file inside the attachments folder, or the database's bytes.
        let (att, bytes) = ops::attachment(b.as_ref(), &config.folders, &numero, seq)?;
        // The stored path itself a link (even to a file inside the folder):
        // refused, named.
        if let Some(p) = att.path.as_deref().map(std::path::Path::new) {
            if safe::is_link(p) {
                return Err(safe::link_refused(p));
            }
        }
        let payload = match bytes {
            ops::AttachmentBytes::File(file) => Payload::File(safe::open_plain(&file)?),
            ops::AttachmentBytes::Read(bytes) => Payload::Bytes(bytes),
        };
        Ok(Download {
            content_type: attachment_type(&att.file_name),
            name: att.file_name,
            payload,
        })
    })
    .await
}

async fn download_archive(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path((numero, file_number)): Path<(String, String)>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    deliver(&app, &v, move || {
        let file_number = number(&file_number, "archive", &numero)?;
        let (b, _) = a.holder(&config, &numero)?;
        let r = b
            .received(&numero)?
            .into_iter()
            .find(|r| r.file_number == file_number)
            .filter(|r| plain_name(&r.name))
            .ok_or_else(|| {
                Error::not_found(format!(
                    "Le dossier {numero} n'a pas d'archive n° {file_number}."
                ))
            })?;
        let path = config.folders.done.join(&r.name);
        if !present(&path) {
            return Err(Error::not_found(format!(
                "L'archive {} n'est plus dans le dossier des archives traitées (purgée).",
                r.name
            )));
        }
        // A symbolic link there is refused, named.
        let file = safe::open_plain(&path)?;
        Ok(Download {
            name: r.name,
            content_type: "application/zip",
            payload: Payload::File(file),
        })
    })
    .await
}

/// A page of a list: `?page=N`, from 1.
#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: Option<usize>,
}

/// The trouble of a rejected archive, or of its log, being a symbolic
/// link in the error folder (neither is followed), in French.
fn linked_rejection(folders: &msp_core::folders::Folders, name: &str) -> Option<Error> {
    [name.to_string(), format!("{name}.log")]
        .iter()
        .map(|n| folders.error.join(n))
        .find(|p| safe::is_link(p))
        .map(|p| safe::link_refused(&p))
}

/// What the console shows of a rejected archive's log: the beginning of
/// its lines ([`safe::quote_log`]), never through a symbolic link.
fn rejection_quote(folders: &msp_core::folders::Folders, name: &str) -> String {
    if let Some(e) = linked_rejection(folders, name) {
        return format!("({})", e.french.unwrap_or(e.message));
    }
    match safe::quote_log(&folders.error.join(format!("{name}.log"))) {
        Ok(log) => log,
        Err(e) if e.kind == ErrorKind::NotFound => "(pas de journal)".to_string(),
        Err(e) => format!("(journal illisible : {})", e.french.unwrap_or(e.message)),
    }
}

async fn rejects(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Query(q): Query<PageQuery>,
) -> Response {
    let config = v.config.clone();
    let a = app.clone();
    let found = blocking(move || -> Result<_> {
        let list = ops::rejected(&config.folders)?;
        let total = list.len();
        let page_no = q
            .page
            .unwrap_or(1)
            .clamp(1, total.div_ceil(pages::PAGE).max(1));
        // Only this page's logs are read, each quoted in part.
        let shown = list
            .into_iter()
            .skip((page_no - 1) * pages::PAGE)
            .take(pages::PAGE)
            .map(|mut r| {
                r.reason = match linked_rejection(&config.folders, &r.name) {
                    Some(e) => e.french.unwrap_or(e.message),
                    None => safe::quote(&r.reason),
                };
                let log = rejection_quote(&config.folders, &r.name);
                (r, log)
            })
            .collect::<Vec<_>>();
        Ok((
            pages::RejectsView {
                shown,
                total,
                page: page_no,
            },
            held_back(&config),
            input(&config, &a.registry).0.len(),
        ))
    })
    .await
    .and_then(|r| r);
    match found {
        Ok((rejected, held, waiting)) => {
            page(pages::rejects(&app.frame(&v), &rejected, &held, waiting))
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

#[derive(Deserialize)]
struct RetryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nom: String,
}

async fn retry_rejected(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Form(f): Form<RetryForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let config = v.config.clone();
    let name = f.nom.clone();
    let who = v.user.clone();
    // ops::retry takes only a plain name present in the error folder; a
    // symbolic link there is not put back.
    let done = blocking(move || -> Result<String> {
        if plain_name(&name) {
            if let Some(e) = linked_rejection(&config.folders, &name) {
                return Err(e);
            }
        }
        let dest = ops::retry(&config.folders, &name)?;
        ops::trace(
            &config.folders,
            &format!(
                "web console{}: {name} put back into input",
                who.map(|u| format!(" ({u})")).unwrap_or_default()
            ),
        )?;
        Ok(dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default())
    })
    .await
    .and_then(|r| r);
    match done {
        Ok(dest) => app.flash(
            &v,
            true,
            format!(
                "{} a été remise en entrée{} : la prochaine synchronisation l'intègre.",
                f.nom,
                if dest == f.nom {
                    String::new()
                } else {
                    format!(" sous le nom {dest}")
                }
            ),
        ),
        Err(e) => app.flash(
            &v,
            false,
            format!(
                "{} n'a pas pu être remise en entrée. {}",
                f.nom,
                e.french.unwrap_or(e.message)
            ),
        ),
    }
    Redirect::to("/rejets").into_response()
}

async fn login_page(State(app): State<Arc<App>>, Extension(v): Extension<Visitor>) -> Response {
    if !app.auth || v.user.is_some() {
        return Redirect::to("/").into_response();
    }
    page(pages::login(&app.frame(&v), None, ""))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    mot_de_passe: String,
}

async fn login(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Form(f): Form<LoginForm>,
) -> Response {
    if !app.auth {
        return Redirect::to("/").into_response();
    }
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    let ip = v.client;
    // A name is at most 64 characters here (the limiter keys on it).
    let nom: String = f.nom.trim().chars().take(64).collect();
    // The attempt counts as failed before the password is checked (and is
    // forgiven on success): attempts sent all at once are limited too.
    let checked = {
        let mut l = lock(&app.limiter);
        l.check(ip, &nom).map(|_| l.failed(ip, &nom))
    };
    if let Err(wait) = checked {
        // Whole seconds until the lock-out ends, rounded up.
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let text = format!(
            "Trop d'essais infructueux : réessayez dans {} minute(s).",
            secs.div_ceil(60)
        );
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, HeaderValue::from(secs))],
            page(pages::login(&app.frame(&v), Some(&text), &nom)),
        )
            .into_response();
    }
    let users = v.config.web.users.clone();
    // The session remembers the hash checked: a new password ends it.
    let credential = users
        .iter()
        .find(|u| u.name == nom)
        .map(|u| u.password_hash.clone());
    let (name, password) = (nom.clone(), f.mot_de_passe.clone());
    // Two password checks at a time (each takes ~19 MiB and tens of ms).
    let ok = match app.verifying.acquire().await {
        Ok(_permit) => blocking(move || auth::verify(&users, &name, &password))
            .await
            .unwrap_or(false),
        Err(_) => false,
    };
    if !ok {
        tracing::warn!("web console: failed sign-in as {nom:?} from {ip}");
        return (
            StatusCode::UNAUTHORIZED,
            page(pages::login(
                &app.frame(&v),
                Some("Identifiant ou mot de passe incorrect."),
                &nom,
            )),
        )
            .into_response();
    }
    lock(&app.limiter).succeeded(ip, &nom);
    // A new session for the signed-in user (the old token is dropped).
    let token = {
        let mut s = lock(&app.sessions);
        s.remove(&v.token);
        s.create(Some(nom), credential)
    };
    let mut r = Redirect::to("/").into_response();
    if let Ok(h) = HeaderValue::from_str(&session_cookie(&token, v.secure)) {
        r.headers_mut().append(header::SET_COOKIE, h);
    }
    r
}

async fn logout(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !app.csrf_ok(&v, &f.csrf) {
        return csrf_refused(&app, &v);
    }
    lock(&app.sessions).remove(&v.token);
    let mut r = Redirect::to(if app.auth { "/connexion" } else { "/" }).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        r.headers_mut().append(header::SET_COOKIE, h);
    }
    r
}
