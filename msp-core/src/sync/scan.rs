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
    /// Where the NumeroTeledemarche starts in the name (after the
    /// transport's wrapper, if any).
    numero_start: u16,
    /// Length of the NumeroTeledemarche.
    numero_len: u16,
    /// FileNumber.
    file_number: u32,
    /// The file's own modification time while input is listed; once
    /// [`order`] has run, the oldest of its dossier's files in input (the
    /// key of the run's order).
    modified: SystemTime,
}

impl Candidate {
    /// The NumeroTeledemarche.
    pub fn numero(&self) -> &str {
        let start = usize::from(self.numero_start);
        &self.name[start..start + usize::from(self.numero_len)]
    }

    /// What the name says.
    pub fn parsed(&self, registry: &Registry) -> Option<ArchiveName> {
        naming::parse(&self.name, &registry.codes())
    }
}

/// A file in input that msp does not import (never touched, reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrecognised {
    /// Its name.
    pub file: String,
    /// Why, in English ([`naming::Unknown::english`]).
    pub reason: String,
}

/// What [`scan`] found.
pub(crate) struct Scan {
    /// The archives to import, in the run's order.
    pub candidates: Vec<Candidate>,
    /// The files left alone, by name.
    pub unrecognised: Vec<Unrecognised>,
}

/// The archives of registered flows in input, settled (`settle_seconds`),
/// oldest dossier first, each dossier's files in FileNumber order; and the
/// files msp does not recognise.
pub(crate) fn scan(config: &Config, registry: &Registry) -> Result<Scan> {
    let input = &config.folders.input;
    let flows = registry.codes();
    let known = registry.all_codes();
    let now = SystemTime::now();
    let mut found = Vec::new();
    let mut unrecognised = Vec::new();
    for entry in fs::read_dir(input).map_err(|e| Error::io("cannot read", input, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read", input, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(parsed) = naming::parse(&name, &flows) else {
            if let Some(why) = naming::why_unrecognised(&name, &known) {
                if entry.metadata().is_ok_and(|m| m.is_file()) {
                    // Control and bidirectional characters of a name never
                    // reach a log line, a terminal or a page as such.
                    let file = crate::display::line(&name).into_owned();
                    unrecognised.push(Unrecognised {
                        file,
                        reason: why.english(),
                    });
                }
            }
            continue;
        };
        let start = naming::unwrap_transport(&name).map_or(0, |(_, s)| s);
        let (Ok(numero_len), Ok(numero_start)) =
            (u16::try_from(parsed.numero.len()), u16::try_from(start))
        else {
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
            numero_start,
            numero_len,
            file_number: parsed.file_number,
            modified,
        });
    }
    order(&mut found);
    unrecognised.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(Scan {
        candidates: found,
        unrecognised,
    })
}

/// The order of a run, in place: dossiers by their oldest file in input,
/// each dossier's files by FileNumber (then name). Each candidate's
/// `modified` becomes its dossier's oldest time (no second list: a run may
/// list a hundred thousand names).
fn order(found: &mut [Candidate]) {
    let times: Vec<SystemTime> = {
        let mut oldest: HashMap<&str, SystemTime> = HashMap::new();
        for c in found.iter() {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn candidate(name: &str, file_number: u32, seconds: u64) -> Candidate {
        let numero_len = name.find("-RCO").unwrap() as u16;
        Candidate {
            name: name.into(),
            numero_start: 0,
            numero_len,
            file_number,
            modified: SystemTime::UNIX_EPOCH + Duration::from_secs(seconds),
        }
    }

    #[test]
    fn dossiers_by_their_oldest_file_then_file_number() {
        let mut found = vec![
            candidate("A-1-B-RCO-LA-1.zip", 1, 50),
            candidate("A-1-A-RCO-LA-2.zip", 2, 10),
            candidate("A-1-C-RCO-LA-1.zip", 1, 20),
            candidate("A-1-A-RCO-LA-1.zip", 1, 40),
            candidate("A-1-B-RCO-LA-3.zip", 3, 5),
            candidate("A-1-B-RCO-LA-2.zip", 2, 60),
        ];
        order(&mut found);
        let names: Vec<&str> = found.iter().map(|c| &*c.name).collect();
        // B's oldest file is 5 s, A's 10 s, C's 20 s; within a dossier,
        // FileNumber order whatever the files' own times.
        assert_eq!(
            names,
            [
                "A-1-B-RCO-LA-1.zip",
                "A-1-B-RCO-LA-2.zip",
                "A-1-B-RCO-LA-3.zip",
                "A-1-A-RCO-LA-1.zip",
                "A-1-A-RCO-LA-2.zip",
                "A-1-C-RCO-LA-1.zip",
            ]
        );
    }
}
