//! Safe, streamed ZIP extraction.
//!
//! Entries are streamed to disk chunk by chunk (never a whole entry in
//! memory). Refused before anything escapes: absolute names, `..`, drive
//! letters, backslashes, symlinks, duplicate names, encrypted entries.
//! Limits on entry count, total uncompressed size and compression ratio are
//! checked against the declared sizes first and against the bytes actually
//! inflated while streaming, so a zip bomb is stopped at the limit without
//! writing more than it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Reason, Result};

/// Extraction limits (configurable under `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Total uncompressed bytes of all entries.
    pub max_total_bytes: u64,
    /// Number of entries.
    pub max_entries: usize,
    /// Uncompressed / compressed ratio allowed for one entry...
    pub max_ratio: u64,
    /// ...once the entry is larger than this many bytes (small XML files
    /// legitimately compress very well).
    pub ratio_threshold_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 200 * 1024 * 1024,
            max_entries: 500,
            max_ratio: 100,
            ratio_threshold_bytes: 1024 * 1024,
        }
    }
}

/// What an extraction produced.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The extraction folder.
    pub dir: PathBuf,
    /// Files at the archive root: name → size in bytes.
    pub files: BTreeMap<String, u64>,
}

impl Extracted {
    /// Path of a root-level file, if the archive had it.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.files.contains_key(name).then(|| self.dir.join(name))
    }
}

fn unsafe_entry(name: &str, why: &str) -> Error {
    Error::bad_input(Reason::UnsafeEntry, format!("entry \"{name}\" {why}"))
}

/// Validates an entry name and returns its relative path.
fn safe_relative(name: &str) -> Result<PathBuf> {
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

/// Extracts `archive` into `dest` (created; must not exist or be empty).
pub fn extract(archive: &Path, dest: &Path, limits: &Limits) -> Result<Extracted> {
    let file = File::open(archive).map_err(|e| Error::io("cannot open", archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| {
        Error::bad_input(Reason::NotZip, format!("not a readable ZIP archive ({e})"))
    })?;
    if zip.len() > limits.max_entries {
        return Err(Error::bad_input(
            Reason::TooLarge,
            format!(
                "{} entries, more than the limit of {}",
                zip.len(),
                limits.max_entries
            ),
        ));
    }
    // First pass on the central directory: names and declared sizes.
    let mut declared: u64 = 0;
    let mut seen = std::collections::HashSet::new();
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
        if entry.is_symlink() {
            return Err(unsafe_entry(&name, "is a symbolic link"));
        }
        if entry.encrypted() {
            return Err(Error::bad_input(
                Reason::NotZip,
                format!("entry \"{name}\" is encrypted"),
            ));
        }
        if !entry.is_dir() && !seen.insert(rel) {
            return Err(unsafe_entry(&name, "appears twice in the archive"));
        }
        declared = declared.saturating_add(entry.size());
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
    fs::create_dir_all(dest).map_err(|e| Error::io("cannot create", dest, e))?;
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| {
            Error::bad_input(Reason::NotZip, format!("unreadable entry #{i} ({e})"))
        })?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let rel = safe_relative(&name)?;
        let target = dest.join(&rel);
        if entry.is_dir() {
            fs::create_dir_all(&target).map_err(|e| Error::io("cannot create", &target, e))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        let ratio_cap = entry
            .compressed_size()
            .saturating_mul(limits.max_ratio)
            .max(limits.ratio_threshold_bytes);
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| Error::io("cannot create", &target, e))?;
        let mut written: u64 = 0;
        loop {
            let n = entry.read(&mut buf).map_err(|e| {
                Error::bad_input(
                    Reason::NotZip,
                    format!("entry \"{name}\" is corrupt or truncated ({e})"),
                )
            })?;
            if n == 0 {
                break;
            }
            written += n as u64;
            total += n as u64;
            if written > ratio_cap {
                return Err(Error::bad_input(
                    Reason::TooLarge,
                    format!(
                        "entry \"{name}\" inflates more than {} times its compressed size (zip bomb?)",
                        limits.max_ratio
                    ),
                ));
            }
            if total > limits.max_total_bytes {
                return Err(Error::bad_input(
                    Reason::TooLarge,
                    format!(
                        "uncompressed content is over the limit of {} bytes (zip bomb?)",
                        limits.max_total_bytes
                    ),
                ));
            }
            out.write_all(&buf[..n])
                .map_err(|e| Error::io("cannot write", &target, e))?;
        }
        // No fsync: extracted files are scratch, extracted again after a crash.
        if rel.components().count() == 1 {
            files.insert(name, written);
        }
    }
    Ok(Extracted {
        dir: dest.to_path_buf(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn make(path: &Path, entries: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        for (n, data) in entries {
            w.start_file(*n, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn refuses_escaping_names() {
        for bad in ["../x", "a/../../x", "/etc/x", "C:/x", "c:x", "a\\..\\x"] {
            assert_eq!(
                safe_relative(bad).unwrap_err().reason(),
                Some(Reason::UnsafeEntry),
                "{bad}"
            );
        }
        assert_eq!(safe_relative("./a/b").unwrap(), PathBuf::from("a/b"));
    }

    #[test]
    fn extracts_and_counts() {
        let t = tempfile::tempdir().unwrap();
        let z = t.path().join("a.zip");
        make(&z, &[("message.xml", b"<a/>"), ("x.pdf", b"%PDF")]);
        let x = extract(&z, &t.path().join("out"), &Limits::default()).unwrap();
        assert_eq!(x.files.len(), 2);
        assert_eq!(fs::read(x.path("x.pdf").unwrap()).unwrap(), b"%PDF");
    }

    #[test]
    fn limits_entries_total_and_ratio() {
        let t = tempfile::tempdir().unwrap();
        let z = t.path().join("a.zip");
        make(&z, &[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let l = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        assert_eq!(
            extract(&z, &t.path().join("o1"), &l).unwrap_err().reason(),
            Some(Reason::TooLarge)
        );
        let zeros = vec![0u8; 3 * 1024 * 1024];
        make(&z, &[("z", &zeros)]);
        let l = Limits {
            max_total_bytes: 1024 * 1024,
            ..Limits::default()
        };
        assert_eq!(
            extract(&z, &t.path().join("o2"), &l).unwrap_err().reason(),
            Some(Reason::TooLarge)
        );
        let l = Limits::default();
        let e = extract(&z, &t.path().join("o3"), &l).unwrap_err();
        assert!(e.message.contains("zip bomb"), "{e}");
    }

    #[test]
    fn refuses_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let z = t.path().join("a.zip");
        let mut w = zip::ZipWriter::new(File::create(&z).unwrap());
        w.add_symlink("message.xml", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap();
        let e = extract(&z, &t.path().join("o"), &Limits::default()).unwrap_err();
        assert_eq!(e.reason(), Some(Reason::UnsafeEntry));
        assert!(e.message.contains("symbolic link"), "{e}");
        assert!(!t.path().join("o").exists(), "nothing written");
    }

    #[test]
    fn refuses_duplicates_and_garbage() {
        let t = tempfile::tempdir().unwrap();
        let z = t.path().join("a.zip");
        fs::write(&z, b"not a zip at all").unwrap();
        assert_eq!(
            extract(&z, &t.path().join("o"), &Limits::default())
                .unwrap_err()
                .reason(),
            Some(Reason::NotZip)
        );
    }
}
