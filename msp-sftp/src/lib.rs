//! msp's SFTP transport: [`SftpConnector`] opens a [`Remote`] on a client's
//! SFTP server (`[client.sftp]`), for the pull and push rules of
//! `msp_core::transport`.
//!
//! Why this client: russh and russh-sftp are pure Rust; with ring's
//! cryptography they need a C compiler and nothing else, so the
//! bare-machine build holds (libssh2 through `ssh2` would need OpenSSL's
//! development files or a vendored OpenSSL built with perl; calling the
//! system's `sftp` would make the host-key and error handling depend on
//! OpenSSH's text output). The library is asynchronous: each connection
//! owns a single-threaded tokio runtime and every operation is run to
//! completion on it: each request waits at most the configured timeout (a
//! transfer as a whole has no cap, a silent server is noticed within it).
//!
//! The server's host key is checked against the configured `known_hosts`
//! file before anything is sent: an unknown or changed key is refused with
//! its SHA-256 fingerprint. Keys and passwords come from files or the
//! environment and are never written anywhere.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use msp_core::config::SftpConfig;
use msp_core::transport::{Remote, RemoteConnector, RemoteEntry};
use msp_core::{Error, Result};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::{OpenFlags, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Opens SFTP connections (the binary hands it to the synchroniser).
#[derive(Debug, Default, Clone, Copy)]
pub struct SftpConnector;

/// Checks the server's key against `known_hosts`; says why it refused.
struct Verifier {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    refusal: Arc<Mutex<Option<String>>>,
}

impl Verifier {
    fn refuse(&self, why: String) -> bool {
        *self.refusal.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        false
    }
}

impl russh::client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return Ok(self.refuse(
                "the server offered a certificate: give its plain host key in known_hosts"
                    .to_string(),
            ));
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256);
        let file = self.known_hosts.display().to_string();
        Ok(
            match russh::keys::check_known_hosts_path(
                &self.host,
                self.port,
                key,
                &self.known_hosts,
            ) {
                Ok(true) => true,
                Ok(false) => self.refuse(format!(
                    "the host key of {}:{} ({} {fingerprint}) is not in {file}: check it with the portal, then add it",
                    self.host,
                    self.port,
                    key.algorithm()
                )),
                Err(russh::keys::Error::KeyChanged { line }) => self.refuse(format!(
                    "the host key of {}:{} CHANGED: the server offers {} {fingerprint}, line {line} of {file} says otherwise (refused: check with the portal before changing known_hosts)",
                    self.host,
                    self.port,
                    key.algorithm()
                )),
                Err(e) => self.refuse(format!("cannot check the host key against {file}: {e}")),
            },
        )
    }
}

/// One authenticated SFTP session.
struct SftpRemote {
    runtime: tokio::runtime::Runtime,
    session: SftpSession,
    // Keeps the SSH connection open for as long as the session lives.
    _handle: russh::client::Handle<Verifier>,
    timeout: Duration,
    label: String,
}

