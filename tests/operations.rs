//! The operators' side, on real folders with the real binary: `run --json`
//! and `-q`, the progress bar under a pseudo-terminal, `status` and its
//! thresholds, the error folder's workflow, retention, and the modes of
//! what msp creates.

mod common;

use std::path::Path;
use std::process::Command;

use common::{backdate, files, DbLock, Env};
use portal_sim::Archive;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn run_json_gives_counts_per_flow_and_client_and_the_exit_meaning() {
    let env = Env::with_config(common::PARIS_ONLY);
    env.deliver(&Archive::rco("A-2-J1", 1));
    env.deliver(&Archive::aec("A-2-J2", 1));
    env.deliver(&Archive::ile("A-2-J3", 1).routed_to("69123"));
    let r = env.msp(&["run", "--json"]);
    r.assert_code(1);
    let v = json(&r.stdout);
    assert_eq!(v["exit_code"], 1);
    assert!(v["exit_meaning"].as_str().unwrap().contains("rejected"));
    assert_eq!(v["totals"]["imported"], 2);
    assert_eq!(v["totals"]["rejected"], 1);
    assert_eq!(v["flows"]["RCO-LA"]["imported"], 1);
    assert_eq!(v["flows"]["ILE-LA"]["rejected"], 1);
    assert_eq!(v["clients"]["Paris"]["AEC-LA"]["imported"], 1);
    assert_eq!(v["clients"]["Paris"]["RCO-LA"]["returns_written"], 1);
    assert_eq!(v["rejected"][0]["archive"], "A-2-J3-ILE-LA-1.zip");
    assert_eq!(v["troubles"].as_array().unwrap().len(), 0);
    assert!(v["duration_ms"].is_u64());
    assert!(Path::new(env.path())
        .join(v["log"].as_str().unwrap())
        .is_file());

    // Trouble: the database is locked; the cause once, with its archives.
    env.deliver(&Archive::rco("A-2-J4", 1));
    env.deliver(&Archive::rco("A-2-J5", 1));
    let lock = DbLock::take(&env.path().join("msp-data/msp.db"));
    env.write_config(
        "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\nbusy_timeout_ms = 200\n",
    );
    let r = env.msp(&["run", "--json"]);
    drop(lock);
    r.assert_code(2);
    let v = json(&r.stdout);
    assert_eq!(v["exit_code"], 2);
    let troubles = v["troubles"].as_array().unwrap();
    assert_eq!(troubles.len(), 1, "{troubles:?}");
    assert_eq!(troubles[0]["archives"], 2);
    assert!(!troubles[0]["cause"].as_str().unwrap().is_empty());
}

