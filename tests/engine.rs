//! The batched data path, end to end with the real binary: a rejection
//! inside a batch, a crash between the commit and the moves, a value a
//! business application wrote that does not decode, one process per set of
//! towns (`--client`), and pending work found by index (the returns step's
//! questions and a batch's, asked by the dossiers' keys).

mod common;

use std::process::Command;

use common::{files, query_strings, Env};
use portal_sim::Archive;

/// `msp run` with extra environment variables; returns (exit code, stdout).
fn run_with_env(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msp"));
    cmd.arg("run").args(args).current_dir(env.path());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("msp runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_rejected_archive_inside_a_batch_leaves_the_others_imported() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-FIRST", 1));
    env.deliver(&Archive::aec("A-2-DUP", 1));
    assert_eq!(env.run(&[]).code, 0);
    // One batch: 30 new dossiers, a duplicate, and a conflict (file 1 of
    // A-2-FIRST again with other bytes) in the middle.
    for i in 0..15 {
        env.deliver(&Archive::rco(&format!("A-2-B{i:03}"), 1));
    }
    // Another message (its own MessageId) for a file already imported.
    let mut conflict = Archive::rco("A-2-FIRST", 1);
    conflict.date = "2026-11-02T12:05:00.000+01:00".into();
    conflict
        .extra
        .push(("notes.txt".to_string(), b"other bytes".to_vec()));
    let conflict_bytes = conflict.to_zip();
    std::fs::write(env.input().join("A-2-FIRST-RCO-LA-1.zip"), &conflict_bytes).unwrap();
    for i in 15..30 {
        env.deliver(&Archive::ile(&format!("A-2-B{i:03}"), 1));
    }
    // Sent again, identical: a duplicate.
    env.deliver(&Archive::aec("A-2-DUP", 1));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "one rejection: {}", r.stdout);
    assert_eq!(
        files(&env.error()),
        vec!["A-2-FIRST-RCO-LA-1.zip", "A-2-FIRST-RCO-LA-1.zip.log"]
    );
    assert_eq!(
        std::fs::read(env.error().join("A-2-FIRST-RCO-LA-1.zip")).unwrap(),
        conflict_bytes,
        "the rejected archive is kept as received"
    );
    let log = std::fs::read_to_string(env.error().join("A-2-FIRST-RCO-LA-1.zip.log")).unwrap();
    common::assert_has(&log, "Code : conflict");
    let done = files(&env.done());
    assert_eq!(
        done.len(),
        33,
        "the 30 new, the duplicate (~2) and the first run's 2: {done:?}"
    );
    assert!(
        done.contains(&"A-2-DUP-AEC-LA-1~2.zip".to_string()),
        "{done:?}"
    );
    assert!(env
        .last_log()
        .contains("A-2-DUP-AEC-LA-1.zip: duplicate of a file already imported"));
    assert_eq!(env.dossiers().len(), 32);
    assert_eq!(files(&env.output()).len(), 32, "one status-14 return each");
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    let statuses = query_strings(
        &env.db(),
        "SELECT CAST(COUNT(*) AS TEXT) AS v FROM msp_statut WHERE status = 14 AND indicator = 2 AND transmitted_at IS NOT NULL",
    );
    assert_eq!(statuses, vec!["32"], "every status 14 recorded transmitted");
}

