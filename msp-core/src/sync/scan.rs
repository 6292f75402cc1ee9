//! Step 1: list input once.

use std::collections::HashMap;
use std::fs;
use std::time::SystemTime;

use msp_plugins::Registry;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::naming::{self, ArchiveName};

/// An archive found in input, before claiming: kept small (a run may list
/// a hundred thousand).
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// File name.
    pub name: Box<str>,
    /// Length of the NumeroTeledemarche at the start of the name.
    numero_len: u16,
    /// FileNumber.
    file_number: u32,
    /// Last modification of the oldest file of its dossier in input (the
    /// order of the run).
    modified: SystemTime,
}

impl Candidate {
    /// The NumeroTeledemarche.
    pub fn numero(&self) -> &str {
        &self.name[..usize::from(self.numero_len)]
    }

    /// What the name says.
    pub fn parsed(&self, registry: &Registry) -> Option<ArchiveName> {
        naming::parse(&self.name, &registry.codes())
    }
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
        let Ok(numero_len) = u16::try_from(parsed.numero.len()) else {
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
            name: name.into_boxed_str(),
            numero_len,
            file_number: parsed.file_number,
            modified,
        });
    }
    // Each archive is ordered by its dossier's oldest file: `modified`
    // becomes that time, and the list is sorted in place (no second list:
    // a run may list a hundred thousand names).
    let times: Vec<SystemTime> = {
        let mut oldest: HashMap<&str, SystemTime> = HashMap::new();
        for c in &found {
            oldest
                .entry(c.numero())
                .and_modify(|t| *t = (*t).min(c.modified))
                .or_insert(c.modified);
        }
        found.iter().map(|c| oldest[c.numero()]).collect()
    };
    for (c, t) in found.iter_mut().zip(times) {
        c.modified = t;
    }
    found.sort_unstable_by(|a, b| {
        (a.modified, a.numero(), a.file_number, &a.name).cmp(&(
            b.modified,
            b.numero(),
            b.file_number,
            &b.name,
        ))
    });
    Ok(found)
}
