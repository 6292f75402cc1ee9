//! The archive packed: its entries in order, the ZIP bytes (streamed in
//! the portal's style), the careful write into a folder, and a zip bomb.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;

use crate::archive::{Archive, Style};

impl Archive {
    /// The entries of the ZIP, in order.
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut v = vec![
            (
                "message.xml".to_string(),
                self.message_override
                    .clone()
                    .unwrap_or_else(|| self.encode(&self.message_xml())),
            ),
            (self.ent_name(), self.encode(&self.ent_xml())),
            (self.document_file.clone(), self.encode(&self.document)),
        ];
        for a in &self.attachments {
            v.push((a.file.clone(), a.bytes.clone()));
        }
        for (_, file, bytes) in &self.pdf_documents {
            v.push((file.clone(), bytes.clone()));
        }
        if self.style == Style::Portal {
            // Not the envelope's order: the files first, message.xml last.
            v.rotate_left(1);
        }
        v.retain(|(n, _)| !self.omit.contains(n));
        v.extend(self.extra.iter().cloned());
        v
    }

    /// The ZIP bytes. In the portal's style the entries are streamed, as
    /// the portal writes them: sizes and CRC in data descriptors (flag
    /// 0x08); non-ASCII names carry the UTF-8 flag (0x800) in both styles.
    pub fn to_zip(&self) -> Vec<u8> {
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        match self.style {
            Style::Seed => {
                let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
                for (name, bytes) in self.entries() {
                    w.start_file(name, opts).expect("zip entry");
                    w.write_all(&bytes).expect("zip write");
                }
                w.finish().expect("zip finish").into_inner()
            }
            Style::Portal => {
                let mut w = zip::ZipWriter::new_stream(Vec::new());
                for (name, bytes) in self.entries() {
                    w.start_file(name, opts).expect("zip entry");
                    w.write_all(&bytes).expect("zip write");
                }
                w.finish().expect("zip finish").into_inner()
            }
        }
    }

    /// Writes the archive into `dir` the way a careful transport does
    /// (temporary name, then rename). Returns its path.
    pub fn write_to(&self, dir: &Path) -> io::Result<PathBuf> {
        let path = dir.join(self.file_name());
        let tmp = dir.join(format!("{}.part", self.file_name()));
        let bytes = if self.not_zip {
            b"this is not a ZIP archive: the download stopped here\n".to_vec()
        } else {
            self.to_zip()
        };
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// Writes a ZIP whose single entry inflates to `size` zero bytes, declared
/// honestly (a classic zip bomb), streaming so memory stays small.
pub fn write_zip_bomb(path: &Path, entry: &str, size: u64) -> io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut w = zip::ZipWriter::new(f);
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(size >= u32::MAX as u64);
    w.start_file(entry, opts)?;
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    w.finish()?;
    Ok(())
}
