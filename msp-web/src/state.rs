//! The console's state (`App`) and what a handler knows of its visitor.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use msp_core::backend::{Backend, Connector, Dossier};
use msp_core::transport::RemoteConnector;
use msp_core::{Config, Error, Result};
use msp_plugins::Registry;

use crate::auth::{self, Flash, Limiter, Sessions};
use crate::pages::{Frame, SyncOutcome};
use crate::{server, Options};

/// One browser's view of its session, for the handlers.
#[derive(Clone)]
pub(crate) struct Visitor {
    pub(crate) token: String,
    pub(crate) user: Option<String>,
    pub(crate) csrf: String,
    /// The Secure flag for cookies set in answer (TLS, or configured).
    pub(crate) secure: bool,
    /// The client's address (through a trusted proxy: the one it names).
    pub(crate) client: std::net::IpAddr,
    /// The configuration as it is for this request (read once, in the guard).
    pub(crate) config: Arc<Config>,
}

/// What every request shares: the configuration, the databases, the
/// sessions, the access log.
pub(crate) struct App {
    /// The configuration, read again when its file changes (a client
    /// added, a user removed or given a new password take effect without
    /// a restart).
    pub(crate) loaded: Mutex<(Option<SystemTime>, Arc<Config>)>,
    pub(crate) registry: Registry,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) remotes: Arc<dyn RemoteConnector + Send>,
    pub(crate) hub: Arc<dyn msp_core::hubee::HubConnector + Send>,
    /// Sign-in required.
    pub(crate) auth: bool,
    pub(crate) secure: bool,
    /// Host headers accepted without sign-in (the loopback names).
    pub(crate) local_hosts: Vec<String>,
    pub(crate) sessions: Mutex<Sessions>,
    pub(crate) limiter: Mutex<Limiter>,
    /// Password checks running at once.
    pub(crate) verifying: tokio::sync::Semaphore,
    /// Time a client has to send a request's body.
    pub(crate) body_timeout: Duration,
    pub(crate) syncing: Mutex<()>,
    pub(crate) last_sync: Mutex<Option<SyncOutcome>>,
    pub(crate) databases: msp_core::databases::Databases,
    pub(crate) access: Mutex<Option<std::fs::File>>,
}

/// Locks `m`, even when a thread panicked holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// When a configuration file was last changed (None: the embedded default).
pub(crate) fn modified(source: &str) -> Option<SystemTime> {
    std::fs::metadata(source).and_then(|m| m.modified()).ok()
}

impl App {
    /// The state of a console started with `o`, listening on `bound`
    /// (sign-in required when `auth`), writing to `access`.
    pub(crate) fn new(o: Options, auth: bool, bound: SocketAddr, access: std::fs::File) -> App {
        let port = bound.port();
        let idle = Duration::from_secs(
            o.config
                .web
                .session_minutes
                .unwrap_or(msp_core::config::DEFAULT_SESSION_MINUTES)
                .clamp(1, 24 * 60)
                .saturating_mul(60),
        );
        App {
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
            hub: o.hub,
            sessions: Mutex::new(Sessions::new(idle)),
            limiter: Mutex::new(Limiter::default()),
            verifying: tokio::sync::Semaphore::new(2),
            body_timeout: server::timeouts().1,
            syncing: Mutex::new(()),
            last_sync: Mutex::new(None),
            databases: msp_core::databases::Databases::new(),
            access: Mutex::new(Some(access)),
        }
    }

    /// The configuration as its file says now: read again when the file
    /// changed; a file that no longer loads leaves the previous one in use
    /// (said in the server's log).
    pub(crate) fn config(&self) -> Arc<Config> {
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

    /// The frame of a page for `v`, taking its flash message.
    pub(crate) fn frame<'v>(&self, v: &'v Visitor) -> Frame<'v> {
        let flash = lock(&self.sessions)
            .get(&v.token)
            .and_then(|s| s.flash.take());
        Frame {
            user: v.user.as_deref(),
            csrf: &v.csrf,
            flash,
        }
    }

    pub(crate) fn flash(&self, v: &Visitor, ok: bool, text: impl Into<String>) {
        if let Some(s) = lock(&self.sessions).get(&v.token) {
            s.flash = Some(Flash {
                ok,
                text: text.into(),
            });
        }
    }

    /// Every client database (once each: towns may share one), opened on
    /// first use and kept; those that cannot be opened, with the cause.
    pub(crate) fn backends(&self, config: &Config) -> (Vec<Arc<dyn Backend>>, Vec<String>) {
        let opened = self
            .databases
            .of(&*self.connector, &config.root, &config.clients);
        let failed = opened
            .unreachable
            .iter()
            .map(|(name, e)| format!("client {name} : {e}"))
            .collect();
        (opened.open, failed)
    }

    /// The database holding dossier `numero`, and the dossier.
    pub(crate) fn holder(
        &self,
        config: &Config,
        numero: &str,
    ) -> Result<(Arc<dyn Backend>, Dossier)> {
        let (backends, failed) = self.backends(config);
        if let Some(found) = msp_core::backend::find_dossier(&backends, numero)? {
            return Ok(found);
        }
        if !failed.is_empty() {
            return Err(Error::trouble(failed.join(" ; ")));
        }
        Err(Error::not_found(format!("Aucun dossier {numero}.")))
    }

    pub(crate) fn csrf_ok(&self, v: &Visitor, token: &str) -> bool {
        auth::same_token(token, &v.csrf)
    }
}

/// Runs blocking work (database, files) off the server's threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::trouble(format!("the request's work failed: {e}")))
}
