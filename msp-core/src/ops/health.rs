//! The health of an installation (`msp status`): one function per check,
//! [`health`] running them, and the figures as Nagios and Prometheus read
//! them.

use std::time::SystemTime;

use chrono::{Local, NaiveDateTime};
use serde::Serialize;

use super::{age, input_files, last_run_of_clients, last_runs, rejected, InputFiles, LastRun};
use crate::backend::Backend;
use crate::config::Thresholds;
use crate::error::Result;
use crate::folders::Folders;

/// Health levels, as monitoring plugins count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 0.
    Ok,
    /// 1.
    Warning,
    /// 2.
    Critical,
}

impl Level {
    /// The exit code monitoring plugins expect.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The word monitoring plugins print (`OK`, `WARNING`, `CRITICAL`).
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

/// One figure of `msp status` with its level.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable key (also the Prometheus metric's suffix).
    pub key: &'static str,
    /// The figure.
    pub value: f64,
    /// Its level against the thresholds.
    pub level: Level,
    /// In words.
    pub text: String,
}

/// The figures `msp status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The worst level of the checks.
    pub level: Level,
    /// The last synchronisation, if any.
    pub last_run: Option<LastRun>,
    /// The checks.
    pub checks: Vec<Check>,
}

/// Figures from the databases for [`health`].
#[derive(Debug, Clone, Default)]
pub struct DatabaseFigures {
    /// (numero, when recorded) of every status not transmitted.
    pub untransmitted: Vec<NaiveDateTime>,
    /// When each return archive written but not collected was written.
    pub uncollected: Vec<NaiveDateTime>,
    /// Databases that could not be read, with the cause.
    pub unreachable: Vec<String>,
}

impl DatabaseFigures {
    /// Reads the figures of one database.
    pub fn add(&mut self, backend: &dyn Backend) -> Result<()> {
        for (numero, seq) in backend.untransmitted_statuses()? {
            if let Some(s) = backend.history(&numero)?.into_iter().find(|s| s.seq == seq) {
                self.untransmitted.push(s.at);
            }
        }
        backend.each_uncollected_return(&mut |r| {
            if let Some(w) = r.written_at {
                self.uncollected.push(w);
            }
            Ok(())
        })
    }
}

/// How many of `times` are more than `hours` before `now`.
pub fn count_late(times: &[NaiveDateTime], hours: u64, now: NaiveDateTime) -> usize {
    times
        .iter()
        .filter(|at| (now - **at).num_seconds() > (hours * 3600) as i64)
        .count()
}

/// What tells an archive msp imports from a file it leaves alone in input
/// (for [`health`]).
#[derive(Debug, Clone, Copy)]
pub struct InputRules<'a> {
    /// The registered flow codes.
    pub flows: &'a [&'a str],
    /// `settle_seconds`: an unrecognised file older than this and a minute
    /// is a warning.
    pub settle_seconds: u64,
}

/// The health of an installation: the last synchronisation, the input
/// folder, the error folder, and the databases' figures.
pub fn health(
    folders: &Folders,
    clients: &[String],
    t: &Thresholds,
    db: &DatabaseFigures,
    input: &InputRules<'_>,
) -> Health {
    let now = SystemTime::now();
    let local_now = Local::now().naive_local();
    let runs = last_runs(folders);
    let worst = worst_last_run(&runs, clients, t);
    let last = worst.as_ref().and_then(|w| w.3).cloned();
    let mut checks = vec![last_run_check(worst.as_ref())];
    checks.extend(input_checks(folders, input, t, now));
    checks.push(error_check(folders));
    checks.push(late_check(
        "untransmitted_late",
        &db.untransmitted,
        t.untransmitted_hours,
        "status(es) not transmitted",
        local_now,
    ));
    checks.push(late_check(
        "uncollected_late",
        &db.uncollected,
        t.uncollected_hours,
        "return archive(s) not collected by the portal",
        local_now,
    ));
    checks.push(databases_check(db));
    let level = checks.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    Health {
        level,
        last_run: last,
        checks,
    }
}

/// The worst of the clients' last synchronisations: its level, its age in
/// seconds (-1: none), the client to name, and the run (none recorded).
type WorstRun<'a> = (Level, f64, Option<&'a str>, Option<&'a LastRun>);

