//! Safe ZIP extraction into memory.
//!
//! An archive is read from a byte buffer (the claimed file, read once: the
//! same bytes are hashed). Names are checked on the central directory first:
//! absolute names, `..`, drive letters, backslashes, symlinks and other
//! special entries, encrypted entries, and names that would collide once
//! normalised (`a`, `a/`, `./a`, `a//`, letter case) are refused as bad
//! input before anything is inflated. Limits on entry count, total
//! uncompressed size and compression ratio are checked against the declared
//! sizes and against the bytes actually inflated, so a zip bomb is stopped
//! at the limit. Entries are kept in memory up to
//! [`SPILL_THRESHOLD`] bytes; a larger one (an attachment) is streamed in
//! chunks into a scratch file named by its index, never by its entry name,
//! so no entry name ever reaches the file system.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Reason, Result};

/// Extraction limits (configurable under `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
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

/// Entries larger than this are streamed to a scratch file.
pub const SPILL_THRESHOLD: u64 = 1024 * 1024;

/// The content of one extracted file.
#[derive(Debug, Clone)]
pub enum Content {
    /// Held in memory.
    Memory(std::sync::Arc<Vec<u8>>),
    /// Streamed to a scratch file (large entries).
    File(PathBuf),
}

impl Content {
    /// The whole content (reads a scratch file).
    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            Content::Memory(b) => Ok(std::borrow::Cow::Borrowed(b.as_slice())),
            Content::File(p) => fs::read(p).map(std::borrow::Cow::Owned),
        }
    }

    /// A reader over the content.
    pub fn reader(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        match self {
            Content::Memory(b) => Ok(Box::new(std::io::Cursor::new(b.as_slice()))),
            Content::File(p) => Ok(Box::new(File::open(p)?)),
        }
    }
}

/// One root-level file of an archive.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Uncompressed size.
    pub size: u64,
    /// Content.
    pub content: Content,
}

/// What an extraction produced: the root-level files by name.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    /// Files at the archive root.
    pub files: BTreeMap<String, Entry>,
    /// Scratch folder of spilled entries (removed by the caller), if any.
    pub scratch: Option<PathBuf>,
}

impl Extracted {
    /// A root-level file, if the archive had it.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.files.get(name)
    }
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

/// Extracts an archive held in `bytes`. Large entries are streamed into
/// `scratch` (created on demand).
pub fn extract(bytes: &[u8], scratch: &Path, limits: &Limits) -> Result<Extracted> {
    extract_from(std::io::Cursor::new(bytes), scratch, limits)
}

