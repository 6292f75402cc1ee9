//! End to end: driving dossiers from 14 to 100 by commands and by direct
//! database writes, and the return archives that result.

mod common;

use std::path::Path;
use std::process::Command;

use common::{files, zip_text, Env};
use portal_sim::Archive;
use serde_json::Value;

/// The Etat, Commentaire and attachment name of a return archive.
fn return_message(path: &Path) -> (String, String, Option<String>) {
    let xml = zip_text(path, "message.xml");
    common::xmllint_message(&xml);
    let root = msp_plugins::xml::parse(xml.as_bytes()).unwrap().root;
    let maj = root
        .find("Body/Content/Retour/Instruction/Maj")
        .expect("Maj");
    let pick = |path: &str| maj.text_at(path).map(str::to_string);
    (
        pick("Etat").unwrap(),
        pick("Commentaire").unwrap_or_default(),
        pick("PieceJointe/Fichier"),
    )
}

fn status(env: &Env, numero: &str, code: &str, comment: Option<&str>) {
    let mut args = vec!["dossier", "status", numero, code];
    if let Some(c) = comment {
        args.extend(["--comment", c]);
    }
    let r = env.msp(&args);
    assert_eq!(r.code, 0, "status {code}: {}{}", r.stdout, r.stderr);
}

fn run_ok(env: &Env) {
    let r = env.run(&[]);
    r.assert_code(0);
}

