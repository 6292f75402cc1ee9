//! The web console of `msp serve` (`[web]`) and the people who may sign in.

use serde::{Deserialize, Serialize, Serializer};

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

fn masked<S: Serializer>(_: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(crate::display::MASKED)
}