#[test]
fn a_kill_between_the_commit_and_the_moves_imports_nothing_twice() {
    let env = Env::new();
    for i in 0..12 {
        env.deliver(&Archive::aec(&format!("A-2-K{i:03}"), 1));
    }
    let originals: Vec<(String, Vec<u8>)> = files(&env.input())
        .into_iter()
        .map(|n| {
            let b = std::fs::read(env.input().join(&n)).unwrap();
            (n, b)
        })
        .collect();
    // Killed (abort, as kill -9) right after the batch's commit.
    let (code, _) = run_with_env(&env, &[], &[("MSP_FAULT", "after-commit")]);
    assert_ne!(code, 0, "the process was killed");
    assert!(
        files(&env.done()).is_empty(),
        "nothing moved before the kill"
    );
    assert_eq!(env.dossiers().len(), 12, "the batch was committed");
    assert!(
        files(&env.output()).is_empty(),
        "no return archive before the kill"
    );
    // The killed run's log holds what it wrote before the scan.
    let killed_log = env.last_log();
    assert!(
        killed_log.contains("synchronisation started"),
        "{killed_log:?}"
    );
    // The next run recovers the archives from work: each is a duplicate.
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(env.dossiers().len(), 12, "no dossier twice");
    for (name, bytes) in &originals {
        assert_eq!(
            &std::fs::read(env.done().join(name)).unwrap(),
            bytes,
            "{name} in done byte for byte"
        );
    }
    assert_eq!(files(&env.done()).len(), 12);
    let log = env.last_log();
    assert_eq!(
        log.matches("duplicate of a file already imported").count(),
        12,
        "{log}"
    );
    // The status-14 returns recorded before the kill are written now, once.
    let out = files(&env.output());
    assert_eq!(out.len(), 12, "{out:?}");
    assert!(out.iter().all(|f| f.ends_with("-AEC-LA-1.zip")), "{out:?}");
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    let counts = query_strings(
        &env.db(),
        "SELECT CAST(COUNT(*) AS TEXT) AS v FROM msp_retour WHERE written_at IS NOT NULL",
    );
    assert_eq!(counts, vec!["12"]);
}

#[test]
fn a_bad_value_written_by_a_business_application_is_reported_and_the_others_go_on() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-GOOD", 1));
    env.deliver(&Archive::rco("A-2-GARBLED", 1));
    assert_eq!(env.run(&[]).code, 0);
    // A business application writes a status code that is not a number for
    // one dossier, and a correct status for the other.
    common::exec_sql(
        &env.db(),
        "INSERT INTO msp_statut (numero, seq, status, indicator, comment, automatic, superseded, cancelled, created_at) \
         VALUES ('A-2-GARBLED', 2, 'dix-neuf', 0, NULL, 0, 0, 0, datetime('now', 'localtime')); \
         INSERT INTO msp_statut (numero, seq, status, indicator, comment, automatic, superseded, cancelled, created_at) \
         VALUES ('A-2-GOOD', 2, 16, 0, NULL, 0, 0, 0, datetime('now', 'localtime'));",
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "trouble, reported: {}{}", r.stdout, r.stderr);
    r.assert_stdout_has("table msp_statut, column status: value \"dix-neuf\" is not an integer (row numero = A-2-GARBLED)");
    assert!(
        files(&env.output()).contains(&"A-2-GOOD-RCO-LA-2.zip".to_string()),
        "the other dossier's status went out: {:?}",
        files(&env.output())
    );
    assert_eq!(env.dossier("A-2-GOOD")["status"], 16);
    let garbled = env
        .dossiers()
        .into_iter()
        .find(|d| d["numero"] == "A-2-GARBLED")
        .unwrap();
    assert_eq!(
        garbled["status"], 14,
        "the written row is not taken as status 0"
    );
    let show = env.msp(&["dossier", "show", "A-2-GARBLED", "--json"]);
    assert_ne!(
        show.code, 0,
        "its history cannot be shown as if it were right"
    );
    show.assert_stderr_has("column status: value \"dix-neuf\" is not an integer");
    assert!(env.last_log().contains("column status: value \"dix-neuf\""));
}

