//! One behaviour suite, run unchanged against every engine available: the
//! embedded SQLite; PostgreSQL and MariaDB natively (diesel); PostgreSQL,
//! MariaDB and SQLite through unixODBC; SQL Server and Oracle through ODBC
//! when `MSP_TEST_SQLSERVER` / `MSP_TEST_ORACLE` hold a connection string.
//!
//! Each run gets its own fresh database. A server that is not there is
//! skipped with a message, except in CI (`CI` set) where PostgreSQL, MariaDB
//! and the ODBC drivers are installed by `.ci/run` and must be there.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{files, zip_text, Env};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use portal_sim::Archive;

static SEQ: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

fn pg_admin() -> String {
    std::env::var("MSP_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn mysql_admin() -> String {
    std::env::var("MSP_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// Skips (or fails in CI) when a prerequisite is missing.
fn unavailable(what: &str, why: &str) -> Option<()> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} must be available in CI: {why}"
    );
    eprintln!("SKIPPED {what}: {why}");
    None
}

/// A fresh PostgreSQL database; returns its name.
fn pg_database() -> Option<String> {
    let mut c = match PgConnection::establish(&pg_admin()) {
        Ok(c) => c,
        Err(e) => return unavailable("PostgreSQL", &e.to_string()).map(|_| String::new()),
    };
    let name = unique("msp_t");
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    Some(name)
}

/// Runs SQL on the test MariaDB/MySQL server (`MSP_TEST_MYSQL`).
fn mysql_cli(database: &str, sql: &str) -> Result<(), String> {
    let (h, p) = host_port(&mysql_admin());
    common::mariadb_cli(&h, &p, database, sql)
}

/// A fresh MariaDB/MySQL database; returns its name.
fn mysql_database() -> Option<String> {
    let name = unique("msp_t");
    match mysql_cli(
        "mysql",
        &format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
    ) {
        Ok(()) => Some(name),
        Err(e) => unavailable("MariaDB", &e).map(|_| String::new()),
    }
}

/// The native `mysql://` engine is the cargo feature `mysql` (it links the
/// system's libmariadb); the README's test command builds without it and
/// `.ci/run` runs these tests again with `--features mysql`.
fn native_mysql_built() -> bool {
    if !cfg!(feature = "mysql") {
        eprintln!(
            "SKIPPED MariaDB native (mysql://): built without the `mysql` feature \
             (cargo test --features mysql --test backends runs it; .ci/run does)"
        );
    }
    cfg!(feature = "mysql")
}

fn odbc_driver(name: &str) -> Option<()> {
    let out = Command::new("odbcinst").args(["-q", "-d"]).output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains(&format!("[{name}]")) => Some(()),
        Ok(_) => unavailable(
            &format!("ODBC driver {name}"),
            "not registered (odbcinst -q -d)",
        ),
        Err(e) => unavailable("unixODBC", &e.to_string()),
    }
}

fn host_port(url: &str) -> (String, String) {
    let after = url.split('@').nth(1).unwrap_or("127.0.0.1:5432/x");
    let hp = after.split('/').next().unwrap_or("127.0.0.1:5432");
    let (h, p) = hp.split_once(':').unwrap_or((hp, "5432"));
    (h.to_string(), p.to_string())
}

/// The `[[client]]` lines for Paris (75056, also 06088) and Lyon (69123) on
/// one database.
fn clients(database: &str, extra: &str) -> String {
    format!(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\", \"06088\"]\ndatabase = \"{database}\"\n{extra}\n[[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"{database}\"\n{extra}\n"
    )
}

/// The behaviour suite: import of the three flows, a rejection, a
/// duplicate, a complement, and a lifecycle with return flows.
/// Runs SQL in the test database, as a business application would.
type Exec<'a> = Option<&'a dyn Fn(&Path, &str)>;

/// What a business application writes to record an agent's decision
/// (README, "For business applications").
const APP_STATUS: &str = "INSERT INTO msp_statut (numero, seq, status, indicator, comment, automatic, superseded, cancelled, created_at) \
     VALUES ('A-2-LYON', 2, 16, 0, 'Pris en charge par le service élections.', FALSE, FALSE, FALSE, '2026-11-28 10:00:00')";

