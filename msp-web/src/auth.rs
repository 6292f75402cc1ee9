//! Who may use the console: argon2 password hashes from the configuration,
//! sessions in memory (a random token in an HttpOnly, SameSite=Strict
//! cookie), one CSRF token per session checked on every form, and a
//! login rate limit per address and per user name.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use msp_core::config::WebUser;
use msp_core::{Error, Result};

/// The session cookie's name.
pub const COOKIE: &str = "msp_session";

/// Failed logins allowed per window, per address and per user name.
pub const MAX_FAILURES: usize = 5;

/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Sessions kept at most: beyond, the least recently used go first (a
/// flood of requests without a cookie cannot fill the memory).
pub const MAX_SESSIONS: usize = 10_000;

/// Addresses and names whose failures are remembered at most.
const MAX_TRACKED: usize = 10_000;

/// A random token: 32 bytes from the operating system, hexadecimal.
pub fn token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system gives random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hashes a password with argon2id (a fresh salt each time).
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::trouble(format!("no random bytes for a salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::trouble(format!("cannot encode a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::trouble(format!("cannot hash the password: {e}")))
}

/// Whether `password` is `user`'s. Unknown users cost as much time as
/// known ones (a hash is still verified), so timing does not tell them.
pub fn verify(users: &[WebUser], name: &str, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (hash, known) = match users.iter().find(|u| u.name == name) {
        Some(u) => (u.password_hash.as_str(), true),
        None => (
            DUMMY
                .get_or_init(|| hash_password("not a password").unwrap_or_default())
                .as_str(),
            false,
        ),
    };
    let ok = PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && known
}

/// Adds a user to the configuration file, or replaces their password;
/// the rest of the file (comments included) is kept as written.
/// Returns true when the user was new.
pub fn add_user(config: &Path, name: &str, password: &str) -> Result<bool> {
    use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};
    if name.trim().is_empty() || name.contains(char::is_whitespace) {
        return Err(Error::config(format!(
            "\"{name}\" is not a user name (no spaces)"
        )));
    }
    if password.chars().count() < 12 {
        return Err(Error::config(
            "the password is too short: at least 12 characters".to_string(),
        ));
    }
    let text = std::fs::read_to_string(config)
        .map_err(|e| Error::io("cannot read the configuration", config, e))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| Error::config(format!("configuration {}: {e}", config.display())))?;
    let hash = hash_password(password)?;
    // Comments after the last table belong to it (a commented-out key of
    // the last [[client]]): the new user goes after them.
    let trailing = doc.trailing().as_str().unwrap_or_default().to_string();
    doc.set_trailing("");
    let web = doc
        .entry("web")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| Error::config("[web] in the configuration is not a table".to_string()))?;
    let users = web
        .entry("user")
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| Error::config("web.user is not a list of [[web.user]]".to_string()))?;
    let existing = users
        .iter_mut()
        .find(|t| t.get("name").and_then(|v| v.as_str()) == Some(name));
    let new = existing.is_none();
    match existing {
        Some(t) => {
            t["password_hash"] = value(hash);
        }
        None => {
            let mut t = Table::new();
            t["name"] = value(name);
            t["password_hash"] = value(hash);
            t.decor_mut().set_prefix(format!("{trailing}\n"));
            users.push(t);
        }
    }
    if !new {
        doc.set_trailing(trailing);
    }
    write_config(config, &doc.to_string())?;
    Ok(new)
}

/// Removes a user from the configuration file; false when absent.
pub fn remove_user(config: &Path, name: &str) -> Result<bool> {
    use toml_edit::DocumentMut;
    let text = std::fs::read_to_string(config)
        .map_err(|e| Error::io("cannot read the configuration", config, e))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| Error::config(format!("configuration {}: {e}", config.display())))?;
    let Some(users) = doc
        .get_mut("web")
        .and_then(|w| w.get_mut("user"))
        .and_then(|u| u.as_array_of_tables_mut())
    else {
        return Ok(false);
    };
    let before = users.len();
    users.retain(|t| t.get("name").and_then(|v| v.as_str()) != Some(name));
    if users.len() == before {
        return Ok(false);
    }
    write_config(config, &doc.to_string())?;
    Ok(true)
}

/// Writes the configuration aside, then renames it over the old one: a
/// crash never leaves half a configuration; the file keeps its
/// permissions.
fn write_config(config: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = config.with_extension("toml.tmp");
    let mode = std::fs::metadata(config).map(|m| m.permissions());
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Owner-only while it is written (it holds password hashes).
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|_| f.sync_all()))
        .and_then(|_| match mode {
            Ok(p) => std::fs::set_permissions(&tmp, p),
            Err(_) => Ok(()),
        })
        .and_then(|_| std::fs::rename(&tmp, config))
        .map_err(|e| Error::io("cannot write the configuration", config, e))
}

/// One browser's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in user (None: not signed in, or no sign-in needed).
    pub user: Option<String>,
    /// The token every form of this session carries.
    pub csrf: String,
    /// A message to show once on the next page (what an action did).
    pub flash: Option<Flash>,
    /// The password hash the user signed in with: a new password (or a
    /// hash rewritten) ends the session.
    credential: Option<String>,
    last_seen: Instant,
}

impl Session {
    /// Whether this session was opened with the password whose hash is
    /// `hash` (the configuration's now).
    pub fn signed_with(&self, hash: &str) -> bool {
        self.credential
            .as_deref()
            .is_some_and(|c| same_token(c, hash))
    }
}

/// A message shown once after an action.
#[derive(Debug, Clone)]
pub struct Flash {
    /// Whether it reports a success.
    pub ok: bool,
    /// The text (French).
    pub text: String,
}