#[test]
fn one_process_per_set_of_towns_with_client() {
    let env = Env::with_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n\
         [[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"sqlite://lyon.db\"\n",
    );
    env.deliver(&Archive::rco("A-2-PARIS", 1));
    env.deliver(&Archive::rco("A-2-LYON", 1).routed_to("69123"));
    let r = env.run(&["--client", "Paris"]);
    r.assert_code(0);
    assert_eq!(files(&env.done()), vec!["A-2-PARIS-RCO-LA-1.zip"]);
    assert_eq!(
        files(&env.input()),
        vec!["A-2-LYON-RCO-LA-1.zip"],
        "Lyon's archive is left to the process that serves Lyon"
    );
    assert!(env.work_files().is_empty());
    let r = env.run(&["--client", "Lyon"]);
    r.assert_code(0);
    assert_eq!(
        files(&env.done()),
        vec!["A-2-LYON-RCO-LA-1.zip", "A-2-PARIS-RCO-LA-1.zip"]
    );
    assert_eq!(files(&env.output()).len(), 2);
    let r = env.run(&["--client", "Marseille"]);
    assert_ne!(r.code, 0);
    r.assert_stderr_has("unknown client Marseille (configured: Paris, Lyon)");
}

#[test]
fn pending_work_is_found_by_index() {
    let env = Env::new();
    env.deliver(&Archive::ile("A-2-IDX", 1));
    assert_eq!(env.run(&[]).code, 0);
    let plan = |sql: &str| -> Vec<String> {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Step {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let mut c = diesel::SqliteConnection::establish(&env.db().to_string_lossy()).unwrap();
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<Step>(&mut c)
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect()
    };
    // The returns step's queries (as the SQLite backend writes them).
    for (sql, index) in [
        (
            "SELECT numero, seq FROM msp_statut WHERE indicator = 0 AND superseded = 0 AND cancelled = 0",
            "msp_statut_pending",
        ),
        ("SELECT numero FROM msp_dossier WHERE indicator = 0", "msp_dossier_indicator"),
        ("SELECT numero FROM msp_retour WHERE written_at IS NULL", "msp_retour_written"),
        (
            "SELECT numero FROM msp_retour WHERE collected_at IS NULL AND written_at IS NOT NULL",
            "msp_retour_collected",
        ),
        // A batch's questions, by the dossiers' keys (IN lists of two or
        // more: with one name any index would do).
        (
            "SELECT numero FROM msp_dossier WHERE numero IN ('A-2-IDX', 'B', 'C', 'C')",
            "sqlite_autoindex_msp_dossier_1",
        ),
        (
            "SELECT numero, increment, written_at FROM msp_retour WHERE numero IN ('A-2-IDX', 'B')",
            "sqlite_autoindex_msp_retour_1",
        ),
    ] {
        let p = plan(sql).join(" / ");
        assert!(p.contains(index), "{sql}: {p}");
        assert!(!p.starts_with("SCAN "), "{sql}: {p}");
    }
}

#[test]
fn rows_the_database_refuses_affect_only_their_archive() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-SETUP", 1));
    assert_eq!(env.run(&[]).code, 0);
    // The database refuses one dossier's rows (a trigger, as a business
    // application's constraint would).
    common::exec_sql(
        &env.db(),
        "CREATE TRIGGER refuse BEFORE INSERT ON msp_dossier WHEN NEW.numero = 'A-2-REFUSED' \
         BEGIN SELECT RAISE(ABORT, 'refused by the town''s rules'); END;",
    );
    for i in 0..10 {
        env.deliver(&Archive::ile(&format!("A-2-R{i:02}"), 1));
    }
    env.deliver(&Archive::ile("A-2-REFUSED", 1));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "the environment refused: trouble, {}", r.stdout);
    r.assert_stdout_has("refused by the town's rules");
    assert_eq!(
        files(&env.input()),
        vec!["A-2-REFUSED-ILE-LA-1.zip"],
        "kept for retry"
    );
    assert!(files(&env.error()).is_empty(), "not the citizen's fault");
    assert_eq!(files(&env.done()).len(), 11, "the others are imported");
    assert_eq!(env.dossiers().len(), 11);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    common::exec_sql(&env.db(), "DROP TRIGGER refuse;");
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(env.dossiers().len(), 12);
}

#[test]
fn a_code_insee_no_column_could_hold_is_bad_input() {
    // The embedded default routes any CodeINSEE ("*"): a value longer than
    // an INSEE code would otherwise reach the database and be refused there
    // (trouble, retried for ever) instead of being the archive's fault.
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-LONG", 1).routed_to("750561"));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        files(&env.error()),
        vec!["A-2-LONG-RCO-LA-1.zip", "A-2-LONG-RCO-LA-1.zip.log"]
    );
    let log = std::fs::read_to_string(env.error().join("A-2-LONG-RCO-LA-1.zip.log")).unwrap();
    common::assert_has(&log, "CodeINSEE \"750561\" is not an INSEE code");
    // Said as what it is: not a commune left out of the configuration.
    common::assert_has(
        &log,
        "Motif : Le code INSEE de la commune destinataire n'est pas un code valide",
    );
    assert!(!log.contains("n'est pas configurée"), "{log}");
    common::assert_has(&log, "Code : invalid-insee");
}

