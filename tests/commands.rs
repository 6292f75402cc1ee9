//! The commands as an administrator meets them: a user's mistake is exit 1
//! with a hint (2 is kept for trouble), one town's database down does not
//! hide the others, messages said once and in words, `config show`, one
//! time convention in JSON, and every status change traced with its author.

mod common;

use std::fs;

use common::{files, Env};
use portal_sim::Archive;

const TWO_TOWNS: &str = "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n\n[[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"postgres://msp@127.0.0.1:9/belfort?sslmode=disable&connect_timeout=2\"\npassword_env = \"MSP_TEST_UNSET_BELFORT\"\n";

#[test]
fn a_user_s_mistake_is_exit_1_with_a_hint() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-HERE", 1));
    fs::write(env.input().join("A-2-BROKEN-RCO-LA-1.zip"), b"not a zip").unwrap();
    assert_eq!(env.run(&[]).code, 1);

    let r = env.msp(&["dossier", "status", "A-2-NOPE", "16"]);
    r.assert_code(1);
    r.assert_stderr_has("no dossier A-2-NOPE (msp dossier list shows them");

    let r = env.msp(&["dossier", "show", "A-2-NOPE"]);
    assert_eq!(r.code, 1, "{}", r.stderr);

    let r = env.msp(&["dossier", "list", "--flow", "XYZ"]);
    r.assert_code(1);
    r.assert_stderr_has("unknown flow XYZ (flows: ");

    let r = env.msp(&["errors", "retry", "msp-data/erreur/A-2-BROKEN-RCO-LA-1.zip"]);
    r.assert_code(1);
    r.assert_stderr_has(
        "give the archive's bare name as `msp errors list` shows it (A-2-BROKEN-RCO-LA-1.zip)",
    );
    let r = env.msp(&["errors", "retry", "A-2-NOTHERE-RCO-LA-1.zip"]);
    assert_eq!(r.code, 1, "{}", r.stderr);

    // Its bytes alone were refused: put back, it is said to come back.
    let r = env.msp(&["errors", "retry", "A-2-BROKEN-RCO-LA-1.zip"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.assert_stderr_has("its own bytes were refused (not-zip): it will be rejected again");

    // The help says what the codes mean.
    for cmd in ["run", "status"] {
        let h = env.msp(&[cmd, "--help"]);
        assert!(
            h.stdout.contains("Exit status") && h.stdout.contains("  2  "),
            "{}",
            h.stdout
        );
    }
}

#[test]
fn one_town_not_answering_does_not_hide_the_others() {
    let env = Env::with_config(TWO_TOWNS);
    env.deliver(&Archive::rco("A-2-PARIS", 1));
    let run = env.run(&["--client", "Paris"]);
    run.assert_code(0);
    let r = env.msp(&["dossier", "list"]);
    r.assert_code(1);
    r.assert_stdout_has("A-2-PARIS");
    r.assert_stderr_has("warning: not answering");
    // The client named once.
    assert_eq!(
        r.stderr.matches("client Belfort").count(),
        1,
        "{}",
        r.stderr
    );
    r.assert_stderr_has("environment variable MSP_TEST_UNSET_BELFORT (password_env) is not set (a command run by hand");
    // Only Paris asked: no warning, exit 0.
    let r = env.msp(&["dossier", "list", "--client", "Paris"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("A-2-PARIS") && r.stderr.is_empty(),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let r = env.msp(&["dossier", "list", "--client", "Lyon"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has("no client Lyon in the configuration (clients: Paris, Belfort)");
    // A dossier not found where a database did not answer: trouble, it
    // may be there.
    let r = env.msp(&["dossier", "show", "A-2-ELSEWHERE"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    r.assert_stderr_has("it may be in one that did not");
}

#[test]
fn errors_retry_all_and_purge_said_in_words() {
    let env = Env::new();
    for n in ["A-2-E1", "A-2-E2"] {
        fs::write(env.input().join(format!("{n}-RCO-LA-1.zip")), b"garbage").unwrap();
    }
    assert_eq!(env.run(&[]).code, 1);
    let r = env.msp(&["errors", "purge", "--older-than", "0", "--dry-run"]);
    r.assert_stdout_has("4 files would be removed");
    let r = env.msp(&["errors", "retry", "--all"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        files(&env.input()),
        ["A-2-E1-RCO-LA-1.zip", "A-2-E2-RCO-LA-1.zip"]
    );
    assert!(files(&env.error()).is_empty());
    let r = env.msp(&["errors", "retry", "--all"]);
    r.assert_stdout_has("no rejected archive");
}

#[test]
fn status_says_an_empty_input_and_names_no_client_after_a_run_of_all() {
    let env = Env::with_config("root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n\n[[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"sqlite://belfort.db\"\n");
    assert_eq!(env.run(&[]).code, 0);
    let r = env.msp(&["status"]);
    r.assert_stdout_has("oldest archive in input: none");
    assert!(
        !r.stdout.contains("oldest archive in input: 0 s"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("of client"), "{}", r.stdout);
    // One client run alone: the other's is older, and named.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(env.run(&["--client", "Paris"]).code, 0);
    let r = env.msp(&["status"]);
    r.assert_stdout_has("of client Belfort");
}

#[test]
fn config_show_fills_defaults_and_masks_secrets() {
    let env = Env::with_config("root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"postgres://msp:S3cret@db.example/paris\"\n\n[[web.user]]\nname = \"agent\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"\n");
    let r = env.msp(&["config", "show"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains("S3cret") && !r.stdout.contains("argon2"),
        "{}",
        r.stdout
    );
    for line in [
        "database = \"postgres://msp:***@db.example/paris\"",
        "password_hash = \"********\"",
        "busy_timeout_ms = 5000",
        "max_entries = 500",
        "last_run_minutes = 15",
        "attachments = \"database\"",
        "input = \"./msp-data/entree\"",
        "listen = \"127.0.0.1:8080\"",
        "session_minutes = 30",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    // What it prints is a configuration msp reads.
    let shown = Env::new();
    // (once its masked secrets are given back).
    shown.write_config(&r.stdout.replace("msp:***@", "msp@").replace(
        "\"********\"",
        "\"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"",
    ));
    assert_eq!(shown.msp(&["config", "show"]).code, 0);
}

#[test]
fn json_times_are_rfc_3339_with_an_offset_everywhere() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-TIME", 1));
    fs::write(env.input().join("A-2-BAD-RCO-LA-1.zip"), b"x").unwrap();
    assert_eq!(env.run(&[]).code, 1);
    let stamp = |s: &str| {
        s.len() == 25
            && s.as_bytes()[10] == b'T'
            && (s.ends_with("+00:00") || s[19..].starts_with('+') || s[19..].starts_with('-'))
    };
    for args in [
        vec!["errors", "list", "--json"],
        vec!["status", "--json"],
        vec!["dossier", "show", "A-2-TIME", "--json"],
        vec!["dossier", "list", "--json"],
    ] {
        let r = env.msp(&args);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let mut times = Vec::new();
        collect(&v, &mut times);
        assert!(!times.is_empty(), "{args:?}: {}", r.stdout);
        for t in &times {
            assert!(stamp(t), "{args:?}: {t}");
        }
    }
}

/// Every string of `v` that looks like a date and time.
fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s)
            if s.len() >= 19 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T' =>
        {
            out.push(s.clone())
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect(x, out)),
        _ => {}
    }
}

#[test]
fn every_status_change_and_refusal_is_traced_with_its_author() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-AUDIT", 1));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(env.msp(&["dossier", "status", "A-2-AUDIT", "16"]).code, 0);
    let refused = env.msp(&["dossier", "status", "A-2-AUDIT", "14"]);
    assert_eq!(refused.code, 1);
    let ops = fs::read_to_string(env.logs().join("operations.log")).unwrap();
    let account = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let who = format!("cli ({})", account.trim());
    common::assert_has(&ops, &format!("{who}: dossier A-2-AUDIT: statut 16"));
    common::assert_has(&ops, &format!("{who}: REFUSED: dossier A-2-AUDIT: 16 → 14"));
}

#[test]
fn the_manual_has_what_a_manual_has_and_msp_toml_5_every_key() {
    let env = Env::new();
    let dir = env.path().join("man");
    let r = env.msp(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let msp = fs::read_to_string(dir.join("msp.1")).unwrap();
    for section in [
        "EXIT STATUS",
        "FILES",
        "ENVIRONMENT",
        "EXAMPLES",
        "SEE ALSO",
        "msp.toml(5)",
        "password_env",
    ] {
        assert!(msp.contains(section), "{section}: {msp}");
    }
    assert!(dir.join("msp-run.1").is_file() && dir.join("msp-config-show.1").is_file());
    let toml = fs::read_to_string(dir.join("msp.toml.5")).unwrap();
    // Every key msp accepts is described (the embedded configuration
    // shown by `config show` lists them with their defaults).
    let shown = env.msp(&["config", "show"]).stdout;
    for line in shown.lines().filter(|l| l.contains(" = ")) {
        let key = line.split(" = ").next().unwrap().trim();
        assert!(toml.contains(key), "msp.toml(5) does not describe {key}");
    }
    for key in [
        "password_env",
        "siret",
        "commune",
        "known_hosts",
        "done_days",
        "trusted_proxies",
        "settle_seconds",
        "group",
    ] {
        assert!(toml.contains(key), "{key}");
    }
    let help = env.msp(&["--help"]).stdout;
    common::assert_has(&help, "change their status");
}

#[test]
fn every_broken_kind_portal_sim_makes_is_rejected_with_its_french_reason() {
    use portal_sim::Broken;
    let env = Env::new();
    let kinds = [
        (
            Broken::NotZip,
            "not-zip",
            "n'est pas une archive ZIP lisible",
        ),
        (Broken::MissingHeader, "envelope", "fichier d'en-tête"),
        (
            Broken::MissingDocument,
            "missing-file",
            "absent de l'archive",
        ),
        (
            Broken::BadInsee,
            "invalid-insee",
            "n'est pas un code valide",
        ),
        (Broken::Traversal, "unsafe-entry", "dangereux"),
        (
            Broken::BreaksRule,
            "document",
            "ne respectent pas les règles",
        ),
    ];
    for (i, (kind, _, _)) in kinds.iter().enumerate() {
        env.deliver(&Archive::rco(&format!("A-2-BRK{i}"), 1).broken(*kind));
    }
    let r = env.run(&[]);
    r.assert_code(1);
    for (i, (kind, code, french)) in kinds.iter().enumerate() {
        let log =
            fs::read_to_string(env.error().join(format!("A-2-BRK{i}-RCO-LA-1.zip.log"))).unwrap();
        assert!(log.contains(&format!("Code : {code}")), "{kind:?}: {log}");
        assert!(log.contains(french), "{kind:?}: {log}");
    }
    assert!(env.dossiers().is_empty());
}

#[test]
fn a_census_for_belfort_lives_near_belfort() {
    let env = Env::with_config("root = \"msp-data\"\n[[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"sqlite://belfort.db\"\n");
    env.deliver(
        &Archive::rco("A-2-BFT", 1)
            .routed_to("90010")
            .living_in("90010"),
    );
    assert_eq!(env.run(&[]).code, 0);
    let shown = env.msp(&["dossier", "show", "A-2-BFT", "--rows"]).stdout;
    assert!(
        shown.contains("90000") && shown.contains("BELFORT"),
        "{shown}"
    );
    assert!(!shown.contains("75004"), "{shown}");
}

#[test]
fn windows_only_commands_say_what_runs_msp_on_linux() {
    let env = Env::new();
    let schedule = env.msp(&["schedule", "install"]);
    schedule.assert_code(2);
    schedule.assert_stderr_has("systemd timer runs msp (msp.timer)");
    let service = env.msp(&["service", "install", "--every", "60"]);
    service.assert_code(2);
    service.assert_stderr_has(
        "a Windows service is Windows's: on Linux the Debian package's systemd units run msp",
    );
    // The task's XML prints anywhere (to import on a Windows machine).
    let xml = env.msp(&["schedule", "xml", "--every", "10"]);
    xml.assert_code(0);
    xml.assert_stdout_has("<Interval>PT10M</Interval>");
    assert!(files(&env.root()).iter().all(|f| !f.ends_with("-task.xml")));
}
