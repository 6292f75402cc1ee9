//! What a security trial of the binary found in the CLI and the folders
//! (the console's findings are in tests/web.rs): modes of what `config
//! check` creates, control and bidirectional characters from citizen data,
//! symbolic links in msp's folders, values of megabytes, password hashes in
//! a readable configuration, the Prometheus file's mode, an invalid INSEE
//! code said as such.

mod common;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use common::Env;
use portal_sim::Archive;

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn config_check_creates_folders_and_the_database_as_every_command_does() {
    let env = Env::with_config(
        "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n",
    );
    fs::remove_dir_all(env.root()).unwrap();
    let r = env.msp(&["config", "check"]);
    r.assert_code(0);
    let db = env.root().join("paris.db");
    assert_eq!(mode(&env.root()), 0o700, "root");
    for dir in env.folders() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    assert_eq!(mode(&db), 0o600, "the SQLite database");
    // A run after it keeps them so.
    env.deliver(&Archive::rco("A-2-MODE", 1));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&env.done()), 0o700);
}

#[test]
fn control_characters_in_a_data_document_are_bad_input_said_in_french() {
    let env = Env::new();
    // Raw, and as a character reference.
    let mut raw = Archive::rco("A-2-ESC1", 1);
    raw.document = portal_sim::set_element(
        &raw.document,
        "NomFamille",
        "\u{1b}]0;PWNED\u{7}\u{1b}[2K\rFAKE LINE",
    );
    env.deliver(&raw);
    let mut reference = Archive::rco("A-2-ESC2", 1);
    reference.document =
        portal_sim::set_element(&reference.document, "NomFamille", "DUPONT&#x1b;[2K");
    env.deliver(&reference);
    let r = env.run(&[]);
    r.assert_code(1);
    assert!(env.dossiers().is_empty());
    for (numero, code) in [("A-2-ESC1", "U+001B"), ("A-2-ESC2", "U+001B")] {
        let name = format!("{numero}-RCO-LA-1.zip");
        let log = fs::read_to_string(env.error().join(format!("{name}.log"))).unwrap();
        common::assert_has(
            &log,
            &format!("contient un caractère de contrôle interdit en XML ({code}"),
        );
        assert!(log.starts_with("Archive : "), "{log}");
        assert!(!log.contains('\u{1b}') && !log.contains('\u{7}'), "{log:?}");
    }
    // Nothing raw reached the terminal either.
    for out in [&r.stdout, &r.stderr] {
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\r'),
            "{out:?}"
        );
    }
    let shown = env.msp(&["errors", "show", "A-2-ESC1-RCO-LA-1.zip"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(!shown.stdout.contains('\u{1b}'), "{:?}", shown.stdout);
}

#[test]
fn what_xml_allows_but_a_terminal_obeys_is_escaped_in_every_text_output() {
    let env = Env::new();
    // C1 controls (U+009B is a CSI on many terminals) and a right-to-left
    // override are allowed by XML: imported, but shown escaped.
    let mut a = Archive::rco("A-2-BIDI", 1);
    a.document =
        portal_sim::set_element(&a.document, "NomFamille", "MARTIN\u{9b}2K\u{202e}fdp.exe");
    env.deliver(&a);
    let r = env.run(&[]);
    r.assert_code(0);
    let list = env.msp(&["dossier", "list"]);
    let show = env.msp(&["dossier", "show", "A-2-BIDI", "--rows"]);
    for out in [&list.stdout, &show.stdout, &env.last_log()] {
        assert!(
            !out.contains('\u{9b}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        common::assert_has(out, "MARTIN\\u{9b}2K\\u{202e}fdp.exe");
    }
    // JSON keeps the data as it is (a consumer escapes it).
    assert!(env.dossier("A-2-BIDI")["summary"]
        .as_str()
        .unwrap()
        .contains("MARTIN\u{9b}2K\u{202e}fdp.exe"));
    // An agent's comment XML cannot carry is refused, nothing recorded.
    let c = env.msp(&[
        "dossier",
        "status",
        "A-2-BIDI",
        "16",
        "--comment",
        "Bien reçu\u{1b}[2K",
    ]);
    c.assert_code(1);
    c.assert_stderr_has("control character U+001B");
    assert_eq!(env.dossier("A-2-BIDI")["status"], 14);
}

#[cfg(unix)]
#[test]
fn links_in_msp_s_folders_are_never_followed() {
    use std::os::unix::fs::symlink;
    let env = Env::new();
    fs::create_dir_all(env.error()).unwrap();
    let secret = env.path().join("secret.txt");
    fs::write(&secret, "root:SECRET-HASH:19000:0:99999:7:::\n").unwrap();
    // A rejected archive whose "log" is a link to a secret.
    fs::write(env.error().join("A-2-LINK-RCO-LA-1.zip"), b"not a zip").unwrap();
    symlink(&secret, env.error().join("A-2-LINK-RCO-LA-1.zip.log")).unwrap();
    let show = env.msp(&["errors", "show", "A-2-LINK-RCO-LA-1.zip"]);
    assert_ne!(show.code, 0);
    assert!(!show.stdout.contains("SECRET-HASH"), "{}", show.stdout);
    show.assert_stderr_has("symbolic link");
    // Listed as what it is, beside the other rejections, never read.
    fs::write(env.input().join("A-2-OTHER-RCO-LA-1.zip"), b"not a zip").unwrap();
    assert_eq!(env.run(&[]).code, 1);
    let list = env.msp(&["errors", "list"]);
    list.assert_code(0);
    assert!(!list.stdout.contains("SECRET-HASH") && !list.stderr.contains("SECRET-HASH"));
    list.assert_stdout_has("symbolic link (A-2-LINK-RCO-LA-1.zip or its log): not followed");
    list.assert_stdout_has("A-2-OTHER-RCO-LA-1.zip");
    let status = env.msp(&["status"]);
    status.assert_stdout_has("2 rejected archive(s)");
    let retry = env.msp(&["errors", "retry", "A-2-LINK-RCO-LA-1.zip"]);
    assert_ne!(retry.code, 0);
    assert!(
        !env.input().join("A-2-LINK-RCO-LA-1.zip").exists(),
        "nothing moved"
    );
    assert!(secret.is_file());
}

#[test]
fn a_value_of_megabytes_is_quoted_not_poured() {
    let env = Env::new();
    let mut a = Archive::rco("A-2-HUGE", 1);
    // 10 MB of digits that do not compress much (a repeated one would be
    // refused as a zip bomb before any rule reads it).
    let mut seed = 12345u64;
    let digits: String = (0..10_000_000)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'0' + ((seed >> 33) % 10) as u8)
        })
        .collect();
    a.document = portal_sim::set_element(&a.document, "DateNaissance", &digits);
    env.deliver(&a);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stdout.len());
    let log = fs::read_to_string(env.error().join("A-2-HUGE-RCO-LA-1.zip.log")).unwrap();
    assert!(log.len() < 4_000, "{} bytes", log.len());
    common::assert_has(&log, "more characters cut)");
    common::assert_has(&log, "caractères coupés)");
    assert!(
        r.stdout.len() + r.stderr.len() < 4_000,
        "{} bytes",
        r.stdout.len() + r.stderr.len()
    );
    let sync = env.last_log();
    assert!(sync.len() < 8_000, "{} bytes", sync.len());
}

