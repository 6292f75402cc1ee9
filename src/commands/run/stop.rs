//! `msp run` stopping as systemd and supervisors expect: the first SIGTERM
//! or SIGINT asks the synchronisation to stop after the archives in hand
//! (it writes its log, and `--every` does not start another); a second
//! one ends the process at once (exit 143 or 130: what was in hand is in
//! work, recovered by the next run). Handlers are installed even where
//! SIGINT was inherited ignored (a shell script's background job).
//!
//! On Windows the same promise holds for the console's Ctrl-C and
//! Ctrl-Break: the first asks to stop after the archives in hand, a second
//! ends the process at once (exit 130). Closing the console window, or a
//! task ended by the Task Scheduler, ends the process outright (Windows
//! gives no time to finish): the next run recovers what it held, as after
//! a kill -9.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

/// Set by the first signal; the synchronisation checks it between
/// archives and batches (`Synchronizer::with_stop`).
pub static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The first signal received (0: none; on Windows the console event + 1).
#[cfg_attr(not(any(unix, windows)), allow(dead_code))]
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Whether the first signal is acknowledged on stderr (not with -q).
static QUIET: AtomicBool = AtomicBool::new(false);

/// The write end of the pipe that wakes [`sleep`] (-1: none).
#[cfg_attr(not(unix), allow(dead_code))]
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// The read end of that pipe.
#[cfg(unix)]
static WOKEN: std::sync::OnceLock<std::os::unix::net::UnixStream> = std::sync::OnceLock::new();

/// Asks the synchronisation to stop after the archives in hand, as a first
/// signal does (the Windows service's Stop and Shutdown controls).
#[cfg_attr(not(windows), allow(dead_code))]
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The signal that asked to stop, by name.
pub fn signal_name() -> &'static str {
    #[cfg(unix)]
    match SIGNAL.load(Ordering::SeqCst) {
        libc::SIGTERM => return "SIGTERM",
        libc::SIGINT => return "SIGINT",
        _ => {}
    }
    #[cfg(windows)]
    if let Some(name) = console::name(SIGNAL.load(Ordering::SeqCst)) {
        return name;
    }
    "a signal"
}

/// Installs the handlers of SIGTERM and SIGINT (once, before the run).
#[cfg(unix)]
pub fn install(quiet: bool) -> std::io::Result<()> {
    use std::os::fd::IntoRawFd;
    QUIET.store(quiet, Ordering::SeqCst);
    if WOKEN.get().is_none() {
        let (woken, wake) = std::os::unix::net::UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        // Kept open for the life of the process.
        WAKE.store(wake.into_raw_fd(), Ordering::SeqCst);
        let _ = WOKEN.set(woken);
    }
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the action only does what a signal handler may
        // (atomics, write(2), _exit(2)); see `on_signal`.
        unsafe { signal_hook_registry::register(signal, move || on_signal(signal)) }?;
    }
    Ok(())
}

/// Installs the console handler (Ctrl-C, Ctrl-Break).
#[cfg(windows)]
pub fn install(quiet: bool) -> std::io::Result<()> {
    QUIET.store(quiet, Ordering::SeqCst);
    console::install()
}

/// Neither Unix nor Windows: Ctrl-C ends the process as before.
#[cfg(not(any(unix, windows)))]
pub fn install(quiet: bool) -> std::io::Result<()> {
    QUIET.store(quiet, Ordering::SeqCst);
    Ok(())
}

/// The Windows console's events, as the Unix signals above.
#[cfg(windows)]
mod console {
    use super::{Ordering, QUIET, REQUESTED, SIGNAL};
    use windows_sys::Win32::System::Console::{
        SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT,
    };

    /// The event's name for `SIGNAL`'s value (event + 1).
    pub(super) fn name(stored: i32) -> Option<&'static str> {
        match u32::try_from(stored - 1).ok()? {
            CTRL_C_EVENT => Some("Ctrl-C"),
            CTRL_BREAK_EVENT => Some("Ctrl-Break"),
            _ => None,
        }
    }

    pub(super) fn install() -> std::io::Result<()> {
        // SAFETY: a handler with the signature Windows expects, for the
        // life of the process.
        if unsafe { SetConsoleCtrlHandler(Some(on_event), 1) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Runs on a thread Windows creates: ordinary code is allowed.
    unsafe extern "system" fn on_event(event: u32) -> i32 {
        let Some(name) = name(event as i32 + 1) else {
            return 0;
        };
        if SIGNAL
            .compare_exchange(0, event as i32 + 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            eprintln!("msp: second {name}: stopped at once (the archives in hand are in work; the next run recovers them)");
            std::process::exit(130);
        }
        REQUESTED.store(true, Ordering::SeqCst);
        if !QUIET.load(Ordering::SeqCst) {
            eprintln!(
                "msp: {name}: stopping after the archives in hand (a second Ctrl-C stops at once)"
            );
        }
        1
    }
}

/// The handler: async-signal-safe calls only.
#[cfg(unix)]
fn on_signal(signal: i32) {
    fn say(text: &[u8]) {
        // SAFETY: write(2) on stderr from a signal handler.
        unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
    }
    if SIGNAL
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        say(b"msp: second signal: stopped at once (the archives in hand are in work; the next run recovers them)\n");
        // SAFETY: _exit(2) is async-signal-safe.
        unsafe { libc::_exit(128 + signal) };
    }
    REQUESTED.store(true, Ordering::SeqCst);
    if !QUIET.load(Ordering::SeqCst) {
        say(if signal == libc::SIGTERM {
            b"msp: SIGTERM: stopping after the archives in hand (a second signal stops at once)\n"
        } else {
            b"msp: SIGINT: stopping after the archives in hand (a second signal stops at once)\n"
        });
    }
    let fd = WAKE.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: write(2) of one byte on a non-blocking socket.
        unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
    }
}

/// Sleeps `duration`, or until a stop is requested; true when it is.
pub fn sleep(duration: Duration) -> bool {
    let deadline = std::time::Instant::now() + duration;
    loop {
        if requested() {
            return true;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        #[cfg(unix)]
        if let Some(woken) = WOKEN.get() {
            // Woken by the handler's byte, the timeout or EINTR.
            let _ = woken.set_read_timeout(Some(left));
            let _ = std::io::Read::read(&mut &*woken, &mut [0u8; 16]);
            continue;
        }
        std::thread::sleep(left.min(Duration::from_millis(200)));
    }
}