#[test]
fn a_status_14_return_written_meanwhile_by_another_process_is_not_written_twice() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-RACE", 1));
    // The first process commits the import, moves the archive to done, then
    // waits 3 s before writing the status-14 return flow.
    let first = env.spawn_run(&[("MSP_FAULT", "pause-before-returns")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while files(&env.done()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the import never ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Meanwhile a second process finds that return flow recorded and
    // unwritten, and writes it.
    let second = env.run(&[]);
    second.assert_code(0);
    assert_eq!(files(&env.output()), vec!["A-2-RACE-RCO-LA-1.zip"]);
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    // The first process saw it written: one archive, one log line, recorded
    // written once.
    assert_eq!(files(&env.output()), vec!["A-2-RACE-RCO-LA-1.zip"]);
    let logs: String = files(&env.logs())
        .iter()
        .map(|f| std::fs::read_to_string(env.logs().join(f)).unwrap())
        .collect();
    assert_eq!(
        logs.matches("A-2-RACE: return flow 1 (status 14) written")
            .count(),
        1,
        "{logs}"
    );
    let written = query_strings(
        &env.db(),
        "SELECT CAST(COUNT(*) AS TEXT) AS v FROM msp_retour WHERE written_at IS NOT NULL",
    );
    assert_eq!(written, vec!["1"]);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn the_unwritten_returns_of_a_batch_are_those_of_its_dossiers_only() {
    let env = Env::new();
    for n in ["A-2-UW1", "A-2-UW2", "A-2-UW3", "A-2-UW4"] {
        env.deliver(&Archive::ile(n, 1));
    }
    assert_eq!(env.run(&[]).code, 0);
    // Three of the four status-14 returns unwritten again, one of them of a
    // dossier outside the question.
    {
        use diesel::{Connection, RunQueryDsl};
        let mut c = diesel::SqliteConnection::establish(&env.db().to_string_lossy()).unwrap();
        diesel::sql_query(
            "UPDATE msp_retour SET written_at = NULL WHERE numero IN ('A-2-UW1', 'A-2-UW3', 'A-2-UW4')",
        )
        .execute(&mut c)
        .unwrap();
    }
    let config = msp_core::Config::from_toml(
        &format!(
            "root = \"msp-data\"\n[[client]]\nname = \"m\"\ninsee = [\"*\"]\ndatabase = \"sqlite://{}\"\n",
            env.db().display()
        ),
        env.path(),
        "test".into(),
    )
    .unwrap();
    let backend = db_backends::open(&config, &config.clients[0]).unwrap();
    let of = |numeros: &[&str]| {
        let mut v: Vec<(String, u32)> = backend
            .unwritten_returns_of(numeros)
            .unwrap()
            .into_iter()
            .collect();
        v.sort();
        v
    };
    let one = |n: &str| (n.to_string(), 1);
    // Duplicates and unknown dossiers change nothing; a written return
    // (A-2-UW2) and one outside the question (A-2-UW4) are not given.
    assert_eq!(
        of(&["A-2-UW1", "A-2-UW2", "A-2-UW3", "A-2-UW1", "A-2-NONE"]),
        [one("A-2-UW1"), one("A-2-UW3")]
    );
    assert_eq!(of(&[]), []);
    // More names than one IN list holds: the question is asked in parts.
    let many: Vec<String> = (0..600).map(|i| format!("A-2-X{i:03}")).collect();
    let mut names: Vec<&str> = many.iter().map(String::as_str).collect();
    names.insert(300, "A-2-UW4");
    names.push("A-2-UW3");
    assert_eq!(of(&names), [one("A-2-UW3"), one("A-2-UW4")]);
    // The same answer as the whole list of unwritten returns, filtered.
    let mut all: Vec<(String, u32)> = backend
        .unwritten_returns()
        .unwrap()
        .into_iter()
        .map(|r| (r.numero, r.increment))
        .collect();
    all.sort();
    assert_eq!(all, [one("A-2-UW1"), one("A-2-UW3"), one("A-2-UW4")]);
}
