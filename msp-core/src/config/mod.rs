//! Configuration (TOML), with an embedded default for first runs.
//!
//! ```toml
//! root = "/var/lib/msp"           # folders default to root/entree, root/travail, ...
//! settle_seconds = 0              # leave archives younger than this for the next run
//! [directories]                   # optional: input, work, output, error, done, logs, attachments
//! [limits]                        # optional: max_total_bytes, max_entries, max_ratio, ratio_threshold_bytes
//! [[client]]
//! name = "Paris"
//! insee = ["75056"]               # the CodeINSEE values routed to this client ("*": any)
//! database = "sqlite:///var/lib/msp/paris.db"
//! attachments = "database"        # or "directory"
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::extract::Limits;
use crate::folders::Folders;

mod check;
mod client;
mod hubee;
mod operations;
mod sftp;
mod web;

pub use client::{odbc_pairs, percent_encode, redact_url, AttachmentMode, ClientConfig};
pub use hubee::{HubeeConfig, HubeeSubscription};
pub use operations::{Retention, Thresholds};
pub use sftp::{AfterPush, SftpConfig};
pub use web::{WebConfig, WebUser, DEFAULT_LISTEN, DEFAULT_SESSION_MINUTES};

/// Optional folder overrides.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoriesConfig {
    /// Input (`entree`).
    pub input: Option<PathBuf>,
    /// Work (`travail`).
    pub work: Option<PathBuf>,
    /// Output (`sortie`).
    pub output: Option<PathBuf>,
    /// Error (`erreur`).
    pub error: Option<PathBuf>,
    /// Done (`termine`).
    pub done: Option<PathBuf>,
    /// Logs (`logs`).
    pub logs: Option<PathBuf>,
    /// Attachments (`pieces`).
    pub attachments: Option<PathBuf>,
    /// Return archives uploaded by SFTP (`envoye`).
    pub sent: Option<PathBuf>,
}

/// The configuration in force as `msp config show` prints it: every key
/// with its default filled in, folders resolved, secrets masked.
#[derive(Serialize)]
struct Shown<'a> {
    root: &'a Path,
    plugins: &'a [PathBuf],
    settle_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: &'a Option<String>,
    directories: ShownDirectories<'a>,
    limits: &'a Limits,
    retention: &'a Retention,
    status: &'a Thresholds,
    web: &'a WebConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    hubee: &'a Option<HubeeConfig>,
    client: &'a [ClientConfig],
}

#[derive(Serialize)]
struct ShownDirectories<'a> {
    input: &'a Path,
    work: &'a Path,
    output: &'a Path,
    error: &'a Path,
    done: &'a Path,
    logs: &'a Path,
    attachments: &'a Path,
    sent: &'a Path,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    root: Option<PathBuf>,
    #[serde(default)]
    plugins: Vec<PathBuf>,
    #[serde(default)]
    settle_seconds: u64,
    #[serde(default)]
    directories: DirectoriesConfig,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    client: Vec<ClientConfig>,
    #[serde(default)]
    retention: Retention,
    #[serde(default)]
    status: Thresholds,
    group: Option<String>,
    #[serde(default)]
    web: WebConfig,
    hubee: Option<HubeeConfig>,
}

/// The loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Root folder (absolute or relative to the working directory).
    pub root: PathBuf,
    /// The folders.
    pub folders: Folders,
    /// Extraction limits.
    pub limits: Limits,
    /// The clients.
    pub clients: Vec<ClientConfig>,
    /// Plugin libraries to load (absolute, or relative to the configuration file).
    pub plugins: Vec<PathBuf>,
    /// An archive modified less than this many seconds ago is left for the
    /// next run (a transport may still be writing it under its final name).
    pub settle_seconds: u64,
    /// Where it came from (`embedded default` or a file path).
    pub source: String,
    /// How long personal data is kept (`[retention]`).
    pub retention: Retention,
    /// Thresholds of `msp status` (`[status]`).
    pub status: Thresholds,
    /// A group that may read what msp writes (folders 2750, files 0640);
    /// without it, folders are 0700 and files 0600.
    pub group: Option<String>,
    /// Return archives uploaded by SFTP (`envoye`), created when needed.
    pub sent: PathBuf,
    /// The web console (`[web]`).
    pub web: WebConfig,
    /// The hub's addresses (`[hubee]`), for clients with subscriptions.
    pub hubee: Option<HubeeConfig>,
}

