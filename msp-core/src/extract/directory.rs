//! The first pass, on the central directory alone, before anything is
//! inflated: every entry's name made safe (no absolute name, `..`, drive
//! letter, backslash), its kind plain (no symlink, device, pipe, socket,
//! no encryption), no two names colliding once extracted, and the declared
//! sizes within the limit.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::Limits;
use crate::error::{Error, Reason, Result};

fn unsafe_entry(name: &str, why: &str) -> Error {
    Error::bad_input(Reason::UnsafeEntry, format!("entry \"{name}\" {why}"))
}

/// Validates an entry name and returns its relative path.
pub(super) fn safe_relative(name: &str) -> Result<PathBuf> {
    if name.contains('\\') {
        return Err(unsafe_entry(name, "contains a backslash (Windows path)"));
    }
    if name.contains('\0') {
        return Err(unsafe_entry(name, "contains a NUL byte"));
    }
    if name.starts_with('/') {
        return Err(unsafe_entry(name, "is an absolute path"));
    }
    let first = name.split('/').next().unwrap_or("");
    if first.len() >= 2 && first.as_bytes()[1] == b':' {
        return Err(unsafe_entry(name, "starts with a drive letter"));
    }
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_entry(name, "goes up with \"..\"")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_entry(name, "is an absolute path"))
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(unsafe_entry(name, "has an empty name"));
    }
    Ok(out)
}

/// The name two entries would share once extracted on any file system:
/// separators collapsed, `.` dropped, trailing slash removed, Unicode
/// normalized (NFC: macOS stores NFD, `é` and `e` + accent are one name
/// there), lower case.
fn collision_key(rel: &Path) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut key = String::with_capacity(rel.as_os_str().len());
    for c in rel.components() {
        let Component::Normal(p) = c else { continue };
        if !key.is_empty() {
            key.push('/');
        }
        match p.to_str() {
            // ASCII is its own NFC form: the usual name costs no Unicode
            // tables (3 % of the instructions of an import before).
            Some(ascii) if ascii.is_ascii() => {
                key.extend(ascii.chars().map(|ch| ch.to_ascii_lowercase()));
            }
            _ => key.push_str(&p.to_string_lossy().nfc().collect::<String>().to_lowercase()),
        }
    }
    key
}

/// First pass on the central directory: names, kinds, declared sizes.
pub(super) fn check_directory<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    limits: &Limits,
) -> Result<()> {
    let mut declared: u64 = 0;
    let mut names = Names::default();
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| {
            Error::bad_input(Reason::NotZip, format!("unreadable entry #{i} ({e})"))
        })?;
        let name = entry
            .name()
            .map_err(|e| {
                Error::bad_input(
                    Reason::NotZip,
                    format!("entry #{i} has an unreadable name ({e})"),
                )
            })?
            .into_owned();
        let rel = safe_relative(&name)?;
        check_kind(&entry, &name)?;
        let is_dir = entry.is_dir() || name.ends_with('/');
        if names.add(&name, &rel, is_dir)? {
            declared = declared.saturating_add(entry.size());
        }
    }
    if declared > limits.max_total_bytes {
        return Err(Error::bad_input(
            Reason::TooLarge,
            format!(
                "uncompressed size {declared} bytes is over the limit of {} bytes",
                limits.max_total_bytes
            ),
        ));
    }
    Ok(())
}

/// Refuses symbolic links, special files and encrypted entries.
fn check_kind<R: Read>(entry: &zip::read::ZipFile<'_, R>, name: &str) -> Result<()> {
    if entry.is_symlink() {
        return Err(unsafe_entry(name, "is a symbolic link"));
    }
    if let Some(mode) = entry.unix_mode() {
        let kind = mode & 0o170000;
        if kind != 0 && kind != 0o100000 && kind != 0o040000 {
            return Err(unsafe_entry(
                name,
                "is a special file (device, pipe or socket)",
            ));
        }
    }
    if entry.encrypted() {
        return Err(Error::bad_input(
            Reason::NotZip,
            format!("entry \"{name}\" is encrypted"),
        ));
    }
    Ok(())
}

/// The entries seen so far on the central directory, files and folders,
/// by the name they would take once extracted ([`collision_key`]).
#[derive(Default)]
struct Names {
    files: std::collections::HashMap<String, String>,
    dirs: std::collections::HashMap<String, String>,
}

impl Names {
    /// Adds an entry, refusing one whose name collides with another's once
    /// extracted. `true` for a file (its size counts), `false` for a folder.
    fn add(&mut self, name: &str, rel: &Path, is_dir: bool) -> Result<bool> {
        let key = collision_key(rel);
        // Every parent of an entry is a folder.
        let mut parent = rel.parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            let pk = collision_key(p);
            if let Some(other) = self.files.get(&pk) {
                return Err(unsafe_entry(
                    name,
                    &format!("needs a folder where the archive has the file \"{other}\""),
                ));
            }
            self.dirs.entry(pk).or_insert_with(|| name.to_string());
            parent = p.parent();
        }
        if is_dir {
            if let Some(other) = self.files.get(&key) {
                return Err(unsafe_entry(
                    name,
                    &format!("is a folder with the name of the file \"{other}\""),
                ));
            }
            self.dirs.entry(key).or_insert_with(|| name.to_string());
            return Ok(false);
        }
        if let Some(other) = self.dirs.get(&key) {
            return Err(unsafe_entry(
                name,
                &format!("is a file with the name of the folder \"{other}\""),
            ));
        }
        if let Some(other) = self.files.insert(key, name.to_string()) {
            return Err(if other == name {
                unsafe_entry(name, "appears twice in the archive")
            } else {
                unsafe_entry(
                    name,
                    &format!("has the same name as \"{other}\" once extracted"),
                )
            });
        }
        Ok(true)
    }
}