#[cfg(unix)]
#[test]
fn password_hashes_in_a_configuration_others_can_read_are_flagged() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::with_config(common::PARIS_ONLY);
    let config = env.path().join("msp.toml");
    fs::set_permissions(&config, fs::Permissions::from_mode(0o644)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["user", "add", "agent", "--password-stdin"])
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    common::assert_has(
        &stderr,
        "every account of this machine can read it (mode 0644): chmod 600",
    );
    let check = env.msp(&["config", "check"]);
    assert!(
        check.stdout.contains("WARN web console:") && check.stdout.contains("(mode 0644)"),
        "{}",
        check.stdout
    );
    fs::set_permissions(&config, fs::Permissions::from_mode(0o600)).unwrap();
    let check = env.msp(&["config", "check"]);
    assert!(
        !check.stdout.contains("WARN web console"),
        "{}",
        check.stdout
    );
}

#[cfg(unix)]
#[test]
fn the_prometheus_file_takes_the_mode_asked_for() {
    let env = Env::new();
    assert_eq!(env.run(&[]).code, 0);
    let prom = env.path().join("msp.prom");
    env.msp(&["status", "--prometheus", prom.to_str().unwrap()]);
    assert_eq!(mode(&prom), 0o600, "msp's own default");
    env.msp(&[
        "status",
        "--prometheus",
        prom.to_str().unwrap(),
        "--prometheus-mode",
        "644",
    ]);
    assert_eq!(
        mode(&prom),
        0o644,
        "readable by a node_exporter of another account"
    );
    assert!(fs::read_to_string(&prom).unwrap().contains("msp_"));
    let bad = env.msp(&[
        "status",
        "--prometheus",
        prom.to_str().unwrap(),
        "--prometheus-mode",
        "777",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    bad.assert_stderr_has("only read and write bits");
}
