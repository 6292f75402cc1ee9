//! The SFTP transport against a real OpenSSH server (`tests/common/sshd.rs`):
//! pull and push, host keys and user keys refused, the server stopped, and
//! kill -9 at random moments of both directions.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::sshd::Sshd;
use common::{backdate, files, query_strings, Env};
use portal_sim::Archive;

/// Drops `n` archives in the server's pull folder, old enough to be taken.
fn drop_remote(s: &Sshd, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let a = Archive::aec(&format!("A-2-{prefix}{i:03}"), 1);
            let p = a.write_to(&s.remote("demandes")).unwrap();
            backdate(&p, "1 minute ago");
            a.file_name()
        })
        .collect()
}

fn env_for(s: &Sshd, key: &str, known_hosts: &Path) -> Env {
    Env::with_config(&format!(
        "root = \"msp-data\"\n[[client]]\nname = \"mairie\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n{}",
        s.client_block(key, known_hosts)
    ))
}

/// An installation that knows the server's host key and signs in with the
/// key the server knows.
fn trusted_env(s: &Sshd) -> Env {
    env_for(s, "user_key", &s.dir.path().join("known_hosts"))
}

fn collected(env: &Env) -> Vec<String> {
    query_strings(
        &env.db(),
        "SELECT CAST(COUNT(*) AS TEXT) AS v FROM msp_retour WHERE collected_at IS NOT NULL",
    )
}

#[test]
fn pull_then_push_moves_every_archive_once() {
    let Some(s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    let r = env.msp(&["config", "check"]);
    r.assert_code(0);
    r.assert_stdout_has("authenticated");
    let names = drop_remote(&s, "PULL", 3);
    // Not taken: a temporary name, and an archive still being written.
    std::fs::write(s.remote("demandes").join("A-2-TMP-AEC-LA-1.zip.part"), b"x").unwrap();
    Archive::aec("A-2-FRESH", 1)
        .write_to(&s.remote("demandes"))
        .unwrap();
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(
        files(&s.remote("demandes")),
        vec!["A-2-FRESH-AEC-LA-1.zip", "A-2-TMP-AEC-LA-1.zip.part"]
    );
    assert_eq!(files(&env.done()), names);
    assert!(files(&env.input()).is_empty(), "{:?}", files(&env.input()));
    // The status-14 return flows went up, and left output for envoye.
    let up = files(&s.remote("retours"));
    assert_eq!(up.len(), 3, "{up:?}");
    assert!(up.iter().all(|f| f.ends_with("-AEC-LA-1.zip")), "{up:?}");
    assert!(files(&env.output()).is_empty());
    assert_eq!(files(&env.root().join("envoye")), up);
    assert_eq!(collected(&env), vec!["3"]);
    let log = env.last_log();
    common::assert_has(&log, "fetched from sftp://");
    common::assert_has(&log, "uploaded to sftp://");
    // An agent's decision goes up at the next run.
    let numero = names[0].trim_end_matches("-AEC-LA-1.zip");
    assert_eq!(env.msp(&["dossier", "status", numero, "16"]).code, 0);
    let r = env.run(&["--json"]);
    r.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["uploaded"], 1);
    assert_eq!(files(&s.remote("retours")).len(), 4);
    assert!(files(&s.remote("retours")).contains(&format!("{numero}-AEC-LA-2.zip")));
}