/// Each client's last synchronisation, the worst kept (a process serving
/// some clients that stopped running is noticed even while another serves
/// the rest); `None` without clients.
fn worst_last_run<'a>(
    runs: &'a [LastRun],
    clients: &'a [String],
    t: &Thresholds,
) -> Option<WorstRun<'a>> {
    let judge = |l: &LastRun| {
        let ago = (Local::now() - l.finished_at).num_seconds().max(0) as f64;
        let level = if l.exit_code == 2 {
            Level::Critical
        } else if ago > (t.last_run_minutes * 60) as f64 {
            Level::Warning
        } else {
            Level::Ok
        };
        (level, ago)
    };
    let mut worst: Option<WorstRun<'a>> = None;
    let of_clients = last_run_of_clients(runs, clients);
    // One run of every client is no client's in particular: named only
    // when the clients' last runs differ.
    let one_run_for_all = of_clients
        .windows(2)
        .all(|w| w[0].1.map(|l| l.finished_at) == w[1].1.map(|l| l.finished_at));
    for (client, run) in of_clients {
        let (level, ago) = match run {
            None => (Level::Warning, -1.0),
            Some(l) => judge(l),
        };
        let named = (clients.len() > 1 && !one_run_for_all).then_some(client);
        let worse = match &worst {
            None => true,
            Some((wl, wago, _, _)) => {
                level > *wl || (level == *wl && (ago < 0.0 || (*wago >= 0.0 && ago > *wago)))
            }
        };
        if worse {
            worst = Some((level, ago, named, run));
        }
    }
    worst
}

/// The check of the last synchronisation (see [`worst_last_run`]).
fn last_run_check(worst: Option<&WorstRun<'_>>) -> Check {
    let of = |c: Option<&str>| c.map(|c| format!(" of client {c}")).unwrap_or_default();
    let (value, level, text) = match worst {
        None | Some((_, _, _, None)) => (
            -1.0,
            Level::Warning,
            format!(
                "no synchronisation{} recorded yet",
                of(worst.and_then(|w| w.2))
            ),
        ),
        Some((level, ago, client, Some(l))) => (
            *ago,
            *level,
            format!(
                "last synchronisation{} {} ago, exit {} ({})",
                of(*client),
                words(*ago as u64),
                l.exit_code,
                match l.exit_code {
                    0 => "all went well",
                    1 => "archives rejected",
                    _ => "trouble",
                }
            ),
        ),
    };
    Check {
        key: "last_run_age_seconds",
        value,
        level,
        text,
    }
}

/// The checks of the input folder: files msp does not recognise, archives
/// waiting, and the oldest of them.
fn input_checks(
    folders: &Folders,
    input: &InputRules<'_>,
    t: &Thresholds,
    now: SystemTime,
) -> [Check; 3] {
    let InputFiles {
        archives,
        mut unrecognised,
    } = input_files(folders, input.flows);
    let waiting: Vec<SystemTime> = archives.into_iter().map(|w| w.1).collect();
    unrecognised.sort_by(|a, b| a.0.cmp(&b.0));
    let unknown_oldest = unrecognised
        .iter()
        .map(|(_, t, _)| age(*t, now).as_secs())
        .max()
        .unwrap_or_default();
    let unrecognised = Check {
        key: "input_unrecognised",
        value: unrecognised.len() as f64,
        level: if !unrecognised.is_empty() && unknown_oldest > input.settle_seconds + 60 {
            Level::Warning
        } else {
            Level::Ok
        },
        text: match unrecognised.first() {
            None => "no unrecognised file in input".to_string(),
            Some((first, _, _)) => format!(
                "{} file(s) in input msp does not recognise (the synchronisation log says why), e.g. {first}",
                unrecognised.len()
            ),
        },
    };
    let oldest = waiting
        .iter()
        .map(|t| age(*t, now))
        .max()
        .unwrap_or_default();
    let archives = Check {
        key: "input_archives",
        value: waiting.len() as f64,
        level: Level::Ok,
        text: format!("{} archive(s) waiting in input", waiting.len()),
    };
    let oldest = Check {
        key: "input_oldest_age_seconds",
        value: oldest.as_secs() as f64,
        level: if oldest.as_secs() > t.input_age_minutes * 60 {
            Level::Warning
        } else {
            Level::Ok
        },
        text: if waiting.is_empty() {
            "oldest archive in input: none".to_string()
        } else {
            format!("oldest archive in input: {}", words(oldest.as_secs()))
        },
    };
    [unrecognised, archives, oldest]
}

