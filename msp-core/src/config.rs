//! Configuration (TOML), with an embedded default for first runs.
//!
//! ```toml
//! root = "/var/lib/msp"           # folders default to root/entree, root/travail, ...
//! [directories]                   # optional: input, work, output, error, done, logs, attachments
//! [limits]                        # optional: max_total_bytes, max_entries, max_ratio, ratio_threshold_bytes
//! [[client]]
//! name = "Paris"
//! insee = ["75056"]               # the CodeINSEE values routed to this client ("*": any)
//! database = "sqlite:///var/lib/msp/paris.db"
//! attachments = "database"        # or "directory"
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::extract::Limits;
use crate::folders::Folders;

/// Where attachments are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentMode {
    /// As BLOBs in the MSP attachments table.
    #[default]
    Database,
    /// As files under the attachments folder, referenced by path.
    Directory,
}

/// One client: a town hall and its business database.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Display name.
    pub name: String,
    /// CodeINSEE values routed to this client; `"*"` accepts any.
    pub insee: Vec<String>,
    /// Database URL (`sqlite://msp.db` is relative to the root folder).
    pub database: String,
    /// Attachment storage.
    #[serde(default)]
    pub attachments: AttachmentMode,
    /// SQLite busy timeout in milliseconds (how long to wait for a lock).
    #[serde(default = "default_busy_timeout")]
    pub busy_timeout_ms: u64,
}

fn default_busy_timeout() -> u64 {
    5000
}

/// Hides the password of a `scheme://user:password@host` URL.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.rsplit_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("name", &self.name)
            .field("insee", &self.insee)
            .field("database", &redact_url(&self.database))
            .field("attachments", &self.attachments)
            .finish()
    }
}

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    root: Option<PathBuf>,
    #[serde(default)]
    directories: DirectoriesConfig,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    client: Vec<ClientConfig>,
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
    /// Where it came from (`embedded default` or a file path).
    pub source: String,
}

impl Config {
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
        let config = Config {
            root,
            folders,
            limits: raw.limits,
            clients: raw.client,
            source,
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::config(format!("configuration {}: {m}", self.source)));
        if self.clients.is_empty() {
            return bad("no [[client]] is configured".into());
        }
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for c in &self.clients {
            if c.name.trim().is_empty() {
                return bad("a client has an empty name".into());
            }
            if c.insee.is_empty() {
                return bad(format!("client {} has no insee code", c.name));
            }
            if !c.database.contains(':') {
                return bad(format!(
                    "client {}: database \"{}\" is not a URL (expected e.g. sqlite://msp.db)",
                    c.name,
                    redact_url(&c.database)
                ));
            }
            for code in &c.insee {
                if code != "*" && !valid_insee(code) {
                    return bad(format!(
                        "client {}: \"{code}\" is not an INSEE commune code (5 characters, e.g. 75056 or 2A004)",
                        c.name
                    ));
                }
                if let Some((other, _)) = seen.iter().find(|(_, k)| k == code) {
                    return bad(format!(
                        "insee {code} is routed to both {other} and {}",
                        c.name
                    ));
                }
                seen.push((&c.name, code));
            }
        }
        if self.limits.max_entries == 0
            || self.limits.max_total_bytes == 0
            || self.limits.max_ratio == 0
        {
            return bad("[limits] values must be positive".into());
        }
        Ok(())
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
pub fn valid_insee(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_digit() || b[1] == b'A' || b[1] == b'B')
        && b[2..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_accepts_any_insee() {
        let c = Config::embedded_default();
        assert_eq!(c.folders.input, Path::new("./msp-data/entree"));
        assert_eq!(c.client_for("75056").unwrap().name, "default");
    }

    #[test]
    fn routes_and_checks() {
        let t = "root = \"/r\"\n[directories]\ninput = \"/in\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://p.db\"\n[[client]]\nname = \"Ajaccio\"\ninsee = [\"2A004\"]\ndatabase = \"postgres://u:secret@h/db\"\nattachments = \"directory\"\n";
        let c = Config::from_toml(t, Path::new("/etc"), "t".into()).unwrap();
        assert_eq!(c.folders.input, Path::new("/in"));
        assert_eq!(c.folders.done, Path::new("/r/termine"));
        assert_eq!(
            c.client_for("2A004").unwrap().attachments,
            AttachmentMode::Directory
        );
        assert!(c.client_for("69123").is_none());
        assert!(!format!("{:?}", c.clients[1]).contains("secret"));
        let dup = t.replace("2A004", "75056");
        assert!(Config::from_toml(&dup, Path::new("/"), "t".into())
            .unwrap_err()
            .message
            .contains("both"));
        let badcode = t.replace("2A004", "2C004");
        assert!(Config::from_toml(&badcode, Path::new("/"), "t".into()).is_err());
        assert!(Config::from_toml("roots = 1", Path::new("/"), "t".into()).is_err());
    }
}