fn behaviour(engine: &str, config: &str, exec: Exec<'_>) {
    let env = Env::with_config(config);
    let r = env.msp(&["config", "check"]);
    assert_eq!(
        r.code, 0,
        "{engine}: config check: {}{}",
        r.stdout, r.stderr
    );
    let r = env.msp(&["db", "init"]);
    assert_eq!(r.code, 0, "{engine}: db init: {}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("MSP tables created (version 1)"),
        "{engine}: {}",
        r.stdout
    );
    let r = env.msp(&["db", "init"]);
    assert!(
        r.stdout.contains("is up to date"),
        "{engine}: init is idempotent: {}",
        r.stdout
    );

    for sample in [
        "A-2-WK1DEGZ-RCO-LA-1.zip",
        "A-2-MGNZGED-AEC-LA-1.zip",
        "A-2-2CEWXY7-ILE-LA-1.zip",
    ] {
        std::fs::copy(common::data(sample), env.input().join(sample)).unwrap();
    }
    env.deliver(&Archive::ile("A-2-LYON", 1).routed_to("69123"));
    let mut bad = Archive::rco("A-2-BAD", 1);
    bad.document = bad
        .document
        .replacen("<Sexe>1</Sexe>", "<Sexe>9</Sexe>", 1)
        .replacen("<Sexe>2</Sexe>", "<Sexe>9</Sexe>", 1);
    env.deliver(&bad);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{engine}: {}{}", r.stdout, r.stderr);
    assert_eq!(files(&env.done()).len(), 4, "{engine}: {}", r.stdout);
    assert_eq!(
        files(&env.error()),
        ["A-2-BAD-RCO-LA-1.zip", "A-2-BAD-RCO-LA-1.zip.log"],
        "{engine}"
    );
    let list = env.dossiers();
    assert_eq!(list.len(), 4, "{engine}");
    assert_eq!(
        env.dossier("A-2-WK1DEGZ")["summary"],
        "DUBOIS Noël, né le 16/08/2009 à NANTES",
        "{engine}"
    );
    assert_eq!(
        env.dossier("A-2-MGNZGED")["summary"],
        "Moreau Hervé, acte de naissance, 2 exemplaires, envoi par courrier"
    );
    assert_eq!(
        env.dossier("A-2-2CEWXY7")["summary"],
        "Dupont-Aignan Zoé, liste générale, première inscription"
    );
    let d = env.dossier("A-2-WK1DEGZ");
    assert_eq!(d["attachments"].as_array().unwrap().len(), 2, "{engine}");
    assert_eq!(d["attachments"][0]["size"], 193, "{engine}: blob stored");
    // The blob reads back whole (the web console's and `msp dossier
    // attachment`'s way), except on engines that cannot (Oracle, Access).
    let got = env.msp(&["dossier", "attachment", "A-2-WK1DEGZ", "1", "-o", "pj.bin"]);
    if matches!(engine, "oracle" | "access") {
        assert_eq!(got.code, 2, "{engine}: {}", got.stderr);
        assert!(
            got.stderr.contains("cannot read back"),
            "{engine}: {}",
            got.stderr
        );
    } else {
        assert_eq!(got.code, 0, "{engine}: {}", got.stderr);
        let name = d["attachments"][0]["file_name"].as_str().unwrap();
        let mut zip = zip::ZipArchive::new(
            std::fs::File::open(common::data("A-2-WK1DEGZ-RCO-LA-1.zip")).unwrap(),
        )
        .unwrap();
        let mut expected = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut expected).unwrap();
        assert_eq!(
            std::fs::read(env.path().join("pj.bin")).unwrap(),
            expected,
            "{engine}: the attachment read back"
        );
    }

    // A duplicate and a complement.
    std::fs::copy(
        common::data("A-2-MGNZGED-AEC-LA-1.zip"),
        env.input().join("A-2-MGNZGED-AEC-LA-1.zip"),
    )
    .unwrap();
    let mut c = Archive::aec("A-2-LYONC", 1).routed_to("69123");
    env.deliver(&c);
    assert_eq!(env.run(&[]).code, 0, "{engine}");
    c.file_number = 2;
    c.document = c.document.replacen(
        "<NombreExemplaires>2</NombreExemplaires>",
        "<NombreExemplaires>4</NombreExemplaires>",
        1,
    );
    env.deliver(&c);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{engine}: {}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("AEC-LA          0           1"),
        "{engine}: {}",
        r.stdout
    );
    let lc = env.dossier("A-2-LYONC");
    assert_eq!(lc["file_number"], 2);
    assert!(
        lc["summary"].as_str().unwrap().contains("4 exemplaires"),
        "{engine}: {}",
        lc["summary"]
    );
    assert_eq!(lc["events"].as_array().unwrap().len(), 2);

    // Lifecycle: 14 → 16 → 19 (attestation) → automatic 100.
    for code in ["16", "19"] {
        let r = env.msp(&["dossier", "status", "A-2-WK1DEGZ", code]);
        assert_eq!(r.code, 0, "{engine}: {}", r.stderr);
        assert_eq!(env.run(&[]).code, 0, "{engine}");
    }
    let r = env.msp(&["dossier", "status", "A-2-WK1DEGZ", "16"]);
    assert_eq!(r.code, 1, "{engine}: 100 is final");
    let d = env.dossier("A-2-WK1DEGZ");
    assert_eq!(
        (d["status"].as_u64(), d["indicator"].as_u64()),
        (Some(100), Some(2)),
        "{engine}"
    );
    let h: Vec<(u64, bool)> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["status"].as_u64().unwrap(),
                e["automatic"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        h,
        [(14, false), (16, false), (19, false), (100, true)],
        "{engine}"
    );
    let outs: Vec<String> = files(&env.output())
        .into_iter()
        .filter(|f| f.starts_with("A-2-WK1DEGZ"))
        .collect();
    assert_eq!(
        outs,
        (1..=4)
            .map(|i| format!("A-2-WK1DEGZ-RCO-LA-{i}.zip"))
            .collect::<Vec<_>>(),
        "{engine}"
    );
    let msg = zip_text(
        &env.output().join("A-2-WK1DEGZ-RCO-LA-3.zip"),
        "message.xml",
    );
    assert!(
        msg.contains("A-2-WK1DEGZ-RCO-LA-attestation.pdf"),
        "{engine}: {msg}"
    );
    let pdf = {
        let mut z = zip::ZipArchive::new(
            std::fs::File::open(env.output().join("A-2-WK1DEGZ-RCO-LA-3.zip")).unwrap(),
        )
        .unwrap();
        let mut v = Vec::new();
        std::io::Read::read_to_end(
            &mut z.by_name("A-2-WK1DEGZ-RCO-LA-attestation.pdf").unwrap(),
            &mut v,
        )
        .unwrap();
        v
    };
    assert!(pdf.starts_with(b"%PDF-"), "{engine}");
    let list = env.msp(&["dossier", "list", "--status", "100"]).stdout;
    assert!(list.contains("A-2-WK1DEGZ"), "{engine}: {list}");

    // A status written straight into the MSP tables by a business application.
    if let Some(exec) = exec {
        exec(&env.root(), APP_STATUS);
        let r = env.run(&[]);
        assert_eq!(r.code, 0, "{engine}: {}{}", r.stdout, r.stderr);
        let d = env.dossier("A-2-LYON");
        assert_eq!(
            (d["status"].as_u64(), d["indicator"].as_u64()),
            (Some(16), Some(2)),
            "{engine}"
        );
        let msg = zip_text(&env.output().join("A-2-LYON-ILE-LA-2.zip"), "message.xml");
        assert!(msg.contains("<ns2:Etat>16</ns2:Etat>"), "{engine}: {msg}");
        assert!(
            msg.contains("Pris en charge par le service élections."),
            "{engine}: {msg}"
        );

        // An AEC database an earlier msp left (tables of version 1, before
        // the published document's columns): the next run migrates it on
        // this engine, and the new dossier fills the new columns.
        for sql in [
            "ALTER TABLE siecle_demande DROP COLUMN motif_commentaire",
            "ALTER TABLE siecle_demande DROP COLUMN lieu_evenement_code_postal",
            "ALTER TABLE siecle_personne DROP COLUMN civilite",
            "UPDATE msp_schema_version SET version = 1 WHERE component = 'plugin:AEC-LA'",
        ] {
            exec(&env.root(), sql);
        }
        env.deliver(&Archive::aec("A-2-MIGV2", 1));
        let r = env.run(&[]);
        assert_eq!(r.code, 0, "{engine}: migration: {}{}", r.stdout, r.stderr);
        assert!(
            files(&env.done()).contains(&"A-2-MIGV2-AEC-LA-1.zip".to_string()),
            "{engine}: {:?}",
            files(&env.done())
        );
        // The new columns are there and filled, read back through msp.
        let shown = env.msp(&["dossier", "show", "A-2-MIGV2", "--json", "--rows"]);
        assert_eq!(shown.code, 0, "{engine}: {}", shown.stderr);
        let v: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
        let value = |table: &str, column: &str| -> Vec<String> {
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["table"] == table)
                .map(|r| r["values"][column].to_string())
                .collect()
        };
        assert_eq!(
            value("siecle_demande", "motif_commentaire"),
            ["\"Demande de passeport\""],
            "{engine}: {}",
            shown.stdout
        );
        assert!(
            value("siecle_personne", "civilite")
                .iter()
                .any(|c| c != "null"),
            "{engine}: {}",
            shown.stdout
        );
        let init = env.msp(&["db", "init"]);
        assert!(
            init.stdout.contains("is up to date"),
            "{engine}: {}",
            init.stdout
        );
    }
}

