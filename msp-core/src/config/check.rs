//! The checks of a configuration once parsed: each client's settings and
//! routing, the console's users, the limits. The first problem found is
//! the error, named with the configuration's source.

use super::{valid_insee, ClientConfig, Config, WebUser};
use crate::error::{Error, Result};
use crate::extract::Limits;

/// A problem found, in words (without the configuration's name).
type Problem = std::result::Result<(), String>;

impl Config {
    /// Checks the clients, the users and the limits, in that order.
    pub(super) fn check(&self) -> Result<()> {
        let bad = |m: String| Error::config(format!("configuration {}: {m}", self.source));
        if self.clients.is_empty() {
            return Err(bad("no [[client]] is configured".into()));
        }
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for c in &self.clients {
            check_client(c).map_err(bad)?;
            check_routing(c, &mut seen).map_err(bad)?;
            check_hubee(self, c).map_err(bad)?;
        }
        check_users(&self.web.users).map_err(bad)?;
        check_limits(&self.limits).map_err(bad)
    }
}

/// A client's HubEE subscriptions: `[hubee]` present, a secret each, one
/// subscription per process.
fn check_hubee(config: &super::Config, c: &ClientConfig) -> Problem {
    if c.hubee.is_empty() {
        return Ok(());
    }
    if config.hubee.is_none() {
        return Err(format!(
            "client {}: [[client.hubee]] needs [hubee] (token_url, api_url)",
            c.name
        ));
    }
    for (i, h) in c.hubee.iter().enumerate() {
        if h.secret_env.is_none() && h.secret_file.is_none() {
            return Err(format!(
                "client {}: [[client.hubee]] {} needs secret_env or secret_file",
                c.name, h.process
            ));
        }
        if c.hubee[..i].iter().any(|o| o.process == h.process) {
            return Err(format!(
                "client {}: two [[client.hubee]] for process {}",
                c.name, h.process
            ));
        }
    }
    Ok(())
}

/// One client's own settings: name, codes, SFTP, database, SIRET, names.
fn check_client(c: &ClientConfig) -> Problem {
    if c.name.trim().is_empty() {
        return Err("a client has an empty name".into());
    }
    if c.insee.is_empty() {
        return Err(format!("client {} has no insee code", c.name));
    }
    if let Some(sftp) = &c.sftp {
        if sftp.key_file.is_none() && sftp.password_env.is_none() && sftp.password_file.is_none() {
            return Err(format!(
                "client {}: [client.sftp] needs key_file, password_env or password_file",
                c.name
            ));
        }
        if sftp.push_dir.trim().is_empty() {
            return Err(format!(
                "client {}: [client.sftp] push_dir is empty",
                c.name
            ));
        }
    }
    if !c.database.contains(':') {
        return Err(format!(
            "client {}: database \"{}\" is not a URL (expected e.g. sqlite://msp.db)",
            c.name,
            super::redact_url(&c.database)
        ));
    }
    if let Some(siret) = &c.siret {
        if siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
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
            return Err(format!(
                "client {}: {key} is empty or longer than 100 characters",
                c.name
            ));
        }
    }
    Ok(())
}

/// A client's INSEE codes: each a commune code (or `*`), none routed to
/// two clients (`seen`: the codes of the clients before it).
fn check_routing<'a>(c: &'a ClientConfig, seen: &mut Vec<(&'a str, &'a str)>) -> Problem {
    for code in &c.insee {
        if code != "*" && !valid_insee(code) {
            return Err(format!(
                "client {}: \"{code}\" is not an INSEE commune code (5 characters, e.g. 75056 or 2A004)",
                c.name
            ));
        }
        if let Some((other, _)) = seen.iter().find(|(_, k)| k == code) {
            return Err(format!(
                "insee {code} is routed to both {other} and {}",
                c.name
            ));
        }
        seen.push((&c.name, code));
    }
    Ok(())
}

/// The console's users: a name without spaces, an argon2 hash, listed once.
fn check_users(users: &[WebUser]) -> Problem {
    for (i, u) in users.iter().enumerate() {
        if u.name.trim().is_empty() || u.name.contains(char::is_whitespace) {
            return Err(format!(
                "[[web.user]] \"{}\": a user name has no spaces",
                u.name
            ));
        }
        if !u.password_hash.starts_with("$argon2") {
            return Err(format!(
                "[[web.user]] {}: password_hash is not an argon2 hash (set it with msp user add)",
                u.name
            ));
        }
        if users[..i].iter().any(|o| o.name == u.name) {
            return Err(format!("[[web.user]] {} is listed twice", u.name));
        }
    }
    Ok(())
}

/// `[limits]`: every value positive.
fn check_limits(limits: &Limits) -> Problem {
    if limits.max_entries == 0 || limits.max_total_bytes == 0 || limits.max_ratio == 0 {
        return Err("[limits] values must be positive".into());
    }
    Ok(())
}