/// Extracts an archive read from `reader` (a file too large to hold in
/// memory).
pub fn extract_from<R: Read + std::io::Seek>(
    reader: R,
    scratch: &Path,
    limits: &Limits,
) -> Result<Extracted> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| {
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
    // First pass on the central directory: names, kinds, declared sizes.
    let mut declared: u64 = 0;
    let mut files: std::collections::HashMap<String, String> = Default::default();
    let mut dirs: std::collections::HashMap<String, String> = Default::default();
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
        if let Some(mode) = entry.unix_mode() {
            let kind = mode & 0o170000;
            if kind != 0 && kind != 0o100000 && kind != 0o040000 {
                return Err(unsafe_entry(
                    &name,
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
        let key = collision_key(&rel);
        // Every parent of an entry is a folder.
        let mut parent = rel.parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            let pk = collision_key(p);
            if let Some(other) = files.get(&pk) {
                return Err(unsafe_entry(
                    &name,
                    &format!("needs a folder where the archive has the file \"{other}\""),
                ));
            }
            dirs.entry(pk).or_insert_with(|| name.clone());
            parent = p.parent();
        }
        if entry.is_dir() || name.ends_with('/') {
            if let Some(other) = files.get(&key) {
                return Err(unsafe_entry(
                    &name,
                    &format!("is a folder with the name of the file \"{other}\""),
                ));
            }
            dirs.entry(key).or_insert_with(|| name.clone());
            continue;
        }
        if let Some(other) = dirs.get(&key) {
            return Err(unsafe_entry(
                &name,
                &format!("is a file with the name of the folder \"{other}\""),
            ));
        }
        if let Some(other) = files.insert(key, name.clone()) {
            return Err(if other == name {
                unsafe_entry(&name, "appears twice in the archive")
            } else {
                unsafe_entry(
                    &name,
                    &format!("has the same name as \"{other}\" once extracted"),
                )
            });
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
    let mut out = Extracted::default();
    let mut total: u64 = 0;
    // Allocated only for entries that stream (large or not kept).
    let mut buf: Vec<u8> = Vec::new();
    const CHUNK: usize = 64 * 1024;
    for i in 0..zip.len() {
        if let Some((name, entry)) = small_entry(&mut zip, i, limits, &mut total)? {
            out.files.insert(name, entry);
            continue;
        }
        let mut entry = zip.by_index(i).map_err(|e| {
            Error::bad_input(Reason::NotZip, format!("unreadable entry #{i} ({e})"))
        })?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if name.ends_with('/') {
            continue;
        }
        let rel = safe_relative(&name)?;
        let root_level = rel.components().count() == 1;
        let ratio_cap = entry
            .compressed_size()
            .saturating_mul(limits.max_ratio)
            .max(limits.ratio_threshold_bytes);
        let declared_size = entry.size();
        let mut memory: Vec<u8> = Vec::with_capacity(declared_size.min(SPILL_THRESHOLD) as usize);
        let mut spilled: Option<(PathBuf, File)> = None;
        let mut written: u64 = 0;
        loop {
            let in_memory = root_level && spilled.is_none();
            let read = if in_memory {
                // Straight into the entry's buffer: no zeroed scratch buffer.
                (&mut entry).take(CHUNK as u64).read_to_end(&mut memory)
            } else {
                if buf.is_empty() {
                    buf = vec![0u8; CHUNK];
                }
                entry.read(&mut buf)
            };
            let n = read.map_err(|e| {
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
            if !root_level {
                continue; // inflated for the checks only: nothing reads it
            }
            if in_memory && written > SPILL_THRESHOLD {
                fs::create_dir_all(scratch).map_err(|e| Error::io("cannot create", scratch, e))?;
                out.scratch = Some(scratch.to_path_buf());
                let path = scratch.join(format!("entry-{i}"));
                let mut f =
                    File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
                f.write_all(&memory)
                    .map_err(|e| Error::io("cannot write", &path, e))?;
                memory = Vec::new();
                spilled = Some((path, f));
                continue;
            }
            if let Some((path, f)) = &mut spilled {
                f.write_all(&buf[..n])
                    .map_err(|e| Error::io("cannot write", path, e))?;
            }
        }
        if root_level {
            // No fsync: scratch files are extracted again after a crash.
            let content = match spilled {
                Some((path, _)) => Content::File(path),
                None => Content::Memory(std::sync::Arc::new(memory)),
            };
            out.files.insert(
                name,
                Entry {
                    size: written,
                    content,
                },
            );
        }
    }
    Ok(out)
}

/// The fast path for a small root-level entry (stored or deflated, at most
/// [`SPILL_THRESHOLD`] bytes declared): its raw bytes are inflated with a
/// decompressor kept per thread (no state to allocate and clear per entry),
/// then its size and CRC-32 are checked. `None` when the entry takes the
/// general path.
fn small_entry<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    i: usize,
    limits: &Limits,
    total: &mut u64,
) -> Result<Option<(String, Entry)>> {
    use zip::CompressionMethod;
    let mut raw = zip
        .by_index_raw(i)
        .map_err(|e| Error::bad_input(Reason::NotZip, format!("unreadable entry #{i} ({e})")))?;
    let name = raw.name().map(|n| n.into_owned()).unwrap_or_default();
    let method = raw.compression();
    let size = raw.size();
    if raw.is_dir()
        || name.contains('/')
        || size > SPILL_THRESHOLD
        || raw.compressed_size() > SPILL_THRESHOLD
        || !matches!(
            method,
            CompressionMethod::Stored | CompressionMethod::Deflated
        )
    {
        return Ok(None);
    }
    let crc = raw.crc32();
    let ratio_cap = raw
        .compressed_size()
        .saturating_mul(limits.max_ratio)
        .max(limits.ratio_threshold_bytes);
    let corrupt = |what: &str| {
        Error::bad_input(
            Reason::NotZip,
            format!("entry \"{name}\" is corrupt or truncated ({what})"),
        )
    };
    let mut compressed = Vec::with_capacity(raw.compressed_size().min(SPILL_THRESHOLD) as usize);
    (&mut raw)
        .take(SPILL_THRESHOLD + 1)
        .read_to_end(&mut compressed)
        .map_err(|e| corrupt(&e.to_string()))?;
    let data = match method {
        CompressionMethod::Stored => compressed,
        _ => inflate(&compressed, size).map_err(|e| corrupt(&e))?,
    };
    let len = data.len() as u64;
    if len > ratio_cap {
        return Err(Error::bad_input(
            Reason::TooLarge,
            format!(
                "entry \"{name}\" inflates more than {} times its compressed size (zip bomb?)",
                limits.max_ratio
            ),
        ));
    }
    *total += len;
    if *total > limits.max_total_bytes {
        return Err(Error::bad_input(
            Reason::TooLarge,
            format!(
                "uncompressed content is over the limit of {} bytes (zip bomb?)",
                limits.max_total_bytes
            ),
        ));
    }
    if len != size {
        return Err(corrupt(&format!(
            "{len} bytes instead of the {size} declared"
        )));
    }
    if crc32fast::hash(&data) != crc {
        return Err(corrupt("CRC-32 mismatch"));
    }
    Ok(Some((
        name,
        Entry {
            size: len,
            content: Content::Memory(std::sync::Arc::new(data)),
        },
    )))
}

/// Inflates raw deflate data expected to give `size` bytes (never more
/// than `size` + 1 are produced: a lying header is caught by the caller).
fn inflate(compressed: &[u8], size: u64) -> std::result::Result<Vec<u8>, String> {
    use flate2::{Decompress, FlushDecompress, Status};
    thread_local! {
        static INFLATER: std::cell::RefCell<Decompress> = std::cell::RefCell::new(Decompress::new(false));
    }
    INFLATER.with(|cell| {
        let mut d = cell.borrow_mut();
        d.reset(false);
        let cap = (size as usize).saturating_add(1);
        let mut out = Vec::with_capacity(cap);
        loop {
            let before_in = d.total_in();
            let before_out = d.total_out();
            let consumed = before_in as usize;
            let status = d
                .decompress_vec(
                    &compressed[consumed.min(compressed.len())..],
                    &mut out,
                    FlushDecompress::Finish,
                )
                .map_err(|e| e.to_string())?;
            match status {
                Status::StreamEnd => return Ok(out),
                _ if out.len() >= cap => return Ok(out),
                _ if d.total_in() == before_in && d.total_out() == before_out => {
                    return Err("unexpected end of the compressed data".into())
                }
                _ => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn make(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (n, data) in entries {
            if n.ends_with('/') {
                w.add_directory(*n, SimpleFileOptions::default()).unwrap();
            } else {
                w.start_file(*n, SimpleFileOptions::default()).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn reason(entries: &[(&str, &[u8])]) -> Option<Reason> {
        let t = tempfile::tempdir().unwrap();
        extract(&make(entries), &t.path().join("s"), &Limits::default())
            .err()
            .and_then(|e| e.reason())
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
        let z = make(&[("message.xml", b"<a/>"), ("x.pdf", b"%PDF"), ("d/y", b"1")]);
        let x = extract(&z, &t.path().join("s"), &Limits::default()).unwrap();
        assert_eq!(x.files.len(), 2, "root-level files only");
        assert_eq!(&*x.get("x.pdf").unwrap().content.bytes().unwrap(), b"%PDF");
        assert!(x.scratch.is_none(), "small entries stay in memory");
    }

    #[test]
    fn large_entries_are_streamed_to_scratch_by_index() {
        let t = tempfile::tempdir().unwrap();
        let mut x: u32 = 2463534242;
        let big: Vec<u8> = (0..3 * SPILL_THRESHOLD as usize)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let z = make(&[("message.xml", b"<a/>"), ("big.pdf", &big)]);
        let x = extract(&z, &t.path().join("s"), &Limits::default()).unwrap();
        let e = x.get("big.pdf").unwrap();
        assert!(matches!(e.content, Content::File(_)));
        assert_eq!(e.size, big.len() as u64);
        assert_eq!(&*e.content.bytes().unwrap(), big.as_slice());
        assert!(t.path().join("s/entry-1").is_file());
    }

    #[test]
    fn names_that_collide_once_extracted_are_bad_input() {
        let u = Some(Reason::UnsafeEntry);
        assert_eq!(reason(&[("X-ent.xml", b"a"), ("X-ent.xml/", b"")]), u);
        assert_eq!(reason(&[("X-ent.xml/", b""), ("X-ent.xml", b"a")]), u);
        assert_eq!(reason(&[("X.pdf", b"a"), ("X.pdf//x.xml", b"b")]), u);
        assert_eq!(reason(&[("a//b", b"a"), ("a/b", b"b")]), u);
        assert_eq!(reason(&[("./m.xml", b"a"), ("m.xml", b"b")]), u);
        assert_eq!(reason(&[("M.xml", b"a"), ("m.xml", b"b")]), u);
        assert_eq!(reason(&[("a\\b", b"a")]), u);
        // One name in NFC and in NFD (the same name twice cannot be
        // written by the zip crate; its reader refuses it as not a ZIP).
        assert_eq!(reason(&[("\u{e9}.pdf", b"a"), ("e\u{301}.pdf", b"b")]), u);
        assert_eq!(reason(&[("D\u{c9}/x", b"a"), ("de\u{301}/y", b"b")]), None);
        // An ASCII folder and a non-ASCII name in it, each part folded.
        assert_eq!(
            reason(&[("D/\u{c9}.pdf", b"a"), ("d/e\u{301}.pdf", b"b")]),
            u
        );
        assert_eq!(reason(&[("d/", b""), ("d/x", b"a"), ("e", b"b")]), None);
    }

    #[test]
    fn limits_entries_total_and_ratio() {
        let t = tempfile::tempdir().unwrap();
        let z = make(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let l = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        assert_eq!(
            extract(&z, t.path(), &l).unwrap_err().reason(),
            Some(Reason::TooLarge)
        );
        let zeros = vec![0u8; 3 * 1024 * 1024];
        let z = make(&[("z", &zeros)]);
        let l = Limits {
            max_total_bytes: 1024 * 1024,
            ..Limits::default()
        };
        assert_eq!(
            extract(&z, t.path(), &l).unwrap_err().reason(),
            Some(Reason::TooLarge)
        );
        let e = extract(&z, t.path(), &Limits::default()).unwrap_err();
        assert!(e.message.contains("zip bomb"), "{e}");
    }

    #[test]
    fn refuses_devices_pipes_and_sockets() {
        for kind in [0o020000u32, 0o060000, 0o010000, 0o140000] {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            w.start_file("dev", SimpleFileOptions::default().unix_permissions(0o644))
                .unwrap();
            w.write_all(b"x").unwrap();
            let mut z = w.finish().unwrap().into_inner();
            // The mode is in the high half of the central directory's
            // external attributes (offset 38 of its file header).
            let at = z
                .windows(4)
                .position(|b| b == b"PK\x01\x02")
                .expect("central directory");
            z[at + 5] = 3; // made by Unix
            z[at + 38..at + 42].copy_from_slice(&((kind | 0o644) << 16).to_le_bytes());
            let t = tempfile::tempdir().unwrap();
            let e = extract(&z, &t.path().join("o"), &Limits::default()).unwrap_err();
            assert_eq!(e.reason(), Some(Reason::UnsafeEntry), "{kind:o}");
            assert!(e.message.contains("special file"), "{e}");
        }
    }

    #[test]
    fn refuses_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.add_symlink("message.xml", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
        let z = w.finish().unwrap().into_inner();
        let e = extract(&z, &t.path().join("o"), &Limits::default()).unwrap_err();
        assert_eq!(e.reason(), Some(Reason::UnsafeEntry));
        assert!(e.message.contains("symbolic link"), "{e}");
        assert!(!t.path().join("o").exists(), "nothing written");
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(
            extract(
                b"not a zip at all",
                Path::new("/nonexistent"),
                &Limits::default()
            )
            .unwrap_err()
            .reason(),
            Some(Reason::NotZip)
        );
    }
}
