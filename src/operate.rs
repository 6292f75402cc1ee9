//! The operators' commands: `msp status`, `msp errors ...`, `msp purge`,
//! and the progress bar of `msp run`.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use msp_core::backend::Backend;
use msp_core::ops::{self, DatabaseFigures};
use msp_core::Config;
use serde_json::json;

/// Archives from which `msp run` draws a progress bar.
const PROGRESS_FROM: u64 = 50;

/// The progress bar of `msp run`: on stderr, only when stderr is a
/// terminal and the run has more than a few dozen archives.
#[derive(Default)]
pub struct Bar(Mutex<Option<indicatif::ProgressBar>>);

impl msp_core::sync::Progress for Bar {
    fn start(&self, archives: u64) {
        if archives < PROGRESS_FROM || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(archives),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} archives, {per_sec}, {eta} left ({msg})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("importing");
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

/// Opens every client's database once (several towns may share one),
/// with its tables brought up to date as `msp run` does (a new
/// installation's database has none yet).
fn databases(
    config: &Config,
    registry: &msp_plugins::Registry,
) -> (Vec<Arc<dyn Backend>>, Vec<String>) {
    use msp_core::backend::Connector;
    let connector = db_backends::AutoInit::new(registry);
    let mut seen = std::collections::HashSet::new();
    let mut open = Vec::new();
    let mut failed = Vec::new();
    for client in &config.clients {
        if !seen.insert(client.database.clone()) {
            continue;
        }
        match connector.connect(client, &config.root) {
            Ok(b) => open.push(b),
            Err(e) => failed.push(crate::cli::of_client(&client.name, &e)),
        }
    }
    (open, failed)
}

/// `msp status`: exit 0 OK, 1 warning, 2 critical.
pub fn status(
    config: &Config,
    registry: &msp_plugins::Registry,
    as_json: bool,
    prometheus: Option<(&Path, u32)>,
) -> Result<i32> {
    let (backends, unreachable) = databases(config, registry);
    let mut figures = DatabaseFigures {
        unreachable,
        ..DatabaseFigures::default()
    };
    for b in &backends {
        if let Err(e) = figures.add(b.as_ref()) {
            figures.unreachable.push(format!("{}: {e}", b.describe()));
        }
    }
    let clients: Vec<String> = config.clients.iter().map(|c| c.name.clone()).collect();
    let input = ops::InputRules {
        flows: &registry.codes(),
        settle_seconds: config.settle_seconds,
    };
    let health = ops::health(&config.folders, &clients, &config.status, &figures, &input);
    if let Some((path, mode)) = prometheus {
        // Written aside then renamed: the collector never reads half a file.
        let tmp = path.with_extension("prom.tmp");
        // Made anew, never through a file or link left there (the folder
        // is often shared with the collector's account), with its mode set
        // explicitly (the umask would make it 0600): 0644 for a collector
        // running as another account.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = options.open(&tmp)?;
        std::io::Write::write_all(&mut f, health.prometheus().as_bytes())?;
        #[cfg(unix)]
        {
            // The umask narrows what `mode` asked for.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        drop(f);
        std::fs::rename(&tmp, path)?;
    }
    if as_json {
        println!("{}", crate::cli::json_text(&health)?);
    } else {
        // The first line as Nagios plugins write it (status, why, and the
        // figures after `|`), then one line per check.
        println!("{}", health.nagios(&config.status));
        for c in &health.checks {
            // One line each, whatever a server's words hold.
            println!("{:<8} {}", c.level.word(), msp_core::display::line(&c.text));
        }
    }
    Ok(health.level.code())
}

/// `msp errors list`.
pub fn errors_list(config: &Config, as_json: bool) -> Result<i32> {
    let list = ops::rejected(&config.folders)?;
    if as_json {
        println!("{}", crate::cli::json_text(&list)?);
        return Ok(0);
    }
    if list.is_empty() {
        println!("no rejected archive in {}", config.folders.error.display());
    }
    for r in &list {
        let line = format!(
            "{}  {:<40} {}",
            r.rejected_at.format("%Y-%m-%d %H:%M"),
            r.name,
            r.reason
        );
        println!("{}", msp_core::display::line(&line));
    }
    Ok(0)
}

/// `msp errors show NAME`.
pub fn errors_show(config: &Config, name: &str) -> Result<i32> {
    // Its lines as written, but no character that would drive the
    // terminal (the archive's words are quoted in it).
    print!(
        "{}",
        msp_core::display::lines(&ops::rejection_log(&config.folders, name)?)
    );
    Ok(0)
}

/// `msp errors retry NAME...`.
pub fn errors_retry(config: &Config, names: &[String], all: bool) -> Result<i32> {
    let names: Vec<String> = if all {
        ops::rejected(&config.folders)?
            .into_iter()
            .map(|r| r.name)
            .collect()
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        println!("no rejected archive in {}", config.folders.error.display());
    }
    for name in &names {
        let reason = ops::rejection_reason(&config.folders, name);
        let dest = ops::retry(&config.folders, name)?;
        println!(
            "{}: back in input ({}); the next synchronisation imports it",
            msp_core::display::line(name),
            dest.display()
        );
        match reason {
            Some(r) if r == msp_core::Reason::Document => eprintln!(
                "warning: {}: it was refused by the démarche's rules ({}): unless the request was corrected or msp upgraded, it will be rejected again",
                msp_core::display::line(name),
                r.tag()
            ),
            Some(r) if r.depends_only_on_bytes() => eprintln!(
                "warning: {}: its own bytes were refused ({}): it will be rejected again; ask the portal to send it again",
                msp_core::display::line(name),
                r.tag()
            ),
            _ => {}
        }
    }
    Ok(0)
}

/// `msp errors purge --older-than DAYS`.
pub fn errors_purge(config: &Config, days: u32, dry_run: bool) -> Result<i32> {
    let purged = ops::purge_rejected(&config.folders, days, dry_run)?;
    print_purged(config, &purged, dry_run, false)
}

/// `msp purge`: `[retention]` now.
pub fn purge(
    config: &Config,
    registry: &msp_plugins::Registry,
    dry_run: bool,
    as_json: bool,
) -> Result<i32> {
    if !config.retention.is_set() {
        anyhow::bail!(
            "no [retention] in the configuration {}: nothing is purged (see the README, Retention)",
            config.source
        );
    }
    let (backends, unreachable) = databases(config, registry);
    if !unreachable.is_empty() {
        // Without every database, an open dossier could not be told.
        anyhow::bail!("cannot purge: {}", unreachable.join("; "));
    }
    let purged = ops::purge(
        &config.folders,
        &config.sent,
        &config.retention,
        &backends,
        &registry.codes(),
        dry_run,
    )?;
    print_purged(config, &purged, dry_run, as_json)
}

fn print_purged(
    config: &Config,
    purged: &ops::Purged,
    dry_run: bool,
    as_json: bool,
) -> Result<i32> {
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "dry_run": dry_run,
                "removed": purged.removed.iter().map(|(p, r)| json!({"path": p, "rule": r})).collect::<Vec<_>>(),
                "kept_open": purged.kept_open,
            }))?
        );
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        for (path, rule) in &purged.removed {
            println!("{verb} ({rule}) {}", path.display());
        }
        for path in &purged.kept_open {
            println!("kept (dossier still open) {}", path.display());
        }
        let n = purged.removed.len();
        let files = if n == 1 { "file" } else { "files" };
        println!(
            "{}",
            if dry_run {
                format!("{n} {files} would be removed")
            } else {
                format!("{n} {files} removed")
            }
        );
    }
    if !dry_run && !purged.removed.is_empty() {
        ops::trace(
            &config.folders,
            &format!("purge: {} file(s) removed", purged.removed.len()),
        )?;
    }
    Ok(0)
}

