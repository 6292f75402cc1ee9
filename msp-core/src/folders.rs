//! The folders of PROTOCOL §2, the claim of an archive, safe moves and the
//! recovery of what an interrupted run left in work.
//!
//! The claim moves the archive from input into work with a rename that
//! never overwrites (so of several processes only one gets it); the
//! claimer then holds an exclusive lock on the claimed file for as long as
//! it works on it. Recovery skips locked files (another live run owns them) and puts
//! the others back into input. Moves never overwrite: a name already taken
//! in the destination gets a distinct one.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The folders one installation works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    /// Archives received from the portal (`entree`).
    pub input: PathBuf,
    /// Archives being processed and their extracted files (`travail`).
    pub work: PathBuf,
    /// Return-flow archives for the portal (`sortie`).
    pub output: PathBuf,
    /// Rejected archives with their logs (`erreur`).
    pub error: PathBuf,
    /// Imported archives (`termine`).
    pub done: PathBuf,
    /// One log per synchronisation (`logs`).
    pub logs: PathBuf,
    /// Attachments stored outside the database (`pieces`).
    pub attachments: PathBuf,
}

impl Folders {
    /// All folders with their role, for messages.
    pub fn all(&self) -> [(&'static str, &Path); 7] {
        [
            ("input", &self.input),
            ("work", &self.work),
            ("output", &self.output),
            ("error", &self.error),
            ("done", &self.done),
            ("logs", &self.logs),
            ("attachments", &self.attachments),
        ]
    }

    /// Creates missing folders.
    pub fn ensure(&self) -> Result<()> {
        for (role, p) in self.all() {
            fs::create_dir_all(p).map_err(|e| {
                Error::trouble(format!(
                    "cannot create the {role} folder {}: {e}",
                    p.display()
                ))
            })?;
        }
        Ok(())
    }
}

/// An archive claimed into work, locked for as long as this value lives.
#[derive(Debug)]
pub struct Claim {
    /// Its path in work.
    pub path: PathBuf,
    /// Its file name.
    pub name: String,
    lock: File,
}

impl Claim {
    /// The extraction folder of this archive.
    pub fn extraction_dir(&self) -> PathBuf {
        extraction_dir(&self.path)
    }

    /// The claimed file, open for reading.
    pub fn file(&self) -> &File {
        &self.lock
    }

    /// Releases the lock (the file itself is moved by the caller): closing
    /// the file releases it.
    pub fn release(self) {
        drop(self.lock);
    }
}

fn extraction_dir(archive_in_work: &Path) -> PathBuf {
    let mut s = archive_in_work.as_os_str().to_owned();
    s.push(".d");
    PathBuf::from(s)
}

/// Renames `src` to `dst` atomically, failing with `AlreadyExists` when
/// `dst` exists (never overwrites). Linux: one `renameat2(RENAME_NOREPLACE)`;
/// Windows: one `MoveFileExW` without `MOVEFILE_REPLACE_EXISTING`, retried
/// while an antivirus or the indexer holds the file (`win_fs`); elsewhere,
/// or on file systems without it: link, then unlink.
pub fn rename_noreplace(src: &Path, dst: &Path) -> io::Result<()> {
    #[cfg(windows)]
    {
        crate::win_fs::move_noreplace(src, dst)
    }
    #[cfg(not(windows))]
    {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{renameat_with, RenameFlags, CWD};
            match renameat_with(CWD, src, CWD, dst, RenameFlags::NOREPLACE) {
                Ok(()) => return Ok(()),
                Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
                Err(e) => return Err(e.into()),
            }
        }
        fs::hard_link(src, dst)?;
        fs::remove_file(src)
    }
}

/// Renames `src` over `dst` (replacing it: a temporary file put in place).
/// On Windows, one write-through `MoveFileExW`, retried while an antivirus
/// or the indexer holds either file.
pub fn rename_replacing(src: &Path, dst: &Path) -> io::Result<()> {
    #[cfg(windows)]
    {
        crate::win_fs::move_replacing(src, dst)
    }
    #[cfg(not(windows))]
    {
        fs::rename(src, dst)
    }
}

/// Removes a file of msp's folders. On Windows, retried while an antivirus
/// or the indexer holds it open (a sharing violation), as moves are.
pub fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref();
    #[cfg(windows)]
    {
        crate::win_fs::retry_while_held(|| fs::remove_file(path))
    }
    #[cfg(not(windows))]
    {
        fs::remove_file(path)
    }
}

