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

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::extract::Limits;
use crate::folders::Folders;

/// Where attachments are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentMode {
    /// As BLOBs in the MSP attachments table.
    #[default]
    Database,
    /// As files under the attachments folder, referenced by path.
    Directory,
}

/// One client: a town hall and its business database.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Display name.
    pub name: String,
    /// CodeINSEE values routed to this client; `"*"` accepts any.
    pub insee: Vec<String>,
    /// Database URL (`sqlite://msp.db` is relative to the root folder).
    #[serde(serialize_with = "redacted_url")]
    pub database: String,
    /// Attachment storage.
    #[serde(default)]
    pub attachments: AttachmentMode,
    /// How long to wait for a lock or a connection, in milliseconds.
    #[serde(default = "default_busy_timeout")]
    pub busy_timeout_ms: u64,
    /// Environment variable holding the database password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the database password (first line).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// SQL dialect of an `odbc:` database (access, oracle, sqlserver,
    /// postgres, mysql, sqlite).
    #[serde(default)]
    pub dialect: Option<String>,
    /// Flows this client handles (default: every registered flow).
    #[serde(default)]
    pub flows: Option<Vec<String>>,
    /// The portal's SFTP server (`[client.sftp]`), if msp transports the
    /// archives itself.
    #[serde(default)]
    pub sftp: Option<SftpConfig>,
    /// The town hall's SIRET (14 digits): the `Sender` of its return
    /// messages (PROTOCOL §7).
    #[serde(default)]
    pub siret: Option<String>,
    /// The commune's name as the town hall writes it (`Belfort`): on the
    /// documents msp issues (the census attestation) and as the return
    /// messages' sender when no SIRET is configured.
    #[serde(default)]
    pub commune: Option<String>,
    /// The commune's department, as written on its documents
    /// (`Territoire de Belfort`).
    #[serde(default)]
    pub departement: Option<String>,
}

/// What to do with a return archive once uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AfterPush {
    /// Moved from output into the sent folder (`envoye`).
    #[default]
    Move,
    /// Removed from output.
    Remove,
}

/// A client's SFTP server (`[client.sftp]`).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    /// Host name or address.
    pub host: String,
    /// Port.
    #[serde(default = "default_sftp_port")]
    pub port: u16,
    /// User name.
    pub user: String,
    /// Private key file (OpenSSH format).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the password (or the key's passphrase
    /// when `key_file` is set).
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the password (or the key's passphrase), first line.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The server's host key, in OpenSSH `known_hosts` format (required).
    pub known_hosts: PathBuf,
    /// Where return archives are uploaded.
    pub push_dir: String,
    /// Where inbound archives are fetched from (optional).
    #[serde(default)]
    pub pull_dir: Option<String>,
    /// What becomes of an uploaded return archive in output.
    #[serde(default)]
    pub after_push: AfterPush,
    /// Seconds to wait for the connection and for each operation.
    #[serde(default = "default_sftp_timeout")]
    pub timeout_seconds: u64,
}

/// A password from an environment variable or the first line of a file;
/// errors name `owner` and the variable or file, never the value.
fn read_secret(
    owner: &str,
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<String>> {
    if let Some(var) = env {
        return std::env::var(var).map(Some).map_err(|_| {
            Error::config(format!(
                "{owner}: environment variable {var} (password_env) is not set (a command run by hand does not have the service's environment: `set -a; . /etc/default/msp; set +a` first, as the packaged services read that file; or use password_file)"
            ))
        });
    }
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Error::config(format!(
                "{owner}: cannot read password_file {}: {e}",
                file.display()
            ))
        })?;
        return Ok(Some(text.lines().next().unwrap_or_default().to_string()));
    }
    Ok(None)
}

fn default_sftp_port() -> u16 {
    22
}

fn default_sftp_timeout() -> u64 {
    30
}

impl fmt::Debug for SftpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SftpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("key_file", &self.key_file)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("known_hosts", &self.known_hosts)
            .field("push_dir", &self.push_dir)
            .field("pull_dir", &self.pull_dir)
            .finish()
    }
}

impl SftpConfig {
    /// `user@host:port`, for messages.
    pub fn label(&self) -> String {
        format!("sftp://{}@{}:{}", self.user, self.host, self.port)
    }

    /// The password (or key passphrase) from `password_env` or
    /// `password_file`, if configured. Never print it.
    pub fn secret(&self) -> Result<Option<String>> {
        read_secret(&self.label(), &self.password_env, &self.password_file)
    }
}

