//! Safe ZIP extraction into memory.
//!
//! An archive is read from a byte buffer (the claimed file, read once: the
//! same bytes are hashed). Names are checked on the central directory first
//! (`extract/directory.rs`): absolute names, `..`, drive letters, backslashes, symlinks and other
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
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Reason, Result};

mod directory;
use directory::{check_directory, safe_relative};

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
    let mut zip = open(reader, limits)?;
    check_directory(&mut zip, limits)?;
    let mut inflating = Inflating {
        scratch,
        limits,
        total: 0,
        buf: Vec::new(),
        out: Extracted::default(),
    };
    for i in 0..zip.len() {
        if let Some((name, entry)) = small_entry(&mut zip, i, limits, &mut inflating.total)? {
            inflating.out.files.insert(name, entry);
            continue;
        }
        inflating.entry(&mut zip, i)?;
    }
    Ok(inflating.out)
}

/// Opens the archive's central directory and checks the number of entries.
fn open<R: Read + std::io::Seek>(reader: R, limits: &Limits) -> Result<zip::ZipArchive<R>> {
    let zip = zip::ZipArchive::new(reader).map_err(|e| {
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
    Ok(zip)
}

/// The chunk the general path inflates at a time.
const CHUNK: usize = 64 * 1024;

/// The general path: entries inflated chunk by chunk, checked against the
/// limits as they grow; a root-level entry is kept (spilled to a scratch
/// file past [`SPILL_THRESHOLD`]), a deeper one inflated for the checks only.
struct Inflating<'a> {
    scratch: &'a Path,
    limits: &'a Limits,
    /// Bytes inflated so far, all entries.
    total: u64,
    /// Allocated only for entries that stream (large or not kept).
    buf: Vec<u8>,
    out: Extracted,
}

/// One entry on the general path: in memory, or spilled to its scratch file.
struct Inflated {
    memory: Vec<u8>,
    spilled: Option<(PathBuf, File)>,
    written: u64,
}

impl Inflating<'_> {
    /// Inflates entry `i`, keeping it when it is at the archive's root.
    fn entry<R: Read + std::io::Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        i: usize,
    ) -> Result<()> {
        let mut entry = zip.by_index(i).map_err(|e| {
            Error::bad_input(Reason::NotZip, format!("unreadable entry #{i} ({e})"))
        })?;
        if entry.is_dir() {
            return Ok(());
        }
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if name.ends_with('/') {
            return Ok(());
        }
        let rel = safe_relative(&name)?;
        let root_level = rel.components().count() == 1;
        let ratio_cap = entry
            .compressed_size()
            .saturating_mul(self.limits.max_ratio)
            .max(self.limits.ratio_threshold_bytes);
        let declared_size = entry.size();
        let mut inflated = Inflated {
            memory: Vec::with_capacity(declared_size.min(SPILL_THRESHOLD) as usize),
            spilled: None,
            written: 0,
        };
        loop {
            let in_memory = root_level && inflated.spilled.is_none();
            let n = self.read_chunk(&mut entry, &mut inflated.memory, in_memory, &name)?;
            if n == 0 {
                break;
            }
            inflated.written += n as u64;
            self.total += n as u64;
            self.check_growth(inflated.written, ratio_cap, &name)?;
            if !root_level {
                continue; // inflated for the checks only: nothing reads it
            }
            if in_memory && inflated.written > SPILL_THRESHOLD {
                self.spill(&mut inflated, i)?;
                continue;
            }
            if let Some((path, f)) = &mut inflated.spilled {
                f.write_all(&self.buf[..n])
                    .map_err(|e| Error::io("cannot write", path, e))?;
            }
        }
        if root_level {
            // No fsync: scratch files are extracted again after a crash.
            let content = match inflated.spilled {
                Some((path, _)) => Content::File(path),
                None => Content::Memory(std::sync::Arc::new(inflated.memory)),
            };
            let size = inflated.written;
            self.out.files.insert(name, Entry { size, content });
        }
        Ok(())
    }

    /// Reads the next chunk of an entry: into its own buffer while it is
    /// kept in memory, else into the shared one.
    fn read_chunk(
        &mut self,
        entry: &mut impl Read,
        memory: &mut Vec<u8>,
        in_memory: bool,
        name: &str,
    ) -> Result<usize> {
        let read = if in_memory {
            // Straight into the entry's buffer: no zeroed scratch buffer.
            (&mut *entry).take(CHUNK as u64).read_to_end(memory)
        } else {
            if self.buf.is_empty() {
                self.buf = vec![0u8; CHUNK];
            }
            entry.read(&mut self.buf)
        };
        read.map_err(|e| {
            Error::bad_input(
                Reason::NotZip,
                format!("entry \"{name}\" is corrupt or truncated ({e})"),
            )
        })
    }

    /// Stops an entry that inflates past its ratio, or the archive past its
    /// total (a zip bomb is stopped at the limit).
    fn check_growth(&self, written: u64, ratio_cap: u64, name: &str) -> Result<()> {
        if written > ratio_cap {
            return Err(Error::bad_input(
                Reason::TooLarge,
                format!(
                    "entry \"{name}\" inflates more than {} times its compressed size (zip bomb?)",
                    self.limits.max_ratio
                ),
            ));
        }
        if self.total > self.limits.max_total_bytes {
            return Err(Error::bad_input(
                Reason::TooLarge,
                format!(
                    "uncompressed content is over the limit of {} bytes (zip bomb?)",
                    self.limits.max_total_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Moves an entry grown past [`SPILL_THRESHOLD`] from memory to its
    /// scratch file, named by its index.
    fn spill(&mut self, inflated: &mut Inflated, i: usize) -> Result<()> {
        let scratch = self.scratch;
        fs::create_dir_all(scratch).map_err(|e| Error::io("cannot create", scratch, e))?;
        self.out.scratch = Some(scratch.to_path_buf());
        let path = scratch.join(format!("entry-{i}"));
        let mut f = File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
        f.write_all(&inflated.memory)
            .map_err(|e| Error::io("cannot write", &path, e))?;
        inflated.memory = Vec::new();
        inflated.spilled = Some((path, f));
        Ok(())
    }
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
mod tests;
