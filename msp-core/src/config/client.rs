//! One client (`[[client]]`): a town hall, its business database and how
//! its password is read; and the helpers that keep a database URL's
//! password out of what is shown.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize, Serializer};

use super::{HubeeSubscription, SftpConfig};
use crate::error::{Error, Result};

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
    /// Its subscriptions to HubEE démarches (`[[client.hubee]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hubee: Vec<HubeeSubscription>,
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

/// A password from an environment variable or the first line of a file;
/// errors name `owner`, the key (`keys`: the variable's and the file's,
/// `password_env` and `password_file` by default) and the variable or
/// file, never the value.
pub(super) fn read_secret(
    owner: &str,
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<String>> {
    read_secret_keyed(owner, ["password_env", "password_file"], env, file)
}

/// [`read_secret`] with the configuration keys named as the file names them.
pub(super) fn read_secret_keyed(
    owner: &str,
    [env_key, file_key]: [&str; 2],
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<String>> {
    if let Some(var) = env {
        return std::env::var(var).map(Some).map_err(|_| {
            Error::config(format!(
                "{owner}: environment variable {var} ({env_key}) is not set (a command run by hand does not have the service's environment: `set -a; . /etc/default/msp; set +a` first, as the packaged services read that file; or use {file_key})"
            ))
        });
    }
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Error::config(format!(
                "{owner}: cannot read {file_key} {}: {e}",
                file.display()
            ))
        })?;
        return Ok(Some(text.lines().next().unwrap_or_default().to_string()));
    }
    Ok(None)
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
            .field("hubee", &self.hubee)
            .field("siret", &self.siret)
            .field("commune", &self.commune)
            .field("departement", &self.departement)
            .finish()
    }
}

fn redacted_url<S: Serializer>(url: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url(url))
}