impl ClientConfig {
    /// The password from `password_env` or `password_file`, if configured.
    pub fn password(&self) -> Result<Option<String>> {
        read_secret(
            &format!("client {}", self.name),
            &self.password_env,
            &self.password_file,
        )
    }

    /// The database URL or connection string with the password filled in
    /// (URL: `user:password@`, ODBC: `PWD=...;`). Never print it: use
    /// [`redact_url`].
    pub fn database_url(&self) -> Result<String> {
        let Some(pw) = self.password()? else {
            return Ok(self.database.clone());
        };
        if let Some(odbc) = self.database.strip_prefix("odbc:") {
            let sep = if odbc.trim_end().ends_with(';') || odbc.is_empty() {
                ""
            } else {
                ";"
            };
            return Ok(format!(
                "odbc:{odbc}{sep}PWD={{{}}};",
                pw.replace('}', "}}")
            ));
        }
        if let Some((scheme, rest)) = self.database.split_once("://") {
            if let Some((cred, host)) = rest.split_once('@') {
                if !cred.contains(':') {
                    return Ok(format!("{scheme}://{cred}:{}@{host}", percent_encode(&pw)));
                }
            }
        }
        Err(Error::config(format!(
            "client {}: a password is configured but the database URL \"{}\" has no user (expected scheme://user@host/db)",
            self.name,
            redact_url(&self.database)
        )))
    }

    /// Whether this client handles `flow`.
    pub fn handles(&self, flow: &str) -> bool {
        self.flows
            .as_ref()
            .is_none_or(|f| f.iter().any(|x| x == flow))
    }
}

/// Splits an ODBC connection string on `;`, keeping `{...}` values whole.
pub fn odbc_pairs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut braced = false;
    while let Some(c) = chars.next() {
        match c {
            '{' if !braced => {
                braced = true;
                cur.push(c);
            }
            '}' if braced => {
                cur.push(c);
                if chars.peek() == Some(&'}') {
                    cur.push(chars.next().unwrap_or('}'));
                } else {
                    braced = false;
                }
            }
            ';' if !braced => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Percent-encodes text for a URL (every byte but letters, digits and
/// `-_.~`): a user name or password in a database URL, a path segment.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn default_busy_timeout() -> u64 {
    5000
}

/// Hides the password of a `scheme://user:password@host` URL or of an ODBC
/// connection string (`PWD=...`, `Password=...`).
pub fn redact_url(url: &str) -> String {
    if let Some(odbc) = url.strip_prefix("odbc:") {
        let parts: Vec<String> = odbc_pairs(odbc)
            .into_iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, _))
                    if k.trim().eq_ignore_ascii_case("pwd")
                        || k.trim().eq_ignore_ascii_case("password") =>
                {
                    format!("{k}=***")
                }
                _ => kv.to_string(),
            })
            .collect();
        return format!("odbc:{}", parts.join(";"));
    }
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
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("dialect", &self.dialect)
            .field("flows", &self.flows)
            .field("sftp", &self.sftp)
            .field("siret", &self.siret)
            .field("commune", &self.commune)
            .field("departement", &self.departement)
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
    /// Return archives uploaded by SFTP (`envoye`).
    pub sent: Option<PathBuf>,
}

/// Where `msp serve` listens when `[web] listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Minutes a console session lasts without activity when
/// `[web] session_minutes` is not given.
pub const DEFAULT_SESSION_MINUTES: u64 = 30;

/// The web console of `msp serve` (`[web]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on (default `127.0.0.1:8080`); any address other
    /// than the loopback requires users.
    pub listen: Option<String>,
    /// Mark the session cookie Secure even without `X-Forwarded-Proto:
    /// https` (the console is served behind a TLS proxy).
    #[serde(default)]
    pub secure_cookies: bool,
    /// Minutes a session lasts without activity (default 30).
    pub session_minutes: Option<u64>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the
    /// sign-in limit and the access log).
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The people who may sign in (`msp user add`).
    #[serde(default, rename = "user", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<WebUser>,
}

/// One person who may sign in to the web console.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebUser {
    /// Login name.
    pub name: String,
    /// The password's argon2 hash (PHC string), never the password.
    #[serde(serialize_with = "masked")]
    pub password_hash: String,
}

impl std::fmt::Debug for WebUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebUser")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn redacted_url<S: Serializer>(url: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url(url))
}

