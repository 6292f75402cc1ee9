//! The web console's defences over HTTP, against the real binary: proxy
//! headers without users, sessions ended by a new password, the rejects
//! page paged and its logs quoted in part, slow clients and connection
//! caps, bidirectional controls, the sign-in lock-out's Retry-After,
//! symbolic links in the folders.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::web::{csrf_of, msp_with_stdin, Client, Console};
use common::{files, Env};
use portal_sim::Archive;

const PASSWORD: &str = "correct horse battery";

/// An installation with the user `agent` (password [`PASSWORD`]).
fn with_user() -> Env {
    let env = Env::with_config(common::PARIS_ONLY);
    let r = msp_with_stdin(
        &env,
        &["user", "add", "agent", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    r.assert_code(0);
    env
}

/// Signs `c` in; returns the status of the answer.
fn sign_in(c: &mut Client, password: &str) -> u16 {
    let token = csrf_of(&c.get("/connexion").text());
    c.post(
        "/connexion",
        &[
            ("csrf", &token),
            ("nom", "agent"),
            ("mot_de_passe", password),
        ],
    )
    .status
}

#[test]
fn without_users_every_proxy_header_is_refused() {
    let env = Env::new();
    let console = Console::start(&env);
    assert_eq!(Client::new(&console).get("/").status, 200);
    for (name, value) in [
        // What the trial got the dashboard with.
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Server", "proxy.example"),
        ("X-Forwarded-Prefix", "/msp"),
        // Any X-Forwarded-*, whatever its case.
        ("x-forwarded-ssl", "on"),
        ("X-FORWARDED-SCHEME", "https"),
        // Refused before, still refused.
        ("Forwarded", "for=203.0.113.9;proto=https"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Host", "msp.example"),
        ("X-Real-IP", "203.0.113.9"),
        ("Via", "1.1 proxy.example"),
    ] {
        let mut c = Client::new(&console);
        let a = c.get_with("/", &[(name, value)]);
        assert_eq!(a.status, 403, "{name}: {}", a.text());
        assert!(a.text().contains("sans proxy"), "{name}: {}", a.text());
        assert!(a.set_cookie.is_empty(), "{name}: no session");
        let a = c.get_with("/dossiers", &[(name, value)]);
        assert_eq!(a.status, 403, "{name}");
    }
    // Other headers do not matter.
    let a = Client::new(&console)
        .get_with("/", &[("Accept-Language", "fr"), ("X-Requested-With", "x")]);
    assert_eq!(a.status, 200);
    assert!(a.text().contains("Tableau de bord"));
}

#[test]
fn a_new_password_signs_the_user_out() {
    let env = with_user();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    assert_eq!(sign_in(&mut c, PASSWORD), 303);
    assert_eq!(c.get("/").status, 200);
    let old_cookie = c.cookie.clone();
    // (A second apart: the file's time stamp must change.)
    std::thread::sleep(Duration::from_millis(1100));
    let r = msp_with_stdin(
        &env,
        &["user", "add", "agent", "--password-stdin"],
        "another long password\n",
    );
    r.assert_code(0);
    // The old session leads to the sign-in page, and stays dead.
    for path in ["/", "/dossiers", "/rejets", "/"] {
        let mut old = Client::new(&console);
        old.cookie = old_cookie.clone();
        let a = old.get(path);
        assert_eq!(a.status, 303, "{path}: {}", a.text());
        assert_eq!(a.location.as_deref(), Some("/connexion"), "{path}");
    }
    // The old password no longer opens; the new one does.
    let mut again = Client::new(&console);
    assert_eq!(sign_in(&mut again, PASSWORD), 401);
    assert_eq!(sign_in(&mut again, "another long password"), 303);
    let home = again.get("/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("Connecté : agent"));
}

#[test]
fn the_rejects_page_is_paged_and_a_huge_log_is_quoted_in_part() {
    let env = Env::new();
    let error = env.error();
    std::fs::create_dir_all(&error).unwrap();
    // A 10 MB date of birth quoted in the log, then 119 ordinary rejections.
    let huge = "9".repeat(10 << 20);
    let name = "A-2-HUGE0001-RCO-LA-1.zip";
    std::fs::write(error.join(name), b"PK").unwrap();
    std::fs::write(
        error.join(format!("{name}.log")),
        format!(
            "Archive : {name}\nMotif : DateNaissance « {huge} » n'est pas une date\nDétail : archive {name}: DateNaissance {huge}\nCode : value\n"
        ),
    )
    .unwrap();
    for i in 2..=120 {
        let name = format!("A-2-PAGE{i:04}-RCO-LA-1.zip");
        std::fs::write(error.join(&name), b"PK").unwrap();
        std::fs::write(
            error.join(format!("{name}.log")),
            format!("Archive : {name}\nMotif : commune {i} non configurée\n"),
        )
        .unwrap();
    }
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let mut seen = 0;
    let mut cut = false;
    for page in 1..=3 {
        let a = c.get(&format!("/rejets?page={page}"));
        assert_eq!(a.status, 200);
        assert!(
            a.body.len() < 512 * 1024,
            "page {page}: {} bytes",
            a.body.len()
        );
        let t = a.text();
        assert!(
            t.contains(&format!("120 archives rejetées, page {page} sur 3")),
            "page {page}: {}",
            &t[..t.len().min(4000)]
        );
        let here = t.matches("name=\"nom\"").count();
        assert_eq!(here, if page < 3 { 50 } else { 20 }, "page {page}");
        seen += here;
        if page < 3 {
            assert!(t.contains(&format!("href=\"/rejets?page={}\"", page + 1)));
            assert!(t.contains("Page suivante"));
        }
        if page > 1 {
            assert!(t.contains(&format!("href=\"/rejets?page={}\"", page - 1)));
            assert!(t.contains("Page précédente"));
        }
        if t.contains("A-2-HUGE0001-RCO-LA-1.zip") {
            assert!(
                t.contains("caractères coupés)"),
                "{}",
                &t[..t.len().min(4000)]
            );
            assert!(!t.contains(&"9".repeat(1000)));
            cut = true;
        }
    }
    assert_eq!(seen, 120);
    assert!(cut, "the huge log is on one of the pages, quoted in part");
    // A page past the last shows the last.
    let last = c.get("/rejets?page=99").text();
    assert!(last.contains("page 3 sur 3"));
}

/// Reads what `s` sends until it closes or `limit` passes; whether it
/// closed, and what it sent.
fn until_closed(s: &mut TcpStream, limit: Duration) -> (bool, String) {
    let start = Instant::now();
    let mut got = Vec::new();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return (true, String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (true, String::from_utf8_lossy(&got).into_owned()),
        }
    }
    (false, String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn a_slow_client_is_cut_off_and_a_body_never_sent_ends() {
    let env = Env::new();
    // Timeouts of 1 s for the test (15 s and 30 s otherwise).
    let console = Console::start_with(&env, &[("MSP_WEB_TIMEOUT_MS", "1000")]);
    let host = console.addr();

    // Slowloris: a header line every 200 ms, never the blank line.
    let mut slow = TcpStream::connect(&host).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(slow, "GET / HTTP/1.1\r\nHost: {host}\r\n").unwrap();
    let start = Instant::now();
    let mut closed = false;
    let mut buf = [0u8; 1024];
    while start.elapsed() < Duration::from_secs(8) {
        if slow.write_all(b"X-Slow: 1\r\n").is_err() {
            closed = true;
            break;
        }
        match slow.read(&mut buf) {
            Ok(_) => {
                // Closed (0), or an answer before the close.
                closed = true;
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    assert!(closed, "the slow client is still connected after 8 s");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        start.elapsed()
    );

    // A body announced and never sent: 408, then the connection closes.
    let mut mute = TcpStream::connect(&host).unwrap();
    write!(
        mute,
        "POST /connexion HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nnom=a"
    )
    .unwrap();
    let start = Instant::now();
    let (closed, answer) = until_closed(&mut mute, Duration::from_secs(8));
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {:?}: {answer:?}",
        start.elapsed()
    );
    assert!(closed, "closed after the 408");
    assert!(start.elapsed() < Duration::from_secs(5));

    // An idle kept-alive connection is closed too; ordinary requests work.
    let mut idle = TcpStream::connect(&host).unwrap();
    let (closed, _) = until_closed(&mut idle, Duration::from_secs(8));
    assert!(closed, "an idle connection is closed");
    let mut c = Client::new(&console);
    assert_eq!(c.get("/").status, 200);
    let token = csrf_of(&c.get("/").text());
    assert_eq!(c.post("/deconnexion", &[("csrf", &token)]).status, 303);
}

#[test]
fn one_address_cannot_hold_every_connection() {
    let env = Env::new();
    let console = Console::start(&env);
    let host = console.addr();
    // 32 connections per address (README), held open without a request.
    let mut held: Vec<TcpStream> = (0..32)
        .map(|_| TcpStream::connect(&host).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut over = TcpStream::connect(&host).unwrap();
    let start = Instant::now();
    let (closed, answer) = until_closed(&mut over, Duration::from_secs(5));
    assert!(closed, "the 33rd connection is closed at once");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("Trop de connexions"), "{answer:?}");
    assert!(start.elapsed() < Duration::from_secs(2));
    // The connections under the cap are served.
    let first = &mut held[0];
    write!(
        first,
        "GET /static/msp.css HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let (_, answer) = until_closed(first, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    // Once they are closed, the address is served again.
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(Client::new(&console).get("/").status, 200);
}

#[test]
fn bidirectional_controls_are_shown_and_dropped_from_download_names() {
    let env = Env::with_config(common::PARIS_ONLY);
    env.deliver(&Archive::rco("A-2-BIDI0001", 1));
    assert_eq!(env.run(&[]).code, 0);
    // Names as the trial wrote them: U+202E in the request's title and an
    // attachment's name (`facture\u{202E}fdp.exe` reads `facturexe.pdf`).
    common::exec_sql(
        &env.db(),
        "UPDATE msp_dossier SET summary = 'Acte pour facture\u{202E}fdp.exe' WHERE numero = 'A-2-BIDI0001'; \
         UPDATE msp_piece_jointe SET file_name = 'facture\u{202E}fdp.exe' WHERE numero = 'A-2-BIDI0001' AND seq = 1",
    );
    // An unrecognised file in input, and a rejected archive.
    std::fs::write(env.input().join("lettre\u{2067}fdp.exe"), b"x").unwrap();
    let error = env.error();
    std::fs::create_dir_all(&error).unwrap();
    let rejected = "A-2-BIDI0002\u{202E}-RCO-LA-1.zip";
    std::fs::write(error.join(rejected), b"PK").unwrap();
    std::fs::write(
        error.join(format!("{rejected}.log")),
        "Motif : pièce « facture\u{202E}fdp.exe » illisible\n",
    )
    .unwrap();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let bidi = |t: &str| {
        t.chars().any(|c| {
            matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        })
    };
    for (path, shown) in [
        ("/dossiers/A-2-BIDI0001", "facture\\u{202e}fdp.exe"),
        ("/dossiers", "Acte pour facture\\u{202e}fdp.exe"),
        ("/", "lettre\\u{2067}fdp.exe"),
        ("/rejets", "A-2-BIDI0002\\u{202e}-RCO-LA-1.zip"),
    ] {
        let a = c.get(path);
        assert_eq!(a.status, 200, "{path}");
        let t = a.text();
        assert!(!bidi(&t), "{path}: a bidirectional control is shown as is");
        assert!(t.contains(shown), "{path}: {shown} in {t}");
    }
    let rejects = c.get("/rejets").text();
    assert!(rejects.contains("pièce « facture\\u{202e}fdp.exe » illisible"));
    // The form keeps the archive's exact name: putting it back works.
    let token = csrf_of(&rejects);
    assert!(rejects.contains("value=\"A-2-BIDI0002&#x202E;-RCO-LA-1.zip\""));
    let r = c.post("/rejets/remettre", &[("csrf", &token), ("nom", rejected)]);
    assert_eq!(r.status, 303);
    let after = c.get("/rejets").text();
    common::assert_has(&after, "a été remise en entrée");
    assert!(files(&env.input()).contains(&rejected.to_string()));
    // The download's name has no bidirectional control, in either form.
    let pj = c.get("/dossiers/A-2-BIDI0001/pieces/1");
    assert_eq!(pj.status, 200);
    let d = pj.disposition.unwrap();
    assert!(!bidi(&d) && !d.contains("%E2%80%AE"), "{d}");
    common::assert_has(&d, "filename*=UTF-8''facturefdp.exe");
}

#[test]
fn a_locked_out_name_is_told_when_to_come_back() {
    let env = with_user();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    for _ in 0..5 {
        assert_eq!(sign_in(&mut c, "guess"), 401);
    }
    let token = csrf_of(&c.get("/connexion").text());
    let r = c.post(
        "/connexion",
        &[
            ("csrf", &token),
            ("nom", "agent"),
            ("mot_de_passe", PASSWORD),
        ],
    );
    assert_eq!(r.status, 429);
    let after: u64 = r
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("seconds");
    assert!((800..=900).contains(&after), "{after} s");
}

#[test]
fn symbolic_links_in_the_folders_are_neither_shown_nor_served() {
    let env = Env::with_config(&format!(
        "{}attachments = \"directory\"\n",
        common::PARIS_ONLY
    ));
    env.deliver(&Archive::rco("A-2-LINK0001", 1));
    assert_eq!(env.run(&[]).code, 0);
    let secret = env.path().join("secret.txt");
    std::fs::write(&secret, "root:SECRET-SHADOW-LINE:19000:0:99999:7:::\n").unwrap();
    let link = |at: &std::path::Path| {
        std::fs::remove_file(at).ok();
        std::os::unix::fs::symlink(&secret, at).unwrap();
    };
    // The archive received, in done; the return archive, in output.
    let archive = "A-2-LINK0001-RCO-LA-1.zip";
    link(&env.done().join(archive));
    link(&env.output().join(archive));
    // An attachment of the attachments folder.
    let stored = common::query_strings(
        &env.db(),
        "SELECT path AS v FROM msp_piece_jointe WHERE numero = 'A-2-LINK0001' AND seq = 1",
    );
    // (Relative to the installation, where msp runs.)
    let attachment = env.path().join(&stored[0]);
    assert!(attachment.is_file(), "{stored:?}");
    link(&attachment);
    // A rejected archive whose log is a link, and one that is a link.
    let error = env.error();
    std::fs::create_dir_all(&error).unwrap();
    std::fs::write(error.join("A-2-LINK0002-RCO-LA-1.zip"), b"PK").unwrap();
    link(&error.join("A-2-LINK0002-RCO-LA-1.zip.log"));
    link(&error.join("A-2-LINK0003-RCO-LA-1.zip"));
    std::fs::write(
        error.join("A-2-LINK0003-RCO-LA-1.zip.log"),
        "Motif : commune non configurée\n",
    )
    .unwrap();

    let console = Console::start(&env);
    let mut c = Client::new(&console);
    for (path, name) in [
        ("/dossiers/A-2-LINK0001/archives/1", archive),
        ("/dossiers/A-2-LINK0001/retours/1", archive),
    ] {
        let a = c.get(path);
        assert_ne!(a.status, 200, "{path}");
        let t = a.text();
        assert!(!t.contains("SECRET"), "{path}: {t}");
        assert!(
            t.contains("lien symbolique") && t.contains(name),
            "{path}: {t}"
        );
    }
    let a = c.get("/dossiers/A-2-LINK0001/pieces/1");
    assert_ne!(a.status, 200);
    assert!(!a.text().contains("SECRET"));
    // The dossier page itself still opens.
    assert_eq!(c.get("/dossiers/A-2-LINK0001").status, 200);

    // The rejects: listed with the link named, or an error page naming it
    // (msp-core's listing may refuse a folder holding a link).
    let rejects = c.get("/rejets");
    let t = rejects.text();
    assert!(!t.contains("SECRET"), "{t}");
    if rejects.status == 200 {
        for name in ["A-2-LINK0002-RCO-LA-1.zip", "A-2-LINK0003-RCO-LA-1.zip"] {
            if t.contains(name) {
                assert!(t.contains("lien symbolique"), "{name}: {t}");
            }
        }
    } else {
        assert!(
            t.contains("lien symbolique") && t.contains("A-2-LINK000"),
            "{t}"
        );
    }
    let home = c.get("/").text();
    assert!(!home.contains("SECRET"), "{home}");
    // A link is not put back into input.
    let token = csrf_of(&home);
    c.post(
        "/rejets/remettre",
        &[("csrf", &token), ("nom", "A-2-LINK0003-RCO-LA-1.zip")],
    );
    assert!(!files(&env.input()).contains(&"A-2-LINK0003-RCO-LA-1.zip".to_string()));
    assert!(!c.get("/rejets").text().contains("SECRET"));
}
