//! Faults of the environment in the middle of a run: the PostgreSQL
//! session terminated by the server (`pg_terminate_backend`), and the
//! folders on a file system that is full (a small tmpfs mounted by the
//! test; root only, as in CI). Both are trouble: archives left for the next
//! run, none in error, none lost, a clear message; the next run finishes
//! the work exactly once.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{files, Env, PgDatabase};
use portal_sim::Archive;

#[test]
fn a_postgres_session_terminated_mid_run_leaves_the_archives_for_the_next_run() {
    let Some(mut db) = PgDatabase::create("msp_fault") else {
        return;
    };
    let name = db.name().to_string();
    let env = Env::with_config(&format!(
        "root = \"msp-data\"\n[[client]]\nname = \"pg\"\ninsee = [\"*\"]\ndatabase = \"{}\"\n",
        db.url
    ));
    env.deliver(&Archive::rco("A-2-PGSEED", 1));
    assert_eq!(env.run(&[]).code, 0);
    let n = 600;
    for i in 0..n {
        env.deliver(&Archive::aec(&format!("A-2-PGT{i:04}"), 1));
    }
    let child = env.spawn_run(&[]);
    // The server ends msp's sessions a few times while it imports.
    let mut terminated = 0;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(25));
        let r = db.admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ));
        if r.is_ok() {
            terminated += 1;
        }
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(2),
        "exit {code:?}: {stdout}"
    );
    if code == Some(2) {
        common::assert_has(&stdout, "trouble:");
        // However many ways the server words a session it ended, that is
        // one cause, said once.
        assert!(
            stdout
                .matches("the connection to the server was lost")
                .count()
                <= 1,
            "the lost connection once: {stdout}"
        );
        assert!(
            stdout.matches("trouble:").count() <= 3,
            "trouble once per cause: {stdout}"
        );
        for line in stdout.lines().filter(|l| l.contains("trouble:")) {
            eprintln!("{}", line.chars().take(160).collect::<String>());
        }
    }
    assert!(
        files(&env.error()).is_empty(),
        "none in error: {:?}",
        files(&env.error())
    );
    // The next runs finish the work: every archive once.
    for _ in 0..3 {
        if env.run(&[]).code == 0 && files(&env.input()).is_empty() {
            break;
        }
    }
    assert!(files(&env.input()).is_empty(), "{:?}", files(&env.input()));
    assert_eq!(files(&env.done()).len(), n + 1);
    assert_eq!(env.dossiers().len(), n + 1, "one dossier each");
    assert_eq!(
        files(&env.output()).len(),
        n + 1,
        "one status-14 return each"
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    eprintln!("postgres fault: {terminated} terminations sent, first run exit {code:?}");
}

#[test]
fn a_full_file_system_is_trouble_and_the_work_is_finished_once_there_is_room() {
    let env = Env::new();
    let root = env.root();
    std::fs::create_dir_all(&root).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&root)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and mounts a tmpfs"
        );
        eprintln!("SKIPPED full file system: cannot mount a tmpfs (not root)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(root.clone());
    // The database and the logs elsewhere: the folders alone are full.
    let outside = env.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    env.write_config(&format!(
        "root = \"msp-data\"\n[directories]\nlogs = \"{}\"\n[[client]]\nname = \"default\"\ninsee = [\"*\"]\ndatabase = \"sqlite://{}/msp.db\"\n",
        outside.join("logs").display(),
        outside.display()
    ));
    std::fs::create_dir_all(env.input()).unwrap();
    let n = 20;
    for i in 0..n {
        env.deliver(&Archive::rco(&format!("A-2-FULL{i:02}"), 1));
    }
    // Fill what is left.
    let filler = root.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while std::io::Write::write_all(&mut f, &block).is_ok() {}
    }
    let r = env.run(&[]);
    r.assert_code(2);
    assert!(
        r.stdout.contains("No space left on device"),
        "a clear message: {}",
        r.stdout
    );
    assert!(
        files(&env.error()).is_empty(),
        "none in error: {:?}",
        files(&env.error())
    );
    let lost: Vec<String> = (0..n)
        .map(|i| format!("A-2-FULL{i:02}-RCO-LA-1.zip"))
        .filter(|a| !env.input().join(a).exists() && !env.done().join(a).exists())
        .collect();
    assert!(lost.is_empty(), "lost: {lost:?}");
    // Room again: the next run finishes, each once.
    std::fs::remove_file(&filler).unwrap();
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&env.done()).len(), n);
    assert_eq!(env.dossiers().len(), n);
    let out: Vec<String> = files(&env.output());
    assert_eq!(out.len(), n, "one status-14 return each: {out:?}");
    assert!(files(&env.input()).is_empty());
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}