fn pg_exec(db: String) -> impl Fn(&Path, &str) {
    move |_, sql| {
        let (h, p) = host_port(&pg_admin());
        let mut c = PgConnection::establish(&format!("postgres://postgres@{h}:{p}/{db}")).unwrap();
        c.batch_execute(sql).unwrap();
    }
}

fn mysql_exec(db: String) -> impl Fn(&Path, &str) {
    move |_, sql| mysql_cli(&db, sql).unwrap()
}

fn sqlite_exec(file: Option<std::path::PathBuf>) -> impl Fn(&Path, &str) {
    move |root, sql| {
        let path = file.clone().unwrap_or_else(|| root.join("msp.db"));
        let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        c.batch_execute(sql).unwrap();
    }
}

#[test]
fn sqlite_embedded() {
    behaviour(
        "sqlite",
        &clients("sqlite://msp.db", ""),
        Some(&sqlite_exec(None)),
    );
}

#[test]
fn postgres_native() {
    let Some(db) = pg_database() else { return };
    let (h, p) = host_port(&pg_admin());
    behaviour(
        "postgres",
        &clients(&format!("postgres://postgres@{h}:{p}/{db}"), ""),
        Some(&pg_exec(db.clone())),
    );
}

#[test]
fn mariadb_native() {
    if !native_mysql_built() {
        return;
    }
    let Some(db) = mysql_database() else { return };
    let (h, p) = host_port(&mysql_admin());
    behaviour(
        "mariadb",
        &clients(&format!("mysql://root@{h}:{p}/{db}"), ""),
        Some(&mysql_exec(db.clone())),
    );
}