fn history(d: &Value) -> Vec<(u64, u64, bool, bool)> {
    d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["status"].as_u64().unwrap(),
                h["indicator"].as_u64().unwrap(),
                h["automatic"].as_bool().unwrap(),
                h["superseded"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Default comments per flow and status, as a citizen reads them.
fn default_comment(flow: &str, status: u16) -> &'static str {
    match (flow, status) {
        (_, 14) => "Votre demande a bien été reçue et sera traitée prochainement.",
        ("RCO-LA", 17) => "Des informations complémentaires sont nécessaires pour traiter votre recensement. Votre mairie va vous contacter.",
        ("RCO-LA", 19) => "Votre recensement est enregistré. Votre attestation de recensement est jointe.",
        ("RCO-LA", 100) => "Votre dossier de recensement est clos.",
        ("AEC-LA", 17) => "Des informations complémentaires sont nécessaires pour établir votre acte. Votre mairie va vous contacter.",
        ("AEC-LA", 19) => "Votre acte d'état civil a été établi et vous sera remis selon le mode de délivrance choisi.",
        ("AEC-LA", 100) => "Votre dossier de demande d'acte d'état civil est clos.",
        ("ILE-LA", 17) => "Des pièces complémentaires sont nécessaires pour instruire votre inscription. Votre mairie va vous contacter.",
        ("ILE-LA", 19) => "Votre inscription sur les listes électorales est acceptée. Vous recevrez votre carte électorale.",
        ("ILE-LA", 100) => "Votre dossier d'inscription sur les listes électorales est clos.",
        _ => unreachable!(),
    }
}

#[test]
fn each_flow_goes_14_16_17_19_then_automatic_100() {
    for flow in ["RCO-LA", "AEC-LA", "ILE-LA"] {
        let env = Env::new();
        let numero = format!("A-2-LIFE{}", &flow[..3]);
        env.deliver(&Archive::of_flow(flow, &numero, 1));
        run_ok(&env);
        status(
            &env,
            &numero,
            "16",
            Some("Nous traitons votre demande : merci de votre patience."),
        );
        run_ok(&env);
        status(&env, &numero, "17", None);
        run_ok(&env);
        status(&env, &numero, "19", None);
        let r = env.run(&[]);
        r.assert_code(0);
        assert!(
            r.stdout.contains(&format!(
                "{flow:<8}        0           0          0        0       2"
            )),
            "19 and 100 in one run: {}",
            r.stdout
        );
        let out = files(&env.output());
        let expected: Vec<String> = (1..=5)
            .map(|i| format!("{numero}-{flow}-{i}.zip"))
            .collect();
        assert_eq!(out, expected, "{flow}: exactly the return archives of §7");
        let etats: Vec<(String, String, Option<String>)> = expected
            .iter()
            .map(|f| return_message(&env.output().join(f)))
            .collect();
        assert_eq!(
            etats.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["14", "16", "17", "19", "100"]
        );
        assert_eq!(etats[0].1, default_comment(flow, 14));
        assert_eq!(
            etats[1].1, "Nous traitons votre demande : merci de votre patience.",
            "the agent's comment"
        );
        assert_eq!(etats[2].1, default_comment(flow, 17));
        assert_eq!(etats[3].1, default_comment(flow, 19));
        assert_eq!(etats[4].1, default_comment(flow, 100));
        let attestation = format!("{numero}-RCO-LA-attestation.pdf");
        assert_eq!(
            etats[3].2,
            (flow == "RCO-LA").then_some(attestation.clone()),
            "{flow}: attachment of 19"
        );
        let d = env.dossier(&numero);
        assert_eq!(d["status"], 100);
        assert_eq!(d["indicator"], 2);
        assert_eq!(
            history(&d),
            vec![
                (14, 2, false, false),
                (16, 2, false, false),
                (17, 2, false, false),
                (19, 2, false, false),
                (100, 2, true, false)
            ]
        );
        let incs = common::return_increments(&d);
        assert_eq!(incs, [1, 2, 3, 4, 5]);
        // An automatic closure cannot be cancelled, and 100 is final.
        let r = env.msp(&["dossier", "cancel", &numero]);
        assert_eq!(r.code, 1);
        r.assert_stderr_has("cancel is only allowed while the current status is not transmitted");
        let r = env.msp(&["dossier", "status", &numero, "16"]);
        assert_eq!(r.code, 1);
        r.assert_stderr_has("100 → 16 is refused: the dossier is closed (100 is final)");
        // Nothing more to send.
        run_ok(&env);
        assert_eq!(files(&env.output()).len(), 5);
    }
}

#[test]
fn return_archives_are_dated_when_written() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-DATE", 1));
    run_ok(&env);
    status(&env, "A-2-DATE", "16", None);
    run_ok(&env);
    // 19 carries the attestation: a second, compressed entry.
    status(&env, "A-2-DATE", "19", None);
    run_ok(&env);
    let d = env.dossier("A-2-DATE");
    let returns = d["returns"].as_array().unwrap();
    assert_eq!(returns.len(), 4, "14, 16, 19 and the automatic 100");
    let mut entries = 0;
    for r in returns {
        // "2026-11-02T10:50:54", local time, as the ZIP entries' dates.
        let written = r["written_at"].as_str().unwrap();
        let path = env.output().join(r["file"].as_str().unwrap());
        let mut z = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        for i in 0..z.len() {
            let e = z.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let t = e.last_modified().expect("a date");
            let day = format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
            assert_ne!(t.year(), 1980, "{name}: {t}");
            // The same day, unless written across midnight.
            assert!(
                day == written[..10] || written[11..].starts_with("00:00"),
                "{name} in {}: {t}, written at {written}",
                path.display()
            );
            entries += 1;
        }
    }
    assert_eq!(entries, 5, "four message.xml and the attestation");
}