#[test]
fn quiet_prints_nothing_when_all_goes_well_and_the_rejections_on_stderr() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-Q1", 1));
    let r = env.msp(&["-q", "run"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "");
    std::fs::write(env.input().join("A-2-Q2-RCO-LA-1.zip"), b"not a zip").unwrap();
    let r = env.msp(&["-q", "run"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    r.assert_stderr_has("rejected A-2-Q2-RCO-LA-1.zip");
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_only() {
    let env = Env::new();
    for i in 0..60 {
        env.deliver(&Archive::aec(&format!("A-2-P{i:03}"), 1));
    }
    // Under a pseudo-terminal (util-linux `script`).
    let out = Command::new("script")
        .args(["-q", "-e", "-c"])
        .arg(format!("{} run", env!("CARGO_BIN_EXE_msp")))
        .arg("/dev/null")
        .current_dir(env.path())
        .output();
    let Ok(out) = out else {
        assert!(std::env::var_os("CI").is_none(), "script is needed in CI");
        eprintln!("SKIPPED progress bar: no `script` command");
        return;
    };
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    common::assert_has(&screen, "/60 archives");
    assert_eq!(files(&env.done()).len(), 60);
    // Piped: no bar, no escape codes.
    for i in 0..60 {
        env.deliver(&Archive::aec(&format!("A-2-R{i:03}"), 1));
    }
    let r = env.msp(&["-v", "run"]);
    assert_eq!(r.code, 0);
    assert!(!r.stderr.contains("archives,"), "{}", r.stderr);
    assert!(!r.stderr.contains('\u{1b}'), "escape codes: {}", r.stderr);
    assert!(!r.stdout.contains('\u{1b}'));
}

#[test]
fn status_says_ok_warning_or_critical_as_monitoring_expects() {
    let env = Env::new();
    // Nothing ran yet: a warning.
    let r = env.msp(&["status"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("no synchronisation recorded yet"));
    // A good run: OK, and the figures in JSON and Prometheus format.
    env.deliver(&Archive::rco("A-2-S1", 1));
    assert_eq!(env.run(&[]).code, 0);
    let prom = env.path().join("msp.prom");
    let r = env.msp(&["status", "--json", "--prometheus", prom.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = json(&r.stdout);
    assert_eq!(v["level"], "ok");
    assert_eq!(v["last_run"]["exit_code"], 0);
    assert_eq!(v["last_run"]["summary"]["totals"]["imported"], 1);
    let check = |v: &Value, key: &str| -> Value {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap_or_else(|| panic!("no check {key}"))
            .clone()
    };
    assert_eq!(check(&v, "uncollected_late")["value"], 0.0);
    let text = std::fs::read_to_string(&prom).unwrap();
    common::assert_has(&text, "msp_health 0\n");
    common::assert_has(&text, "msp_last_run_exit_code 0\n");
    common::assert_has(&text, "msp_input_archives 0\n");
    // Thresholds crossed: a status not transmitted, a return not collected.
    env.write_config(
        "root = \"msp-data\"\n[status]\nuntransmitted_hours = 0\nuncollected_hours = 0\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
    );
    let r = env.msp(&["dossier", "status", "A-2-S1", "16"]);
    r.assert_code(0);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = env.msp(&["status", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let v = json(&r.stdout);
    assert_eq!(v["level"], "warning");
    assert_eq!(check(&v, "untransmitted_late")["value"], 1.0);
    assert_eq!(check(&v, "uncollected_late")["value"], 1.0);
    // A rejected archive to handle: a warning too.
    let env2 = Env::new();
    std::fs::write(env2.input().join("A-2-S2-RCO-LA-1.zip"), b"garbage").unwrap();
    assert_eq!(env2.run(&[]).code, 1);
    let r = env2.msp(&["status"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    r.assert_stdout_has("1 rejected archive(s) to handle");
    // The last run met trouble: critical.
    let env3 = Env::new();
    env3.deliver(&Archive::rco("A-2-S3", 1));
    assert_eq!(env3.run(&[]).code, 0);
    env3.deliver(&Archive::rco("A-2-S4", 1));
    env3.write_config(
        "root = \"msp-data\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\nbusy_timeout_ms = 200\n",
    );
    let lock = DbLock::take(&env3.db());
    assert_eq!(env3.run(&[]).code, 2);
    drop(lock);
    let r = env3.msp(&["status"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.starts_with("msp CRITICAL"), "{}", r.stdout);
    r.assert_stdout_has("1 archive(s) waiting in input");
}

#[test]
fn a_rejected_archive_is_listed_shown_retried_once_fixed_and_imported() {
    let paris = common::PARIS_ONLY;
    let env = Env::with_config(paris);
    env.deliver(&Archive::rco("A-2-LYON", 1).routed_to("69123"));
    assert_eq!(env.run(&[]).code, 1);
    let r = env.msp(&["errors", "list", "--json"]);
    assert_eq!(r.code, 0);
    let v = json(&r.stdout);
    assert_eq!(v[0]["name"], "A-2-LYON-RCO-LA-1.zip");
    assert!(!v[0]["reason"].as_str().unwrap().is_empty(), "{v}");
    let r = env.msp(&["errors", "show", "A-2-LYON-RCO-LA-1.zip"]);
    assert_eq!(r.code, 0);
    r.assert_stdout_has("Motif : ");
    r.assert_stdout_has("69123");
    // A path or an unknown name is refused.
    // (the user's mistake: exit 1, with the hint)
    let r = env.msp(&["errors", "show", "../msp.toml"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has("is a path: give the archive's bare name");
    let r = env.msp(&["errors", "retry", "A-2-NONE-RCO-LA-1.zip"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has("no archive");
    // The cause fixed (Lyon configured), the archive goes back and in.
    env.write_config(&format!(
        "{paris}[[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"sqlite://lyon.db\"\n"
    ));
    let r = env.msp(&["errors", "retry", "A-2-LYON-RCO-LA-1.zip"]);
    r.assert_code(0);
    assert_eq!(files(&env.input()), vec!["A-2-LYON-RCO-LA-1.zip"]);
    assert!(files(&env.error()).is_empty(), "{:?}", files(&env.error()));
    let ops = std::fs::read_to_string(env.logs().join("operations.log")).unwrap();
    common::assert_has(
        &ops,
        "errors retry: A-2-LYON-RCO-LA-1.zip put back into input",
    );
    assert!(files(&env.logs())
        .iter()
        .any(|f| f.starts_with("A-2-LYON-RCO-LA-1.zip.retried-")));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(files(&env.done()), vec!["A-2-LYON-RCO-LA-1.zip"]);
    let r = env.msp(&["errors", "list"]);
    r.assert_stdout_has("no rejected archive");
}

#[test]
fn errors_purge_removes_only_what_is_older_than_asked() {
    let env = Env::new();
    std::fs::write(env.input().join("A-2-OLD-RCO-LA-1.zip"), b"garbage").unwrap();
    std::fs::write(env.input().join("A-2-NEW-RCO-LA-1.zip"), b"garbage").unwrap();
    assert_eq!(env.run(&[]).code, 1);
    backdate(&env.error().join("A-2-OLD-RCO-LA-1.zip"), "10 days ago");
    backdate(&env.error().join("A-2-OLD-RCO-LA-1.zip.log"), "10 days ago");
    let r = env.msp(&["errors", "purge", "--older-than", "7", "--dry-run"]);
    assert_eq!(r.code, 0);
    r.assert_stdout_has("would remove");
    assert_eq!(files(&env.error()).len(), 4);
    let r = env.msp(&["errors", "purge", "--older-than", "7"]);
    r.assert_code(0);
    assert_eq!(
        files(&env.error()),
        vec!["A-2-NEW-RCO-LA-1.zip", "A-2-NEW-RCO-LA-1.zip.log"]
    );
}

#[test]
fn retention_removes_what_is_past_its_time_but_never_an_open_dossier_s_archive() {
    let config = "root = \"msp-data\"\n[retention]\ndone_days = 30\nlogs_days = 30\nerror_days = 30\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n";
    let env = Env::with_config(config);
    env.deliver(&Archive::rco("A-2-CLOSED", 1));
    env.deliver(&Archive::rco("A-2-OPEN", 1));
    assert_eq!(env.run(&[]).code, 0);
    // One dossier closed (100, transmitted by the next run), one still open.
    let r = env.msp(&["dossier", "status", "A-2-CLOSED", "100"]);
    r.assert_code(0);
    assert_eq!(env.run(&[]).code, 0);
    for f in files(&env.done()) {
        backdate(&env.done().join(f), "40 days ago");
    }
    let old_logs = files(&env.logs());
    for f in &old_logs {
        backdate(&env.logs().join(f), "40 days ago");
    }
    let r = env.msp(&["purge", "--dry-run", "--json"]);
    r.assert_code(0);
    let v = json(&r.stdout);
    let removed = common::texts(&v["removed"], "path");
    assert!(removed
        .iter()
        .any(|p| p.ends_with("termine/A-2-CLOSED-RCO-LA-1.zip")));
    assert!(!removed.iter().any(|p| p.contains("A-2-OPEN")));
    assert!(v["kept_open"][0]
        .as_str()
        .unwrap()
        .ends_with("A-2-OPEN-RCO-LA-1.zip"));
    assert_eq!(files(&env.done()).len(), 2, "a dry run removes nothing");
    let r = env.msp(&["purge"]);
    r.assert_code(0);
    assert_eq!(files(&env.done()), vec!["A-2-OPEN-RCO-LA-1.zip"]);
    let logs = files(&env.logs());
    for f in &old_logs {
        if f != "operations.log" {
            assert!(!logs.contains(f), "{f} past its time");
        }
    }
    assert!(logs.contains(&"operations.log".to_string()));
    // The dossiers themselves are untouched.
    assert_eq!(env.dossiers().len(), 2);
}

#[test]
fn retention_is_applied_at_the_end_of_a_synchronisation() {
    let config = "root = \"msp-data\"\n[retention]\nerror_days = 5\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n";
    let env = Env::with_config(config);
    std::fs::write(env.input().join("A-2-E1-RCO-LA-1.zip"), b"garbage").unwrap();
    assert_eq!(env.run(&[]).code, 1);
    backdate(&env.error().join("A-2-E1-RCO-LA-1.zip"), "6 days ago");
    backdate(&env.error().join("A-2-E1-RCO-LA-1.zip.log"), "6 days ago");
    // Once an hour: make the last application old.
    backdate(&env.work().join(".msp-retention"), "1 days ago");
    assert_eq!(env.run(&[]).code, 0);
    assert!(files(&env.error()).is_empty(), "{:?}", files(&env.error()));
    assert!(env.last_log().contains("retention (error): removed"));
}

/// Every file and folder under `dir` with its permission bits.
fn modes(dir: &Path) -> Vec<(String, u32, bool)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let m = e.metadata().unwrap();
            out.push((
                e.path().display().to_string(),
                m.permissions().mode() & 0o7777,
                m.is_dir(),
            ));
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    out
}

#[test]
fn nothing_msp_creates_is_readable_by_others() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-M1", 1));
    std::fs::write(env.input().join("A-2-M2-RCO-LA-1.zip"), b"garbage").unwrap();
    assert_eq!(env.run(&[]).code, 1);
    let all = modes(&env.root());
    assert!(all.len() > 10, "{all:?}");
    for (path, mode, is_dir) in &all {
        if path.ends_with("entree") {
            continue; // made by this test, to drop archives in
        }
        assert_eq!(mode & 0o007, 0, "{path} is {mode:o}");
        if *is_dir && !path.ends_with("entree") {
            assert_eq!(*mode, 0o700, "{path}");
        }
        if !is_dir
            && (path.contains("/logs/") || path.ends_with("msp.db") || path.contains("/sortie/"))
        {
            assert_eq!(*mode, 0o600, "{path}");
        }
    }
}

#[test]
fn with_a_group_folders_are_2750_and_files_0640() {
    use std::os::unix::fs::MetadataExt;
    let my_gid = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::metadata(dir.path()).unwrap().gid()
    };
    let env = Env::with_config(&format!(
        "root = \"msp-data\"\ngroup = \"{my_gid}\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n"
    ));
    env.deliver(&Archive::rco("A-2-G1", 1));
    assert_eq!(env.run(&[]).code, 0);
    for (path, mode, is_dir) in modes(&env.root()) {
        if path.ends_with("entree") {
            continue; // made by this test, to drop archives in
        }
        assert_eq!(mode & 0o007, 0, "{path} is {mode:o}");
        if is_dir && path.ends_with("termine") {
            assert_eq!(mode, 0o2750, "{path}");
        }
        if !is_dir && (path.contains("/logs/") || path.ends_with("msp.db")) {
            assert_eq!(mode, 0o640, "{path}");
        }
    }
    let r = env.msp(&["status"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // An unknown group is a configuration error naming it.
    env.write_config(
        "root = \"msp-data\"\ngroup = \"no-such-group-msp\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 2);
    r.assert_stderr_has("no-such-group-msp");
}

#[test]
fn an_archive_held_back_for_more_than_a_day_is_flagged() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-SEED", 1));
    assert_eq!(env.run(&[]).code, 0);
    let old = Archive::rco("A-2-STALE", 1).write_to(&env.input()).unwrap();
    backdate(&old, "2 days ago");
    env.deliver(&Archive::rco("A-2-YOUNG", 1));
    env.write_config(
        "root = \"msp-data\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\nbusy_timeout_ms = 200\n",
    );
    let lock = DbLock::take(&env.db());
    let r = env.msp(&["run", "--json"]);
    drop(lock);
    r.assert_code(2);
    let v = json(&r.stdout);
    let held = v["held_back_over_a_day"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["archive"], "A-2-STALE-RCO-LA-1.zip");
    assert!(held[0]["hours"].as_u64().unwrap() >= 47);
    let log = env.last_log();
    common::assert_has(&log, "WAITING FOR MORE THAN A DAY: A-2-STALE-RCO-LA-1.zip");
    let lock = DbLock::take(&env.db());
    let r = env.run(&[]);
    drop(lock);
    r.assert_stdout_has("waiting for more than a day: 1 archive(s) held back by trouble, the oldest A-2-STALE-RCO-LA-1.zip");
}

#[test]
fn the_retention_of_a_run_for_one_client_spares_the_open_dossiers_of_the_others() {
    let two = "root = \"msp-data\"\n[retention]\ndone_days = 30\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n[[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"sqlite://lyon.db\"\n";
    let env = Env::with_config(two);
    env.deliver(&Archive::rco("A-2-LYONOPEN", 1).routed_to("69123"));
    assert_eq!(env.run(&[]).code, 0);
    backdate(&env.done().join("A-2-LYONOPEN-RCO-LA-1.zip"), "40 days ago");
    backdate(&env.work().join(".msp-retention"), "1 days ago");
    // A run serving Paris only still asks Lyon's database: the dossier is
    // open, its archive stays.
    let r = env.run(&["--client", "Paris"]);
    r.assert_code(0);
    assert_eq!(files(&env.done()), vec!["A-2-LYONOPEN-RCO-LA-1.zip"]);
    // Lyon's database unreachable: no purge at all this time, said in the log.
    backdate(&env.work().join(".msp-retention"), "1 days ago");
    env.write_config(&two.replace("sqlite://lyon.db", "sqlite:///nonexistent-dir/lyon.db"));
    let r = env.run(&["--client", "Paris"]);
    r.assert_code(0);
    assert_eq!(files(&env.done()), vec!["A-2-LYONOPEN-RCO-LA-1.zip"]);
    assert!(
        env.last_log()
            .contains("retention not applied this time: the database of client Lyon"),
        "{}",
        env.last_log()
    );
}

#[test]
fn each_client_s_last_synchronisation_counts_and_status_reports_the_worst() {
    let two = "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n[[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"sqlite://lyon.db\"\n";
    let env = Env::with_config(two);
    env.deliver(&Archive::rco("A-2-PARIS1", 1).routed_to("75056"));
    // Lyon's process meets trouble (its database cannot be opened)...
    env.write_config(&two.replace("sqlite://lyon.db", "sqlite:///nonexistent-dir/lyon.db"));
    env.deliver(&Archive::rco("A-2-LYON1", 1).routed_to("69123"));
    let r = env.run(&["--client", "Lyon"]);
    r.assert_code(2);
    // ... then Paris's process, afterwards, goes well: it must not hide
    // Lyon's trouble.
    let r = env.run(&["--client", "Paris"]);
    r.assert_code(0);
    let r = env.msp(&["status", "--json"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let v = json(&r.stdout);
    assert_eq!(v["last_run"]["exit_code"], 2);
    assert_eq!(v["last_run"]["clients"][0], "Lyon");
    let r = env.msp(&["status"]);
    r.assert_stdout_has("last synchronisation of client Lyon");
    // A run serving every client supersedes both records.
    env.write_config(two);
    let r = env.run(&[]);
    r.assert_code(0);
    let r = env.msp(&["status", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let records: Vec<String> = files(&env.work())
        .into_iter()
        .filter(|n| n.starts_with(".msp-last-run"))
        .collect();
    assert_eq!(records, vec![".msp-last-run.json"]);
    // A client no run has served yet: a warning naming it.
    let env = Env::with_config(two);
    assert_eq!(env.run(&["--client", "Paris"]).code, 0);
    let r = env.msp(&["status"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    r.assert_stdout_has("no synchronisation of client Lyon recorded yet");
}

#[test]
fn folders_made_before_a_group_was_configured_are_given_to_it() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-G0", 1));
    assert_eq!(env.run(&[]).code, 0);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&env.done()), 0o700);
    // The root was made by this test (to drop archives in), open to others.
    assert_eq!(mode(&env.root()), 0o755);
    let my_gid = std::fs::metadata(env.root()).unwrap().gid();
    env.write_config(&format!(
        "root = \"msp-data\"\ngroup = \"{my_gid}\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n"
    ));
    assert_eq!(env.run(&[]).code, 0);
    for dir in [env.done(), env.work(), env.error()] {
        assert_eq!(mode(&dir), 0o2750, "{}", dir.display());
    }
    // A root others may enter is not msp's: left as it was.
    assert_eq!(mode(&env.root()), 0o755);
    // The group can now read into them: a 0700 folder turned 02700 would
    // not let it.
    for (path, m, is_dir) in modes(&env.root()) {
        if is_dir && !path.ends_with("entree") {
            assert_eq!(m, 0o2750, "{path}");
        }
    }
}
