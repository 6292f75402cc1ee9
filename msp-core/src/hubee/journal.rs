//! The journal of one client's exchanges with the hub, in
//! `travail/.hubee/<client>/`: what was received (`cases/`), which of the
//! portal's events were applied (`events/`), and the intents of posts
//! (`sending/`). Every file is written durably (temporary name, sync,
//! rename, folder synced).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::folders;

/// A case received: written once its bundle is in input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The hub's case id.
    pub case_id: String,
    /// The portal's number: the dossier's.
    pub external_id: String,
    /// The flow of its bundles.
    pub flow: String,
    /// The process code of its subscription.
    pub process: String,
    /// The last bundle's file number (1, then one per complement).
    pub file_number: u32,
    /// The file numbers whose rejection was answered `SI_INTG_ERROR`.
    #[serde(default)]
    pub rejections_answered: Vec<u32>,
    /// The portal's deposits written as complements: event id → file number.
    #[serde(default)]
    pub complements: std::collections::BTreeMap<String, u32>,
}

/// One client's journal.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

/// A file name for a free text (tags, ids): safe characters kept, the
/// others as `_`, and a digest so that two texts never share a name.
fn file_key(text: &str) -> String {
    let safe: String = text
        .chars()
        .take(60)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-{}", crate::digest::key(text, 6))
}

/// Writes `bytes` to `path` durably: a temporary name beside it, synced,
/// renamed, the folder synced.
pub(crate) fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.msp-tmp", std::process::id()));
    (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        folders::rename_replacing(&tmp, path)
    })()
    .map_err(|e| {
        let _ = folders::remove_file(&tmp);
        Error::io("cannot write", path, e)
    })?;
    folders::sync_dir(dir);
    Ok(())
}

impl Journal {
    /// The journal of `client` under the work folder.
    pub fn open(work: &Path, client: &str) -> Self {
        Journal {
            dir: work.join(".hubee").join(crate::locks::client_key(client)),
        }
    }

    fn case_path(&self, case_id: &str) -> PathBuf {
        self.dir
            .join("cases")
            .join(format!("{}.json", file_key(case_id)))
    }

    /// The record of a case received, if any.
    pub fn case(&self, case_id: &str) -> Option<CaseRecord> {
        let bytes = fs::read(self.case_path(case_id)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Records a case (durably).
    pub fn save_case(&self, record: &CaseRecord) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| Error::trouble(format!("cannot encode a case record: {e}")))?;
        write_durable(&self.case_path(&record.case_id), &bytes)
    }

    /// Every case received.
    pub fn cases(&self) -> Vec<CaseRecord> {
        let Ok(rd) = fs::read_dir(self.dir.join("cases")) else {
            return Vec::new();
        };
        rd.flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| fs::read(e.path()).ok())
            .filter_map(|b| serde_json::from_slice(&b).ok())
            .collect()
    }

    /// Whether the portal's event was applied.
    pub fn event_applied(&self, event_id: &str) -> bool {
        self.dir.join("events").join(file_key(event_id)).exists()
    }

    /// Records the portal's event applied (durably).
    pub fn mark_event(&self, event_id: &str) -> Result<()> {
        write_durable(
            &self.dir.join("events").join(file_key(event_id)),
            event_id.as_bytes(),
        )
    }

    fn intent_path(&self, tag: &str) -> PathBuf {
        self.dir.join("sending").join(file_key(tag))
    }

    /// Whether a post tagged `tag` may have been made (an intent is left).
    pub fn intent(&self, tag: &str) -> bool {
        self.intent_path(tag).exists()
    }

    /// Records the intent to post `tag` (durably), before posting.
    pub fn write_intent(&self, tag: &str) -> Result<()> {
        write_durable(&self.intent_path(tag), tag.as_bytes())
    }

    /// The tags of the intents left.
    pub fn intents(&self) -> Vec<String> {
        let Ok(rd) = fs::read_dir(self.dir.join("sending")) else {
            return Vec::new();
        };
        rd.flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| fs::read_to_string(e.path()).ok())
            .collect()
    }

    /// Removes the intent once what was posted is recorded elsewhere.
    pub fn clear_intent(&self, tag: &str) {
        let _ = crate::folders::remove_file(self.intent_path(tag));
    }
}
