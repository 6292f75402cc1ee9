//! A client's SFTP server (`[client.sftp]`).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::client::read_secret;
use crate::error::Result;

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