impl Config {
    /// The configuration in force as TOML (`msp config show`): defaults
    /// filled in, folders resolved, database passwords and password hashes
    /// masked. Once its masked secrets are given back, msp reads it as
    /// the same configuration.
    pub fn shown(&self) -> Result<String> {
        let f = &self.folders;
        let mut web = self.web.clone();
        web.listen.get_or_insert_with(|| DEFAULT_LISTEN.to_string());
        web.session_minutes.get_or_insert(DEFAULT_SESSION_MINUTES);
        let shown = Shown {
            root: &self.root,
            plugins: &self.plugins,
            settle_seconds: self.settle_seconds,
            group: &self.group,
            directories: ShownDirectories {
                input: &f.input,
                work: &f.work,
                output: &f.output,
                error: &f.error,
                done: &f.done,
                logs: &f.logs,
                attachments: &f.attachments,
                sent: &self.sent,
            },
            limits: &self.limits,
            retention: &self.retention,
            status: &self.status,
            web: &web,
            hubee: &self.hubee,
            client: &self.clients,
        };
        toml::to_string_pretty(&shown)
            .map_err(|e| Error::trouble(format!("cannot show the configuration: {e}")))
    }

    /// The embedded default: root `./msp-data`, one SQLite database there,
    /// any CodeINSEE accepted.
    pub fn embedded_default() -> Self {
        Self::from_toml(
            "root = \"msp-data\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
            Path::new("."),
            "embedded default".into(),
        )
        .expect("the embedded default configuration is valid")
    }

    /// Loads a TOML file; relative paths in it are relative to its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(format!("cannot read configuration {}: {e}", path.display()))
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Self::from_toml(&text, base, path.display().to_string())
    }

    /// Parses TOML text; `base` anchors relative paths.
    pub fn from_toml(text: &str, base: &Path, source: String) -> Result<Self> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| Error::config(format!("configuration {source}: {e}")))?;
        let root = base.join(raw.root.unwrap_or_else(|| PathBuf::from("msp-data")));
        let d = &raw.directories;
        let pick = |o: &Option<PathBuf>, default: &str| match o {
            Some(p) => root.join(p),
            None => root.join(default),
        };
        let folders = Folders {
            input: pick(&d.input, "entree"),
            work: pick(&d.work, "travail"),
            output: pick(&d.output, "sortie"),
            error: pick(&d.error, "erreur"),
            done: pick(&d.done, "termine"),
            logs: pick(&d.logs, "logs"),
            attachments: pick(&d.attachments, "pieces"),
        };
        let sent = pick(&d.sent, "envoye");
        let mut clients = raw.client;
        for c in &mut clients {
            if let Some(s) = &mut c.sftp {
                s.known_hosts = base.join(&s.known_hosts);
                s.key_file = s.key_file.as_ref().map(|k| base.join(k));
                s.password_file = s.password_file.as_ref().map(|k| base.join(k));
            }
            for h in &mut c.hubee {
                h.secret_file = h.secret_file.as_ref().map(|k| base.join(k));
            }
        }
        let config = Config {
            root,
            folders,
            limits: raw.limits,
            clients,
            settle_seconds: raw.settle_seconds,
            plugins: raw.plugins.iter().map(|p| base.join(p)).collect(),
            source,
            retention: raw.retention,
            status: raw.status,
            group: raw.group,
            sent,
            web: raw.web,
            hubee: raw.hubee,
        };
        config.check()?;
        Ok(config)
    }

    /// Checks the folders can be created and written (for `config check`).
    pub fn check_folders(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (role, dir) in self.folders.all() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                problems.push(format!(
                    "{role} folder {}: cannot create it: {e}",
                    dir.display()
                ));
                continue;
            }
            let probe = dir.join(format!(".msp-check-{}", std::process::id()));
            match std::fs::write(&probe, b"") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&probe);
                }
                Err(e) => problems.push(format!(
                    "{role} folder {}: not writable: {e}",
                    dir.display()
                )),
            }
        }
        problems
    }

    /// The client a CodeINSEE is routed to (exact code first, then `*`).
    pub fn client_for(&self, insee: &str) -> Option<&ClientConfig> {
        self.clients
            .iter()
            .find(|c| c.insee.iter().any(|k| k == insee))
            .or_else(|| {
                self.clients
                    .iter()
                    .find(|c| c.insee.iter().any(|k| k == "*"))
            })
    }
}

/// An INSEE commune code: 5 characters, digits except Corsica (2A/2B).
pub use msp_plugins::fields::is_insee as valid_insee;

#[cfg(test)]
mod tests;
