//! Running unattended, with the real binary: SIGTERM and SIGINT stop `msp
//! run` (once, or `--every`) after the archives in hand with its log
//! written and exit 0, a second signal at once; `msp serve` stops
//! accepting, finishes its requests and exits 0. A synchronisation with
//! nothing to do leaves one line in the day's file, not a log of its own,
//! and the console's list skips it. `msp status` speaks Nagios on its first
//! line.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::web::{Client, Console};
use common::{files, Env};
use diesel::sql_types::BigInt;
use diesel::{sql_query, Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use portal_sim::Archive;

/// `msp ARGS` started in `env`, its output captured.
fn start(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(args)
        .current_dir(env.path())
        .env_remove("MSP_LOG")
        .env("LANG", "C.UTF-8")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msp starts")
}

/// Sends `signal` (`TERM`, `INT`) to `pid`, as a supervisor does.
fn kill(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// Waits at most `timeout` for `child` to end (killing it and failing
/// the test otherwise).
fn ended(mut child: Child, timeout: Duration) -> common::Run {
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "msp still running after {timeout:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    common::Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Waits at most `timeout` for `cond`.
fn wait_for(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "waited {timeout:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Dossiers committed in the database (0 before it exists).
fn committed(env: &Env) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    if !env.db().exists() {
        return 0;
    }
    let Ok(mut c) = SqliteConnection::establish(&env.db().to_string_lossy()) else {
        return 0;
    };
    sql_query("SELECT COUNT(*) AS n FROM msp_dossier")
        .load::<N>(&mut c)
        .ok()
        .and_then(|v| v.first().map(|r| r.n))
        .unwrap_or(0)
}

/// The record of the last run exists: a first synchronisation is over.
fn a_run_recorded(env: &Env) -> bool {
    env.work().join(".msp-last-run.json").exists()
}

/// The synchronisation logs (`sync-*.log`) and the days' files of empty
/// runs (`empty-*.log`).
fn sync_logs(env: &Env) -> (Vec<String>, Vec<String>) {
    let all = files(&env.logs());
    (
        all.iter()
            .filter(|f| f.starts_with("sync-"))
            .cloned()
            .collect(),
        all.iter()
            .filter(|f| f.starts_with("empty-"))
            .cloned()
            .collect(),
    )
}

#[test]
fn sigterm_wakes_the_every_sleep_and_exits_0() {
    let env = Env::new();
    let child = start(&env, &["run", "--every", "60"], &[]);
    let pid = child.id();
    wait_for("the first run", Duration::from_secs(20), || {
        a_run_recorded(&env)
    });
    let asked = Instant::now();
    kill(pid, "TERM");
    let end = ended(child, Duration::from_secs(10));
    end.assert_code(0);
    // Woken from its 60-second sleep at once.
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    end.assert_stderr_has("msp: SIGTERM: stopping after the archives in hand");
    end.assert_stderr_has("msp: stopped on SIGTERM");
}

#[test]
fn sigint_inherited_ignored_by_a_background_job_still_stops_it() {
    let env = Env::new();
    // A shell script's background job: SIGINT ignored, through exec.
    let child = Command::new("sh")
        .args([
            "-c",
            "trap '' INT; exec \"$0\" run --every 60",
            env!("CARGO_BIN_EXE_msp"),
        ])
        .current_dir(env.path())
        .env_remove("MSP_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    wait_for("the first run", Duration::from_secs(20), || {
        a_run_recorded(&env)
    });
    // msp caught it (the shell had set it ignored).
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mask = |field: &str| {
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .unwrap()
            .trim();
        u64::from_str_radix(hex, 16).unwrap()
    };
    assert_eq!(mask("SigIgn:") & 2, 0, "SIGINT still ignored: {status}");
    assert_eq!(mask("SigCgt:") & 2, 2, "SIGINT not caught: {status}");
    kill(pid, "INT");
    let end = ended(child, Duration::from_secs(10));
    end.assert_code(0);
    end.assert_stderr_has("msp: stopped on SIGINT");
}

#[test]
fn a_signal_during_a_batch_finishes_it_puts_the_rest_back_and_logs() {
    let env = Env::new();
    // Several batches of 128: after each commit the writer pauses 3 s
    // (test hook) while the others wait prepared, so a signal sent however
    // late on a loaded machine still finds archives not yet in hand.
    let total = 400;
    for i in 0..total {
        env.deliver(&Archive::rco(&format!("A-2-B{i:03}"), 1));
    }
    let child = start(
        &env,
        &["run", "--every", "1"],
        &[("MSP_FAULT", "pause-after-commit")],
    );
    let pid = child.id();
    wait_for("the first batch's commit", Duration::from_secs(30), || {
        committed(&env) > 0
    });
    kill(pid, "TERM");
    let end = ended(child, Duration::from_secs(15));
    end.assert_code(0);
    // The batch in hand finished: its archives in done, nothing in work;
    // the others are back in input, untouched, for the next run.
    let done = files(&env.done()).len();
    assert!((1..total).contains(&done), "{done} archives in done");
    assert_eq!(committed(&env), done as i64);
    let left = files(&env.input()).len();
    assert_eq!(left, total - done);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    end.assert_stderr_has(&format!(
        "msp: stopped on SIGTERM after the archives in hand: {left} archive(s) left in input"
    ));
    // The log is written, finished line included.
    let log = env.last_log();
    common::assert_has(
        &log,
        &format!("stopped on request after the archives in hand: {left} archive(s) left in input"),
    );
    common::assert_has(&log, &format!("synchronisation finished: {done} imported"));
    // No second run was started: one log.
    assert_eq!(sync_logs(&env).0.len(), 1, "{:?}", files(&env.logs()));
    // Nothing is lost: the next run imports the rest.
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&env.done()).len(), total);
    assert_eq!(committed(&env), total as i64);
}