/// Claims `input/name` into work. `Ok(None)` when another process took it first.
pub fn claim(folders: &Folders, name: &str) -> Result<Option<Claim>> {
    let src = folders.input.join(name);
    let dst = folders.work.join(name);
    // Moved by an atomic rename that never overwrites: of several processes
    // only one moves it. Until it holds the lock, a recovery by another
    // process may put it back into input: the checks below see that.
    match rename_noreplace(&src, &dst) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(Error::io("cannot claim (move into work)", &src, e)),
    }
    let lock = match File::open(&dst) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot open", &dst, e)),
    };
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Ok(None),
        Err(fs::TryLockError::Error(e)) => return Err(Error::io("cannot lock", &dst, e)),
    }
    // A recovery may have moved it back between the move and the lock:
    // check it is still there.
    if !dst.exists() {
        return Ok(None);
    }
    restrict_others(&lock);
    Ok(Some(Claim {
        path: dst,
        name: name.to_string(),
        lock,
    }))
}

/// Opens one of msp's own files (in error, done, output, attachments)
/// for reading without following a symbolic link: a link put there (to
/// `/etc/shadow`, to another town's archive) is refused, never read,
/// shown, served or uploaded. On Unix the refusal is atomic (`O_NOFOLLOW`,
/// no window between a check and the opening); the file must be a regular
/// file.
pub fn open_own(path: &Path) -> Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(
            rustix::fs::OFlags::NOFOLLOW.bits() as i32 | rustix::fs::OFlags::NONBLOCK.bits() as i32,
        );
    }
    #[cfg(not(unix))]
    if is_link(path) {
        return Err(link_refused(path));
    }
    let file = match options.open(path) {
        Ok(f) => f,
        // ELOOP: the last component is a link.
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(link_refused(path))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(
                Error::not_found(format!("{} is no longer there", path.display()))
                    .with_french(format!("Le fichier {} n'est plus là.", file_name(path))),
            )
        }
        Err(e) => return Err(Error::io("cannot open", path, e)),
    };
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err(refused(path, "not a regular file", "un fichier spécial")),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

/// Reads one of msp's own text files (see [`open_own`]).
pub fn read_own(path: &Path) -> Result<String> {
    let mut text = String::new();
    io::Read::read_to_string(&mut open_own(path)?, &mut text)
        .map_err(|e| Error::io("cannot read", path, e))?;
    Ok(text)
}

/// The trouble of a symbolic link found in one of msp's folders, named:
/// never followed, read, shown, served, moved or uploaded.
pub fn link_refused(path: &Path) -> Error {
    refused(path, "a symbolic link", "un lien symbolique")
}

fn refused(path: &Path, what: &str, what_fr: &str) -> Error {
    Error::trouble(format!(
        "{} is {what}: msp never follows links nor reads special files in its folders (remove it)",
        path.display()
    ))
    .with_french(format!(
        "Le fichier {} est {what_fr} : msp ne le suit pas (ni ne l'affiche, ni ne l'envoie). Un administrateur doit vérifier le dossier {}.",
        file_name(path),
        path.parent().map(|p| p.display().to_string()).unwrap_or_default()
    ))
}

/// A path's last component, for messages.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Whether `path` is a symbolic link (not followed).
pub fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Makes a folder's entries durable (its renames and creations); best
/// effort, where the platform can.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Takes away the permissions of "others" from a claimed archive (citizens'
/// personal data, kept in done or error afterwards): the transport may have
/// written it world-readable. Best effort: an archive owned by another
/// account cannot be changed, and that is no reason to refuse it.
#[cfg(unix)]
fn restrict_others(file: &File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = file.metadata() {
        let mode = meta.permissions().mode();
        if mode & 0o007 != 0 {
            let _ = file.set_permissions(fs::Permissions::from_mode(mode & 0o7770));
        }
    }
}

#[cfg(not(unix))]
fn restrict_others(_file: &File) {}