#[test]
fn an_unknown_or_changed_host_key_is_refused_with_its_fingerprint() {
    let Some(s) = Sshd::start() else { return };
    drop_remote(&s, "HK", 1);
    // Changed: known_hosts names another key for this server.
    let changed = s.dir.path().join("known_hosts_changed");
    s.write_known_hosts(&changed, "other_key.pub");
    let env = env_for(&s, "user_key", &changed);
    let r = env.run(&[]);
    r.assert_code(2);
    r.assert_stdout_has("CHANGED");
    r.assert_stdout_has("SHA256:");
    assert_eq!(files(&s.remote("demandes")).len(), 1, "nothing taken");
    let r = env.msp(&["config", "check"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("FAIL client mairie") && r.stdout.contains("CHANGED"));
    // Unknown: an empty known_hosts.
    let empty = s.dir.path().join("known_hosts_empty");
    std::fs::write(&empty, "").unwrap();
    let env = env_for(&s, "user_key", &empty);
    let r = env.run(&[]);
    assert_eq!(r.code, 2);
    r.assert_stdout_has("is not in");
    r.assert_stdout_has("SHA256:");
    // Trouble once per cause, not once per archive or per direction.
    assert_eq!(r.stdout.matches("trouble:").count(), 1, "{}", r.stdout);
}

#[test]
fn a_key_the_server_does_not_know_is_refused() {
    let Some(s) = Sshd::start() else { return };
    let env = env_for(&s, "other_key", &s.dir.path().join("known_hosts"));
    env.deliver(&Archive::rco("A-2-LOCAL", 1));
    let r = env.run(&[]);
    r.assert_code(2);
    r.assert_stdout_has("authentication refused");
    // The local import went on; the return waits in output, not collected.
    assert_eq!(files(&env.done()).len(), 1);
    assert_eq!(files(&env.output()).len(), 1);
    assert_eq!(collected(&env), vec!["0"]);
}

#[test]
fn the_server_stopped_mid_run_leaves_the_returns_for_the_next_run() {
    let Some(mut s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    let names = drop_remote(&s, "MID", 3);
    // The run pulls and imports, then waits 3 s before pushing: the server
    // goes down in that window, with the run's connection.
    let child = env.spawn_run(&[("MSP_FAULT", "pause-before-push")]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while files(&env.output()).len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the import never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    s.stop();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_eq!(stdout.matches("trouble:").count(), 1, "{stdout}");
    assert_eq!(
        files(&env.done()),
        names,
        "the pull and the import were made"
    );
    assert!(files(&s.remote("demandes")).is_empty());
    assert_eq!(files(&env.output()).len(), 3, "the returns wait in output");
    assert_eq!(collected(&env), vec!["0"]);
    s.restart();
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&s.remote("retours")).len(), 3);
    assert!(files(&env.output()).is_empty());
    assert_eq!(collected(&env), vec!["3"]);
}

#[test]
fn a_stopped_server_leaves_everything_for_the_next_run() {
    let Some(mut s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    let names = drop_remote(&s, "DOWN", 2);
    env.deliver(&Archive::rco("A-2-LOCALDOWN", 1));
    s.stop();
    let r = env.run(&[]);
    r.assert_code(2);
    r.assert_stdout_has("cannot connect");
    assert_eq!(files(&env.output()).len(), 1, "the return waits in output");
    assert_eq!(files(&s.remote("demandes")), names);
    s.restart();
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&env.done()).len(), 3);
    assert_eq!(files(&s.remote("retours")).len(), 3);
    assert!(files(&s.remote("demandes")).is_empty());
    assert!(files(&env.output()).is_empty());
}

/// Archives the portal drops between two kills.
const PER_ROUND: usize = 25;