fn masked<S: Serializer>(_: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(crate::backend::MASKED)
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
    retention: &'a crate::ops::Retention,
    status: &'a crate::ops::Thresholds,
    web: &'a WebConfig,
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
    retention: crate::ops::Retention,
    #[serde(default)]
    status: crate::ops::Thresholds,
    group: Option<String>,
    #[serde(default)]
    web: WebConfig,
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
    pub retention: crate::ops::Retention,
    /// Thresholds of `msp status` (`[status]`).
    pub status: crate::ops::Thresholds,
    /// A group that may read what msp writes (folders 2750, files 0640);
    /// without it, folders are 0700 and files 0600.
    pub group: Option<String>,
    /// Return archives uploaded by SFTP (`envoye`), created when needed.
    pub sent: PathBuf,
    /// The web console (`[web]`).
    pub web: WebConfig,
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
            if let Some(sftp) = &c.sftp {
                if sftp.key_file.is_none()
                    && sftp.password_env.is_none()
                    && sftp.password_file.is_none()
                {
                    return bad(format!(
                        "client {}: [client.sftp] needs key_file, password_env or password_file",
                        c.name
                    ));
                }
                if sftp.push_dir.trim().is_empty() {
                    return bad(format!(
                        "client {}: [client.sftp] push_dir is empty",
                        c.name
                    ));
                }
            }
            if !c.database.contains(':') {
                return bad(format!(
                    "client {}: database \"{}\" is not a URL (expected e.g. sqlite://msp.db)",
                    c.name,
                    redact_url(&c.database)
                ));
            }
            if let Some(siret) = &c.siret {
                if siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit()) {
                    return bad(format!(
                        "client {}: siret \"{}\" is not a SIRET (14 digits, e.g. 21900010600011)",
                        c.name,
                        siret.chars().take(40).collect::<String>()
                    ));
                }
            }
            for (key, v) in [("commune", &c.commune), ("departement", &c.departement)] {
                if v.as_deref()
                    .is_some_and(|v| v.trim().is_empty() || v.chars().count() > 100)
                {
                    return bad(format!(
                        "client {}: {key} is empty or longer than 100 characters",
                        c.name
                    ));
                }
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
        for (i, u) in self.web.users.iter().enumerate() {
            if u.name.trim().is_empty() || u.name.contains(char::is_whitespace) {
                return bad(format!(
                    "[[web.user]] \"{}\": a user name has no spaces",
                    u.name
                ));
            }
            if !u.password_hash.starts_with("$argon2") {
                return bad(format!(
                    "[[web.user]] {}: password_hash is not an argon2 hash (set it with msp user add)",
                    u.name
                ));
            }
            if self.web.users[..i].iter().any(|o| o.name == u.name) {
                return bad(format!("[[web.user]] {} is listed twice", u.name));
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
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_accepts_any_insee() {
        let c = Config::embedded_default();
        assert_eq!(c.folders.input, Path::new("./msp-data/entree"));
        assert_eq!(c.client_for("75056").unwrap().name, "default");
    }

    #[test]
    fn passwords_come_from_the_environment_or_a_file() {
        let t = tempfile::tempdir().unwrap();
        let pw = t.path().join("pw");
        std::fs::write(&pw, "s3cret/@;}\n").unwrap();
        let toml = format!(
            "[[client]]\nname = \"A\"\ninsee = [\"75056\"]\ndatabase = \"postgres://msp@db/town\"\npassword_file = \"{}\"\n[[client]]\nname = \"B\"\ninsee = [\"69123\"]\ndatabase = \"odbc:DSN=town\"\ndialect = \"oracle\"\npassword_env = \"MSP_TEST_NO_SUCH_VAR\"\nflows = [\"RCO-LA\"]\n",
            pw.display()
        );
        let c = Config::from_toml(&toml, t.path(), "t".into()).unwrap();
        assert_eq!(
            c.clients[0].database_url().unwrap(),
            "postgres://msp:s3cret%2F%40%3B%7D@db/town"
        );
        let e = c.clients[1].database_url().unwrap_err();
        assert!(e.message.contains("MSP_TEST_NO_SUCH_VAR"), "{e}");
        assert!(c.clients[1].handles("RCO-LA") && !c.clients[1].handles("AEC-LA"));
        assert!(!format!("{:?}", c).contains("s3cret"));
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
        assert_eq!(
            redact_url("odbc:Driver={X};UID=u;PWD={p;w}};x};"),
            "odbc:Driver={X};UID=u;PWD=***"
        );
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
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