impl RemoteConnector for SftpConnector {
    fn connect(&self, sftp: &SftpConfig) -> Result<Box<dyn Remote>> {
        let label = sftp.label();
        if !sftp.known_hosts.is_file() {
            return Err(Error::config(format!(
                "{label}: known_hosts file {} not found (the server's host key must be known)",
                sftp.known_hosts.display()
            )));
        }
        let login = Login::of(sftp, &label)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::trouble(format!("{label}: cannot start the SSH client: {e}")))?;
        let timeout = Duration::from_secs(sftp.timeout_seconds.max(1));
        let refusal = Arc::new(Mutex::new(None));
        let verifier = Verifier {
            host: sftp.host.clone(),
            port: sftp.port,
            known_hosts: sftp.known_hosts.clone(),
            refusal: refusal.clone(),
        };
        let address = (sftp.host.clone(), sftp.port);
        let opened = runtime.block_on(async {
            tokio::time::timeout(timeout, open(address, verifier, login, timeout)).await
        });
        let refused = refusal.lock().unwrap_or_else(|e| e.into_inner()).take();
        match opened {
            Err(_) => Err(Error::trouble(format!(
                "{label}: no answer within {} s",
                timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(match refused {
                Some(why) => Error::config(format!("{label}: {why}")),
                None => Error::trouble(format!("{label}: cannot connect: {e}")),
            }),
            Ok(Ok(Err(()))) => Err(Error::config(format!(
                "{label}: authentication refused for user {} ({})",
                sftp.user,
                if sftp.key_file.is_some() {
                    "key not accepted"
                } else {
                    "password not accepted"
                }
            ))),
            Ok(Ok(Ok((handle, session)))) => Ok(Box::new(SftpRemote {
                runtime,
                session,
                _handle: handle,
                timeout,
                label,
            })),
        }
    }
}

/// Who logs in, and with what: the user, and the private key (read with
/// the secret as its passphrase) or else the secret as the password.
struct Login {
    user: String,
    key: Option<russh::keys::PrivateKey>,
    secret: Option<String>,
}

impl Login {
    /// Reads the secret, then the key file when one is configured.
    fn of(sftp: &SftpConfig, label: &str) -> Result<Self> {
        let secret = sftp.secret()?;
        let key = match &sftp.key_file {
            Some(path) => Some(
                russh::keys::load_secret_key(path, secret.as_deref()).map_err(|e| {
                    Error::config(format!(
                        "{label}: cannot read the key {}: {e}",
                        path.display()
                    ))
                })?,
            ),
            None => None,
        };
        Ok(Login {
            user: sftp.user.clone(),
            key,
            secret,
        })
    }
}

/// The SSH connection and its SFTP session, or `Err(())` when the server
/// refused the login.
type Opened = std::result::Result<(russh::client::Handle<Verifier>, SftpSession), ()>;

/// Connects to `address` (the host key checked by `verifier`), logs in and
/// opens the SFTP subsystem, each request waiting at most `timeout`.
async fn open(
    address: (String, u16),
    verifier: Verifier,
    login: Login,
    timeout: Duration,
) -> std::result::Result<Opened, russh::Error> {
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(timeout * 4),
        ..Default::default()
    });
    let Login { user, key, secret } = login;
    let mut handle = russh::client::connect(config, address, verifier).await?;
    let accepted = match key {
        Some(key) => {
            let hash = handle.best_supported_rsa_hash().await?.flatten();
            handle
                .authenticate_publickey(
                    user.clone(),
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await?
        }
        None => {
            handle
                .authenticate_password(user.clone(), secret.unwrap_or_default())
                .await?
        }
    };
    if !accepted.success() {
        return Ok(Err(()));
    }
    let channel = handle.channel_open_session().await?;
    channel.request_subsystem(true, "sftp").await?;
    let session = SftpSession::new_with_config(
        channel.into_stream(),
        russh_sftp::client::Config {
            request_timeout_secs: timeout.as_secs(),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| russh::Error::IO(std::io::Error::other(e.to_string())))?;
    Ok(Ok((handle, session)))
}

impl SftpRemote {
    /// Runs one operation (a listing, a stat, a rename...) under the
    /// timeout; its errors are trouble.
    fn run<T>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = std::result::Result<T, russh_sftp::client::error::Error>>,
    ) -> Result<T> {
        self.finish(
            what,
            self.runtime
                .block_on(async { tokio::time::timeout(self.timeout, f).await })
                .unwrap_or(Err(russh_sftp::client::error::Error::Timeout)),
        )
    }

    /// Runs a transfer: no cap on its whole length (a large archive on a
    /// slow line takes what it takes), but each request of it waits at most
    /// the timeout (the session's request timeout), so a server that stops
    /// answering is noticed within it.
    fn transfer<T>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = std::result::Result<T, russh_sftp::client::error::Error>>,
    ) -> Result<T> {
        self.finish(what, self.runtime.block_on(f))
    }