/// The census archive of tests/data (Noël Loïc DUBOIS, routed to Paris,
/// 75056) as `edit` rewrites its XML entries.
fn census_archive(edit: impl Fn(&str, String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let path = common::data("A-2-WK1DEGZ-RCO-LA-1.zip");
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name.ends_with(".xml") {
            bytes = edit(&name, String::from_utf8(bytes).unwrap()).into_bytes();
        }
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Imports `archive`, moves A-2-WK1DEGZ to 16 then 19 and returns its
/// attestation's text read back by `pdftotext`, and what `pdffonts` says
/// of its fonts (`None` when poppler-utils is missing, a failure in CI).
fn census_attestation(env: &Env, archive: &[u8]) -> Option<(String, String)> {
    std::fs::write(env.input().join("A-2-WK1DEGZ-RCO-LA-1.zip"), archive).unwrap();
    run_ok(env);
    status(env, "A-2-WK1DEGZ", "16", None);
    run_ok(env);
    status(env, "A-2-WK1DEGZ", "19", None);
    run_ok(env);
    let zip = env.output().join("A-2-WK1DEGZ-RCO-LA-3.zip");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut pdf = Vec::new();
    std::io::Read::read_to_end(
        &mut z.by_name("A-2-WK1DEGZ-RCO-LA-attestation.pdf").unwrap(),
        &mut pdf,
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let file = env.path().join("attestation.pdf");
    std::fs::write(&file, &pdf).unwrap();
    // `tool file [to]`'s output.
    let poppler = |tool: &str, to: &[&str]| {
        let mut cmd = Command::new(tool);
        if tool == "pdftotext" {
            cmd.args(["-enc", "UTF-8"]);
        }
        let Ok(out) = cmd.arg(&file).args(to).output() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{tool} is required in CI (apt-get install poppler-utils)"
            );
            eprintln!("SKIPPED PDF check: {tool} not installed");
            return None;
        };
        assert!(
            out.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    };
    let text = poppler("pdftotext", &["-"])?;
    let fonts = poppler("pdffonts", &[])?;
    Some((text, fonts))
}

fn assert_in(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "{e:?} not in the PDF text:\n{text}");
    }
}

#[test]
fn the_census_attestation_is_a_real_pdf_with_the_citizens_accented_name() {
    // Belfort (90010) sets its name and department; the citizen's
    // nationality is given.
    let env = Env::with_config(
        "[[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"sqlite://msp.db\"\n\
         commune = \"Belfort\"\ndepartement = \"Territoire de Belfort\"\n",
    );
    let archive = census_archive(|name, xml| {
        if name.contains("-doc-10870-XML-") {
            // The citizen's (the first) Nationalite.
            xml.replacen(
                "<Nationalite></Nationalite>",
                "<Nationalite>FRA</Nationalite>",
                1,
            )
        } else {
            xml.replace("<Valeur>75056</Valeur>", "<Valeur>90010</Valeur>")
        }
    });
    let Some((text, fonts)) = census_attestation(&env, &archive) else {
        return;
    };
    assert_in(
        &text,
        &[
            "RÉPUBLIQUE FRANÇAISE",
            "Département : Territoire de Belfort",
            "Mairie de Belfort",
            "ATTESTATION DE RECENSEMENT",
            "Le maire de Belfort certifie que :",
            // The usual and the other first names, with their accents.
            "Noël Loïc DUBOIS",
            "né le 16/08/2009 à NANTES (44000)",
            "de nationalité française",
            "domicilié 18 PLACE DE L'ÉGLISE, 69001 LYON",
            "demande déposée le 02/11/2026",
            "Journée défense et citoyenneté",
            "Fait à Belfort, le ",
            "Le Maire,",
            "(signature et cachet)",
            "Dossier n° A-2-WK1DEGZ",
            "Aucun duplicata ne sera délivré.",
        ],
    );
    assert!(!text.contains("code INSEE"), "{text}");
    // Both fonts embedded as subsets, with a Unicode map.
    let embedded: Vec<&str> = fonts.lines().filter(|l| l.contains("DejaVuSans")).collect();
    assert_eq!(embedded.len(), 2, "{fonts}");
    for l in embedded {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert!(f[0].contains('+'), "a subset: {l}");
        assert_eq!(
            &f[f.len() - 5..f.len() - 2],
            ["yes", "yes", "yes"],
            "emb sub uni: {l}"
        );
    }
}

