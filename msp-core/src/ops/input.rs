//! What the input folder holds: the archives waiting and the files msp
//! does not recognise.

use std::fs;
use std::time::SystemTime;

use crate::folders::Folders;

/// What input holds, listed once: the archives of the registered flows,
/// and the files msp does not recognise. Temporary names of a transport
/// still writing are in neither; times are modification times.
#[derive(Debug, Clone, Default)]
pub struct InputFiles {
    /// The archives waiting.
    pub archives: Vec<(String, SystemTime)>,
    /// The files msp leaves alone, with why.
    pub unrecognised: Vec<(String, SystemTime, crate::naming::Unknown)>,
}

/// Lists input once (see [`InputFiles`]); `flows` are the registered flow
/// codes.
pub fn input_files(folders: &Folders, flows: &[&str]) -> InputFiles {
    let mut found = InputFiles::default();
    let Ok(rd) = fs::read_dir(&folders.input) else {
        return found;
    };
    for e in rd.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(modified) = e.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        if crate::naming::parse(&name, flows).is_some() {
            found.archives.push((name, modified));
        } else if let Some(why) = crate::naming::why_unrecognised(&name, flows) {
            found.unrecognised.push((name, modified, why));
        }
    }
    found
}

/// The archives of the registered `flows` waiting in input, with their
/// modification time ([`input_files`]).
pub fn waiting(folders: &Folders, flows: &[&str]) -> Vec<(String, SystemTime)> {
    input_files(folders, flows).archives
}
