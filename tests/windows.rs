//! The Windows build (`msp.exe`, `portal-sim.exe`) run under Wine, on
//! Windows paths (`Z:\` is Wine's drive for the host's `/`): the README's
//! first command, `dossier list`, `status`, `errors`, a rejected archive
//! with its French log, the lifecycle with its return archives, ODBC
//! through Wine's `odbc32` to PostgreSQL and MariaDB, kill -9 mid-run,
//! two runs at once, an archive held by another program (as an antivirus
//! does), the console (`msp.exe serve`), the Task Scheduler task and the
//! Windows service.
//!
//! Run by `.ci/wine`, which cross-builds the executables into a folder and
//! sets `MSP_WINDOWS_BIN` to it; without it every test says SKIPPED.
//! `MSP_WINE_KILLS` sets the number of kills (default 3).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::web::{Client, Console};
use common::{files, zip_text, Env, Run};
use portal_sim::{Archive, Broken};
use serde_json::Value;

/// The folder of the Windows executables, or None (said SKIPPED).
fn windows(test: &str) -> Option<Win> {
    match std::env::var_os("MSP_WINDOWS_BIN") {
        Some(bin) => Some(Win { bin: bin.into() }),
        None => {
            eprintln!("SKIPPED {test}: MSP_WINDOWS_BIN is not set (bash .ci/wine cross-builds msp.exe and runs this suite under Wine)");
            None
        }
    }
}

/// Wine's service manager serves one caller at a time (two at once:
/// "Service database locked", or schtasks failing): the tests that
/// register a task or a service take turns.
static SCM: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The service manager's turn.
fn scm_turn() -> std::sync::MutexGuard<'static, ()> {
    SCM.lock().unwrap_or_else(|e| e.into_inner())
}