#[test]
fn without_a_commune_the_census_attestation_names_the_insee_code() {
    let env = Env::new();
    let Some((text, _)) = census_attestation(&env, &census_archive(|_, xml| xml)) else {
        return;
    };
    assert_in(
        &text,
        &[
            "Mairie de la commune de code INSEE 75056",
            "Le maire certifie que :",
            "Noël Loïc DUBOIS",
            "Fait le ",
            "Le Maire,",
        ],
    );
    assert!(!text.contains("Département"), "{text}");
    assert!(!text.contains("nationalité"), "none given: {text}");
}

#[test]
fn fifteen_then_automatic_closure_and_superseding_before_transmission() {
    let env = Env::new();
    env.deliver(&Archive::aec("A-2-NR", 1));
    env.deliver(&Archive::ile("A-2-SUP", 1));
    run_ok(&env);
    // 14 → 15 → automatic 100.
    status(&env, "A-2-NR", "15", Some("Pièce d'identité illisible."));
    // 16 then 15 before any run: 16 is superseded and never sent.
    status(&env, "A-2-SUP", "16", None);
    status(&env, "A-2-SUP", "15", None);
    run_ok(&env);
    let nr: Vec<String> = (1..=3).map(|i| format!("A-2-NR-AEC-LA-{i}.zip")).collect();
    let sup: Vec<String> = (1..=3).map(|i| format!("A-2-SUP-ILE-LA-{i}.zip")).collect();
    assert_eq!(files(&env.output()), [nr.clone(), sup.clone()].concat());
    assert_eq!(
        return_message(&env.output().join(&nr[1])).1,
        "Pièce d'identité illisible."
    );
    assert_eq!(return_message(&env.output().join(&nr[2])).0, "100");
    assert_eq!(
        return_message(&env.output().join(&sup[1])).0,
        "15",
        "16 was never sent"
    );
    assert_eq!(return_message(&env.output().join(&sup[2])).0, "100");
    let d = env.dossier("A-2-SUP");
    assert_eq!(
        history(&d),
        vec![
            (14, 2, false, false),
            (16, 0, false, true),
            (15, 2, false, false),
            (100, 2, true, false)
        ]
    );
}

