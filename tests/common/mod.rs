//! Helpers for end-to-end tests: a temporary installation, the real `msp`
//! binary run in it, and looks into its folders and database.
#![allow(dead_code)]

pub mod sshd;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{sql_query, Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::Value;

/// A configuration of one town, Paris (75056), on `msp.db`.
pub const PARIS_ONLY: &str = "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\n";
/// A configuration of one town answering for Paris (75056) and Lyon
/// (69123), on `msp.db`.
pub const PARIS_AND_LYON: &str = "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\", \"69123\"]\ndatabase = \"sqlite://msp.db\"\n";

/// A temporary installation: its folder is the working directory of `msp`,
/// so without a configuration file the embedded default applies.
pub struct Env {
    pub dir: tempfile::TempDir,
}

/// What a finished `msp` said: its exit code and both outputs.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing both outputs when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
    }

    /// Asserts the standard output holds `text`, showing it when not.
    #[track_caller]
    pub fn assert_stdout_has(&self, text: &str) {
        assert!(self.stdout.contains(text), "{}", self.stdout);
    }

    /// Asserts the standard error holds `text`, showing it when not.
    #[track_caller]
    pub fn assert_stderr_has(&self, text: &str) {
        assert!(self.stderr.contains(text), "{}", self.stderr);
    }
}

impl Env {
    /// An installation on the embedded default (no configuration file).
    pub fn new() -> Self {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(env.input()).unwrap();
        env
    }

    /// An installation with `msp.toml` holding `toml`.
    pub fn with_config(toml: &str) -> Self {
        let env = Env::new();
        env.write_config(toml);
        env
    }