/// The sessions of the console, in memory (a restart signs everyone out).
pub struct Sessions {
    map: HashMap<String, Session>,
    idle: Duration,
}

impl Sessions {
    /// Sessions that end after `idle` without a request.
    pub fn new(idle: Duration) -> Self {
        Sessions {
            map: HashMap::new(),
            idle,
        }
    }

    /// The live session of a token (its idle time restarts); an expired
    /// one is removed.
    pub fn get(&mut self, token: &str) -> Option<&mut Session> {
        if self.map.get(token)?.last_seen.elapsed() >= self.idle {
            self.map.remove(token);
            return None;
        }
        let s = self.map.get_mut(token)?;
        s.last_seen = Instant::now();
        Some(s)
    }

    /// A new session (signed in: the user and the hash of the password
    /// they gave); returns its token.
    pub fn create(&mut self, user: Option<String>, credential: Option<String>) -> String {
        if self.map.len() >= MAX_SESSIONS {
            let idle = self.idle;
            self.map.retain(|_, s| s.last_seen.elapsed() < idle);
        }
        if self.map.len() >= MAX_SESSIONS {
            // Signed-in sessions are kept before anonymous ones.
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, s)| (s.user.is_some(), s.last_seen))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.map.remove(&k);
            }
        }
        let t = token();
        self.map.insert(
            t.clone(),
            Session {
                user,
                csrf: token(),
                flash: None,
                credential,
                last_seen: Instant::now(),
            },
        );
        t
    }

    /// Ends a session.
    pub fn remove(&mut self, token: &str) {
        self.map.remove(token);
    }
}

/// Failed sign-ins, per address and per user name.
#[derive(Default)]
pub struct Limiter {
    failures: HashMap<String, Vec<Instant>>,
}

impl Limiter {
    fn keys(ip: IpAddr, name: &str) -> [String; 2] {
        [format!("ip {ip}"), format!("user {name}")]
    }

    /// Whether a sign-in from `ip` as `name` may be tried now; when not,
    /// how long to wait.
    pub fn check(&mut self, ip: IpAddr, name: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        for k in Self::keys(ip, name) {
            if let Some(v) = self.failures.get_mut(&k) {
                v.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
                if v.len() >= MAX_FAILURES {
                    wait = wait.max(FAILURE_WINDOW - now.duration_since(v[0]));
                }
                if v.is_empty() {
                    self.failures.remove(&k);
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// Counts a failed sign-in.
    pub fn failed(&mut self, ip: IpAddr, name: &str) {
        if self.failures.len() >= MAX_TRACKED {
            let now = Instant::now();
            self.failures.retain(|_, v| {
                v.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
                !v.is_empty()
            });
        }
        for k in Self::keys(ip, name) {
            self.failures.entry(k).or_default().push(Instant::now());
        }
    }

    /// Forgets the failures of a user who signed in.
    pub fn succeeded(&mut self, ip: IpAddr, name: &str) {
        for k in Self::keys(ip, name) {
            self.failures.remove(&k);
        }
    }
}

/// Compares two tokens in a time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let users = vec![WebUser {
            name: "agent".into(),
            password_hash: hash_password("un mot de passe long").unwrap(),
        }];
        assert!(users[0].password_hash.starts_with("$argon2id$"));
        assert!(verify(&users, "agent", "un mot de passe long"));
        assert!(!verify(&users, "agent", "un mot de passe faux"));
        assert!(!verify(&users, "autre", "un mot de passe long"));
    }

    #[test]
    fn five_failures_lock_the_address_and_the_name() {
        let mut l = Limiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(l.check(ip, "agent").is_ok());
            l.failed(ip, "agent");
        }
        assert!(l.check(ip, "agent").is_err());
        assert!(l.check(ip, "autre").is_err(), "the address is locked");
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.check(other, "agent").is_err(), "the name is locked");
        assert!(l.check(other, "autre").is_ok());
    }

    #[test]
    fn a_flood_of_new_sessions_keeps_the_signed_in_ones() {
        let mut s = Sessions::new(Duration::from_secs(60));
        let agent = s.create(Some("agent".into()), Some("$argon2id$x".into()));
        for _ in 0..MAX_SESSIONS + 50 {
            s.create(None, None);
        }
        assert_eq!(s.map.len(), MAX_SESSIONS);
        assert_eq!(
            s.get(&agent).and_then(|x| x.user.clone()).as_deref(),
            Some("agent")
        );
    }

    #[test]
    fn add_user_keeps_the_file_and_replaces_a_password() {
        let dir = tempfile_dir();
        let path = dir.join("msp.toml");
        std::fs::write(
            &path,
            "# my comment\n[[client]]\nname = \"a\"\ninsee = [\"*\"]\ndatabase = \"sqlite://a.db\"\n# flows = [\"RCO-LA\"]\n",
        )
        .unwrap();
        assert!(add_user(&path, "agent", "un mot de passe long").unwrap());
        assert!(!add_user(&path, "agent", "un autre mot de passe").unwrap());
        assert!(add_user(&path, "x", "court").is_err());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my comment\n"), "{text}");
        // The client's commented-out key stays with the client.
        let comment = text.find("# flows").unwrap();
        assert!(comment < text.find("[[web.user]]").unwrap(), "{text}");
        assert!(!text.contains("[web]\n"), "no empty [web] header: {text}");
        let config = msp_core::Config::load(&path).unwrap();
        assert_eq!(config.web.users.len(), 1);
        assert!(verify(&config.web.users, "agent", "un autre mot de passe"));
        assert!(remove_user(&path, "agent").unwrap());
        assert!(!remove_user(&path, "agent").unwrap());
        assert!(msp_core::Config::load(&path).unwrap().web.users.is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("msp-web-auth-{}", token()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