#[test]
fn cancel_of_19_and_of_a_manual_100_restore_the_previous_status() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-CAN", 1));
    run_ok(&env);
    status(&env, "A-2-CAN", "16", None);
    run_ok(&env);
    status(&env, "A-2-CAN", "19", None);
    let r = env.msp(&["dossier", "cancel", "A-2-CAN"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.assert_stdout_has("statut 19 annulé par un agent, retour au statut 16");
    let d = env.dossier("A-2-CAN");
    assert_eq!(
        (d["status"].as_u64(), d["indicator"].as_u64()),
        (Some(16), Some(2)),
        "16 is back, transmitted"
    );
    // A manual 100 from an untransmitted 17 supersedes it; cancel restores 17 untransmitted.
    status(&env, "A-2-CAN", "17", None);
    status(&env, "A-2-CAN", "100", None);
    let r = env.msp(&["dossier", "cancel", "A-2-CAN"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = env.dossier("A-2-CAN");
    assert_eq!(
        (d["status"].as_u64(), d["indicator"].as_u64()),
        (Some(17), Some(0))
    );
    let h = d["history"].as_array().unwrap();
    assert_eq!(h.iter().filter(|e| e["cancelled"] == true).count(), 2);
    // Refusals name the rule.
    let r = env.msp(&["dossier", "status", "A-2-CAN", "19"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has("17 → 19 is only allowed once 17 has been transmitted");
    let r = env.msp(&["dossier", "cancel", "A-2-CAN"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has(
        "cancel is only allowed for an untransmitted 19 or a manual 100, not for 17",
    );
    run_ok(&env);
    // 14, 16, 17: the cancelled 19 and 100 were never sent.
    let etats: Vec<String> = files(&env.output())
        .iter()
        .map(|f| return_message(&env.output().join(f)).0)
        .collect();
    assert_eq!(etats, ["14", "16", "17"]);
}

#[test]
fn a_status_written_by_the_business_application_is_transmitted_by_the_next_run() {
    let env = Env::new();
    env.deliver(&Archive::ile("A-2-APP", 1));
    env.deliver(&Archive::ile("A-2-BAD", 1));
    run_ok(&env);
    let db = env.db();
    // The integration contract documented in the README.
    common::exec_sql(
        &db,
        "INSERT INTO msp_statut (numero, seq, status, indicator, comment, automatic, superseded, cancelled, created_at) \
         SELECT 'A-2-APP', MAX(seq) + 1, 16, 0, 'Dossier pris en charge par le service élections.', 0, 0, 0, datetime('now', 'localtime') \
         FROM msp_statut WHERE numero = 'A-2-APP'; \
         INSERT INTO msp_statut (numero, seq, status, indicator, comment, automatic, superseded, cancelled, created_at) \
         SELECT 'A-2-BAD', MAX(seq) + 1, 19, 0, NULL, 0, 0, 0, datetime('now', 'localtime') \
         FROM msp_statut WHERE numero = 'A-2-BAD';",
    );
    let r = env.run(&[]);
    assert_eq!(
        r.code, 1,
        "a refused status change needs attention: {}{}",
        r.stdout, r.stderr
    );
    r.assert_stdout_has("refused status change: dossier A-2-BAD: 14 → 19 is not an allowed change");
    let (etat, comment, _) = return_message(&env.output().join("A-2-APP-ILE-LA-2.zip"));
    assert_eq!(
        (etat.as_str(), comment.as_str()),
        ("16", "Dossier pris en charge par le service élections.")
    );
    let d = env.dossier("A-2-APP");
    assert_eq!(
        (d["status"].as_u64(), d["indicator"].as_u64()),
        (Some(16), Some(2))
    );
    let bad = env.dossier("A-2-BAD");
    assert_eq!(bad["status"], 14);
    assert_eq!(bad["history"][1]["cancelled"], true);
    assert!(!env.output().join("A-2-BAD-ILE-LA-2.zip").exists());
    assert!(
        env.last_log()
            .contains("A-2-BAD: REFUSED status written by the business application"),
        "{}",
        env.last_log()
    );
    run_ok(&env);
}

#[test]
fn collection_times_and_list_filters() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-COL1", 1));
    env.deliver(&Archive::aec("A-2-COL2", 1));
    run_ok(&env);
    // The portal collects the first return archive.
    std::fs::remove_file(env.output().join("A-2-COL1-RCO-LA-1.zip")).unwrap();
    status(&env, "A-2-COL2", "16", None);
    let list = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["dossier", "list", "--json"];
        a.extend_from_slice(args);
        let r = env.msp(&a);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        common::texts(&v, "numero")
    };
    assert_eq!(list(&["--untransmitted"]), ["A-2-COL2"]);
    assert_eq!(list(&["--status", "14"]), ["A-2-COL1"]);
    assert_eq!(list(&["--flow", "AEC-LA"]), ["A-2-COL2"]);
    assert_eq!(
        list(&["--flow", "RCO-LA", "--status", "16"]),
        Vec::<String>::new()
    );
    let r = env.run(&[]);
    r.assert_stdout_has("return archives collected by the portal since the last run: 1");
    let d = env.dossier("A-2-COL1");
    assert!(d["returns"][0]["written_at"].is_string());
    assert!(
        d["returns"][0]["collected_at"].is_string(),
        "{}",
        d["returns"]
    );
    let d2 = env.dossier("A-2-COL2");
    assert!(d2["returns"][1]["collected_at"].is_null());
    assert!(list(&["--untransmitted"]).is_empty());
    let text = env.msp(&["dossier", "show", "A-2-COL1"]).stdout;
    common::assert_has(&text, "collected 20");
}