    pub fn write_config(&self, toml: &str) {
        std::fs::write(self.path().join("msp.toml"), toml).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn root(&self) -> PathBuf {
        self.path().join("msp-data")
    }
    pub fn input(&self) -> PathBuf {
        self.root().join("entree")
    }
    pub fn work(&self) -> PathBuf {
        self.root().join("travail")
    }
    pub fn output(&self) -> PathBuf {
        self.root().join("sortie")
    }
    pub fn error(&self) -> PathBuf {
        self.root().join("erreur")
    }
    pub fn done(&self) -> PathBuf {
        self.root().join("termine")
    }
    /// The folders an archive goes through, and the logs (not the
    /// attachments).
    pub fn folders(&self) -> [PathBuf; 6] {
        [
            self.input(),
            self.work(),
            self.output(),
            self.error(),
            self.done(),
            self.logs(),
        ]
    }
    /// What work holds besides msp's own state: the returns and transfer
    /// locks, the records of the last runs, the retention's time stamp.
    pub fn work_files(&self) -> Vec<String> {
        files(&self.work())
            .into_iter()
            .filter(|f| {
                !((f.starts_with(".msp-returns") || f.starts_with(".msp-sftp-"))
                    && f.ends_with(".lock"))
            })
            .filter(|f| !(f.starts_with(".msp-last-run") && f.ends_with(".json")))
            .filter(|f| f != ".msp-retention")
            .collect()
    }
    pub fn logs(&self) -> PathBuf {
        self.root().join("logs")
    }
    pub fn attachments(&self) -> PathBuf {
        self.root().join("pieces")
    }
    pub fn db(&self) -> PathBuf {
        self.root().join("msp.db")
    }

    /// Puts `archive` in input, as the portal's transport does; gives its
    /// path.
    pub fn deliver(&self, archive: &portal_sim::Archive) -> PathBuf {
        archive.write_to(&self.input()).unwrap()
    }

    /// Runs the real binary with `args` in this installation.
    pub fn msp(&self, args: &[&str]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_msp"))
            .args(args)
            .current_dir(self.path())
            .env_remove("MSP_LOG")
            // psqlODBC needs a UTF-8 locale for accented text.
            .env("LANG", "C.UTF-8")
            .output()
            .expect("msp runs");
        Run::from(out)
    }

    /// `msp run` (extra args appended), returning the run.
    pub fn run(&self, extra: &[&str]) -> Run {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        self.msp(&args)
    }

    /// `msp run` with extra environment variables (test hooks such as
    /// `MSP_FAULT`); returns the exit code.
    pub fn run_with(&self, vars: &[(&str, &str)]) -> i32 {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_msp"));
        cmd.arg("run").current_dir(self.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().expect("msp runs").status.code().unwrap_or(-1)
    }

    /// `msp run` started in the background with extra environment
    /// variables, its standard output piped.
    pub fn spawn_run(&self, vars: &[(&str, &str)]) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_msp"))
            .arg("run")
            .current_dir(self.path())
            .envs(vars.iter().copied())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("msp runs")
    }

    /// `msp dossier list --json`.
    pub fn dossiers(&self) -> Vec<Value> {
        let r = self.msp(&["dossier", "list", "--json"]);
        assert_eq!(r.code, 0, "dossier list failed: {}", r.stderr);
        serde_json::from_str::<Value>(&r.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// `msp dossier show NUMERO --json`.
    pub fn dossier(&self, numero: &str) -> Value {
        let r = self.msp(&["dossier", "show", numero, "--json"]);
        assert_eq!(r.code, 0, "dossier show failed: {}{}", r.stdout, r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    }

    /// The synchronisation log of the latest run: the one written last (by
    /// time: two runs of the same second have names that order by pid, 998
    /// after 1003).
    pub fn last_log(&self) -> String {
        let last = files(&self.logs())
            .into_iter()
            .filter(|n| n.starts_with("sync-"))
            .max_by_key(|n| {
                let modified = std::fs::metadata(self.logs().join(n)).and_then(|m| m.modified());
                (modified.ok(), n.clone())
            })
            .expect("a sync log");
        std::fs::read_to_string(self.logs().join(last)).unwrap()
    }
}

/// A sample file of tests/data.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Writes `count` archives into `dir`, of the three flows in turn (RCO-LA,
/// AEC-LA, ILE-LA), the i-th numbered `numero(i)`.
pub fn write_mixed_flows(dir: &Path, count: usize, numero: impl Fn(usize) -> String) {
    for i in 0..count {
        portal_sim::Archive::of_flow(["RCO-LA", "AEC-LA", "ILE-LA"][i % 3], &numero(i), 1)
            .write_to(dir)
            .unwrap();
    }
}

/// The increments of a dossier's return flows (`msp dossier show --json`),
/// in order.
pub fn return_increments(dossier: &Value) -> Vec<u64> {
    dossier["returns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["increment"].as_u64().unwrap())
        .collect()
}

/// The text `key` of every element of a JSON array, in order.
pub fn texts(array: &Value, key: &str) -> Vec<String> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[key].as_str().unwrap().to_string())
        .collect()
}

/// Asserts `text` holds `part`, showing `text` when not.
#[track_caller]
pub fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "{text}");
}

/// File names in a folder, sorted (empty when the folder is missing).
pub fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Row counts of every table of a SQLite database except the version table.
pub fn row_counts(db: &Path) -> Vec<(String, i64)> {
    let mut c = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
    let names: Vec<Name> = sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'msp_schema_version' ORDER BY name",
    )
    .load(&mut c)
    .unwrap();
    names
        .into_iter()
        .map(|t| {
            let n: Vec<Count> = sql_query(format!("SELECT COUNT(*) AS n FROM \"{}\"", t.name))
                .load(&mut c)
                .unwrap();
            (t.name, n[0].n)
        })
        .collect()
}

/// Asserts the database holds no dossier data at all.
pub fn assert_empty_db(db: &Path) {
    for (table, n) in row_counts(db) {
        assert_eq!(n, 0, "table {table} should be empty");
    }
}

/// One text query returning a single string column named `v`.
pub fn query_strings(db: &Path, sql: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let mut c = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
    sql_query(sql)
        .load::<V>(&mut c)
        .unwrap()
        .into_iter()
        .map(|r| r.v)
        .collect()
}

/// Sets a file's modification time back (`when`: `touch -d` words, e.g.
/// "2 days ago").
pub fn backdate(path: &Path, when: &str) {
    let ok = Command::new("touch")
        .args(["-d", when])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "touch -d {when} {}", path.display());
}

/// A new PostgreSQL database on the test server, dropped with this value.
pub struct PgDatabase {
    admin: diesel::PgConnection,
    name: String,
    /// Its URL, for a client's `database`.
    pub url: String,
}

