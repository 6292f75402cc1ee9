//! End to end: the three flows side by side, and re-delivered archives
//! (complement, duplicate, stale, conflict, closed dossier).

mod common;

use std::fs;

use common::{assert_empty_db, files, query_strings, Env};
use portal_sim::{Archive, Encoding};

#[test]
fn a_mixed_batch_of_the_three_flows_imports_in_one_run() {
    let env = Env::new();
    for sample in [
        "A-2-WK1DEGZ-RCO-LA-1.zip",
        "A-2-MGNZGED-AEC-LA-1.zip",
        "A-2-2CEWXY7-ILE-LA-1.zip",
    ] {
        fs::copy(common::data(sample), env.input().join(sample)).unwrap();
    }
    for flow in ["RCO-LA", "AEC-LA", "ILE-LA"] {
        env.deliver(&Archive::of_flow(
            flow,
            &format!("A-2-MIX{}", &flow[..3]),
            1,
        ));
    }
    let r = env.run(&[]);
    r.assert_code(0);
    for flow in ["AEC-LA", "ILE-LA", "RCO-LA"] {
        assert!(
            r.stdout.contains(&format!("{flow:<8}        2")),
            "{flow}: {}",
            r.stdout
        );
    }
    assert_eq!(files(&env.done()).len(), 6);
    assert_eq!(files(&env.output()).len(), 6);
    let list = env.dossiers();
    assert_eq!(list.len(), 6);
    let aec = env.dossier("A-2-MGNZGED");
    assert_eq!(aec["flow"], "AEC-LA");
    assert_eq!(
        aec["summary"],
        "Moreau Hervé, acte de naissance, 2 exemplaires, envoi par courrier"
    );
    let ile = env.dossier("A-2-2CEWXY7");
    assert_eq!(
        ile["summary"],
        "Dupont-Aignan Zoé, liste générale, première inscription"
    );
    let db = env.db();
    assert_eq!(
        query_strings(
            &db,
            "SELECT role AS v FROM siecle_personne WHERE numero = 'A-2-MGNZGED' ORDER BY role"
        ),
        vec!["MERE", "PERE", "TITULAIRE"]
    );
    assert_eq!(
        query_strings(&db, "SELECT nom || ' ' || prenoms || ' ' || date_naissance || ' ' || nationalite AS v FROM suffrage_electeur WHERE numero = 'A-2-2CEWXY7'"),
        vec!["Dupont-Aignan Zoé 1992-07-14 FR"]
    );
    assert_eq!(
        query_strings(
            &db,
            "SELECT type_attache AS v FROM suffrage_attache WHERE numero = 'A-2-2CEWXY7'"
        ),
        vec!["DOMICILE"]
    );
    let msg = common::zip_text(
        &env.output().join("A-2-2CEWXY7-ILE-LA-1.zip"),
        "message.xml",
    );
    common::xmllint_message(&msg);
    assert!(msg.contains("<ns2:FlowType>ILE-LA</ns2:FlowType>"));
}

#[test]
fn flow_selection_restricts_the_run() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-SELR", 1));
    env.deliver(&Archive::aec("A-2-SELA", 1));
    env.deliver(&Archive::ile("A-2-SELI", 1));
    let r = env.run(&["--flow", "AEC-LA", "--flow", "ILE-LA"]);
    r.assert_code(0);
    assert_eq!(files(&env.input()), vec!["A-2-SELR-RCO-LA-1.zip"]);
    assert!(
        !r.stdout.contains("RCO-LA"),
        "only the selected flows are reported: {}",
        r.stdout
    );
    assert_eq!(env.run(&[]).code, 0);
    assert!(files(&env.input()).is_empty());
}

struct RuleCase {
    flow: &'static str,
    from: &'static str,
    to: &'static str,
    expect: &'static str,
}

/// The clerk's French words of the census and voter-registration rules
/// (the AEC rules are French in `expect` already), in case order.
const EXPLAINED: &[(&str, &str)] = &[
    ("A-2-RULE7", "Explication : A-2-RULE7-ILE-LA-doc-10871-XML-1-1.xml: Electeur/Nationalite vaut DE alors que la liste générale est réservée aux Français (FR)."),
    ("A-2-RULE8", "Electeur/Nationalite vaut FR alors que la liste COMPLEMENTAIRE_EUROPEENNE est réservée aux ressortissants d'un autre État membre de l'Union européenne."),
    ("A-2-RULE9", "AncienneInscription est absent alors qu'un changement de commune demande l'inscription précédente."),
    ("A-2-RULE10", "l'électeur a "),
    ("A-2-RULE11", "Personne/DateNaissance vaut 01/01/2020 : la personne a 6 ans à la date de la demande"),
];