#[test]
fn postgres_through_odbc() {
    let Some(()) = odbc_driver("PostgreSQL Unicode") else {
        return;
    };
    let Some(db) = pg_database() else { return };
    let (h, p) = host_port(&pg_admin());
    behaviour(
        "odbc postgres",
        &clients(&format!("odbc:Driver={{PostgreSQL Unicode}};Server={h};Port={p};Database={db};Uid=postgres;"), "dialect = \"postgres\""),
        Some(&pg_exec(db.clone())),
    );
}

#[test]
fn mariadb_through_odbc() {
    let Some(()) = odbc_driver("MariaDB Unicode") else {
        return;
    };
    let Some(db) = mysql_database() else { return };
    let socket =
        std::env::var("MSP_TEST_MYSQL_SOCKET").unwrap_or_else(|_| "/run/mysqld/mysqld.sock".into());
    behaviour(
        "odbc mariadb",
        &clients(
            &format!("odbc:Driver={{MariaDB Unicode}};Socket={socket};Database={db};Uid=root;"),
            "dialect = \"mysql\"",
        ),
        Some(&mysql_exec(db.clone())),
    );
}

#[test]
fn sqlite_through_odbc() {
    let Some(()) = odbc_driver("SQLite3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    behaviour(
        "odbc sqlite",
        &clients(
            &format!("odbc:Driver={{SQLite3}};Database={};", db.display()),
            "dialect = \"sqlite\"",
        ),
        Some(&sqlite_exec(Some(db.clone()))),
    );
}

/// Runs the suite against a server given by an ODBC connection string in
/// `var` (see docker-compose.yml), or says it skipped.
fn external(var: &str, dialect: &str) {
    match std::env::var(var) {
        Ok(cs) if !cs.trim().is_empty() => {
            behaviour(dialect, &clients(&format!("odbc:{}", cs.trim_start_matches("odbc:")), &format!("dialect = \"{dialect}\"")), None)
        }
        _ => eprintln!("SKIPPED {dialect}: set {var} to an ODBC connection string to run the suite against it (see docker-compose.yml)"),
    }
}

#[test]
fn sqlserver_when_configured() {
    external("MSP_TEST_SQLSERVER", "sqlserver");
}