impl PgDatabase {
    /// Creates `<prefix>_<pid>`, or says SKIPPED (a failure in CI) when the
    /// server (`MSP_TEST_POSTGRES`) does not answer.
    pub fn create(prefix: &str) -> Option<PgDatabase> {
        let admin_url = std::env::var("MSP_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut admin = match diesel::PgConnection::establish(&admin_url) {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "PostgreSQL must answer in CI: {e}"
                );
                eprintln!("SKIPPED PostgreSQL ({prefix}): {e}");
                return None;
            }
        };
        let name = format!("{prefix}_{}", std::process::id());
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(PgDatabase { admin, name, url })
    }

    /// Runs SQL as the administrator (on the server's default database).
    pub fn admin(&mut self, sql: &str) -> diesel::QueryResult<()> {
        self.admin.batch_execute(sql)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A new MariaDB database on the test server (`MSP_TEST_MYSQL`), made and
/// dropped with the `mariadb` command-line client; msp reaches it natively
/// when built with the `mysql` feature, else through ODBC.
pub struct MariaDatabase {
    name: String,
    host: String,
    port: String,
}

/// Runs SQL on the MariaDB/MySQL server with its command-line client (the
/// native client library is an optional feature of msp; the test harness
/// does not depend on it).
pub fn mariadb_cli(host: &str, port: &str, database: &str, sql: &str) -> Result<(), String> {
    let run = |program: &str| {
        Command::new(program)
            .args([
                "-h", host, "-P", port, "-u", "root", "--batch", "-e", sql, database,
            ])
            .output()
    };
    let out = run("mariadb")
        .or_else(|_| run("mysql"))
        .map_err(|e| format!("no mariadb or mysql command-line client: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

impl MariaDatabase {
    fn cli(&self, database: &str, sql: &str) -> Result<(), String> {
        mariadb_cli(&self.host, &self.port, database, sql)
    }

    /// Creates `<prefix>_<pid>`, or says SKIPPED (a failure in CI).
    pub fn create(prefix: &str) -> Option<MariaDatabase> {
        let admin = std::env::var("MSP_TEST_MYSQL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
        let hp = admin.split('@').nth(1).unwrap_or("127.0.0.1:3306/x");
        let hp = hp.split('/').next().unwrap_or("127.0.0.1:3306");
        let (host, port) = hp.split_once(':').unwrap_or((hp, "3306"));
        let db = MariaDatabase {
            name: format!("{prefix}_{}", std::process::id()),
            host: host.to_string(),
            port: port.to_string(),
        };
        let made = db.cli(
            "mysql",
            &format!(
                "DROP DATABASE IF EXISTS {0}; CREATE DATABASE {0} CHARACTER SET utf8mb4",
                db.name
            ),
        );
        if let Err(e) = made {
            assert!(
                std::env::var_os("CI").is_none(),
                "MariaDB must answer in CI: {e}"
            );
            eprintln!("SKIPPED MariaDB ({prefix}): {e}");
            return None;
        }
        Some(db)
    }

    /// The `database` (and `dialect`) lines of a client.
    pub fn client_lines(&self) -> String {
        if cfg!(feature = "mysql") {
            format!(
                "database = \"mysql://root@{}:{}/{}\"\n",
                self.host, self.port, self.name
            )
        } else {
            let socket = std::env::var("MSP_TEST_MYSQL_SOCKET")
                .unwrap_or_else(|_| "/run/mysqld/mysqld.sock".into());
            format!(
                "database = \"odbc:Driver={{MariaDB Unicode}};Socket={socket};Database={};Uid=root;\"\ndialect = \"mysql\"\n",
                self.name
            )
        }
    }
}

impl Drop for MariaDatabase {
    fn drop(&mut self) {
        let _ = self.cli("mysql", &format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

/// Holds an exclusive lock on a SQLite database until dropped.
pub struct DbLock(SqliteConnection);

impl DbLock {
    pub fn take(db: &Path) -> Self {
        let mut c = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
        c.batch_execute("PRAGMA busy_timeout = 5000; BEGIN EXCLUSIVE;")
            .unwrap();
        DbLock(c)
    }
}

/// Reads one entry of a ZIP file as text.
pub fn zip_text(path: &Path, entry: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(entry).unwrap(), &mut s).unwrap();
    s
}

/// Validates an XML file against spec/xsd/message.xsd with xmllint. CI
/// installs xmllint; elsewhere the check is skipped with a message.
pub fn xmllint_message(xml: &str) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xsd/message.xsd");
    if Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint is required in CI (apt-get install libxml2-utils)"
        );
        eprintln!("SKIPPED schema check: xmllint not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("message.xml");
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "message.xml does not validate against message.xsd:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Executes SQL on a SQLite database (a "business application" writing).
pub fn exec_sql(db: &Path, sql: &str) {
    let mut c = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
    c.batch_execute(sql).unwrap();
}