/// A rule broken: the text of the data document to change (`from`), what
/// it becomes (`to`: a whole element, or the new value of the first element
/// `from` names), what the log says.
type Rule = (&'static str, &'static str, &'static str);

/// The rules of each flow's plugin, in case order.
const RULES: &[(&str, &[Rule])] = &[
    ("AEC-LA", &[
        ("<Code>NAISSANCE</Code>", "<Code>BAPTEME</Code>", "DemandeActe/TypeActe/Code vaut « BAPTEME » : le type d'acte doit être NAISSANCE, MARIAGE ou DECES."),
        ("<Code>COPIE-INTEGRALE</Code>", "<Code>EXTRAIT</Code>", "DemandeActe/NatureActe/Code vaut « EXTRAIT » : la nature de l'acte doit être COPIE-INTEGRALE, EXTRAIT-AVEC-FILIATION, EXTRAIT-SANS-FILIATION ou EXTRAIT-PLURILINGUE."),
        ("<NombreExemplaires>", "12", "DemandeActe/NombreExemplaires vaut « 12 » : le nombre d'exemplaires doit être un nombre entier de 1 à 10"),
        ("<DateActe>", "2999-01-01", "DemandeActe/DateActe vaut 01/01/2999, une date dans le futur"),
        ("<NomNaissance>", "", "DemandeActe/Titulaire/NomNaissance est absent ou vide alors qu'il est obligatoire"),
        ("<Prenoms>", " ", "DemandeActe/Titulaire/Prenoms est absent ou vide alors qu'il est obligatoire"),
        ("<CodeINSEE>", "1A234", "DemandeActe/LieuActe/CodeINSEE vaut « 1A234 », qui n'est pas un code INSEE de commune"),
    ]),
    ("ILE-LA", &[
        ("<Nationalite>FR</Nationalite>", "<Nationalite>DE</Nationalite>", "Electeur/Nationalite is DE but TypeListe GENERALE requires FR"),
        ("<TypeListe>GENERALE</TypeListe>", "<TypeListe>COMPLEMENTAIRE_EUROPEENNE</TypeListe>", "Electeur/Nationalite is FR but TypeListe COMPLEMENTAIRE_EUROPEENNE requires the nationality of another European Union member state"),
        ("<Motif>PREMIERE_INSCRIPTION</Motif>", "<Motif>CHANGEMENT_COMMUNE</Motif>", "AncienneInscription is missing but Motif CHANGEMENT_COMMUNE requires the former registration"),
        ("<DateDemande>2026-11-02</DateDemande>", "<DateDemande>1990-11-02</DateDemande>", "on DateDemande 1990-11-02 but must be at least 17"),
    ]),
    ("RCO-LA", &[
        ("<DateNaissance>", "01/01/2020", "Personne/DateNaissance is 01/01/2020: the person is 6 on the submission date"),
    ]),
];

#[test]
fn each_plugin_rule_violated_is_rejected_with_the_rule_named() {
    let cases: Vec<RuleCase> = RULES
        .iter()
        .flat_map(|&(flow, rules)| {
            rules.iter().map(move |&(from, to, expect)| RuleCase {
                flow,
                from,
                to,
                expect,
            })
        })
        .collect();
    let env = Env::new();
    let mut names = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let mut a = Archive::of_flow(c.flow, &format!("A-2-RULE{i}"), 1);
        assert!(a.document.contains(c.from), "{}", c.from);
        a.document = if c.to.contains('<') {
            a.document.replacen(c.from, c.to, 1)
        } else {
            // a new value for the first element named by `from`
            portal_sim::set_element(&a.document, c.from.trim_matches(['<', '>']), c.to)
        };
        env.deliver(&a);
        names.push(a.file_name());
    }
    let r = env.run(&[]);
    r.assert_code(1);
    for (c, name) in cases.iter().zip(&names) {
        let log = fs::read_to_string(env.error().join(format!("{name}.log"))).unwrap();
        assert!(log.contains(c.expect), "{}: {log}", c.expect);
        common::assert_has(
            &log,
            "Les données de la demande ne respectent pas les règles de la démarche.",
        );
        // Every rule is explained to the clerk in French, before the
        // technical detail.
        let explained = log.find("\nExplication : ").expect("an Explication line");
        assert!(explained < log.find("\nDétail : ").unwrap(), "{log}");
    }
    for (numero, french) in EXPLAINED {
        let name = names
            .iter()
            .find(|n| n.starts_with(&format!("{numero}-")))
            .unwrap();
        let log = fs::read_to_string(env.error().join(format!("{name}.log"))).unwrap();
        let line = log
            .lines()
            .find(|l| l.starts_with("Explication : "))
            .unwrap();
        assert!(line.contains(french), "{french}: {log}");
    }
    assert!(files(&env.done()).is_empty());
    assert_empty_db(&env.db());
}

