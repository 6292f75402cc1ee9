//! The hub's addresses (`[hubee]`) and a town's subscriptions to its
//! démarches (`[[client.hubee]]`).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::client::read_secret_keyed;
use crate::error::Result;

/// The hub's addresses, shared by every client (`[hubee]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubeeConfig {
    /// The OAuth2 token endpoint.
    pub token_url: String,
    /// The API's base address; `/teledossiers/v1/...` is appended.
    pub api_url: String,
    /// Seconds to wait for each request.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Attempts of a request met by a 500, a dropped connection or a
    /// wrong digest, before it is trouble (the case waits for the next run).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The first wait between attempts, in milliseconds (doubled each time).
    #[serde(default = "default_backoff")]
    pub backoff_ms: u64,
}

fn default_timeout() -> u64 {
    30
}

fn default_retries() -> u32 {
    4
}

fn default_backoff() -> u64 {
    500
}

/// One subscription of a town to a démarche (`[[client.hubee]]`).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubeeSubscription {
    /// HubEE's process code (`recensementCitoyen`, `EtatCivil`).
    pub process: String,
    /// The flow whose plugin reads its data document (`RCO-LA`, `AEC-LA`).
    pub flow: String,
    /// The OAuth2 client id.
    pub client_id: String,
    /// Environment variable holding the client secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// File holding the client secret (first line).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

impl fmt::Debug for HubeeSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubeeSubscription")
            .field("process", &self.process)
            .field("flow", &self.flow)
            .field("client_id", &self.client_id)
            .field("secret_env", &self.secret_env)
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

impl HubeeSubscription {
    /// `hubee recensementCitoyen (client id)`, for messages.
    pub fn label(&self) -> String {
        format!("hubee {} ({})", self.process, self.client_id)
    }

    /// The client secret. Never print it.
    pub fn secret(&self) -> Result<String> {
        match read_secret_keyed(
            &self.label(),
            ["secret_env", "secret_file"],
            &self.secret_env,
            &self.secret_file,
        )? {
            Some(s) => Ok(s),
            None => Err(crate::error::Error::config(format!(
                "{}: no secret_env nor secret_file",
                self.label()
            ))),
        }
    }
}