    fn finish<T>(
        &self,
        what: &str,
        r: std::result::Result<T, russh_sftp::client::error::Error>,
    ) -> Result<T> {
        match r {
            Ok(v) => Ok(v),
            Err(russh_sftp::client::error::Error::Timeout) => Err(Error::trouble(format!(
                "{}: {what}: no answer within {} s",
                self.label,
                self.timeout.as_secs()
            ))),
            Err(e) => Err(Error::trouble(format!("{}: {what}: {e}", self.label))),
        }
    }
}

fn modified(m: &russh_sftp::client::fs::Metadata) -> Option<SystemTime> {
    m.modified().ok()
}

fn is_absent(e: &russh_sftp::client::error::Error) -> bool {
    matches!(e, russh_sftp::client::error::Error::Status(s) if s.status_code == StatusCode::NoSuchFile)
}

impl Remote for SftpRemote {
    fn list(&mut self, dir: &str) -> Result<Vec<RemoteEntry>> {
        let session = &self.session;
        let entries = self.run(&format!("listing {dir}"), async {
            let rd = session.read_dir(dir).await?;
            Ok(rd
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    let m = e.metadata();
                    RemoteEntry {
                        name: e.file_name(),
                        size: m.len(),
                        modified: modified(&m),
                    }
                })
                .collect::<Vec<_>>())
        })?;
        Ok(entries)
    }

    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>> {
        let session = &self.session;
        let name = path.rsplit('/').next().unwrap_or(path).to_string();
        self.run(&format!("reading {path}"), async {
            match session.metadata(path).await {
                Ok(m) => Ok(Some(RemoteEntry {
                    name,
                    size: m.len(),
                    modified: modified(&m),
                })),
                Err(e) if is_absent(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn download(&mut self, path: &str, to: &mut dyn Write) -> Result<u64> {
        let session = &self.session;
        let label = self.label.clone();
        let timeout = self.timeout;
        let mut write_error = None;
        let n = self.transfer(&format!("downloading {path}"), async {
            let mut file = tokio::time::timeout(timeout, session.open(path))
                .await
                .unwrap_or(Err(russh_sftp::client::error::Error::Timeout))?;
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            loop {
                let n = tokio::time::timeout(timeout, file.read(&mut buf))
                    .await
                    .map_err(|_| russh_sftp::client::error::Error::Timeout)?
                    .map_err(|e| russh_sftp::client::error::Error::IO(e.to_string()))?;
                if n == 0 {
                    break;
                }
                if let Err(e) = to.write_all(&buf[..n]) {
                    write_error = Some(e);
                    break;
                }
                total += n as u64;
            }
            Ok(total)
        })?;
        if let Some(e) = write_error {
            return Err(Error::trouble(format!(
                "{label}: writing the download of {path}: {e}"
            )));
        }
        Ok(n)
    }

    fn upload(&mut self, from: &Path, path: &str) -> Result<()> {
        let bytes = std::fs::read(from).map_err(|e| Error::io("cannot read", from, e))?;
        let session = &self.session;
        let timeout = self.timeout;
        self.transfer(&format!("uploading {path}"), async {
            use russh_sftp::client::error::Error as E;
            let mut file = tokio::time::timeout(
                timeout,
                session.open_with_flags(
                    path,
                    OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE,
                ),
            )
            .await
            .unwrap_or(Err(E::Timeout))?;
            let io = |e: std::io::Error| E::IO(e.to_string());
            // Each piece, not the whole file, waits at most the timeout.
            for piece in bytes.chunks(256 * 1024) {
                tokio::time::timeout(timeout, file.write_all(piece))
                    .await
                    .map_err(|_| E::Timeout)?
                    .map_err(io)?;
            }
            tokio::time::timeout(timeout, async {
                file.flush().await?;
                file.shutdown().await
            })
            .await
            .map_err(|_| E::Timeout)?
            .map_err(io)?;
            Ok(())
        })
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let session = &self.session;
        self.run(&format!("renaming {from} to {to}"), async {
            session.rename(from, to).await
        })
    }

    fn remove(&mut self, path: &str) -> Result<()> {
        let session = &self.session;
        self.run(&format!("removing {path}"), async {
            match session.remove_file(path).await {
                Err(e) if is_absent(&e) => Ok(()),
                other => other,
            }
        })
    }
}