#[test]
fn latin1_bom_and_foreign_namespace_variants_of_each_flow() {
    let env = Env::new();
    let mut reference = Vec::new();
    for (i, flow) in ["RCO-LA", "AEC-LA", "ILE-LA"].iter().enumerate() {
        let mut latin = Archive::of_flow(flow, &format!("A-2-LAT{i}"), 1);
        latin.encoding = Encoding::Latin1;
        env.deliver(&latin);
        let mut bom = Archive::of_flow(flow, &format!("A-2-BOM{i}"), 1);
        bom.encoding = Encoding::Utf8Bom;
        env.deliver(&bom);
        let mut ns = Archive::of_flow(flow, &format!("A-2-NSX{i}"), 1);
        ns.message_namespace = ("m".into(), "urn:another:portal:v3".into());
        ns.business_namespace = "urn:another:metier".into();
        // the data document under a prefix and another namespace URI
        let root = ns
            .document
            .split('<')
            .nth(2)
            .unwrap()
            .split([' ', '>'])
            .next()
            .unwrap()
            .to_string();
        ns.document = ns
            .document
            .replace(
                &format!("<{root} canal_utilise=\"0\">"),
                &format!(
                    "<d:{root} xmlns:d=\"urn:x:aec\" xmlns=\"urn:x:aec\" canal_utilise=\"0\">"
                ),
            )
            .replace(
                &format!("<{root} xmlns=\"urn:msp:doc:ile:v1\">"),
                &format!("<d:{root} xmlns:d=\"urn:x:ile\" xmlns=\"urn:x:ile\">"),
            )
            .replace(
                &format!("<{root}>"),
                &format!("<d:{root} xmlns:d=\"urn:x:rco\">"),
            )
            .replace(&format!("</{root}>"), &format!("</d:{root}>"));
        env.deliver(&ns);
        reference.push((flow, i));
    }
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&env.done()).len(), 9);
    // The same generated person reads the same whatever the encoding.
    let plain = Env::new();
    for (flow, i) in &reference {
        plain.deliver(&Archive::of_flow(flow, &format!("A-2-LAT{i}"), 1));
    }
    assert_eq!(plain.run(&[]).code, 0);
    for (_, i) in &reference {
        let a = env.dossier(&format!("A-2-LAT{i}"))["summary"].clone();
        let b = plain.dossier(&format!("A-2-LAT{i}"))["summary"].clone();
        assert_eq!(a, b);
    }
}

