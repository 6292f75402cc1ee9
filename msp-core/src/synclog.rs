//! One log file per synchronisation that did something, in the logs
//! folder; a synchronisation with nothing to do leaves one line in the
//! day's `empty-YYYYMMDD.log` instead (a timer every minute would
//! otherwise leave 1,440 files a day).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::Local;

use crate::error::{Error, Result};

/// How the last line of a finished synchronisation's log starts (read back
/// by [`crate::ops::recent_runs`]).
pub const FINISHED: &str = "synchronisation finished: ";

/// How a line naming a cause of trouble starts.
pub const TROUBLE: &str = "TROUBLE: ";

/// How the day's file of synchronisations with nothing to do is named
/// (`empty-YYYYMMDD.log`, one line per run).
pub const EMPTY_PREFIX: &str = "empty-";

/// The day's file of synchronisations with nothing to do.
pub fn empty_log_path(dir: &Path, day: chrono::NaiveDate) -> PathBuf {
    dir.join(format!("{EMPTY_PREFIX}{}.log", day.format("%Y%m%d")))
}

/// The synchronisation log being written. Each line is also sent to
/// `tracing` at info level.
pub struct SyncLog {
    path: PathBuf,
    out: BufWriter<File>,
    /// The time stamp of the current second, formatted once.
    stamp: (i64, String),
    /// Lines written so far.
    lines: usize,
}

impl SyncLog {
    /// Creates `logs/sync-YYYYMMDD-HHMMSS-<pid>.log` (never overwriting).
    pub fn create(dir: &Path) -> Result<Self> {
        let stamp = Local::now().format("%Y%m%d-%H%M%S");
        let pid = std::process::id();
        for n in 0u32.. {
            let name = if n == 0 {
                format!("sync-{stamp}-{pid}.log")
            } else {
                format!("sync-{stamp}-{pid}-{n}.log")
            };
            let path = dir.join(name);
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => {
                    return Ok(SyncLog {
                        path,
                        out: BufWriter::new(f),
                        stamp: (i64::MIN, String::new()),
                        lines: 0,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("cannot create the synchronisation log", &path, e)),
            }
        }
        unreachable!()
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a time-stamped line (errors writing the log are reported at the end).
    pub fn line(&mut self, text: &str) {
        // One line each, whatever the archive's words hold (a summary with
        // an ESC or a line feed would drive the terminal of whoever reads
        // the log, or forge a line).
        let text = crate::display::line(text);
        tracing::info!("{text}");
        let now = Local::now();
        if now.timestamp() != self.stamp.0 {
            self.stamp = (now.timestamp(), now.format("%Y-%m-%d %H:%M:%S").to_string());
        }
        let _ = writeln!(self.out, "{} {text}", self.stamp.1);
        self.lines += 1;
    }

    /// How many lines were written (a synchronisation with nothing to do
    /// writes two: started, finished).
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Hands the lines written so far to the kernel (no sync): a process
    /// killed later leaves them in the file.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// For a synchronisation with nothing to do: removes its file and
    /// appends `text` as one time-stamped line to the day's
    /// `empty-YYYYMMDD.log` (one `write` in append mode, so processes
    /// running at once never mix their lines). Returns that file.
    pub fn finish_empty(self, text: &str) -> Result<PathBuf> {
        let SyncLog { path, out, .. } = self;
        drop(out);
        let _ = crate::folders::remove_file(&path);
        let dir = path.parent().unwrap_or(Path::new("."));
        let now = Local::now();
        let daily = empty_log_path(dir, now.date_naive());
        let line = format!(
            "{} {}\n",
            now.format("%Y-%m-%d %H:%M:%S"),
            crate::display::line(text)
        );
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&daily)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| Error::io("cannot write the log of empty synchronisations", &daily, e))?;
        Ok(daily)
    }

    /// Flushes and syncs the file.
    pub fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .and_then(|_| self.out.get_ref().sync_all())
            .map_err(|e| Error::io("cannot write the synchronisation log", &self.path, e))
    }
}