/// Moves `src` into `dir` under `name`, never overwriting: a taken name gets
/// `~2`, `~3`... before `.zip`. Returns the final path.
pub fn move_into(src: &Path, dir: &Path, name: &str) -> Result<PathBuf> {
    for attempt in 1u32.. {
        let candidate = if attempt == 1 {
            name.to_string()
        } else {
            match name.strip_suffix(".zip") {
                Some(stem) => format!("{stem}~{attempt}.zip"),
                None => format!("{name}~{attempt}"),
            }
        };
        let dst = dir.join(&candidate);
        match rename_noreplace(src, &dst) {
            Ok(()) => return Ok(dst),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if same_file(src, &dst) {
                    remove_file(src).map_err(|e| Error::io("cannot remove", src, e))?;
                    return Ok(dst);
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
                return copy_across(src, dir, name);
            }
            Err(e) => {
                return Err(
                    Error::io("cannot move", src, e).context(format!("into {}", dir.display()))
                )
            }
        }
    }
    unreachable!("u32 attempts exhausted")
}

/// Cross-device move: copy to a temporary name in `dir`, sync, link it
/// under its final name there, and only then remove the source.
fn copy_across(src: &Path, dir: &Path, name: &str) -> Result<PathBuf> {
    let tmp = dir.join(format!(".{name}.{}.copy", std::process::id()));
    fs::copy(src, &tmp).map_err(|e| Error::io("cannot copy", src, e))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io("cannot sync", &tmp, e))?;
    let dst = move_into(&tmp, dir, name)?;
    remove_file(src).map_err(|e| Error::io("cannot remove", src, e))?;
    Ok(dst)
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_a: &Path, _b: &Path) -> bool {
    false
}

/// Puts back into input what an interrupted run left in work (archives not
/// locked by a live run) and removes stale extraction folders. Returns the
/// names recovered.
pub fn recover(folders: &Folders) -> Result<Vec<String>> {
    let mut recovered = Vec::new();
    let entries =
        fs::read_dir(&folders.work).map_err(|e| Error::io("cannot read", &folders.work, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("cannot read", &folders.work, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".zip") || name.starts_with('.') || !path.is_file() {
            continue;
        }
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(_) => continue,
        };
        if f.try_lock().is_err() {
            continue; // a live run owns it
        }
        let _ = fs::remove_dir_all(extraction_dir(&path));
        move_into(&path, &folders.input, &name)?;
        drop(f);
        recovered.push(name);
    }
    // Extraction folders whose archive is gone (crash after the move).
    for entry in fs::read_dir(&folders.work)
        .map_err(|e| Error::io("cannot read", &folders.work, e))?
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(archive) = name.strip_suffix(".d") {
            if path.is_dir() && !folders.work.join(archive).exists() {
                let _ = fs::remove_dir_all(&path);
            }
        }
    }
    Ok(recovered)
}

/// Removes an extraction folder, ignoring a missing one.
pub fn remove_dir(dir: &Path) {
    let _ = fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(root: &Path) -> Folders {
        let f = Folders {
            input: root.join("entree"),
            work: root.join("travail"),
            output: root.join("sortie"),
            error: root.join("erreur"),
            done: root.join("termine"),
            logs: root.join("logs"),
            attachments: root.join("pieces"),
        };
        f.ensure().unwrap();
        f
    }

    #[test]
    fn claim_is_exclusive_and_recovery_skips_live_claims() {
        let t = tempfile::tempdir().unwrap();
        let f = folders(t.path());
        fs::write(f.input.join("a.zip"), b"x").unwrap();
        let c = claim(&f, "a.zip").unwrap().unwrap();
        assert!(!f.input.join("a.zip").exists());
        assert!(claim(&f, "a.zip").unwrap().is_none());
        assert!(
            recover(&f).unwrap().is_empty(),
            "locked claim must not be recovered"
        );
        drop(c);
        assert_eq!(recover(&f).unwrap(), vec!["a.zip".to_string()]);
        assert!(f.input.join("a.zip").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_claimed_archive_is_not_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let f = folders(t.path());
        let a = f.input.join("a.zip");
        fs::write(&a, b"x").unwrap();
        fs::set_permissions(&a, fs::Permissions::from_mode(0o644)).unwrap();
        let c = claim(&f, "a.zip").unwrap().unwrap();
        let mode = fs::metadata(&c.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn moves_never_overwrite() {
        let t = tempfile::tempdir().unwrap();
        let f = folders(t.path());
        fs::write(f.done.join("a.zip"), b"first").unwrap();
        fs::write(f.work.join("a.zip"), b"second").unwrap();
        let p = move_into(&f.work.join("a.zip"), &f.done, "a.zip").unwrap();
        assert_eq!(p, f.done.join("a~2.zip"));
        assert_eq!(fs::read(f.done.join("a.zip")).unwrap(), b"first");
        assert_eq!(fs::read(p).unwrap(), b"second");
    }
}