/// kill -9 at random moments of runs that pull and push, then a clean run:
/// every archive imported once, every return on the server once, no
/// temporary file left on either side. `MSP_SFTP_KILLS` sets the number of
/// kills (default 12).
#[test]
fn kill_9_during_pull_and_push_moves_everything_exactly_once() {
    let Some(s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    let kills: usize = std::env::var("MSP_SFTP_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    // A run of this size, untouched, gives the time over which to spread
    // the kills.
    let mut all = drop_remote(&s, "KFIRST", PER_ROUND);
    let t = std::time::Instant::now();
    assert_eq!(env.run(&[]).code, 0);
    let span = t.elapsed().as_millis().max(50) as u64;
    let mut rng = portal_sim::Seq::new(0x9e37_79b9);
    let mut phases: std::collections::BTreeMap<&str, u32> = Default::default();
    for round in 0..kills {
        // Every fourth round, a run to the end drains the backlog, so that
        // the kills keep landing in every phase, not only in ever longer
        // pulls.
        if round % 4 == 3 {
            assert_eq!(env.run(&[]).code, 0, "a run after kills");
        }
        all.extend(drop_remote(&s, &format!("K{round:02}X"), PER_ROUND));
        let child = Command::new(env!("CARGO_BIN_EXE_msp"))
            .arg("run")
            .current_dir(env.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.range(0, span)));
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-9", &pid]).status();
        let _ = child.wait_with_output();
        // Where the kill landed, from what it left behind (this round's
        // archives only).
        let tag = format!("K{round:02}X");
        let mine = |dir: &Path| files(dir).into_iter().filter(|f| f.contains(&tag)).count();
        let phase = if files(&s.remote("retours"))
            .iter()
            .any(|f| f.ends_with(".msp-part") && f.contains(&tag))
            || files(&env.work())
                .iter()
                .any(|f| f.starts_with(".msp-push-") && f.contains(&tag))
        {
            "during an upload"
        } else if !env.work_files().is_empty() {
            "during the import"
        } else if files(&env.input())
            .iter()
            .any(|f| f.ends_with(&format!(".{pid}.msp-pull")))
        {
            "during a download"
        } else if mine(&s.remote("demandes")) == PER_ROUND {
            "before the pull (connecting)"
        } else if mine(&s.remote("demandes")) > 0 {
            "between downloads"
        } else if mine(&env.done()) < PER_ROUND {
            "after the pull, before the import ended"
        } else if mine(&s.remote("retours")) == PER_ROUND {
            "after the run"
        } else {
            "between uploads"
        };
        *phases.entry(phase).or_insert(0) += 1;
    }
    eprintln!("kills by phase (a run takes {span} ms): {phases:?}");
    let r = env.run(&[]);
    r.assert_code(0);
    let r = env.run(&[]);
    r.assert_code(0);
    all.sort();
    let done: Vec<String> = files(&env.done())
        .into_iter()
        .filter(|f| !f.contains('~'))
        .collect();
    assert_eq!(done, all, "every archive in done once");
    assert_eq!(env.dossiers().len(), all.len(), "one dossier each");
    assert!(files(&s.remote("demandes")).is_empty());
    let up = files(&s.remote("retours"));
    assert_eq!(up.len(), all.len(), "one status-14 return each: {up:?}");
    assert!(up.iter().all(|f| f.ends_with("-AEC-LA-1.zip")), "{up:?}");
    assert!(files(&env.input()).is_empty(), "{:?}", files(&env.input()));
    assert!(
        files(&env.output()).is_empty(),
        "{:?}",
        files(&env.output())
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert_eq!(collected(&env), vec![all.len().to_string()]);
    if let Some(keep) = std::env::var_os("MSP_SFTP_KEEP") {
        let _ = Command::new("cp")
            .arg("-r")
            .arg(env.path())
            .arg(&keep)
            .status();
    }
}

#[test]
fn a_push_killed_before_or_after_its_rename_is_completed_never_repeated() {
    let Some(s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    // Killed after the journal, before the rename: the upload sits under
    // its temporary name; the next run renames it.
    env.deliver(&Archive::rco("A-2-JRN", 1));
    assert_ne!(env.run_with(&[("MSP_FAULT", "after-journal")]), 0);
    assert_eq!(
        files(&s.remote("retours")),
        vec![".A-2-JRN-RCO-LA-1.zip.msp-part"]
    );
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(files(&s.remote("retours")), vec!["A-2-JRN-RCO-LA-1.zip"]);
    assert!(env.last_log().contains("interrupted push completed"));
    assert_eq!(collected(&env), vec!["1"]);
    // Killed after the rename, and the portal collected the archive before
    // the next run: the journal says delivered, nothing is uploaded again.
    env.deliver(&Archive::rco("A-2-TAKEN", 1));
    assert_ne!(env.run_with(&[("MSP_FAULT", "after-rename")]), 0);
    std::fs::remove_file(s.remote("retours").join("A-2-TAKEN-RCO-LA-1.zip")).unwrap();
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(files(&s.remote("retours")), vec!["A-2-JRN-RCO-LA-1.zip"]);
    assert_eq!(files(&env.root().join("envoye")).len(), 2);
    assert!(files(&env.output()).is_empty());
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert_eq!(collected(&env), vec!["2"]);
}

#[test]
fn two_runs_at_once_move_every_archive_exactly_once() {
    let Some(s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    let mut all = Vec::new();
    for round in 0..3 {
        all.extend(drop_remote(&s, &format!("TWO{round}X"), 15));
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_msp"))
                .arg("run")
                .current_dir(env.path())
                .output()
                .unwrap()
        };
        let (a, b) = std::thread::scope(|sc| {
            let a = sc.spawn(spawn);
            let b = sc.spawn(spawn);
            (a.join().unwrap(), b.join().unwrap())
        });
        for o in [&a, &b] {
            assert!(
                o.status.code() == Some(0),
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    // What one of them left to the other is moved by the next run.
    assert_eq!(env.run(&[]).code, 0);
    all.sort();
    assert_eq!(files(&env.done()), all, "every archive imported once");
    let up = files(&s.remote("retours"));
    assert_eq!(
        up.len(),
        all.len(),
        "each return once, none partial: {up:?}"
    );
    assert!(up.iter().all(|f| f.ends_with("-AEC-LA-1.zip")), "{up:?}");
    for f in &up {
        let bytes = std::fs::read(s.remote("retours").join(f)).unwrap();
        assert!(
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).is_ok(),
            "{f} is a whole archive"
        );
    }
    assert_eq!(collected(&env), vec![all.len().to_string()]);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[cfg(unix)]
#[test]
fn a_link_in_output_is_neither_uploaded_nor_moved() {
    let Some(s) = Sshd::start() else { return };
    let env = trusted_env(&s);
    env.deliver(&Archive::aec("A-2-LNK", 1));
    assert_eq!(env.run(&[]).code, 0);
    let file = "A-2-LNK-AEC-LA-1.zip";
    assert_eq!(files(&s.remote("retours")), [file]);
    // The return made pending again, its file in output a link to a secret.
    std::fs::remove_file(s.remote("retours").join(file)).unwrap();
    std::fs::remove_file(env.root().join("envoye").join(file)).unwrap();
    common::exec_sql(&env.db(), "UPDATE msp_retour SET collected_at = NULL");
    let secret = env.path().join("secret.txt");
    std::fs::write(&secret, "SECRET-HASH").unwrap();
    std::os::unix::fs::symlink(&secret, env.output().join(file)).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "trouble: {}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("is a symbolic link") || r.stderr.contains("is a symbolic link"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(files(&s.remote("retours")).is_empty(), "nothing uploaded");
    assert!(
        std::fs::symlink_metadata(env.output().join(file))
            .unwrap()
            .file_type()
            .is_symlink(),
        "left where it is"
    );
    assert!(files(&env.root().join("envoye")).is_empty());
}
