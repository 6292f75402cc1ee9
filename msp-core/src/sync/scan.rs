//! Step 1: list input once.

use std::collections::HashMap;
use std::fs;
use std::time::SystemTime;

use msp_plugins::Registry;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::naming::{self, ArchiveName};

/// An archive found in input, before claiming.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// File name.
    pub name: String,
    /// What the name says.
    pub parsed: ArchiveName,
    /// Last modification.
    pub modified: SystemTime,
}

/// The archives of registered flows in input, settled (`settle_seconds`),
/// oldest dossier first, each dossier's files in FileNumber order.
pub(crate) fn scan(config: &Config, registry: &Registry) -> Result<Vec<Candidate>> {
    let input = &config.folders.input;
    let flows = registry.codes();
    let now = SystemTime::now();
    let mut found = Vec::new();
    for entry in fs::read_dir(input).map_err(|e| Error::io("cannot read", input, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read", input, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(parsed) = naming::parse(&name, &flows) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let age = now.duration_since(modified).unwrap_or_default();
        if age.as_secs() < config.settle_seconds {
            tracing::info!("{name}: modified {age:?} ago, left for the next run (settle_seconds)");
            continue;
        }
        found.push(Candidate {
            name,
            parsed,
            modified,
        });
    }
    let mut oldest: HashMap<String, SystemTime> = HashMap::new();
    for c in &found {
        let e = oldest.entry(c.parsed.numero.clone()).or_insert(c.modified);
        *e = (*e).min(c.modified);
    }
    found.sort_by(|a, b| {
        (
            oldest[&a.parsed.numero],
            &a.parsed.numero,
            a.parsed.file_number,
            &a.name,
        )
            .cmp(&(
                oldest[&b.parsed.numero],
                &b.parsed.numero,
                b.parsed.file_number,
                &b.name,
            ))
    });
    Ok(found)
}