#[test]
fn oracle_when_configured() {
    external("MSP_TEST_ORACLE", "oracle");
}

#[test]
fn a_server_refusing_connections_mid_run_leaves_archives_in_input() {
    let Some(db) = pg_database() else { return };
    let Some(closed) = pg_database() else { return };
    let (h, p) = host_port(&pg_admin());
    let config = format!(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"postgres://postgres@{h}:{p}/{db}\"\n[[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"postgres://postgres@{h}:{p}/{closed}\"\n"
    );
    let env = Env::with_config(&config);
    let mut admin = PgConnection::establish(&pg_admin()).unwrap();
    admin
        .batch_execute(&format!("ALTER DATABASE {closed} ALLOW_CONNECTIONS false"))
        .unwrap();
    env.deliver(&Archive::rco("A-2-PAR", 1));
    env.deliver(&Archive::rco("A-2-LYO", 1).routed_to("69123"));
    let r = env.run(&[]);
    r.assert_code(2);
    assert!(
        r.stdout.contains("is not currently accepting connections"),
        "the server's own words: {}",
        r.stdout
    );
    assert_eq!(files(&env.input()), ["A-2-LYO-RCO-LA-1.zip"]);
    assert_eq!(files(&env.done()), ["A-2-PAR-RCO-LA-1.zip"]);
    assert!(files(&env.error()).is_empty(), "trouble is not bad input");
    admin
        .batch_execute(&format!("ALTER DATABASE {closed} ALLOW_CONNECTIONS true"))
        .unwrap();
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(
        files(&env.done()),
        ["A-2-LYO-RCO-LA-1.zip", "A-2-PAR-RCO-LA-1.zip"]
    );
}

/// Three first runs at once on a new database: the schema is created once,
/// no run fails on the DDL race, every archive is imported exactly once;
/// then a batch with a conflict inside imports the others.
fn concurrent_first_runs_and_a_batch(engine: &str, config: &str) {
    let env = Env::with_config(config);
    common::write_mixed_flows(&env.input(), 45, |i| format!("A-2-C{i:03}"));
    let children: Vec<_> = (0..3)
        .map(|_| env.spawn_run(&[("LANG", "C.UTF-8")]))
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{engine}: {stdout}");
        assert!(!stdout.contains("already exists"), "{engine}: {stdout}");
    }
    assert_eq!(files(&env.done()).len(), 45, "{engine}");
    assert_eq!(env.dossiers().len(), 45, "{engine}: each archive once");
    assert_eq!(files(&env.output()).len(), 45, "{engine}: one return each");
    assert!(
        env.work_files().is_empty(),
        "{engine}: {:?}",
        env.work_files()
    );
    // A batch with a conflict in the middle: only that archive is rejected.
    for i in 45..60 {
        env.deliver(&Archive::ile(&format!("A-2-C{i:03}"), 1));
    }
    // Another message (its own MessageId: the portal's replay of the same
    // message would be a duplicate) for a file already imported.
    let mut conflict = Archive::of_flow("RCO-LA", "A-2-C000", 1);
    conflict.date = "2026-11-02T12:05:00.000+01:00".into();
    conflict.extra.push(("autre.txt".into(), b"x".to_vec()));
    env.deliver(&conflict);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{engine}: {}", r.stdout);
    assert_eq!(
        files(&env.error()),
        vec!["A-2-C000-RCO-LA-1.zip", "A-2-C000-RCO-LA-1.zip.log"],
        "{engine}"
    );
    assert_eq!(env.dossiers().len(), 60, "{engine}");
}

#[test]
fn concurrent_first_runs_sqlite() {
    concurrent_first_runs_and_a_batch("sqlite", &clients("sqlite://msp.db", ""));
}

#[test]
fn concurrent_first_runs_postgres() {
    let Some(db) = pg_database() else { return };
    let (h, p) = host_port(&pg_admin());
    concurrent_first_runs_and_a_batch(
        "postgres",
        &clients(&format!("postgres://postgres@{h}:{p}/{db}"), ""),
    );
}

#[test]
fn concurrent_first_runs_mariadb() {
    if !native_mysql_built() {
        return;
    }
    let Some(db) = mysql_database() else { return };
    let (h, p) = host_port(&mysql_admin());
    concurrent_first_runs_and_a_batch(
        "mariadb",
        &clients(&format!("mysql://root@{h}:{p}/{db}"), ""),
    );
}