/// The check of the error folder: any rejected archive is a warning.
fn error_check(folders: &Folders) -> Check {
    let errors = rejected(folders).map(|v| v.len()).unwrap_or(0);
    Check {
        key: "error_archives",
        value: errors as f64,
        level: if errors > 0 {
            Level::Warning
        } else {
            Level::Ok
        },
        text: format!("{errors} rejected archive(s) to handle (msp errors list)"),
    }
}

/// A check of `times` more than `hours` before `now`: any is a warning.
fn late_check(
    key: &'static str,
    times: &[NaiveDateTime],
    hours: u64,
    what: &str,
    now: NaiveDateTime,
) -> Check {
    let n = count_late(times, hours, now);
    Check {
        key,
        value: n as f64,
        level: if n > 0 { Level::Warning } else { Level::Ok },
        text: format!(
            "{n} {what} for more than {hours} h ({} in all)",
            times.len()
        ),
    }
}

/// The check of the databases: any that did not answer is critical.
fn databases_check(db: &DatabaseFigures) -> Check {
    Check {
        key: "databases_unreachable",
        value: db.unreachable.len() as f64,
        level: if db.unreachable.is_empty() {
            Level::Ok
        } else {
            Level::Critical
        },
        text: if db.unreachable.is_empty() {
            "every database answered".to_string()
        } else {
            db.unreachable.join("; ")
        },
    }
}

/// A duration in words (`3 min`, `2 h`, `4 d`).
pub(super) fn words(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// The warning and critical thresholds of a check, in its figure's unit,
/// for the performance data of [`Health::nagios`] (none when its level is
/// not a threshold on the figure).
fn thresholds_of(key: &str, t: &Thresholds) -> (Option<u64>, Option<u64>) {
    match key {
        "last_run_age_seconds" => (Some(t.last_run_minutes * 60), None),
        "input_oldest_age_seconds" => (Some(t.input_age_minutes * 60), None),
        "error_archives" | "untransmitted_late" | "uncollected_late" => (Some(0), None),
        "databases_unreachable" => (None, Some(0)),
        _ => (None, None),
    }
}

impl Health {
    /// The first line of `msp status`, as Nagios plugins write it:
    /// `msp WARNING - <why> | <performance data>`. Why: the text of each
    /// check that is not OK, the worst first, joined by `; ` (when all are
    /// OK, the last synchronisation's). Performance data: every check's
    /// figure as `key=value[s];warn;crit` (`s` for seconds, `U` for a
    /// figure not known, thresholds from `[status]`; a threshold of 0 on a
    /// count means "any is one").
    pub fn nagios(&self, t: &Thresholds) -> String {
        let mut bad: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.level != Level::Ok)
            .collect();
        bad.sort_by_key(|c| std::cmp::Reverse(c.level));
        let why = if bad.is_empty() {
            self.checks
                .first()
                .map(|c| c.text.clone())
                .unwrap_or_default()
        } else {
            bad.iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        // One line, and no `|` but the one that starts the figures.
        let why = crate::display::line(&why).replace('|', "/");
        let perf: Vec<String> = self
            .checks
            .iter()
            .map(|c| {
                let unit = if c.key.ends_with("_seconds") { "s" } else { "" };
                let value = if c.value < 0.0 {
                    "U".to_string()
                } else {
                    format!("{}{unit}", c.value)
                };
                let limits = match thresholds_of(c.key, t) {
                    (None, None) => String::new(),
                    (Some(w), None) => format!(";{w}"),
                    (w, Some(c)) => {
                        format!(";{};{c}", w.map(|w| w.to_string()).unwrap_or_default())
                    }
                };
                format!("{}={value}{limits}", c.key)
            })
            .collect();
        format!("msp {} - {why} | {}", self.level.word(), perf.join(" "))
    }

    /// The figures in Prometheus text format (node_exporter's textfile
    /// collector).
    pub fn prometheus(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP msp_health 0 ok, 1 warning, 2 critical.\n# TYPE msp_health gauge\n");
        s.push_str(&format!("msp_health {}\n", self.level.code()));
        if let Some(l) = &self.last_run {
            s.push_str("# TYPE msp_last_run_timestamp_seconds gauge\n");
            s.push_str(&format!(
                "msp_last_run_timestamp_seconds {}\n",
                l.finished_at.timestamp()
            ));
            s.push_str("# TYPE msp_last_run_exit_code gauge\n");
            s.push_str(&format!("msp_last_run_exit_code {}\n", l.exit_code));
        }
        for c in &self.checks {
            s.push_str(&format!("# TYPE msp_{} gauge\n", c.key));
            s.push_str(&format!("msp_{} {}\n", c.key, c.value));
        }
        s
    }
}