#[test]
fn a_second_signal_stops_at_once_and_the_next_run_recovers() {
    let env = Env::new();
    for i in 0..3 {
        env.deliver(&Archive::rco(&format!("A-2-K{i}"), 1));
    }
    let child = start(&env, &["run"], &[("MSP_FAULT", "pause-after-commit")]);
    let pid = child.id();
    wait_for("the batch's commit", Duration::from_secs(30), || {
        committed(&env) > 0
    });
    let asked = Instant::now();
    kill(pid, "TERM");
    std::thread::sleep(Duration::from_millis(200));
    kill(pid, "TERM");
    let end = ended(child, Duration::from_secs(10));
    end.assert_code(143);
    // Before the 3-second pause was over.
    assert!(
        asked.elapsed() < Duration::from_millis(2500),
        "{:?}",
        asked.elapsed()
    );
    end.assert_stderr_has("msp: second signal: stopped at once");
    assert!(files(&env.done()).is_empty());
    // What was in hand is in work; the next run recovers it.
    let r = env.run(&[]);
    r.assert_code(0);
    r.assert_stdout_has("recovered from an interrupted run");
    assert_eq!(files(&env.done()).len(), 3);
    assert_eq!(committed(&env), 3);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn empty_runs_leave_one_line_a_day_and_the_console_lists_the_others() {
    let env = Env::new();
    let child = start(&env, &["run", "--every", "1"], &[]);
    let pid = child.id();
    let lines = |env: &Env| -> usize {
        sync_logs(env)
            .1
            .iter()
            .map(|f| {
                std::fs::read_to_string(env.logs().join(f))
                    .unwrap()
                    .lines()
                    .count()
            })
            .sum()
    };
    wait_for("three empty runs", Duration::from_secs(20), || {
        lines(&env) >= 3
    });
    kill(pid, "TERM");
    let end = ended(child, Duration::from_secs(10));
    end.assert_code(0);
    // No log of their own: one line each in the day's file.
    let (logs, days) = sync_logs(&env);
    assert!(logs.is_empty(), "{logs:?}");
    assert_eq!(days.len(), 1, "{days:?}");
    let day = std::fs::read_to_string(env.logs().join(&days[0])).unwrap();
    assert!(
        day.lines()
            .all(|l| l.contains("synchronisation with nothing to do (pid ")),
        "{day}"
    );
    // One line on stdout each, not a table.
    end.assert_stdout_has("nothing to do (log: ");
    assert!(!end.stdout.contains("imported"), "{}", end.stdout);
    // msp status reads the last run all the same.
    let r = env.msp(&["status"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // A run that imports writes its log.
    env.deliver(&Archive::rco("A-2-E1", 1));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(sync_logs(&env).0.len(), 1);
    // Two empty ones after it: --json says so and names the day's file.
    for _ in 0..2 {
        let r = env.run(&["--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["empty"], true, "{v}");
        assert!(
            v["log"].as_str().unwrap().ends_with(&days[0]),
            "{}",
            v["log"]
        );
    }
    assert_eq!(sync_logs(&env).0.len(), 1, "{:?}", files(&env.logs()));
    let r = env.msp(&["status", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["last_run"]["summary"]["empty"], true);
    // The console lists the run that imported, not the empty ones.
    let console = Console::start(&env);
    let page = Client::new(&console).get("/").text();
    let table = page
        .split("Dernières synchronisations</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("no list of synchronisations: {page}"));
    assert_eq!(
        table.matches("<tr>").count(),
        2,
        "a header and one run: {table}"
    );
    common::assert_has(table, "<td class=\"num\">1</td>");
}

#[test]
fn status_speaks_nagios_on_its_first_line() {
    let env = Env::new();
    // Nothing ran yet, one archive rejected waits: a warning saying why.
    std::fs::write(env.input().join("A-2-N1-RCO-LA-1.zip"), b"garbage").unwrap();
    assert_eq!(env.run(&[]).code, 1);
    std::fs::remove_file(env.work().join(".msp-last-run.json")).unwrap();
    let r = env.msp(&["status"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let first = r.stdout.lines().next().unwrap();
    let (text, perf) = first.split_once(" | ").unwrap();
    assert_eq!(
        text,
        "msp WARNING - no synchronisation recorded yet; 1 rejected archive(s) to handle (msp errors list)"
    );
    let figures: Vec<&str> = perf.split(' ').collect();
    assert!(
        figures.contains(&"last_run_age_seconds=U;900"),
        "{figures:?}"
    );
    assert!(figures.contains(&"error_archives=1;0"), "{figures:?}");
    assert!(figures.contains(&"input_archives=0"), "{figures:?}");
    assert!(
        figures.contains(&"input_oldest_age_seconds=0s;1800"),
        "{figures:?}"
    );
    assert!(
        figures.contains(&"databases_unreachable=0;;0"),
        "{figures:?}"
    );
    for f in &figures {
        let (key, value) = f.split_once('=').unwrap();
        assert!(!key.is_empty() && !value.is_empty(), "{f}");
    }
    // The lines per check follow, unchanged.
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("WARNING  1 rejected archive(s) to handle")),
        "{}",
        r.stdout
    );
    // All well: OK and the last synchronisation.
    std::fs::remove_file(env.error().join("A-2-N1-RCO-LA-1.zip")).unwrap();
    std::fs::remove_file(env.error().join("A-2-N1-RCO-LA-1.zip.log")).unwrap();
    assert_eq!(env.run(&[]).code, 0);
    let r = env.msp(&["status"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("msp OK - last synchronisation ")
            && first.contains("exit 0 (all went well) | last_run_age_seconds="),
        "{first}"
    );
    // --json is unchanged: no Nagios line in it.
    let r = env.msp(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["level"], "ok");
}

#[test]
fn serve_stops_accepting_finishes_the_request_in_progress_and_exits_0() {
    let env = Env::new();
    let mut console = Console::start(&env);
    let addr = console.addr();
    assert_eq!(Client::new(&console).get("/").status, 200);
    // A request in progress: its headers half sent.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    kill(console.pid(), "TERM");
    // No new connection.
    wait_for("the port to close", Duration::from_secs(5), || {
        TcpStream::connect(&addr).is_err()
    });
    assert_eq!(console.exit_code(Duration::from_millis(100)), None);
    // The request in progress is answered, then msp serve ends: exit 0.
    slow.write_all(b"\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(console.exit_code(Duration::from_secs(10)), Some(0));
}

#[test]
fn serve_stops_at_once_on_a_second_signal() {
    let env = Env::new();
    let mut console = Console::start(&env);
    let addr = console.addr();
    // A request whose headers never end holds the shutdown (until the
    // header timeout, 15 s)...
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    kill(console.pid(), "TERM");
    assert_eq!(console.exit_code(Duration::from_millis(700)), None);
    // ... unless a second signal comes.
    let asked = Instant::now();
    kill(console.pid(), "INT");
    assert_eq!(console.exit_code(Duration::from_secs(5)), Some(130));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
}
