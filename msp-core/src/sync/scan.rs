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
    /// Last modification.
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
    let mut oldest: HashMap<&str, SystemTime> = HashMap::new();
    for c in &found {
        let e = oldest.entry(c.numero()).or_insert(c.modified);
        *e = (*e).min(c.modified);
    }
    let mut keyed: Vec<(SystemTime, usize)> = found
        .iter()
        .enumerate()
        .map(|(i, c)| (oldest[c.numero()], i))
        .collect();
    drop(oldest);
    keyed.sort_by(|(ta, a), (tb, b)| {
        let (a, b) = (&found[*a], &found[*b]);
        (ta, a.numero(), a.file_number, &a.name).cmp(&(tb, b.numero(), b.file_number, &b.name))
    });
    let mut slots: Vec<Option<Candidate>> = found.into_iter().map(Some).collect();
    Ok(keyed
        .into_iter()
        .filter_map(|(_, i)| slots[i].take())
        .collect())
}
