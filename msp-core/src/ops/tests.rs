use super::health::words;
use super::rejected::reason_of;
use super::*;
use crate::folders::Folders;

/// Every folder one: `dir`.
fn all_in(dir: &Path) -> Folders {
    Folders {
        input: dir.to_path_buf(),
        work: dir.to_path_buf(),
        output: dir.to_path_buf(),
        error: dir.to_path_buf(),
        done: dir.to_path_buf(),
        logs: dir.to_path_buf(),
        attachments: dir.to_path_buf(),
    }
}

#[test]
fn recent_runs_latest_written_first_even_in_the_same_second() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().to_path_buf();
    let folders = all_in(&logs);
    // Two runs of the same second: pid 998, then pid 1003 (by name,
    // "998" sorts after "1003").
    let line = |n: u32| {
        format!(
            "2026-11-29 09:00:00 {}{n} imported, 0 complements, 0 duplicates, 0 rejected, 0 returns written, 0 left for retry\n",
            crate::synclog::FINISHED
        )
    };
    let earlier = logs.join("sync-20261129-090000-998.log");
    let later = logs.join("sync-20261129-090000-1003.log");
    fs::write(&earlier, line(1)).unwrap();
    fs::write(&later, line(2)).unwrap();
    fs::File::options()
        .write(true)
        .open(&earlier)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(1))
        .unwrap();
    fs::write(logs.join("operations.log"), "not a run\n").unwrap();
    let runs = recent_runs(&folders, 10);
    let names: Vec<&str> = runs.iter().map(|r| r.log.as_str()).collect();
    assert_eq!(
        names,
        [
            "sync-20261129-090000-1003.log",
            "sync-20261129-090000-998.log"
        ]
    );
    assert_eq!(runs[0].counts[0], 2);
}

#[test]
fn original_names_lose_the_clash_suffix() {
    assert_eq!(original_name("A-2-X-RCO-LA-1~2.zip"), "A-2-X-RCO-LA-1.zip");
    assert_eq!(original_name("A-2-X-RCO-LA-1.zip"), "A-2-X-RCO-LA-1.zip");
    assert_eq!(original_name("odd~x.zip"), "odd~x.zip");
}

#[test]
fn the_reason_is_the_motif_line() {
    assert_eq!(
        reason_of("Archive : x\nMotif : le fichier est illisible\nCode : zip\n"),
        "le fichier est illisible"
    );
    assert_eq!(reason_of("\nsomething\n"), "something");
}

#[test]
fn durations_in_words() {
    assert_eq!(words(5), "5 s");
    assert_eq!(words(600), "10 min");
    assert_eq!(words(3 * 3600), "3 h");
    assert_eq!(words(3 * 86_400), "3 d");
}

#[test]
fn empty_runs_are_skipped_and_counted_since_the_last_that_did_something() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().to_path_buf();
    let folders = all_in(&logs);
    let finished = |at: &str, imported: u32| {
        format!(
            "{at} {}{imported} imported, 0 complements, 0 duplicates, 0 rejected, 0 returns written, 0 left for retry\n",
            crate::synclog::FINISHED
        )
    };
    // A run that imported, then an old-style two-line empty log.
    let busy = logs.join("sync-20261129-090000-1.log");
    fs::write(
        &busy,
        format!(
            "2026-11-29 09:00:00 synchronisation started\n2026-11-29 09:00:01 A-2-X-RCO-LA-1.zip: imported\n{}",
            finished("2026-11-29 09:00:01", 1)
        ),
    )
    .unwrap();
    let old_empty = logs.join("sync-20261129-090100-2.log");
    fs::write(
        &old_empty,
        format!(
            "2026-11-29 09:01:00 synchronisation started\n{}",
            finished("2026-11-29 09:01:00", 0)
        ),
    )
    .unwrap();
    fs::File::options()
        .write(true)
        .open(&busy)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    // Empty runs of the day before (before the busy one) and after it.
    fs::write(
        logs.join("empty-20261128.log"),
        "2026-11-28 23:59:00 synchronisation with nothing to do (pid 7, 3 ms)\n",
    )
    .unwrap();
    fs::write(
        logs.join("empty-20261129.log"),
        "2026-11-29 08:59:00 synchronisation with nothing to do (pid 8, 3 ms)\n\
         2026-11-29 09:02:00 synchronisation with nothing to do (pid 9, 3 ms)\n\
         2026-11-29 09:03:00 synchronisation with nothing to do (pid 10, 3 ms)\n",
    )
    .unwrap();
    let recent = recent_activity(&folders, 10);
    let names: Vec<&str> = recent.runs.iter().map(|r| r.log.as_str()).collect();
    assert_eq!(names, ["sync-20261129-090000-1.log"]);
    assert_eq!(recent.empty_since, 3, "{recent:?}");
    assert_eq!(recent.last_empty.as_deref(), Some("2026-11-29 09:03:00"));
    // Nothing that did something: every empty run counts.
    fs::remove_file(&busy).unwrap();
    let recent = recent_activity(&folders, 10);
    assert!(recent.runs.is_empty());
    assert_eq!(recent.empty_since, 5, "{recent:?}");
}

#[test]
fn the_nagios_line_says_why_and_carries_the_figures() {
    let check = |key, value, level, text: &str| Check {
        key,
        value,
        level,
        text: text.to_string(),
    };
    let health = Health {
        level: Level::Critical,
        last_run: None,
        checks: vec![
            check(
                "last_run_age_seconds",
                -1.0,
                Level::Warning,
                "no synchronisation recorded yet",
            ),
            check(
                "input_archives",
                3.0,
                Level::Ok,
                "3 archive(s) waiting in input",
            ),
            check(
                "input_oldest_age_seconds",
                10800.0,
                Level::Warning,
                "oldest archive in input: 3 h",
            ),
            check(
                "error_archives",
                2.0,
                Level::Warning,
                "2 rejected archive(s) to handle (msp errors list)",
            ),
            check(
                "databases_unreachable",
                1.0,
                Level::Critical,
                "client a: cannot | connect",
            ),
        ],
    };
    assert_eq!(
        health.nagios(&Thresholds::default()),
        "msp CRITICAL - client a: cannot / connect; no synchronisation recorded yet; oldest archive in input: 3 h; 2 rejected archive(s) to handle (msp errors list) \
         | last_run_age_seconds=U;900 input_archives=3 input_oldest_age_seconds=10800s;1800 error_archives=2;0 databases_unreachable=1;;0"
    );
    let ok = Health {
        level: Level::Ok,
        last_run: None,
        checks: vec![check(
            "last_run_age_seconds",
            40.0,
            Level::Ok,
            "last synchronisation 40 s ago, exit 0 (all went well)",
        )],
    };
    assert_eq!(
        ok.nagios(&Thresholds::default()),
        "msp OK - last synchronisation 40 s ago, exit 0 (all went well) | last_run_age_seconds=40s;900"
    );
}
