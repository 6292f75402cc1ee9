//! Windows semantics of the moves msp relies on, not Unix ones pretending.
//!
//! * The claim and every move into done, error or input is one
//!   `MoveFileExW` without `MOVEFILE_REPLACE_EXISTING`: of several processes
//!   only one moves an archive, and a taken name fails with
//!   `ERROR_ALREADY_EXISTS` (`io::ErrorKind::AlreadyExists`), never
//!   overwrites. `MOVEFILE_WRITE_THROUGH` makes the move durable before the
//!   call returns (NTFS has no directory fsync: this is the promise there).
//! * A file held open by an antivirus, the indexer or a backup tool fails a
//!   move or a removal with a sharing violation for a moment: it is retried
//!   with a growing pause, and only then reported (as trouble naming the
//!   file: the archive stays to be retried, it is never bad input).

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use windows_sys::Win32::Storage::FileSystem::{
    MoveFileExW, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH,
};

/// `ERROR_SHARING_VIOLATION` and `ERROR_LOCK_VIOLATION`.
const SHARING: [i32; 2] = [32, 33];

/// The pauses between attempts while a file is held (about 6 s in all).
const PAUSES_MS: [u64; 7] = [50, 100, 200, 400, 800, 1600, 3200];

/// Whether `e` says another process holds the file for a moment.
pub(crate) fn is_sharing_violation(e: &io::Error) -> bool {
    e.raw_os_error().is_some_and(|c| SHARING.contains(&c))
}

/// Runs `op`, again after a pause while it fails with a sharing violation.
pub(crate) fn retry_while_held<T>(mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    for pause in PAUSES_MS {
        match op() {
            Err(e) if is_sharing_violation(&e) => std::thread::sleep(Duration::from_millis(pause)),
            other => return other,
        }
    }
    op()
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// Moves `src` to `dst` without ever replacing `dst`.
pub(crate) fn move_noreplace(src: &Path, dst: &Path) -> io::Result<()> {
    move_file(src, dst, MOVEFILE_WRITE_THROUGH)
}

/// Moves `src` over `dst` (a temporary file put in place), write-through.
pub(crate) fn move_replacing(src: &Path, dst: &Path) -> io::Result<()> {
    move_file(src, dst, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
}

/// One `MoveFileExW` with `flags`, retried while the file is held.
fn move_file(src: &Path, dst: &Path, flags: u32) -> io::Result<()> {
    let (from, to) = (wide(src), wide(dst));
    retry_while_held(|| {
        // SAFETY: two NUL-terminated UTF-16 strings that outlive the call.
        #[allow(unsafe_code)]
        let ok = unsafe { MoveFileExW(from.as_ptr(), to.as_ptr(), flags) };
        if ok == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    })
}

/// Whether the process `pid` is running: one that cannot be opened for lack
/// of rights is taken as running, one that has exited (or a pid no process
/// holds) as gone.
pub(crate) fn process_alive(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::{
        CloseHandle, GetLastError, ERROR_ACCESS_DENIED, STILL_ACTIVE,
    };
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: a handle checked before use and closed once; `code` outlives
    // the call that writes it.
    #[allow(unsafe_code)]
    unsafe {
        let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if handle.is_null() {
            return GetLastError() == ERROR_ACCESS_DENIED;
        }
        let mut code = 0u32;
        let ok = GetExitCodeProcess(handle, &mut code);
        CloseHandle(handle);
        ok == 0 || code == STILL_ACTIVE as u32
    }
}
