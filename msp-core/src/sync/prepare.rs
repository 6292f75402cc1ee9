//! Step 2, on a preparing thread: claim an archive ([`folders::claim`]),
//! read it once, hash and extract the same bytes ([`extract::extract`]),
//! then check the envelope ([`envelope::validate`]) and have the plugin
//! make and check its rows ([`super::parse`]): PROTOCOL §3, steps 2 to 6.
//! Nothing here touches a database.

use std::io::{Read, Seek};
use std::sync::Arc;

use msp_plugins::{FlowPlugin, Records, Registry, TableDef};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::digest::hex;
use crate::envelope::{self, Message};
use crate::error::{Error, Result};
use crate::extract::{self, Extracted};
use crate::folders::{self, Claim};
use crate::naming::ArchiveName;

use super::parse;
use super::scan::Candidate;

/// Archives larger than this are read from the file rather than memory.
const READ_IN_MEMORY: u64 = 8 * 1024 * 1024;

/// What preparing one archive gave.
pub(crate) enum Prepared {
    /// Valid: ready to write.
    Ready(Box<Ready>),
    /// Bad input or trouble.
    Failed {
        /// The claim; `None` when the archive could not be claimed (it is
        /// still in input).
        claim: Option<Claim>,
        /// The archive's name.
        name: String,
        /// Its flow (for the counts).
        flow: String,
        /// Why.
        error: Error,
    },
}

/// A validated archive: everything needed to write it.
pub(crate) struct Ready {
    /// The claim.
    pub claim: Claim,
    /// What its name says.
    pub name: ArchiveName,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Index of the client it is routed to in the configuration.
    pub client: usize,
    /// The envelope.
    pub message: Message,
    /// The plugin's rows.
    pub records: Records,
    /// The plugin.
    pub plugin: Arc<dyn FlowPlugin>,
    /// The plugin's tables, as the rows were checked against them.
    pub tables: Vec<TableDef>,
    /// The extracted files (attachments are read from here).
    pub extracted: Extracted,
}

impl Ready {
    /// Gives the claim back (the caller settles the archive).
    pub fn into_claim(self) -> Claim {
        self.cleanup();
        self.claim
    }

    /// Removes scratch files and releases the claim.
    pub fn release(self) {
        self.into_claim().release();
    }

    fn cleanup(&self) {
        if let Some(dir) = &self.extracted.scratch {
            folders::remove_dir(dir);
        }
    }
}

/// Claims and prepares one candidate; `None` when another process took it.
pub(crate) fn prepare(
    config: &Config,
    registry: &Registry,
    candidate: Candidate,
) -> Option<Prepared> {
    let parsed = candidate.parsed(registry)?;
    let flow = parsed.flow.clone();
    let name = candidate.name.to_string();
    let claim = match folders::claim(&config.folders, &name) {
        Ok(Some(c)) => c,
        Ok(None) => return None,
        Err(error) => {
            return Some(Prepared::Failed {
                claim: None,
                name,
                flow,
                error,
            })
        }
    };
    let plugin = match registry.get(&flow) {
        Some(p) => p.clone(),
        None => {
            return Some(Prepared::Failed {
                claim: Some(claim),
                name,
                error: Error::trouble(format!("no plugin for flow {flow}")),
                flow,
            })
        }
    };
    let scratch = claim.extraction_dir();
    let checked = read_archive(config, &claim, &scratch).and_then(|(sha256, extracted)| {
        let checked = envelope::validate(config, &parsed, &extracted)
            .and_then(|envelope| parse::parse(plugin, &parsed, envelope));
        match checked {
            Ok(v) => Ok((sha256, extracted, v)),
            Err(e) => {
                if let Some(dir) = &extracted.scratch {
                    folders::remove_dir(dir);
                }
                Err(e)
            }
        }
    });
    Some(match checked {
        Ok((sha256, mut extracted, v)) => {
            // Only the attachments are read again: the rest is dropped now
            // rather than held while the archive waits for its batch.
            let attachments = &v.message.envelope.attachments;
            extracted
                .files
                .retain(|name, _| attachments.iter().any(|a| &a.file == name));
            Prepared::Ready(Box::new(Ready {
                claim,
                name: parsed,
                sha256,
                client: v.client,
                message: v.message,
                records: v.records,
                plugin: v.plugin,
                tables: v.tables,
                extracted,
            }))
        }
        Err(error) => {
            folders::remove_dir(&scratch);
            Prepared::Failed {
                claim: Some(claim),
                name,
                flow,
                error,
            }
        }
    })
}

/// Reads the claimed file once: its SHA-256 and its extracted entries.
fn read_archive(
    config: &Config,
    claim: &Claim,
    scratch: &std::path::Path,
) -> Result<(String, Extracted)> {
    let mut file = claim.file();
    let size = file
        .metadata()
        .map_err(|e| Error::io("cannot read", &claim.path, e))?
        .len();
    if size <= READ_IN_MEMORY {
        // Exactly the size seen: `take` spares the size probes of
        // `File::read_to_end`.
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(size)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("cannot read", &claim.path, e))?;
        let sha = hex(&Sha256::digest(&bytes));
        let extracted = extract::extract(&bytes, scratch, &config.limits)?;
        return Ok((sha, extracted));
    }
    let mut h = Sha256::new();
    std::io::copy(&mut file, &mut h).map_err(|e| Error::io("cannot read", &claim.path, e))?;
    file.rewind()
        .map_err(|e| Error::io("cannot read", &claim.path, e))?;
    let extracted = extract::extract_from(std::io::BufReader::new(file), scratch, &config.limits)?;
    Ok((hex(&h.finalize()), extracted))
}