/// `msp run` stopping as systemd and supervisors expect: the first SIGTERM
/// or SIGINT asks the synchronisation to stop after the archives in hand
/// (it writes its log, and `--every` does not start another); a second
/// one ends the process at once (exit 143 or 130: what was in hand is in
/// work, recovered by the next run). Handlers are installed even where
/// SIGINT was inherited ignored (a shell script's background job).
pub mod stop {
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    use std::time::Duration;

    /// Set by the first signal; the synchronisation checks it between
    /// archives and batches (`Synchronizer::with_stop`).
    pub static REQUESTED: AtomicBool = AtomicBool::new(false);

    /// The first signal received (0: none).
    #[cfg_attr(not(unix), allow(dead_code))]
    static SIGNAL: AtomicI32 = AtomicI32::new(0);

    /// Whether the first signal is acknowledged on stderr (not with -q).
    static QUIET: AtomicBool = AtomicBool::new(false);

    /// The write end of the pipe that wakes [`sleep`] (-1: none).
    #[cfg_attr(not(unix), allow(dead_code))]
    static WAKE: AtomicI32 = AtomicI32::new(-1);

    /// The read end of that pipe.
    #[cfg(unix)]
    static WOKEN: std::sync::OnceLock<std::os::unix::net::UnixStream> = std::sync::OnceLock::new();

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

    /// Without Unix signals: Ctrl-C ends the process as before.
    #[cfg(not(unix))]
    pub fn install(quiet: bool) -> std::io::Result<()> {
        QUIET.store(quiet, Ordering::SeqCst);
        Ok(())
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
}
