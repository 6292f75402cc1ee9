//! The web console (`msp serve`) over HTTP: every page and action against
//! the real binary, a real installation and its database.

mod common;

use common::web::{csrf_of, says, Client, Console};
use common::{files, Env};
use portal_sim::{Archive, TINY_PDF};

/// Posts the status form of the dossier page `page`: `code`, `comment`.
fn post_status(
    c: &mut Client,
    page: &str,
    token: &str,
    code: &str,
    comment: &str,
) -> common::web::Answer {
    c.post(
        &format!("{page}/statut"),
        &[("csrf", token), ("code", code), ("commentaire", comment)],
    )
}

/// An installation with three dossiers imported (one RCO with its two
/// attachments) and one archive rejected.
fn installation() -> Env {
    let env = Env::with_config(common::PARIS_ONLY);
    env.deliver(&Archive::rco("A-2-WEB0001", 1));
    env.deliver(&Archive::aec("A-2-WEB0002", 1));
    env.deliver(&Archive::ile("A-2-WEB0003", 1));
    env.deliver(&Archive::rco("A-2-LYON001", 1).routed_to("69123"));
    let run = env.run(&[]);
    run.assert_code(1);
    assert_eq!(files(&env.error()).len(), 2, "the archive and its log");
    env
}

#[test]
fn every_page_answers_in_french_and_downloads_are_the_dossier_s_own() {
    let env = installation();
    let console = Console::start(&env);
    let mut c = Client::new(&console);

    let home = c.get("/");
    assert_eq!(home.status, 200);
    let t = home.text();
    common::assert_has(&t, "<html lang=\"fr\">");
    assert!(t.contains("Tableau de bord") && t.contains("Synchroniser maintenant"));
    common::assert_has(&t, "archive rejetée à traiter");
    assert!(t.contains("Dernières synchronisations"));
    let cookie = home
        .set_cookie
        .iter()
        .find(|c| c.starts_with("msp_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let list = c.get("/dossiers").text();
    for n in ["A-2-WEB0001", "A-2-WEB0002", "A-2-WEB0003"] {
        assert!(list.contains(n), "{n} listed: {list}");
    }
    assert!(list.contains("<p role=\"status\">3 dossiers"));
    // Filters: by flow, by search, by status, not transmitted.
    let rco = c.get("/dossiers?flux=RCO-LA").text();
    assert!(rco.contains("A-2-WEB0001") && !rco.contains("A-2-WEB0002"));
    assert!(rco.contains("<p role=\"status\">1 dossier<"));
    let found = c.get("/dossiers?q=web0002").text();
    assert!(found.contains("A-2-WEB0002") && found.contains("<p role=\"status\">1 dossier<"));
    let none = c.get("/dossiers?statut=16").text();
    common::assert_has(&none, "<p role=\"status\">0 dossier<");
    let pending = c.get("/dossiers?non_transmis=1").text();
    assert!(
        pending.contains("<p role=\"status\">0 dossier<"),
        "status 14 is transmitted"
    );
    let town = c.get("/dossiers?commune=75056").text();
    assert!(town.contains("<p role=\"status\">3 dossiers"));
    let elsewhere = c.get("/dossiers?commune=69123").text();
    assert!(elsewhere.contains("<p role=\"status\">0 dossier<"));

    let page = c.get("/dossiers/A-2-WEB0001");
    assert_eq!(page.status, 200);
    let p = page.text();
    for expected in [
        "Dossier A-2-WEB0001",
        "Historique des statuts",
        "14 — dossier importé",
        "Retours vers le portail",
        "Pièces jointes",
        "Archives reçues",
        "Journal",
        "Possibles maintenant : 15 — dossier non recevable, 16 — dossier en cours de traitement, 100 — dossier clos",
    ] {
        assert!(p.contains(expected), "{expected} in {p}");
    }

    // The status-14 return archive, as written in output.
    let ret = c.get("/dossiers/A-2-WEB0001/retours/1");
    assert_eq!(ret.status, 200);
    let on_disk = std::fs::read(env.output().join("A-2-WEB0001-RCO-LA-1.zip")).unwrap();
    assert_eq!(ret.body, on_disk);
    assert!(ret
        .disposition
        .as_deref()
        .unwrap()
        .contains("A-2-WEB0001-RCO-LA-1.zip"));
    // Attachments, from the database.
    let pj = c.get("/dossiers/A-2-WEB0001/pieces/1");
    assert_eq!(pj.status, 200, "{}", pj.text());
    assert_eq!(pj.body, TINY_PDF);
    assert_eq!(pj.content_type, "application/pdf");
    // The archive received, from done.
    let zip = c.get("/dossiers/A-2-WEB0001/archives/1");
    assert_eq!(zip.status, 200);
    assert_eq!(
        zip.body,
        std::fs::read(env.done().join("A-2-WEB0001-RCO-LA-1.zip")).unwrap()
    );
    // What does not belong to a dossier is not found, in French.
    for path in [
        "/dossiers/A-2-NOPE/pieces/1",
        "/dossiers/A-2-WEB0001/pieces/9",
        "/dossiers/A-2-WEB0001/retours/7",
        "/dossiers/A-2-WEB0001/archives/2",
        "/dossiers/A-2-WEB0001/pieces/abc",
        "/dossiers/..%2F..%2Fmsp.toml/pieces/1",
    ] {
        let a = c.get(path);
        assert_eq!(a.status, 404, "{path}: {}", a.text());
        assert!(!a.text().contains("[[client]]"));
    }
    assert!(c
        .get("/dossiers/A-2-NOPE")
        .text()
        .contains("Aucun dossier A-2-NOPE"));

    // Once the portal collected the return, its message is rebuilt.
    std::fs::remove_file(env.output().join("A-2-WEB0001-RCO-LA-1.zip")).unwrap();
    let rebuilt = c.get("/dossiers/A-2-WEB0001/retours/1");
    assert_eq!(rebuilt.status, 200);
    assert!(
        rebuilt.text().contains("<ns2:Etat>14</ns2:Etat>") || rebuilt.text().contains("Etat>14<")
    );
    assert!(rebuilt
        .disposition
        .as_deref()
        .unwrap()
        .contains("A-2-WEB0001-RCO-LA-1-message.xml"));

    let rejects = c.get("/rejets").text();
    common::assert_has(&rejects, "A-2-LYON001-RCO-LA-1.zip");
    assert!(
        says(&rejects, "adressée à une commune qui n'est pas configurée"),
        "the French log: {rejects}"
    );
    // Which commune: its code, on the card and in the log.
    assert!(
        rejects.contains("<p>La demande est adressée à la commune de code INSEE 69123, qui n"),
        "the explanation on the card: {rejects}"
    );
    common::assert_has(&rejects, "la seule commune configurée est 75056.");
    assert!(rejects.contains("Remettre en entrée"));

    let css = c.get("/static/msp.css");
    assert_eq!(css.status, 200);
    assert!(css.content_type.starts_with("text/css"));
    assert_eq!(c.get("/nulle-part").status, 404);

    // Every request is in the access log, without query strings.
    let log = std::fs::read_to_string(env.logs().join("web-access.log")).unwrap();
    common::assert_has(&log, "127.0.0.1 - GET /dossiers/A-2-WEB0001 200");
    assert!(log.contains("GET /dossiers 200"));
    assert!(
        !log.contains("web0002"),
        "no search terms in the log: {log}"
    );
}

#[test]
fn without_sign_in_only_the_loopback_names_are_served() {
    let env = Env::new();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    assert_eq!(c.get("/").status, 200);
    // A page elsewhere resolving its own name to 127.0.0.1 (DNS rebinding).
    c.host = Some("attacker.example:80".into());
    let a = c.get("/");
    assert_eq!(a.status, 403);
    assert!(a.text().contains("adresses locales"));
    // A reverse proxy keeps Host: 127.0.0.1 but would open the console to
    // its clients: refused without sign-in.
    c.host = None;
    let mut proxied = Client::new(&console);
    let a = proxied.post_with("/deconnexion", &[], &[("X-Forwarded-For", "203.0.113.9")]);
    assert_eq!(a.status, 403, "{}", a.text());
    assert!(a.text().contains("sans proxy"));
}

#[test]
fn synchroniser_maintenant_imports_what_waits_and_shows_the_result() {
    let env = Env::new();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let before = c.get("/").text();
    assert!(says(&before, "Aucune synchronisation n'a encore eu lieu"));
    for i in 1..=3 {
        env.deliver(&Archive::rco(&format!("A-2-SYNC{i:04}"), 1));
    }
    // Files msp does not recognise are shown apart, with the reason.
    std::fs::write(env.input().join("A-2-SYNCX-DDPACS-LA-1.zip"), b"PK").unwrap();
    std::fs::write(env.input().join("demande.zip"), b"PK").unwrap();
    let home = c.get("/").text();
    common::assert_has(&home, "<span class=\"figure\">3</span>archives en attente");
    assert!(says(&home, "Fichiers non reconnus dans l'entrée"), "{home}");
    common::assert_has(&home, "A-2-SYNCX-DDPACS-LA-1.zip — La démarche DDPACS-LA n'a pas de module dans msp : le fichier est laissé dans l'entrée.");
    common::assert_has(
        &home,
        "demande.zip — Ce nom n'est pas celui d'une archive du portail",
    );
    let token = csrf_of(&home);
    let r = c.post("/synchroniser", &[("csrf", &token)]);
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/synchronisation"));
    let result = c.get("/synchronisation").text();
    assert!(says(&result, "Tout s'est bien passé"), "{result}");
    common::assert_has(
        &result,
        "<th scope=\"row\">RCO-LA</th><td class=\"num\">3</td>",
    );
    // What a clerk would check: input holds only what msp does not
    // recognise, three dossiers, three returns.
    assert_eq!(
        files(&env.input()),
        ["A-2-SYNCX-DDPACS-LA-1.zip", "demande.zip"]
    );
    assert_eq!(env.dossiers().len(), 3);
    assert_eq!(files(&env.output()).len(), 3);
    // The dashboard lists that synchronisation.
    let after = c.get("/").text();
    common::assert_has(&after, "<td class=\"num\">3</td>");
    // A rejection is reported with the clerk's French reason.
    std::fs::write(env.input().join("A-2-NOTZIP01-RCO-LA-1.zip"), b"not a zip").unwrap();
    let r = c.post("/synchroniser", &[("csrf", &token)]);
    assert_eq!(r.status, 303);
    let result = c.get("/synchronisation").text();
    common::assert_has(&result, "Des archives ont été rejetées.");
    assert!(
        says(&result, "A-2-NOTZIP01-RCO-LA-1.zip</strong> : Le fichier reçu n'est pas une archive ZIP lisible"),
        "{result}"
    );
    // And `msp status` sees it as the last synchronisation.
    let status = env.msp(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["last_run"]["summary"]["totals"]["rejected"], 1);
}

#[test]
fn status_changes_follow_the_protocol_and_a_refusal_is_said_in_french() {
    let env = installation();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let page = "/dossiers/A-2-WEB0002";
    let token = c.csrf(page);

    // No status chosen: said, and the comment typed is still there.
    let r = post_status(&mut c, page, &token, "", "Pièce reçue <le 3 mars>.");
    assert_eq!(r.status, 422);
    let shown = r.text();
    common::assert_has(&shown, "Choisissez un statut.");
    common::assert_has(
        &shown,
        "maxlength=\"2000\">Pièce reçue &lt;le 3 mars&gt;.</textarea>",
    );
    // 14 (transmitted) → 19 is not allowed: the page again, the refusal
    // said in French, the form as it was filled.
    let r = post_status(
        &mut c,
        page,
        &token,
        "19",
        "Votre acte vous attend en mairie.",
    );
    assert_eq!(r.status, 409);
    let shown = r.text().replace("&#39;", "'");
    common::assert_has(&shown, "role=\"alert\">Changement refusé. Dossier A-2-WEB0002 : le passage de 14 (dossier importé) à 19 (dossier traité / accepté) n'est pas permis. Le statut 14 ayant été transmis au portail, les statuts possibles sont : 15 (dossier non recevable), 16 (dossier en cours de traitement), 100 (dossier clos).</div>");
    assert!(
        shown.contains(">Votre acte vous attend en mairie.</textarea>"),
        "the comment typed is kept: {shown}"
    );
    assert!(
        shown.contains("<option value=\"19\" selected>"),
        "the status chosen is kept: {shown}"
    );
    assert_eq!(env.dossier("A-2-WEB0002")["status"], 14);
    // Shown once: the next visit has no alert.
    assert!(!c.get(page).text().contains("Changement refusé"));

    // 14 → 16 with a comment is recorded, not transmitted yet.
    let r = post_status(&mut c, page, &token, "16", "Votre acte est en préparation.");
    assert_eq!(r.status, 303);
    let shown = c.get(page).text();
    common::assert_has(
        &shown,
        "Nouveau statut enregistré : 16 — dossier en cours de traitement.",
    );
    let d = env.dossier("A-2-WEB0002");
    assert_eq!(d["status"], 16);
    assert_eq!(d["indicator"], 0);
    assert_eq!(
        d["history"].as_array().unwrap().last().unwrap()["comment"],
        "Votre acte est en préparation."
    );
    // Cancelling 16 is refused (only 19 or a manual 100), in French.
    c.post(&format!("{page}/annuler"), &[("csrf", &token)]);
    let shown = c.get(page).text();
    common::assert_has(
        &shown,
        "Dossier A-2-WEB0002 : seul un statut 19 ou une clôture manuelle",
    );
    // 16 → 19 while 16 is untransmitted, then cancel 19: back to 16.
    c.post(
        &format!("{page}/statut"),
        &[("csrf", &token), ("code", "19")],
    );
    assert_eq!(env.dossier("A-2-WEB0002")["status"], 19);
    let shown = c.get(page).text().replace("&#39;", "'");
    assert!(shown.contains("Annuler le statut 19"));
    // Nothing to choose from: no list of statuses, the reason instead.
    assert!(!shown.contains("<select id=\"code\""), "{shown}");
    common::assert_has(&shown, "Possibles maintenant : aucun — le statut 19 peut seulement être annulé tant qu'il n'est pas transmis au portail.");
    c.post(&format!("{page}/annuler"), &[("csrf", &token)]);
    assert!(c.get(page).text().contains("Statut annulé"));
    assert_eq!(env.dossier("A-2-WEB0002")["status"], 16);
    // The next run sends 16 to the portal.
    let run = env.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(env.output().join("A-2-WEB0002-AEC-LA-2.zip").is_file());
    let ops = std::fs::read_to_string(env.logs().join("operations.log")).unwrap();
    common::assert_has(&ops, "web console: dossier A-2-WEB0002: statut 16 (dossier en cours de traitement) posé par un agent");
}

#[test]
fn the_clerk_reads_towns_by_name_attachments_and_transmission_in_words() {
    // Paris named by its client (`commune`); Lyon is not configured.
    let env = Env::with_config(
        "root = \"msp-data\"\n[[client]]\nname = \"Ville de Paris\"\ninsee = [\"75056\"]\ncommune = \"Paris\"\ndatabase = \"sqlite://msp.db\"\n",
    );
    env.deliver(&Archive::rco("A-2-TOWN001", 1));
    env.deliver(&Archive::rco("A-2-LYON002", 1).routed_to("69123"));
    let run = env.run(&[]);
    run.assert_code(1);
    let console = Console::start(&env);
    let mut c = Client::new(&console);

    // The town by its name, its code beside it.
    let list = c.get("/dossiers").text();
    common::assert_has(&list, "<td>Paris (75056)</td>");
    let p = c.get("/dossiers/A-2-TOWN001").text().replace("&#39;", "'");
    common::assert_has(&p, "<dt>Commune (code INSEE)</dt><dd>Paris (75056)</dd>");
    // The attachments' codes explained.
    common::assert_has(&p, "(justificatif d'identité, code JI, ");
    common::assert_has(&p, "(justificatif de domicile, code JD, ");
    // The transmission in words, not the indicator's code.
    common::assert_has(&p, "<th scope=\"col\">Transmission</th>");
    assert!(!p.contains("Indicateur"), "{p}");
    common::assert_has(
        &p,
        "<td>14 — dossier importé</td><td>transmis au portail</td>",
    );
    // The archive for a commune not configured: which code, which
    // communes are, by name.
    let rejects = c.get("/rejets").text().replace("&#39;", "'");
    common::assert_has(&rejects, "<p>La demande est adressée à la commune de code INSEE 69123, qui n'est pas dans la configuration : la seule commune configurée est Paris (75056).</p>");
    let log = std::fs::read_to_string(env.error().join("A-2-LYON002-RCO-LA-1.zip.log")).unwrap();
    common::assert_has(&log, "Motif : La demande est adressée à une commune qui n'est pas configurée.\nExplication : La demande est adressée à la commune de code INSEE 69123, ");
}

#[test]
fn a_rejected_archive_is_put_back_into_input_once_corrected() {
    let env = installation();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let token = c.csrf("/rejets");
    // A name that is not in the error folder moves nothing.
    for bad in [
        "../msp.toml",
        "A-2-NONE-RCO-LA-1.zip",
        "A-2-LYON001-RCO-LA-1.zip.log",
    ] {
        let r = c.post("/rejets/remettre", &[("csrf", &token), ("nom", bad)]);
        assert_eq!(r.status, 303);
        let page = c.get("/rejets").text();
        assert!(
            says(&page, "n'a pas pu être remise en entrée"),
            "{bad}: {page}"
        );
    }
    assert!(env.path().join("msp.toml").is_file());
    assert_eq!(files(&env.error()).len(), 2);
    // Lyon is configured; the archive goes back and is imported.
    env.write_config(common::PARIS_AND_LYON);
    let r = c.post(
        "/rejets/remettre",
        &[("csrf", &token), ("nom", "A-2-LYON001-RCO-LA-1.zip")],
    );
    assert_eq!(r.status, 303);
    assert!(c.get("/rejets").text().contains("a été remise en entrée"));
    assert!(files(&env.error()).is_empty());
    assert_eq!(files(&env.input()), vec!["A-2-LYON001-RCO-LA-1.zip"]);
    // The console's own synchronisation sees the corrected configuration.
    let r = c.post("/synchroniser", &[("csrf", &token)]);
    assert_eq!(r.status, 303);
    let result = c.get("/synchronisation").text();
    common::assert_has(
        &result,
        "<th scope=\"row\">RCO-LA</th><td class=\"num\">1</td>",
    );
    assert_eq!(env.dossier("A-2-LYON001")["insee"], "69123");
    assert!(files(&env.error()).is_empty());
    let ops = std::fs::read_to_string(env.logs().join("operations.log")).unwrap();
    assert!(ops.contains("web console: A-2-LYON001-RCO-LA-1.zip put back into input"));
}

#[test]
fn forms_without_the_session_s_token_or_from_another_site_are_refused() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-CSRF0001", 1));
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let token = c.csrf("/");
    let missing = c.post("/synchroniser", &[]);
    assert_eq!(missing.status, 403);
    assert!(missing.text().contains("Formulaire refusé"));
    let wrong = c.post("/synchroniser", &[("csrf", &"0".repeat(64))]);
    assert_eq!(wrong.status, 403);
    // Another browser's session cannot use this token.
    let mut other = Client::new(&console);
    other.get("/");
    assert_eq!(other.post("/synchroniser", &[("csrf", &token)]).status, 403);
    let cross = c.post_with(
        "/synchroniser",
        &[("csrf", &token)],
        &[("Origin", "http://attacker.example")],
    );
    assert_eq!(cross.status, 403);
    assert_eq!(files(&env.input()).len(), 1, "nothing was imported");
    // With the token, from this page, it runs.
    let ok = c.post("/synchroniser", &[("csrf", &token)]);
    assert_eq!(ok.status, 303);
    assert!(files(&env.input()).is_empty());
}

/// An installation whose configuration has one user, added with
/// `msp user add` (password on stdin).
fn with_user() -> Env {
    let env = Env::with_config(common::PARIS_ONLY);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["user", "add", "agent"])
        .current_dir(env.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"correct horse battery\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("user agent added"));
    let toml = std::fs::read_to_string(env.path().join("msp.toml")).unwrap();
    assert!(
        toml.contains("[[web.user]]") && toml.contains("$argon2id$"),
        "{toml}"
    );
    assert!(!toml.contains("correct horse"));
    env
}

#[test]
fn with_users_nothing_is_served_without_signing_in() {
    let env = with_user();
    env.deliver(&Archive::rco("A-2-AUTH0001", 1));
    assert_eq!(env.run(&[]).code, 0);
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    // No session: every page and download leads to the sign-in page.
    for path in [
        "/",
        "/dossiers",
        "/dossiers/A-2-AUTH0001",
        "/dossiers/A-2-AUTH0001/pieces/1",
        "/dossiers/A-2-AUTH0001/retours/1",
        "/rejets",
    ] {
        let a = c.get(path);
        assert_eq!(a.status, 303, "{path}");
        assert_eq!(a.location.as_deref(), Some("/connexion"), "{path}");
        assert!(a.body.is_empty());
    }
    assert_eq!(c.post("/synchroniser", &[("csrf", "x")]).status, 303);
    let login = c.get("/connexion");
    assert_eq!(login.status, 200);
    assert!(login.text().contains("Mot de passe"));
    let token = csrf_of(&login.text());
    let pre_login = c.cookie.clone();
    // A wrong password is refused, in French.
    let bad = c.post(
        "/connexion",
        &[
            ("csrf", &token),
            ("nom", "agent"),
            ("mot_de_passe", "wrong"),
        ],
    );
    assert_eq!(bad.status, 401);
    assert!(bad.text().contains("Identifiant ou mot de passe incorrect"));
    assert_eq!(c.get("/").status, 303);
    // The login form needs its token too.
    let no_token = c.post(
        "/connexion",
        &[("nom", "agent"), ("mot_de_passe", "correct horse battery")],
    );
    assert_eq!(no_token.status, 403);
    // The right password: a new session (the old token is dropped).
    let ok = c.post(
        "/connexion",
        &[
            ("csrf", &token),
            ("nom", "agent"),
            ("mot_de_passe", "correct horse battery"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert_ne!(c.cookie, pre_login, "a new session after signing in");
    let cookie = ok.set_cookie.join("\n");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "plain HTTP on the loopback");
    // The token of before signing in does not open anything.
    let mut before = Client::new(&console);
    before.cookie = pre_login.clone();
    assert_eq!(before.get("/").status, 303);
    let home = c.get("/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("Connecté : agent"));
    let pj = c.get("/dossiers/A-2-AUTH0001/pieces/1");
    assert_eq!(pj.body, TINY_PDF);
    let log = std::fs::read_to_string(env.logs().join("web-access.log")).unwrap();
    common::assert_has(&log, "agent GET /dossiers/A-2-AUTH0001/pieces/1 200");
    // Signing out ends the session.
    let token = csrf_of(&home.text());
    let out = c.post("/deconnexion", &[("csrf", &token)]);
    assert_eq!(out.status, 303);
    assert_eq!(c.get("/").status, 303);
    // Behind a TLS proxy, the cookie is Secure.
    let mut tls = Client::new(&console);
    let a = tls.post_with("/connexion", &[], &[("X-Forwarded-Proto", "https")]);
    assert!(
        a.set_cookie.join("").contains("; Secure"),
        "{:?}",
        a.set_cookie
    );
}

#[test]
fn a_user_removed_from_the_configuration_is_signed_out() {
    let env = with_user();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let token = csrf_of(&c.get("/connexion").text());
    let ok = c.post(
        "/connexion",
        &[
            ("csrf", &token),
            ("nom", "agent"),
            ("mot_de_passe", "correct horse battery"),
        ],
    );
    assert_eq!(ok.status, 303);
    assert_eq!(c.get("/").status, 200);
    // (A second apart: the file's time stamp must change.)
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = env.msp(&["user", "remove", "agent"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(c.get("/").status, 303, "signed out");
}

#[test]
fn repeated_wrong_passwords_are_slowed_down() {
    let env = with_user();
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let token = csrf_of(&c.get("/connexion").text());
    for _ in 0..5 {
        let r = c.post(
            "/connexion",
            &[
                ("csrf", &token),
                ("nom", "agent"),
                ("mot_de_passe", "guess"),
            ],
        );
        assert_eq!(r.status, 401);
    }
    // Even the right password waits now.
    let r = c.post(
        "/connexion",
        &[
            ("csrf", &token),
            ("nom", "agent"),
            ("mot_de_passe", "correct horse battery"),
        ],
    );
    assert_eq!(r.status, 429);
    assert!(says(&r.text(), "Trop d'essais"));
}

#[test]
fn another_address_than_the_loopback_requires_users() {
    let env = Env::with_config(common::PARIS_ONLY);
    let r = env.msp(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(r.code, 2);
    r.assert_stderr_has("requires signing in");
    r.assert_stderr_has("msp user add");
    let r = env.msp(&["user", "add", "x"]);
    assert_ne!(r.code, 0, "an empty password is refused");
    r.assert_stderr_has("too short");
    let none = Env::new();
    let r = none.msp(&["user", "add", "agent"]);
    assert_eq!(r.code, 2);
    r.assert_stderr_has("--config");
}

#[test]
fn an_attachment_in_the_attachments_folder_is_downloaded_and_nothing_outside_it() {
    let env = Env::with_config(&format!(
        "{}attachments = \"directory\"\n",
        common::PARIS_ONLY
    ));
    env.deliver(&Archive::rco("A-2-DIR00001", 1));
    assert_eq!(env.run(&[]).code, 0);
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let pj = c.get("/dossiers/A-2-DIR00001/pieces/1");
    assert_eq!(pj.status, 200, "{}", pj.text());
    assert_eq!(pj.body, TINY_PDF);
    // A path in the database pointing elsewhere is never served.
    common::exec_sql(
        &env.db(),
        "UPDATE msp_piece_jointe SET path = '/etc/passwd' WHERE numero = 'A-2-DIR00001' AND seq = 1",
    );
    let a = c.get("/dossiers/A-2-DIR00001/pieces/1");
    assert_eq!(a.status, 404);
    assert!(!a.text().contains("root:"));
    assert!(a.text().contains("dossier des pièces"), "{}", a.text());
}

#[test]
fn an_attachment_stored_in_postgresql_is_downloaded_whole() {
    let Some(db) = common::PgDatabase::create("msp_web") else {
        return;
    };
    let env = Env::with_config(&format!(
        "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"*\"]\ndatabase = \"{}\"\n",
        db.url
    ));
    // One small attachment (in the row) and one over a part's size (in
    // parts, msp_piece_morceau).
    let mut a = Archive::rco("A-2-PGWEB001", 1);
    let big = portal_sim::Seq::new(42).bytes(2 * 1024 * 1024 + 123);
    a.attachments[1].bytes = big.clone();
    env.deliver(&a);
    let run = env.run(&[]);
    run.assert_code(0);
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    assert_eq!(c.get("/dossiers/A-2-PGWEB001/pieces/1").body, TINY_PDF);
    let whole = c.get("/dossiers/A-2-PGWEB001/pieces/2");
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body.len(), big.len());
    assert!(whole.body == big);
}

#[test]
fn trouble_is_told_to_the_clerk_in_french_with_the_technical_words_after() {
    // A town whose database server does not answer (nothing listens on
    // port 9): its archive is held back, and the console says so.
    let env = Env::with_config(
        "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"postgres://msp@127.0.0.1:9/nowhere?sslmode=disable&connect_timeout=2\"\n",
    );
    env.deliver(&Archive::rco("A-2-HELD001", 1));
    let run = env.run(&[]);
    run.assert_code(2);
    assert_eq!(files(&env.input()), ["A-2-HELD001-RCO-LA-1.zip"]);
    let console = Console::start(&env);
    let mut c = Client::new(&console);
    let home = c.get("/").text();
    let french = "ne répond pas ou refuse la connexion (serveur arrêté, mot de passe ou nom de base à vérifier). Rien n'est perdu";
    assert!(says(&home, french), "{home}");
    common::assert_has(
        &home,
        "(Détail technique : database of client Paris: cannot connect to",
    );
    common::assert_has(&home, "A-2-HELD001-RCO-LA-1.zip");
    // The CLI keeps the operator's English.
    assert!(
        run.stderr.contains("cannot connect to") || run.stdout.contains("cannot connect to"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stderr.contains("Rien n'est perdu") && !run.stdout.contains("Rien n'est perdu"));
}