#[test]
fn redelivery_complement_duplicate_stale_conflict_and_closed() {
    let env = Env::new();
    // Run 1: files 1 and 2 of one dossier wait together: 1 then 2.
    let mut f1 = Archive::aec("A-2-REDO", 1);
    f1.document = f1.document.replacen(
        "<NombreExemplaires>2</NombreExemplaires>",
        "<NombreExemplaires>1</NombreExemplaires>",
        1,
    );
    let mut f2 = Archive::aec("A-2-REDO", 2);
    f2.document = f2.document.replacen(
        "<NombreExemplaires>2</NombreExemplaires>",
        "<NombreExemplaires>3</NombreExemplaires>",
        1,
    );
    f2.attachments.push(portal_sim::Attachment {
        code: "AUTRE".into(),
        label: "livret de famille.pdf".into(),
        file: "A-2-REDO-AEC-LA-pj-autre-3-0.pdf".into(),
        bytes: b"%PDF-1.4 livret".to_vec(),
    });
    env.deliver(&f2);
    env.deliver(&f1);
    let r = env.run(&[]);
    r.assert_code(0);
    r.assert_stdout_has("AEC-LA          1           1");
    let d = env.dossier("A-2-REDO");
    assert_eq!(d["file_number"], 2);
    assert_eq!(d["status"], 14, "a complement does not change the status");
    assert!(
        d["summary"].as_str().unwrap().contains("3 exemplaires"),
        "{}",
        d["summary"]
    );
    assert_eq!(
        d["returns"].as_array().unwrap().len(),
        1,
        "no return flow for a complement"
    );
    assert_eq!(
        d["attachments"].as_array().unwrap().len(),
        4,
        "only the new attachment is added (the file 2 names the same files -1-2 where file 1 had -1-1)"
    );
    let events = common::texts(&d["events"], "text");
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].starts_with("fichier 1 intégré"), "{events:?}");
    assert!(
        events[1].starts_with("complément : le fichier 2 remplace les données du fichier 1"),
        "{events:?}"
    );
    let copies = query_strings(&env.db(), "SELECT CAST(nombre_exemplaires AS TEXT) AS v FROM siecle_demande WHERE numero = 'A-2-REDO'");
    assert_eq!(copies, vec!["3"], "business rows replaced, not added");
    let log = env.last_log();
    let p1 = log
        .find("A-2-REDO-AEC-LA-1.zip: imported")
        .expect("file 1 imported");
    let p2 = log
        .find("A-2-REDO-AEC-LA-2.zip: complement imported")
        .expect("file 2 complement");
    assert!(p1 < p2, "file 1 before file 2:\n{log}");

    // Run 2: the same file 2 again (duplicate), file 1 with other bytes
    // (conflict), and a file 3 that is fine.
    env.deliver(&f2);
    let mut f1b = f1.clone();
    f1b.date = "2026-11-02T12:05:00.000+01:00".into(); // another message
    f1b.document = f1b
        .document
        .replacen("Demande de passeport", "Demande de mariage", 1);
    env.deliver(&f1b);
    let before = common::row_counts(&env.db());
    let r = env.run(&[]);
    r.assert_code(1);
    assert_eq!(
        files(&env.done()),
        vec![
            "A-2-REDO-AEC-LA-1.zip",
            "A-2-REDO-AEC-LA-2.zip",
            "A-2-REDO-AEC-LA-2~2.zip"
        ]
    );
    assert!(env
        .last_log()
        .contains("A-2-REDO-AEC-LA-2.zip: duplicate of a file already imported, nothing changed"));
    let conflict = fs::read_to_string(env.error().join("A-2-REDO-AEC-LA-1.zip.log")).unwrap();
    common::assert_has(&conflict, "file 1 of dossier A-2-REDO was already imported (A-2-REDO-AEC-LA-1.zip) with different content");
    common::assert_has(&conflict, "conflit");
    assert_eq!(
        common::row_counts(&env.db()),
        before,
        "nothing changes for a duplicate or a conflict"
    );

    // Run 3: a file 4, then the stale file 3 (never imported, lower than 4).
    env.deliver(&Archive::aec("A-2-REDO", 4));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(env.dossier("A-2-REDO")["file_number"], 4);
    env.deliver(&Archive::aec("A-2-REDO", 3));
    let r = env.run(&[]);
    assert_eq!(r.code, 1);
    let stale = fs::read_to_string(env.error().join("A-2-REDO-AEC-LA-3.zip.log")).unwrap();
    common::assert_has(
        &stale,
        "file 3 of dossier A-2-REDO is older than file 4 already imported (stale)",
    );

    // Run 4: the dossier is closed (status 100, written by the business
    // application); any new file is refused, and the same bad name again
    // keeps both archives in error.
    common::exec_sql(
        &env.db(),
        "UPDATE msp_dossier SET status = 100 WHERE numero = 'A-2-REDO'",
    );
    env.deliver(&Archive::aec("A-2-REDO", 5));
    assert_eq!(env.run(&[]).code, 1);
    let closed = fs::read_to_string(env.error().join("A-2-REDO-AEC-LA-5.zip.log")).unwrap();
    common::assert_has(
        &closed,
        "dossier A-2-REDO is closed (status 100); file 5 cannot be imported",
    );
    env.deliver(&Archive::aec("A-2-REDO", 5));
    assert_eq!(env.run(&[]).code, 1);
    let err = files(&env.error());
    assert!(
        err.contains(&"A-2-REDO-AEC-LA-5~2.zip".to_string())
            && err.contains(&"A-2-REDO-AEC-LA-5~2.zip.log".to_string()),
        "{err:?}"
    );
    assert!(err.contains(&"A-2-REDO-AEC-LA-5.zip".to_string()));
    assert_eq!(env.dossier("A-2-REDO")["file_number"], 4);
}