/// The service manager's turn, the Task Scheduler's service started: Wine
/// leaves it stopped on a new prefix (schtasks then fails with
/// SCHED_E_SERVICE_NOT_RUNNING, 0x80041315, and a later call can hang),
/// where Windows always runs it. `net start` is asked again until it says
/// so: on a new prefix it first answers "Service database locked" or
/// "Service request timeout" while Wine's first boot settles.
fn task_scheduler() -> std::sync::MutexGuard<'static, ()> {
    let turn = scm_turn();
    for _ in 0..20 {
        let said = loader()
            .args(["net", "start", "schedule"])
            .env("WINEDEBUG", "-all")
            .output()
            .expect("wine runs");
        let said = String::from_utf8_lossy(&said.stdout).to_lowercase();
        if said.contains("started successfully") || said.contains("already") {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    turn
}

/// Wine's loader (the process itself: a kill reaches it).
fn loader() -> Command {
    Command::new(std::env::var("MSP_WINE").unwrap_or_else(|_| {
        if Path::new("/usr/lib/wine/wine64").exists() {
            "/usr/lib/wine/wine64".into()
        } else {
            "wine".into()
        }
    }))
}

/// Wine's drive Z: for a host path: `/tmp/x` is `Z:\tmp\x`.
fn win_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// The Windows executables and how to run them.
struct Win {
    bin: PathBuf,
}

impl Win {
    /// `exe` under Wine's loader.
    fn command(&self, exe: &str, dir: &Path) -> Command {
        let mut cmd = loader();
        cmd.arg(self.bin.join(exe))
            .current_dir(dir)
            .env("WINEDEBUG", "-all")
            .env_remove("MSP_LOG");
        cmd
    }

    fn exe(&self, exe: &str, dir: &Path, args: &[&str]) -> Run {
        Run::from(
            self.command(exe, dir)
                .args(args)
                .output()
                .expect("wine runs"),
        )
    }

    fn msp(&self, env: &Env, args: &[&str]) -> Run {
        self.exe("msp.exe", env.path(), args)
    }

    fn spawn_run(&self, env: &Env) -> Child {
        self.command("msp.exe", env.path())
            .args(["run", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wine runs")
    }

    fn dossiers(&self, env: &Env) -> Vec<Value> {
        let r = self.msp(env, &["dossier", "list", "--json"]);
        r.assert_code(0);
        serde_json::from_str::<Value>(&r.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A configuration in Windows spelling: Paris (75056) on SQLite, every
/// path absolute on drive Z:.
fn windows_config(root: &Path) -> String {
    format!(
        "root = '{root}'\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = 'sqlite://{db}'\n",
        root = win_path(root),
        db = win_path(&root.join("msp.db")),
    )
}

fn numeros(dossiers: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = dossiers
        .iter()
        .map(|d| d["numero"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[test]
fn the_readme_first_command_under_wine() {
    let Some(win) = windows("the README's first command") else {
        return;
    };
    let env = Env::new();
    let sim = win.exe("portal-sim.exe", env.path(), &["--count", "5"]);
    sim.assert_code(0);
    // portal-sim says where it wrote, in Windows spelling.
    sim.assert_stdout_has("msp-data\\entree\\");
    let run = win.msp(&env, &["run"]);
    run.assert_code(0);
    run.assert_stdout_has("log: .\\msp-data\\logs\\sync-");
    assert_eq!(files(&env.done()).len(), 5, "{}", run.stdout);
    assert_eq!(files(&env.output()).len(), 5, "one status-14 return each");
    assert!(files(&env.input()).is_empty());
    assert_eq!(win.dossiers(&env).len(), 5);
    let status = win.msp(&env, &["status"]);
    status.assert_code(0);
    status.assert_stdout_has("OK");
}

#[test]
fn windows_paths_with_accents_a_rejection_and_its_french_log() {
    let Some(win) = windows("Windows paths") else {
        return;
    };
    let env = Env::new();
    let root = env.path().join("Mairie d’Évreux").join("msp-data");
    let input = root.join("entree");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(env.path().join("msp.toml"), windows_config(&root)).unwrap();
    Archive::rco("WINPATH1", 1).write_to(&input).unwrap();
    Archive::aec("WINPATH2", 1).write_to(&input).unwrap();
    Archive::rco("WINBAD", 1)
        .broken(Broken::BreaksRule)
        .write_to(&input)
        .unwrap();
    let config = win_path(&env.path().join("msp.toml"));
    let run = win.exe("msp.exe", env.path(), &["--config", &config, "run"]);
    run.assert_code(1);
    // Every path msp shows is the Windows one, accents kept.
    run.assert_stdout_has(&format!("log: {}\\logs\\sync-", win_path(&root)));
    let error = files(&root.join("erreur"));
    assert!(
        error.contains(&"WINBAD-RCO-LA-1.zip".to_string()),
        "{error:?}"
    );
    let log = std::fs::read_to_string(root.join("erreur").join("WINBAD-RCO-LA-1.zip.log"))
        .expect("the rejection's French log beside the archive");
    assert!(log.contains("ans"), "a census rule said in French: {log}");
    let errors = win.exe(
        "msp.exe",
        env.path(),
        &["--config", &config, "errors", "list"],
    );
    errors.assert_code(0);
    errors.assert_stdout_has("WINBAD-RCO-LA-1.zip");
    let list = win.exe(
        "msp.exe",
        env.path(),
        &["--config", &config, "dossier", "list", "--json"],
    );
    list.assert_code(0);
    let dossiers: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(numeros(&dossiers), ["WINPATH1", "WINPATH2"]);
}

#[test]
fn the_lifecycle_sends_its_return_archives() {
    let Some(win) = windows("the lifecycle") else {
        return;
    };
    let env = Env::new();
    env.deliver(&Archive::rco("WINLIFE", 1));
    win.msp(&env, &["run"]).assert_code(0);
    for (code, comment) in [
        ("16", "Votre demande est en cours d'instruction."),
        ("19", ""),
    ] {
        let mut args = vec!["dossier", "status", "WINLIFE", code];
        if !comment.is_empty() {
            args.extend(["--comment", comment]);
        }
        win.msp(&env, &args).assert_code(0);
        win.msp(&env, &["run"]).assert_code(0);
    }
    let out = files(&env.output());
    assert_eq!(
        out,
        [
            "WINLIFE-RCO-LA-1.zip",
            "WINLIFE-RCO-LA-2.zip",
            "WINLIFE-RCO-LA-3.zip",
            "WINLIFE-RCO-LA-4.zip"
        ]
        .map(String::from),
        "14, 16, 19 and the automatic 100"
    );
    let second = zip_text(&env.output().join(&out[1]), "message.xml");
    assert!(
        second.contains("<Etat>16</Etat>") || second.contains(":Etat>16<"),
        "{second}"
    );
    assert!(
        second.contains("en cours d'instruction") || second.contains("en cours d&apos;instruction"),
        "{second}"
    );
    let shown = win.msp(&env, &["dossier", "show", "WINLIFE", "--json"]);
    shown.assert_code(0);
    let dossier: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(dossier["status"], 100, "{dossier}");
}

#[test]
fn the_console_serves_and_records_a_status_under_wine() {
    let Some(win) = windows("the console under Wine") else {
        return;
    };
    let env = Env::new();
    env.deliver(&Archive::rco("WINWEB", 1));
    win.msp(&env, &["run"]).assert_code(0);
    let console = Console::spawn(win.command("msp.exe", env.path()));
    let mut c = Client::new(&console);
    let home = c.get("/");
    assert_eq!(home.status, 200);
    common::assert_has(&home.text(), "Tableau de bord");
    common::assert_has(&c.get("/dossiers").text(), "WINWEB");
    // A clerk's status change through the form, recorded in the database
    // msp.exe writes on Windows paths.
    let page = "/dossiers/WINWEB";
    let token = c.csrf(page);
    let r = c.post(
        &format!("{page}/statut"),
        &[
            ("csrf", token.as_str()),
            ("code", "16"),
            ("commentaire", "Votre demande est en cours d'instruction."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    common::assert_has(
        &c.get(page).text(),
        "Nouveau statut enregistré : 16 — dossier en cours de traitement.",
    );
    drop(console);
    let shown = win.msp(&env, &["dossier", "show", "WINWEB", "--json"]);
    shown.assert_code(0);
    let dossier: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(dossier["status"], 16, "{dossier}");
}

/// Imports three dossiers through Wine's ODBC into `database` and reads
/// their rows back.
fn import_through_odbc(win: &Win, engine: &str, client_lines: &str) {
    let env = Env::new();
    std::fs::write(
        env.path().join("msp.toml"),
        format!(
            "root = 'msp-data'\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\n{client_lines}"
        ),
    )
    .unwrap();
    common::write_mixed_flows(&env.input(), 3, |i| format!("WODBC{i}"));
    let run = win.msp(&env, &["run"]);
    run.assert_code(0);
    assert_eq!(
        files(&env.done()).len(),
        3,
        "{engine}: {}{}",
        run.stdout,
        run.stderr
    );
    let dossiers = win.dossiers(&env);
    assert_eq!(
        numeros(&dossiers),
        ["WODBC0", "WODBC1", "WODBC2"],
        "{engine}"
    );
    let shown = win.msp(&env, &["dossier", "show", "WODBC0", "--rows", "--json"]);
    shown.assert_code(0);
    assert!(
        shown.stdout.contains("\"rows\""),
        "{engine}: {}",
        shown.stdout
    );
}

/// A driver by its library's full path: Wine 8's odbc32 hands unixODBC a
/// driver named in odbcinst.ini as `DIR\\library` (a Windows separator in
/// a Unix path), so under Wine the connection string names the library
/// (on Windows, the driver's name: see the README).
fn driver(library: &str) -> String {
    let path = Path::new("/usr/lib/x86_64-linux-gnu/odbc").join(library);
    assert!(
        path.exists(),
        "{} (Debian's ODBC driver packages, installed by .ci/run)",
        path.display()
    );
    path.display().to_string()
}

#[test]
fn odbc_through_wine_reaches_postgresql_and_mariadb() {
    let Some(win) = windows("ODBC through Wine") else {
        return;
    };
    if let Some(pg) = common::PgDatabase::create("wine_odbc") {
        import_through_odbc(
            &win,
            "PostgreSQL",
            &format!(
                "database = \"odbc:Driver={};Server=127.0.0.1;Port=5432;Database={};Uid=postgres;\"\ndialect = \"postgres\"\n",
                driver("psqlodbcw.so"),
                pg.name()
            ),
        );
    }
    if let Some(maria) = common::MariaDatabase::create("wine_odbc") {
        let lines = maria
            .client_lines()
            .replace("{MariaDB Unicode}", &driver("libmaodbc.so"));
        import_through_odbc(&win, "MariaDB", &lines);
    }
}

/// Waits for `child`, killing it after `seconds` at most.
fn wait_at_most(child: &mut Child, seconds: u64) {
    for _ in 0..seconds * 10 {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// After the runs: every archive imported once, nothing left in input or
/// work, nothing rejected.
fn assert_each_once(win: &Win, env: &Env, count: usize) {
    let end = win.msp(env, &["run"]);
    end.assert_code(0);
    let dossiers = win.dossiers(env);
    let mut expected: Vec<String> = (0..count).map(|i| format!("WK{i:03}")).collect();
    expected.sort();
    assert_eq!(numeros(&dossiers), expected, "each dossier once");
    assert_eq!(files(&env.done()).len(), count);
    assert!(files(&env.input()).is_empty(), "{:?}", files(&env.input()));
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert!(files(&env.error()).is_empty(), "{:?}", files(&env.error()));
}

#[test]
fn kill_9_of_msp_exe_mid_run_loses_nothing() {
    let Some(win) = windows("kill -9 under Wine") else {
        return;
    };
    let kills: u32 = std::env::var("MSP_WINE_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(3);
    let env = Env::new();
    // Twenty new archives before each kill, so that every kill falls on a
    // run with work in hand (claims, imports, return archives).
    let per_kill = 20;
    let count = per_kill * kills as usize;
    // The moments vary from one kill to the next (no clock in a test's
    // outcome: wherever the kill falls, nothing may be lost).
    let seed = std::process::id() as u64;
    for k in 0..kills {
        let first = k as usize * per_kill;
        common::write_mixed_flows(&env.input(), per_kill, |i| format!("WK{:03}", first + i));
        let mut child = win.spawn_run(&env);
        let wait = 400 + (seed.wrapping_mul(2654435761).wrapping_add(k as u64 * 977) % 2500);
        std::thread::sleep(Duration::from_millis(wait));
        let _ = child.kill();
        let _ = child.wait();
    }
    assert_each_once(&win, &env, count);
}

#[test]
fn two_runs_at_once_import_each_archive_once() {
    let Some(win) = windows("two runs at once") else {
        return;
    };
    let env = Env::new();
    let count = 40;
    common::write_mixed_flows(&env.input(), count, |i| format!("WK{i:03}"));
    let mut a = win.spawn_run(&env);
    let mut b = win.spawn_run(&env);
    wait_at_most(&mut a, 300);
    wait_at_most(&mut b, 300);
    assert_each_once(&win, &env, count);
}

/// Starts hold.exe on `file` for `seconds`, once it holds it.
fn hold(win: &Win, env: &Env, file: &Path, seconds: u32) -> Child {
    let mut child = win
        .command("hold.exe", env.path())
        .args([win_path(file), seconds.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("hold.exe runs");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "held", "hold.exe holds {}", file.display());
    child
}

/// One archive delivered and held by hold.exe for `seconds`, then
/// `msp.exe run`: the installation, the holder and the run.
fn run_on_a_held_archive(win: &Win, number: &str, seconds: u32) -> (Env, Child, Run) {
    let env = Env::new();
    let archive = env.deliver(&Archive::rco(number, 1));
    let holder = hold(win, &env, &archive, seconds);
    let run = win.msp(&env, &["run"]);
    (env, holder, run)
}

#[test]
fn an_archive_held_for_a_moment_is_claimed_once_released() {
    let Some(win) = windows("an archive held for a moment") else {
        return;
    };
    let (env, mut holder, run) = run_on_a_held_archive(&win, "WINHELD", 2);
    run.assert_code(0);
    assert_eq!(
        files(&env.done()),
        ["WINHELD-RCO-LA-1.zip"],
        "{}{}",
        run.stdout,
        run.stderr
    );
    holder.wait().unwrap();
}

#[test]
fn an_archive_held_too_long_is_trouble_naming_it_and_stays() {
    let Some(win) = windows("an archive held too long") else {
        return;
    };
    let (env, mut holder, run) = run_on_a_held_archive(&win, "WINLOCKED", 60);
    let _ = holder.kill();
    let _ = holder.wait();
    run.assert_code(2);
    let said = format!("{}{}{}", run.stdout, run.stderr, env.last_log());
    assert!(
        said.contains("WINLOCKED-RCO-LA-1.zip"),
        "the file is named: {said}"
    );
    assert!(files(&env.error()).is_empty(), "never bad input");
    assert_eq!(
        files(&env.input()),
        ["WINLOCKED-RCO-LA-1.zip"],
        "it stays to be retried"
    );
    // Released: the next run imports it.
    win.msp(&env, &["run"]).assert_code(0);
    assert_eq!(files(&env.done()), ["WINLOCKED-RCO-LA-1.zip"]);
}

/// The task XML msp kept beside its folders: UTF-16 LE with its mark, as
/// schtasks reads it.
fn kept_task_xml(file: &Path) -> String {
    let kept = std::fs::read(file).unwrap();
    assert_eq!(&kept[..2], [0xFF, 0xFE], "UTF-16 LE with its mark");
    let units: Vec<u16> = kept[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

#[test]
fn the_task_scheduler_task_is_registered_and_removed() {
    let Some(win) = windows("the Task Scheduler task") else {
        return;
    };
    let Some(prefix) = std::env::var_os("WINEPREFIX") else {
        eprintln!("SKIPPED the Task Scheduler task: WINEPREFIX is not set (the registered task is read from the prefix)");
        return;
    };
    let _turn = task_scheduler();
    let env = Env::new();
    let name = format!("msp-test-{}", std::process::id());
    let r = win.msp(
        &env,
        &["schedule", "install", "--every", "7", "--name", &name],
    );
    r.assert_code(0);
    r.assert_stdout_has(&format!("the task {name} is registered"));
    // What msp wrote and registered, kept beside its folders (UTF-16).
    let xml = kept_task_xml(&env.root().join(format!("{name}-task.xml")));
    assert!(xml.contains("<Interval>PT7M</Interval>"), "{xml}");
    assert!(xml.contains("msp.exe</Command>"), "{xml}");
    assert!(xml.contains("<Arguments>run --quiet</Arguments>"), "{xml}");
    assert!(
        xml.contains(&format!(
            "<WorkingDirectory>{}</WorkingDirectory>",
            win_path(env.path())
        )),
        "{xml}"
    );
    // The Task Scheduler (Wine's) holds a task of that name.
    let registered = PathBuf::from(prefix)
        .join("drive_c/windows/system32/tasks")
        .join(&name);
    let text = String::from_utf8_lossy(&std::fs::read(&registered).unwrap()).replace('\0', "");
    assert!(text.contains("msp run every 7 minutes"), "{text}");
    win.msp(&env, &["schedule", "remove", "--name", &name])
        .assert_code(0);
    assert!(!registered.exists(), "removed");
    // The XML alone, printed (to read, or to import by hand).
    let xml_anywhere = win.msp(&env, &["schedule", "xml"]);
    xml_anywhere.assert_code(0);
    xml_anywhere.assert_stdout_has("<Task version=\"1.2\"");
}

#[test]
fn the_readme_windows_section_as_written() {
    let Some(win) = windows("the README's Windows section") else {
        return;
    };
    let Some(prefix) = std::env::var_os("WINEPREFIX") else {
        eprintln!("SKIPPED the README's Windows section: WINEPREFIX is not set (C:\\msp is read in the prefix)");
        return;
    };
    let _turn = task_scheduler();
    // C:\msp as the README sets it up: the shipped configuration as is.
    let c_msp = PathBuf::from(prefix).join("drive_c/msp");
    let _ = std::fs::remove_dir_all(&c_msp);
    std::fs::create_dir_all(&c_msp).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/windows/msp.toml");
    std::fs::copy(shipped, c_msp.join("msp.toml")).unwrap();
    let here = Env::new();
    let msp = |args: &[&str]| {
        let mut all = vec!["--config", r"C:\msp\msp.toml"];
        all.extend_from_slice(args);
        win.exe("msp.exe", here.path(), &all)
    };
    msp(&["config", "check"]).assert_code(0);
    win.exe(
        "portal-sim.exe",
        here.path(),
        &[
            "--out",
            r"C:\msp\data\entree",
            "--insee",
            "90010",
            "--count",
            "3",
        ],
    )
    .assert_code(0);
    let run = msp(&["run"]);
    run.assert_code(0);
    run.assert_stdout_has(r"log: C:\msp\data\logs\sync-");
    assert_eq!(
        files(&c_msp.join("data/termine")).len(),
        3,
        "{}",
        run.stdout
    );
    assert_eq!(files(&c_msp.join("data/sortie")).len(), 3);
    let list = msp(&["dossier", "list"]);
    list.assert_code(0);
    list.assert_stdout_has("A-2-SIM");
    let task = msp(&[
        "schedule",
        "install",
        "--every",
        "5",
        "--name",
        "msp-readme",
    ]);
    task.assert_code(0);
    task.assert_stdout_has(r"C:\msp\data\msp-readme-task.xml");
    let xml = kept_task_xml(&c_msp.join("data/msp-readme-task.xml"));
    assert!(
        xml.contains(r"<Arguments>run --quiet --config &quot;C:\msp\msp.toml&quot;</Arguments>"),
        "{xml}"
    );
    msp(&["schedule", "remove", "--name", "msp-readme"]).assert_code(0);
}

/// Waits at most `seconds` for `cond`.
fn wait_for(what: &str, seconds: u64, cond: impl Fn() -> bool) {
    for _ in 0..seconds * 10 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within {seconds} s");
}

#[test]
fn the_windows_service_runs_msp_every_few_seconds_and_stops_cleanly() {
    let Some(win) = windows("the Windows service") else {
        return;
    };
    let env = Env::new();
    env.deliver(&Archive::rco("WINSVC1", 1));
    // Wine ends its services (services.exe) a few seconds after the last
    // program of the session ends, where Windows keeps them for as long as
    // the machine runs: a program kept open stands for the session.
    std::fs::write(env.path().join("session"), b"").unwrap();
    let mut session = hold(&win, &env, &env.path().join("session"), 120);
    let _turn = scm_turn();
    let name = format!("msp-test-{}", std::process::id());
    let install = win.msp(
        &env,
        &["service", "install", "--name", &name, "--every", "1"],
    );
    install.assert_code(0);
    install.assert_stdout_has(&format!(
        "the service {name} is installed and started: msp run every 1 seconds in {}",
        win_path(env.path())
    ));
    // Started by the Service Control Manager, in the installation's folder:
    // what arrives is imported without anybody running msp.
    wait_for("the first archive imported by the service", 60, || {
        files(&env.done()) == ["WINSVC1-RCO-LA-1.zip"]
    });
    env.deliver(&Archive::aec("WINSVC2", 1));
    wait_for("an archive delivered later", 60, || {
        files(&env.done()).len() == 2
    });
    let remove = win.msp(&env, &["service", "remove", "--name", &name]);
    remove.assert_code(0);
    remove.assert_stdout_has(&format!("the service {name} is stopped and removed"));
    // Stopped for good: a new archive waits for the next run.
    env.deliver(&Archive::ile("WINSVC3", 1));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(files(&env.input()), ["WINSVC3-ILE-LA-1.zip"]);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert_eq!(numeros(&win.dossiers(&env)), ["WINSVC1", "WINSVC2"]);
    // Gone from the Service Control Manager.
    let again = win.msp(&env, &["service", "remove", "--name", &name]);
    again.assert_code(2);
    again.assert_stderr_has(&format!("no service {name}"));
    let _ = session.kill();
    let _ = session.wait();
}
