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

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use msp_core::backend::Connector;
use msp_core::transport::RemoteConnector;
use msp_core::{Config, Error, Result};
use msp_plugins::Registry;

pub mod auth;
mod handlers;
mod middleware;
pub mod pages;
mod respond;
mod router;
pub mod safe;
pub mod server;
mod shutdown;
mod state;

use shutdown::shutdown;
use state::{lock, App};

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
    /// Opens the hub for the HubEE subscriptions of the synchronisations
    /// it runs.
    pub hub: Arc<dyn msp_core::hubee::HubConnector + Send>,
    /// Overrides `[web] listen`.
    pub listen: Option<String>,
}

/// Binds and serves until Ctrl-C or SIGTERM. Prints the address it
/// listens on (one line on stdout) once it accepts connections.
pub fn serve(o: Options) -> Result<()> {
    let (addr, auth) = listen_address(&o)?;
    o.config.folders.ensure()?;
    let (access_path, access) = middleware::access_log::open(&o.config)?;
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
        let app = Arc::new(App::new(o, auth, bound, access));
        let router = router::router(app.clone());
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

/// The address to listen on (`--listen`, `[web] listen`, or the default),
/// and whether signing in is required there: anywhere but the loopback,
/// or whenever users are configured (and then some must be).
fn listen_address(o: &Options) -> Result<(SocketAddr, bool)> {
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
    Ok((addr, auth))
}
