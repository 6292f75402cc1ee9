//! End to end: the real `msp` binary on real folders, embedded SQLite.

mod common;

use std::fs;
use std::path::Path;

use common::{assert_empty_db, files, row_counts, zip_text, DbLock, Env};
use portal_sim::{Archive, Attachment, Encoding, TINY_PDF};

#[test]
fn the_spec_sample_imports_with_its_return_flow() {
    let env = Env::new();
    fs::copy(
        common::data("A-2-WK1DEGZ-RCO-LA-1.zip"),
        env.input().join("A-2-WK1DEGZ-RCO-LA-1.zip"),
    )
    .unwrap();
    let r = env.run(&["--flow", "RCO-LA"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("RCO-LA          1"),
        "summary: {}",
        r.stdout
    );
    assert_eq!(files(&env.input()), Vec::<String>::new());
    assert_eq!(files(&env.done()), vec!["A-2-WK1DEGZ-RCO-LA-1.zip"]);
    assert_eq!(files(&env.error()), Vec::<String>::new());
    assert_eq!(env.work_files(), Vec::<String>::new(), "work is left clean");
    assert_eq!(files(&env.output()), vec!["A-2-WK1DEGZ-RCO-LA-1.zip"]);

    let msg = zip_text(
        &env.output().join("A-2-WK1DEGZ-RCO-LA-1.zip"),
        "message.xml",
    );
    common::xmllint_message(&msg);
    common::assert_has(&msg, "<ns2:Etat>14</ns2:Etat>");
    assert!(msg.contains("<ns2:NumeroTeledemarche>A-2-WK1DEGZ</ns2:NumeroTeledemarche>"));
    common::assert_has(
        &msg,
        "Votre demande a bien été reçue et sera traitée prochainement.",
    );

    let d = env.dossier("A-2-WK1DEGZ");
    assert_eq!(d["flow"], "RCO-LA");
    assert_eq!(d["insee"], "75056");
    assert_eq!(d["status"], 14);
    assert_eq!(d["indicator"], 2);
    assert_eq!(d["file_number"], 1);
    assert_eq!(d["summary"], "DUBOIS Noël, né le 16/08/2009 à NANTES");
    assert_eq!(d["history"].as_array().unwrap().len(), 1);
    assert_eq!(d["history"][0]["status"], 14);
    assert_eq!(d["history"][0]["indicator"], 2);
    assert_eq!(d["history"][0]["automatic"], false);
    assert_eq!(d["history"][0]["superseded"], false);
    assert_eq!(d["returns"][0]["increment"], 1);
    assert_eq!(d["returns"][0]["status"], 14);
    assert_eq!(d["returns"][0]["file"], "A-2-WK1DEGZ-RCO-LA-1.zip");
    assert!(d["returns"][0]["written_at"].is_string());
    assert_eq!(d["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(d["attachments"][0]["code"], "JI");
    assert!(
        d["attachments"][0]["path"].is_null(),
        "stored in the database by default"
    );

    // The Avenir tables hold the citizen and the parents, typed.
    let db = env.db();
    let persons = common::query_strings(
        &db,
        "SELECT role || '|' || nom_famille || '|' || prenom_usuel || '|' || date_naissance AS v FROM avenir_personne ORDER BY role",
    );
    assert_eq!(
        persons,
        vec![
            "MERE|MÜLLER|Mathéo|1971-07-01",
            "PERE|LEFÈVRE|Salomé|1970-01-03",
            "RECENSE|DUBOIS|Noël|2009-08-16"
        ]
    );
    let home = common::query_strings(
        &db,
        "SELECT nom_voie || ' ' || localite AS v FROM avenir_adresse WHERE type = 'DOMICILE'",
    );
    assert_eq!(home, vec!["DE L'ÉGLISE LYON"]);
    let log = env.last_log();
    common::assert_has(&log, "A-2-WK1DEGZ-RCO-LA-1.zip: imported (DUBOIS Noël");
    common::assert_has(&log, "return flow 1 (status 14) written");
}

#[test]
fn the_portals_published_sample_imports() {
    let env = Env::new();
    let doc = fs::read_to_string(common::data("10870-XML.xml")).unwrap();
    env.deliver(
        &Archive::with_document("A-2-IJO924A", "RCO-LA", 1, "10870-XML", doc).routed_to("06088"),
    );
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&env.done()), vec!["A-2-IJO924A-RCO-LA-1.zip"]);
    let d = env.dossier("A-2-IJO924A");
    assert_eq!(d["summary"], "BUREAU ALAIN, né le 04/04/2003 à NICE");
    assert_eq!(d["insee"], "06088");
    // blank parents and residence leave no rows
    let roles = common::query_strings(&env.db(), "SELECT role AS v FROM avenir_personne");
    assert_eq!(roles, vec!["RECENSE"]);
    let born = common::query_strings(
        &env.db(),
        "SELECT commune_naissance || '/' || lieu_naissance_autre AS v FROM avenir_personne",
    );
    assert_eq!(born, vec!["NICE/06000"]);
}

#[test]
fn other_files_and_other_flows_are_left_alone() {
    let env = Env::new();
    let a = Archive::rco("A-2-KEEP", 1);
    let bytes = a.to_zip();
    for name in [
        "A-2-KEEP-RCO-LA-1.zip.part",
        ".A-2-KEEP-RCO-LA-1.zip",
        "A-2-KEEP-RCO-LA-1.tmp",
        "readme.txt",
        "A-2-KEEP-XYZ-LA-1.zip",
    ] {
        fs::write(env.input().join(name), &bytes).unwrap();
    }
    fs::copy(
        common::data("A-2-2CEWXY7-ILE-LA-1.zip"),
        env.input().join("A-2-2CEWXY7-ILE-LA-1.zip"),
    )
    .unwrap();
    let r = env.run(&["--flow", "RCO-LA"]);
    r.assert_code(0);
    assert_eq!(
        files(&env.input()).len(),
        6,
        "nothing touched: {:?}",
        files(&env.input())
    );
    assert!(files(&env.error()).is_empty());
    let r = env.run(&["--flow", "NOPE-LA"]);
    assert_eq!(r.code, 2);
    // The registered flows are listed (whatever other démarches are built
    // in: only the three this test knows are looked for).
    let said = r
        .stderr
        .split("unknown flow NOPE-LA (registered: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", r.stderr));
    for flow in ["AEC-LA", "ILE-LA", "RCO-LA"] {
        assert!(said.contains(flow), "{}", r.stderr);
    }
}

/// A bad-input case: how to make it, the text the log must hold.
struct Bad {
    name: &'static str,
    expect: &'static str,
    make: Make,
}

/// How a bad input is made.
enum Make {
    /// A file written by hand into the folder; gives its name.
    File(fn(&Path) -> String),
    /// File 1 of an RCO-LA dossier of this number, spoiled before written.
    Rco(&'static str, fn(&mut Archive)),
}

impl Make {
    /// Writes the bad input into `dir`; gives its file name.
    fn write(&self, dir: &Path) -> String {
        match self {
            Make::File(write) => write(dir),
            Make::Rco(numero, spoil) => {
                let mut a = Archive::rco(numero, 1);
                spoil(&mut a);
                a.write_to(dir).unwrap();
                a.file_name()
            }
        }
    }
}

fn bad_cases() -> Vec<Bad> {
    vec![
        Bad {
            name: "not a zip",
            expect: "not a readable ZIP archive",
            make: Make::File(|d| {
                fs::write(d.join("A-2-NOTZIP-RCO-LA-1.zip"), b"this is not a zip").unwrap();
                "A-2-NOTZIP-RCO-LA-1.zip".into()
            }),
        },
        Bad {
            name: "truncated",
            expect: "Le fichier reçu n'est pas une archive ZIP lisible",
            make: Make::File(|d| {
                let z = Archive::rco("A-2-TRUNC", 1).to_zip();
                fs::write(d.join("A-2-TRUNC-RCO-LA-1.zip"), &z[..z.len() / 2]).unwrap();
                "A-2-TRUNC-RCO-LA-1.zip".into()
            }),
        },
        Bad {
            name: "zip slip",
            expect: "entry \"../../evil.txt\" goes up with \"..\"",
            make: Make::Rco("A-2-SLIP", |a| a.extra.push(("../../evil.txt".into(), b"owned".to_vec()))),
        },
        Bad {
            name: "absolute entry",
            expect: "entry \"/tmp/msp-evil.txt\" is an absolute path",
            make: Make::Rco("A-2-ABS", |a| a.extra.push(("/tmp/msp-evil.txt".into(), b"owned".to_vec()))),
        },
        Bad {
            name: "missing message.xml",
            expect: "message.xml is missing from the archive",
            make: Make::Rco("A-2-NOMSG", |a| a.omit.push("message.xml".into())),
        },
        Bad {
            name: "flow mismatch",
            expect: "message.xml FlowType is ILE-LA but the file name says RCO-LA",
            make: Make::Rco("A-2-FLOW", |a| a.message_flow = "ILE-LA".into()),
        },
        Bad {
            name: "number mismatch",
            expect: "message.xml NumeroTeledemarche is A-2-OTHER but the file name says A-2-NUM",
            make: Make::Rco("A-2-NUM", |a| a.message_numero = "A-2-OTHER".into()),
        },
        Bad {
            name: "unknown CodeINSEE",
            expect: "CodeINSEE 69123 is not routed to any configured client",
            make: Make::Rco("A-2-INSEE", |a| *a = a.clone().routed_to("69123")),
        },
        Bad {
            name: "missing attachment",
            expect: "A-2-MISS-RCO-LA-pj-jd justificatif de domicile-2-1.pdf is named in message.xml but is not in the archive",
            make: Make::Rco("A-2-MISS", |a| a.omit.push("A-2-MISS-RCO-LA-pj-jd justificatif de domicile-2-1.pdf".into())),
        },
        Bad {
            name: "missing data document",
            expect: "A-2-MISSDOC-RCO-LA-doc-10870-XML-1-1.xml is named in message.xml but is not in the archive",
            make: Make::Rco("A-2-MISSDOC", |a| a.omit.push(a.document_file.clone())),
        },
        Bad {
            name: "no Document",
            expect: "message.xml names no Document",
            make: Make::Rco("A-2-NODOC", |a| a.announce_document = false),
        },
        Bad {
            name: "missing -ent.xml",
            expect: "A-2-NOENT-RCO-LA-ent-1.xml (or A-2-NOENT-RCO-LA-ent.xml) is missing from the archive",
            make: Make::Rco("A-2-NOENT", |a| a.omit.push(a.ent_name())),
        },
        Bad {
            name: "two header files",
            expect: "the archive holds two header files, A-2-TWOENT-RCO-LA-ent-1.xml and A-2-TWOENT-RCO-LA-ent.xml: exactly one is expected",
            make: Make::Rco("A-2-TWOENT", |a| a.extra.push(("A-2-TWOENT-RCO-LA-ent.xml".into(), a.ent_xml().into_bytes()))),
        },
        Bad {
            name: "header file of another FileNumber",
            expect: "A-2-ENT2-RCO-LA-ent-2.xml is the header file of another FileNumber: this archive is number 1, so A-2-ENT2-RCO-LA-ent-1.xml (or A-2-ENT2-RCO-LA-ent.xml) is expected",
            make: Make::Rco("A-2-ENT2", |a| {
                a.omit.push(a.ent_name());
                a.extra.push(("A-2-ENT2-RCO-LA-ent-2.xml".into(), a.ent_xml().into_bytes()));
            }),
        },
        Bad {
            name: "only a PDF document",
            expect: "Document : aucun document de données XML dans l'archive (les documents annoncés ne sont pas du XML), alors que la démarche en attend un dont l'élément racine est RecensementCitoyen.",
            make: Make::Rco("A-2-PDFONLY", |a| {
                // The data document's file holds a PDF under a .pdf name.
                a.document_file = "A-2-PDFONLY-RCO-LA-doc-10870-PDF-1-1.pdf".into();
                a.omit.push(a.document_file.clone());
                a.extra.push((a.document_file.clone(), TINY_PDF.to_vec()));
            }),
        },
        Bad {
            name: "ent.xml disagreeing",
            expect: "A-2-ENT-RCO-LA-ent-1.xml disagrees with message.xml: CodeINSEE is 75001 there but 75056 in message.xml",
            make: Make::Rco("A-2-ENT", |a| a.ent_insee = "75001".into()),
        },
        Bad {
            name: "malformed XML",
            expect: "A-2-BADXML-RCO-LA-doc-10870-XML-1-1.xml: malformed XML",
            make: Make::Rco("A-2-BADXML", |a| a.document = "<RecensementCitoyen><Formalite></RecensementCitoyen>".into()),
        },
        Bad {
            name: "DOCTYPE and entities",
            expect: "message.xml: the document contains a DOCTYPE declaration",
            make: Make::Rco("A-2-DTD", |a| {
                let msg = a.message_xml().replacen(
                    "?>",
                    "?><!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
                    1,
                );
                a.message_override = Some(msg.into_bytes());
            }),
        },
        Bad {
            name: "rule violation",
            expect: "Personne/Sexe is \"3\" but must be 1 (male) or 2 (female)",
            make: Make::Rco("A-2-RULE", |a| a.document = a.document.replacen("<Sexe>1</Sexe>", "<Sexe>3</Sexe>", 1).replacen("<Sexe>2</Sexe>", "<Sexe>3</Sexe>", 1)),
        },
        Bad {
            name: "attachment name with ../",
            expect: "attachment name \"../A-2-PJ.pdf\" is not a plain file name",
            make: Make::Rco("A-2-PJ", |a| {
                a.attachments[0] = Attachment {
                    code: "JI".into(),
                    label: "x".into(),
                    file: "../A-2-PJ.pdf".into(),
                    bytes: TINY_PDF.to_vec(),
                };
                a.omit.push("../A-2-PJ.pdf".into());
                a.extra.push(("A-2-PJ.pdf".into(), TINY_PDF.to_vec()));
            }),
        },
    ]
}

#[test]
fn every_bad_input_goes_to_error_with_a_log_and_leaves_no_trace() {
    let env = Env::with_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\n",
    );
    let cases = bad_cases();
    let mut names = Vec::new();
    for c in &cases {
        names.push((c, c.make.write(&env.input())));
    }
    let r = env.run(&[]);
    assert_eq!(
        r.code, 1,
        "rejections give exit status 1: {}{}",
        r.stdout, r.stderr
    );
    assert!(
        files(&env.input()).is_empty(),
        "left in input: {:?}",
        files(&env.input())
    );
    assert!(files(&env.done()).is_empty());
    assert!(
        files(&env.output()).is_empty(),
        "no return flow for a rejected archive"
    );
    assert!(
        env.work_files().is_empty(),
        "work is left clean: {:?}",
        env.work_files()
    );
    let err = files(&env.error());
    let log = env.last_log();
    for (c, name) in &names {
        assert!(
            err.contains(name),
            "{}: {name} not in error ({err:?})",
            c.name
        );
        let text = fs::read_to_string(env.error().join(format!("{name}.log")))
            .unwrap_or_else(|_| panic!("{}: no log beside {name}", c.name));
        assert!(text.contains(c.expect), "{}: log says:\n{text}", c.name);
        common::assert_has(&text, &format!("Archive : {name}"));
        common::assert_has(&text, "REJETÉE");
        assert!(
            log.contains(&format!("{name}: REJECTED")),
            "{}: sync log:\n{log}",
            c.name
        );
    }
    assert_eq!(err.len(), 2 * cases.len());
    assert!(!env.path().join("evil.txt").exists() && !env.root().join("evil.txt").exists());
    assert!(!Path::new("/tmp/msp-evil.txt").exists());
    assert!(env.dossiers().is_empty());
    assert_empty_db(&env.db());
    let summary = r.stdout;
    common::assert_has(
        &summary,
        &format!(
            "RCO-LA          0           0          0 {:>8}",
            cases.len()
        ),
    );
}

#[test]
fn a_zip_bomb_is_refused_without_inflating_it() {
    let env = Env::new();
    let path = env.input().join("A-2-BOMB-RCO-LA-1.zip");
    portal_sim::write_zip_bomb(&path, "message.xml", 1 << 30).unwrap();
    assert!(
        fs::metadata(&path).unwrap().len() < 8 << 20,
        "the bomb is small on disk"
    );
    let r = env.run(&[]);
    r.assert_code(1);
    assert_eq!(
        files(&env.error()),
        vec!["A-2-BOMB-RCO-LA-1.zip", "A-2-BOMB-RCO-LA-1.zip.log"]
    );
    let log = fs::read_to_string(env.error().join("A-2-BOMB-RCO-LA-1.zip.log")).unwrap();
    common::assert_has(&log, "uncompressed size 1073741824 bytes is over the limit");
    assert!(env.work_files().is_empty());
}

#[test]
fn encodings_and_foreign_namespaces_are_tolerated() {
    let env = Env::new();
    let mut latin = Archive::rco("A-2-LATIN", 1);
    latin.encoding = Encoding::Latin1;
    env.deliver(&latin);
    let mut bom = Archive::rco("A-2-BOM", 1);
    bom.encoding = Encoding::Utf8Bom;
    env.deliver(&bom);
    let mut ns = Archive::rco("A-2-NS", 1);
    ns.message_namespace = ("pec".into(), "http://example.org/another/version".into());
    ns.business_namespace = "http://example.org/metier/v2".into();
    ns.extra
        .push(("notes.txt".into(), b"unknown extra file".to_vec()));
    env.deliver(&ns);
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(files(&env.done()).len(), 3);
    let latin_name = env.dossier("A-2-LATIN")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    let utf8_name = {
        let e2 = Env::new();
        e2.deliver(&Archive::rco("A-2-LATIN", 1));
        assert_eq!(e2.run(&[]).code, 0);
        e2.dossier("A-2-LATIN")["summary"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        latin_name, utf8_name,
        "ISO-8859-1 decodes to the same accented text"
    );
    assert!(
        !latin_name.is_ascii(),
        "the generated name has accents: {latin_name}"
    );
}

#[test]
fn attachments_can_be_stored_in_the_attachments_folder() {
    let env = Env::with_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\nattachments = \"directory\"\n",
    );
    env.deliver(&Archive::rco("A-2-DIR", 1));
    assert_eq!(env.run(&[]).code, 0);
    let stored = files(&env.attachments().join("A-2-DIR"));
    assert_eq!(
        stored,
        vec![
            "1-A-2-DIR-RCO-LA-doc-recapPDF-1-1.pdf",
            "1-A-2-DIR-RCO-LA-pj-jd justificatif de domicile-2-1.pdf",
            "1-A-2-DIR-RCO-LA-pj-ji-1-1.pdf"
        ],
        "the attachments and the form's PDF (a Document that is not XML)"
    );
    assert_eq!(
        fs::read(env.attachments().join("A-2-DIR").join(&stored[0])).unwrap(),
        TINY_PDF
    );
    let d = env.dossier("A-2-DIR");
    assert!(d["attachments"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("pieces/A-2-DIR/1-A-2-DIR-RCO-LA-pj-ji-1-1.pdf"));
    let blobs = common::query_strings(
        &env.db(),
        "SELECT CAST(COUNT(content) AS TEXT) AS v FROM msp_piece_jointe",
    );
    assert_eq!(
        blobs,
        vec!["0"],
        "no content in the database in directory mode"
    );
}

#[test]
fn an_unreachable_database_leaves_the_archive_in_input_for_the_next_run() {
    let cfg = |lyon_db: &str| {
        format!(
            "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://paris.db\"\n[[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"{lyon_db}\"\n"
        )
    };
    let env = Env::with_config(&cfg("sqlite:///nonexistent-msp-dir/lyon.db"));
    env.deliver(&Archive::rco("A-2-PARIS", 1));
    env.deliver(&Archive::rco("A-2-LYON", 1).routed_to("69123"));
    env.deliver(&Archive::aec("A-2-LYON2", 1).routed_to("69123"));
    let r = env.run(&[]);
    assert_eq!(
        r.code, 2,
        "trouble gives exit status 2: {}{}",
        r.stdout, r.stderr
    );
    let trouble: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("trouble: "))
        .collect();
    assert_eq!(trouble.len(), 1, "once per cause: {}", r.stdout);
    assert!(
        trouble[0].contains("lyon.db")
            && trouble[0].ends_with(
                "(2 archives left for the next synchronisation: A-2-LYON-RCO-LA-1.zip, A-2-LYON2-AEC-LA-1.zip)"
            ),
        "{}",
        r.stdout
    );
    assert_eq!(
        files(&env.input()),
        vec!["A-2-LYON-RCO-LA-1.zip", "A-2-LYON2-AEC-LA-1.zip"]
    );
    assert_eq!(files(&env.done()), vec!["A-2-PARIS-RCO-LA-1.zip"]);
    assert!(files(&env.error()).is_empty(), "trouble is not bad input");
    assert!(env.work_files().is_empty());
    assert!(env
        .last_log()
        .contains("A-2-LYON-RCO-LA-1.zip: TROUBLE, back in input for the next run"));
    env.write_config(&cfg("sqlite://lyon.db"));
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(
        files(&env.done()),
        vec![
            "A-2-LYON-RCO-LA-1.zip",
            "A-2-LYON2-AEC-LA-1.zip",
            "A-2-PARIS-RCO-LA-1.zip"
        ]
    );
    assert_eq!(env.dossier("A-2-LYON")["insee"], "69123");
}

#[test]
fn a_locked_database_mid_run_is_trouble_not_rejection() {
    let env = Env::with_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\nbusy_timeout_ms = 200\n",
    );
    env.deliver(&Archive::rco("A-2-FIRST", 1));
    assert_eq!(env.run(&[]).code, 0);
    env.deliver(&Archive::rco("A-2-LOCKED", 1));
    let before = row_counts(&env.db());
    {
        let _lock = DbLock::take(&env.db());
        let r = env.run(&[]);
        r.assert_code(2);
        r.assert_stdout_has("locked");
    }
    assert_eq!(files(&env.input()), vec!["A-2-LOCKED-RCO-LA-1.zip"]);
    assert!(files(&env.error()).is_empty());
    assert_eq!(row_counts(&env.db()), before, "nothing half-written");
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(
        files(&env.done()),
        vec!["A-2-FIRST-RCO-LA-1.zip", "A-2-LOCKED-RCO-LA-1.zip"]
    );
}

#[test]
fn an_interrupted_run_is_recovered_and_nothing_is_imported_twice() {
    let env = Env::new();
    env.deliver(&Archive::rco("A-2-CRASH", 1));
    assert_eq!(env.run(&[]).code, 0);
    // A killed run left an archive (and half an extraction) in work.
    fs::create_dir_all(env.work()).unwrap();
    Archive::rco("A-2-LEFT", 1).write_to(&env.work()).unwrap();
    fs::create_dir_all(env.work().join("A-2-LEFT-RCO-LA-1.zip.d")).unwrap();
    fs::write(
        env.work().join("A-2-LEFT-RCO-LA-1.zip.d/message.xml"),
        b"<half",
    )
    .unwrap();
    // And one that was imported before the kill, still in work: a duplicate.
    fs::copy(
        env.done().join("A-2-CRASH-RCO-LA-1.zip"),
        env.work().join("A-2-CRASH-RCO-LA-1.zip"),
    )
    .unwrap();
    let r = env.run(&[]);
    r.assert_code(0);
    r.assert_stdout_has("recovered from an interrupted run: A-2-LEFT-RCO-LA-1.zip");
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert_eq!(
        files(&env.done()),
        vec![
            "A-2-CRASH-RCO-LA-1.zip",
            "A-2-CRASH-RCO-LA-1~2.zip",
            "A-2-LEFT-RCO-LA-1.zip"
        ],
        "the duplicate keeps a distinct name, nothing is overwritten"
    );
    assert!(
        env.last_log().contains("A-2-CRASH-RCO-LA-1.zip: duplicate"),
        "{}",
        env.last_log()
    );
    assert_eq!(env.dossiers().len(), 2);
    assert_eq!(
        env.dossier("A-2-CRASH")["returns"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(files(&env.output()).len(), 2);
}

#[test]
fn each_run_writes_one_log_and_db_init_is_idempotent() {
    let env = Env::new();
    let r = env.msp(&["db", "init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.assert_stdout_has("MSP tables created (version 1)");
    r.assert_stdout_has("RCO-LA tables created (version 1): avenir_recensement, avenir_personne, avenir_adresse, avenir_contact");
    let r = env.msp(&["db", "init"]);
    assert_eq!(r.code, 0);
    r.assert_stdout_has("is up to date");
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(env.run(&[]).code, 0);
    // Two runs with nothing to do: one line each in the day's file.
    let logs = files(&env.logs());
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0].starts_with("empty-"), "{logs:?}");
    let day = std::fs::read_to_string(env.logs().join(&logs[0])).unwrap();
    assert_eq!(day.lines().count(), 2, "{day}");
    for dir in env.folders().into_iter().chain([env.attachments()]) {
        assert!(dir.is_dir(), "{} created", dir.display());
    }
    let r = env.msp(&["plugins"]);
    r.assert_stdout_has("RCO-LA   Avenir");
    let r = env.msp(&["dossier", "show", "A-2-NONE"]);
    assert_eq!(r.code, 1, "the user's mistake, not trouble");
    r.assert_stderr_has("no dossier A-2-NONE");
}

#[test]
fn two_runs_at_once_neither_import_twice_nor_lose_an_archive() {
    let env = Env::new();
    common::write_mixed_flows(&env.input(), 30, |i| format!("A-2-CONC{i:02}"));
    // Create the database first so both runs find it.
    assert_eq!(env.msp(&["db", "init"]).code, 0);
    let (a, b) = (env.spawn_run(&[]), env.spawn_run(&[]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{:?} {:?}", a, b);
    assert!(files(&env.input()).is_empty());
    assert!(files(&env.error()).is_empty());
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert_eq!(
        files(&env.done()).len(),
        30,
        "each archive once: {:?}",
        files(&env.done())
    );
    assert_eq!(env.dossiers().len(), 30);
    let out = files(&env.output());
    assert_eq!(out.len(), 30, "one status-14 return per dossier: {out:?}");
    assert!(out.iter().all(|f| f.ends_with("-1.zip")));
}

#[test]
fn config_check_says_exactly_what_is_wrong() {
    let env = Env::with_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\nflows = [\"RCO-LA\", \"XYZ-LA\"]\n\
         [[client]]\nname = \"Lyon\"\ninsee = [\"69123\"]\ndatabase = \"sqlite:///nonexistent-msp-dir/lyon.db\"\n\
         [[client]]\nname = \"Nice\"\ninsee = [\"06088\"]\ndatabase = \"oracle://x\"\n",
    );
    let r = env.msp(&["config", "check"]);
    r.assert_code(2);
    r.assert_stdout_has("ok   folders under");
    r.assert_stdout_has("FAIL client Paris: flow XYZ-LA is not registered");
    r.assert_stdout_has("ok   client Paris (75056): connected to sqlite://");
    r.assert_stdout_has("FAIL client Lyon: cannot open database sqlite:///nonexistent-msp-dir/lyon.db: folder /nonexistent-msp-dir does not exist");
    r.assert_stdout_has(
        "FAIL client Nice: unknown database scheme \"oracle\" (known: sqlite, postgres",
    );
    env.write_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"750\"]\ndatabase = \"sqlite://msp.db\"\n",
    );
    let r = env.msp(&["config", "check"]);
    assert_eq!(r.code, 2);
    r.assert_stdout_has("FAIL configuration: configuration msp.toml: client Paris: \"750\" is not an INSEE commune code");
}

#[test]
fn an_archive_for_a_flow_its_town_does_not_handle_is_rejected() {
    let env = Env::with_config(
        "[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\nflows = [\"RCO-LA\"]\n",
    );
    env.deliver(&Archive::aec("A-2-NOTHERE", 1));
    env.deliver(&Archive::rco("A-2-HERE", 1));
    let r = env.run(&[]);
    r.assert_code(1);
    let log = fs::read_to_string(env.error().join("A-2-NOTHERE-AEC-LA-1.zip.log")).unwrap();
    common::assert_has(
        &log,
        "CodeINSEE 75056 is routed to client Paris, which does not handle flow AEC-LA",
    );
    assert_eq!(files(&env.done()), ["A-2-HERE-RCO-LA-1.zip"]);
    let tables = common::query_strings(
        &env.db(),
        "SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name LIKE 'siecle%'",
    );
    assert!(
        tables.is_empty(),
        "only the tables of the flows the town handles: {tables:?}"
    );
}

#[test]
fn archives_still_being_written_wait_for_settle_seconds() {
    let env = Env::with_config(
        "settle_seconds = 3600\n[[client]]\nname = \"Paris\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
    );
    env.deliver(&Archive::rco("A-2-FRESH", 1));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(
        files(&env.input()),
        ["A-2-FRESH-RCO-LA-1.zip"],
        "too young: left alone"
    );
    env.write_config("settle_seconds = 0\n[[client]]\nname = \"Paris\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n");
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(files(&env.done()), ["A-2-FRESH-RCO-LA-1.zip"]);
}

#[test]
fn continuous_mode_imports_what_arrives_until_stopped() {
    let env = Env::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["run", "--every", "1"])
        .current_dir(env.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    env.deliver(&Archive::rco("A-2-LATER", 1));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while files(&env.done()).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(still_running, "msp run --every keeps running");
    assert_eq!(files(&env.done()), ["A-2-LATER-RCO-LA-1.zip"]);
    assert_eq!(files(&env.output()), ["A-2-LATER-RCO-LA-1.zip"]);
}

#[test]
fn a_large_attachment_is_stored_in_parts_that_reassemble_to_its_bytes() {
    let env = Env::new();
    // 3.5 MiB that do not compress.
    let big = portal_sim::Seq::new(1).bytes(3_670_016);
    let mut a = Archive::rco("A-2-BIG", 1);
    a.attachments.push(Attachment {
        code: "JI".into(),
        label: "Scan".into(),
        file: "A-2-BIG-RCO-LA-pj-scan-3-0.pdf".into(),
        bytes: big.clone(),
    });
    env.deliver(&a);
    let r = env.run(&[]);
    r.assert_code(0);
    let seq = common::query_strings(
        &env.db(),
        "SELECT CAST(seq AS TEXT) AS v FROM msp_piece_jointe WHERE numero = 'A-2-BIG' AND content IS NULL",
    );
    assert_eq!(seq.len(), 1, "the large one has no inline content");
    let parts = common::query_strings(
        &env.db(),
        &format!(
            "SELECT CAST(part AS TEXT) AS v FROM msp_piece_morceau WHERE numero = 'A-2-BIG' AND seq = {} ORDER BY part",
            seq[0]
        ),
    );
    assert_eq!(parts, vec!["1", "2", "3", "4"]);
    let hex = common::query_strings(
        &env.db(),
        &format!(
            "SELECT hex(content) AS v FROM msp_piece_morceau WHERE numero = 'A-2-BIG' AND seq = {} ORDER BY part",
            seq[0]
        ),
    );
    let bytes: Vec<u8> = hex
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
        .collect();
    assert_eq!(bytes.len(), big.len());
    assert!(bytes == big, "the parts in order are the attachment");
    // The small ones stay whole in content.
    let small = common::query_strings(
        &env.db(),
        "SELECT CAST(COUNT(content) AS TEXT) AS v FROM msp_piece_jointe WHERE numero = 'A-2-BIG'",
    );
    assert_eq!(small, vec!["3"], "two attachments and the form's PDF");
}

/// Every file under `dir`, recursively, with ZIP archives read entry by
/// entry (their entries are compressed): (path, bytes).
fn every_output(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(every_output(&p));
            continue;
        }
        let bytes = fs::read(&p).unwrap();
        if let Ok(mut z) = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())) {
            for i in 0..z.len() {
                let mut f = z.by_index(i).unwrap();
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut b).unwrap();
                out.push((
                    format!("{} [{}]", p.display(), f.name().unwrap_or_default()),
                    b,
                ));
            }
        }
        out.push((p.display().to_string(), bytes));
    }
    out
}

#[test]
fn the_portal_password_is_in_no_output_of_a_run() {
    let env = Env::new();
    let ok = Archive::rco("A-2-PWD", 1);
    assert!(ok.message_xml().contains(portal_sim::PORTAL_PASSWORD));
    env.deliver(&ok);
    env.deliver(&Archive::aec("A-2-PWDAEC", 1));
    // A rejected one: its French log and the sync log name the archive.
    let mut bad = Archive::rco("A-2-PWDBAD", 1);
    bad.ent_insee = "75001".into();
    env.deliver(&bad);
    let mut outputs = vec![env.run(&[])];
    assert_eq!(
        outputs[0].code, 1,
        "{}{}",
        outputs[0].stdout, outputs[0].stderr
    );
    assert_eq!(files(&env.done()).len(), 2);
    for args in [
        &["run", "--json"][..],
        &["-vv", "run"],
        &["dossier", "list"],
        &["dossier", "list", "--json"],
        &["dossier", "show", "A-2-PWD"],
        &["dossier", "show", "--rows", "A-2-PWD"],
        &["dossier", "show", "--json", "A-2-PWDAEC"],
        &["status"],
        &["status", "--json"],
        &["errors", "list"],
        &["errors", "show", "A-2-PWDBAD-RCO-LA-1.zip"],
    ] {
        let r = env.msp(args);
        assert!(
            (0..=1).contains(&r.code),
            "{args:?}: {}{}",
            r.stdout,
            r.stderr
        );
        outputs.push(r);
    }
    for (i, r) in outputs.iter().enumerate() {
        for text in [&r.stdout, &r.stderr] {
            assert!(
                !text.contains(portal_sim::PORTAL_PASSWORD),
                "output {i}: {text}"
            );
        }
    }
    // Nothing msp wrote holds it: logs, error folder and its logs, return
    // archives, attachments, the database. (Done and the error folder hold
    // the originals.)
    let root = env.root();
    let mut written = Vec::new();
    for dir in ["logs", "erreur", "sortie", "pieces", "travail"] {
        written.extend(every_output(&root.join(dir)));
    }
    // The error folder keeps the rejected original as the portal sent it
    // (like done): its logs are msp's, the archive is not.
    let originals = root.join("erreur").join("A-2-PWDBAD-RCO-LA-1.zip");
    let originals = originals.display().to_string();
    written.retain(|(name, _)| *name != originals && !name.starts_with(&format!("{originals} [")));
    assert!(
        written
            .iter()
            .any(|(name, _)| name.ends_with("A-2-PWDBAD-RCO-LA-1.zip.log")),
        "the rejection's log is read"
    );
    assert!(
        written.len() > 5,
        "{:?}",
        written.iter().map(|w| &w.0).collect::<Vec<_>>()
    );
    let needle = portal_sim::PORTAL_PASSWORD.as_bytes();
    for (name, bytes) in &written {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{name} holds the portal password"
        );
    }
    // The database keeps it for the clerk, with the message's record, and
    // nowhere else msp writes a text (journal, summaries).
    assert_eq!(
        common::query_strings(
            &env.db(),
            "SELECT numero || '|' || password AS v FROM msp_archive_recue ORDER BY numero"
        ),
        [
            format!("A-2-PWD|{}", portal_sim::PORTAL_PASSWORD),
            format!("A-2-PWDAEC|{}", portal_sim::PORTAL_PASSWORD)
        ]
    );
    let like = format!("%{}%", portal_sim::PORTAL_PASSWORD);
    assert_eq!(
        common::query_strings(
            &env.db(),
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM (SELECT text AS t FROM msp_evenement UNION ALL SELECT summary FROM msp_dossier) WHERE t LIKE '{like}'"
            )
        ),
        ["0"]
    );
    // Masked where it is shown, given on demand.
    let shown = env.msp(&["dossier", "show", "A-2-PWD"]);
    shown.assert_stdout_has("follow-up password ******** (--password shows it)");
    let json = env.msp(&["dossier", "show", "--json", "A-2-PWD"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["archives"][0]["message"]["password"], "********");
    let asked = env.msp(&["dossier", "show", "--password", "A-2-PWD"]);
    asked.assert_stdout_has(&format!(
        "follow-up password {}",
        portal_sim::PORTAL_PASSWORD
    ));
    let asked = env.msp(&["dossier", "show", "--json", "--password", "A-2-PWD"]);
    let v: serde_json::Value = serde_json::from_str(&asked.stdout).unwrap();
    assert_eq!(
        v["archives"][0]["message"]["password"],
        portal_sim::PORTAL_PASSWORD
    );
}

/// The archive's entries written again in another ZIP (stored, in reverse
/// order): what a transport that re-packs a message sends.
fn rezipped(a: &Archive) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in a.entries().into_iter().rev() {
        w.start_file(name, opts).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn what_the_inbound_message_says_of_itself_is_recorded_and_its_replay_is_a_duplicate() {
    let env = Env::new();
    let first = Archive::rco("A-2-REC", 1);
    env.deliver(&first);
    assert_eq!(env.run(&[]).code, 0);
    let row = common::query_strings(
        &env.db(),
        "SELECT message_id || '|' || numero_demarche || '|' || sender_siret || '|' || sender_service || '|' || sender_guichet || '|' || recipient_siret || '|' || recipient_service || '|' || ack_required || '|' || ack_types || '|' || security_datetime || '|' || email AS v FROM msp_archive_recue WHERE numero = 'A-2-REC'",
    );
    let date = &first.date;
    assert_eq!(
        row,
        [format!(
            "A-2-REC 5808773 Principal {}|RCO-LA|13002526500013|SPL|MDEL|21750001600019|ETAT-CIVIL|true|AVL ANL|{date}|citoyen.a2rec@exemple.fr",
            &date[..19]
        )]
    );
    let shown = env.msp(&["dossier", "show", "A-2-REC"]);
    for line in [
        "MessageId A-2-REC 5808773 Principal",
        "from SIRET 13002526500013, service SPL, guichet MDEL",
        "to SIRET 21750001600019, service ETAT-CIVIL",
        "acknowledgement required true (AVL ANL)",
        "citizen's e-mail citoyen.a2rec@exemple.fr",
    ] {
        assert!(shown.stdout.contains(line), "{line}: {}", shown.stdout);
    }
    // The portal sends the message again (its Rejeu), re-zipped: other
    // bytes, the same MessageId. A duplicate, not a conflict.
    let bytes_first = fs::read(env.done().join("A-2-REC-RCO-LA-1.zip")).unwrap();
    let bytes_again = rezipped(&first);
    assert_ne!(bytes_first, bytes_again, "re-zipped: other bytes");
    fs::write(env.input().join("A-2-REC-RCO-LA-1.zip"), &bytes_again).unwrap();
    let r = env.run(&[]);
    r.assert_code(0);
    assert!(files(&env.error()).is_empty(), "{:?}", files(&env.error()));
    assert!(files(&env.input()).is_empty());
    let log = env.last_log();
    common::assert_has(&log, "A-2-REC-RCO-LA-1.zip: duplicate");
    assert_eq!(env.dossiers().len(), 1);
    // Another message for the same file, with other content: a conflict.
    let mut other = first.clone();
    let id = format!("A-2-REC 5808773 Principal {}", &date[..19]);
    let message = first
        .message_xml()
        .replace(&id, "A-2-REC 5808999 Principal 2019-04-03T17:00:00");
    assert_ne!(message, first.message_xml());
    other.message_override = Some(message.into_bytes());
    env.deliver(&other);
    assert_eq!(env.run(&[]).code, 1);
    assert_eq!(
        files(&env.error()),
        ["A-2-REC-RCO-LA-1.zip", "A-2-REC-RCO-LA-1.zip.log"]
    );
    let why = fs::read_to_string(env.error().join("A-2-REC-RCO-LA-1.zip.log")).unwrap();
    common::assert_has(&why, "already imported");
}

#[test]
fn an_aec_database_of_version_1_gets_the_published_documents_columns() {
    let env = Env::new();
    env.deliver(&Archive::aec("A-2-MIG1", 1));
    assert_eq!(env.run(&[]).code, 0);
    // Make it the database an earlier msp left: tables of version 1.
    let conn = |sql: &str| {
        use diesel::{Connection, RunQueryDsl};
        let mut c = diesel::SqliteConnection::establish(env.db().to_str().unwrap()).unwrap();
        diesel::sql_query(sql).execute(&mut c).unwrap();
    };
    conn("ALTER TABLE siecle_demande DROP COLUMN motif_commentaire");
    conn("ALTER TABLE siecle_demande DROP COLUMN lieu_evenement_code_postal");
    conn("ALTER TABLE siecle_personne DROP COLUMN civilite");
    conn("UPDATE msp_schema_version SET version = 1 WHERE component = 'plugin:AEC-LA'");
    env.deliver(&Archive::aec("A-2-MIG2", 1));
    let r = env.run(&[]);
    r.assert_code(0);
    assert_eq!(
        common::query_strings(
            &env.db(),
            "SELECT CAST(version AS TEXT) AS v FROM msp_schema_version WHERE component = 'plugin:AEC-LA'"
        ),
        ["2"]
    );
    assert_eq!(
        common::query_strings(
            &env.db(),
            "SELECT numero || '|' || COALESCE(motif_commentaire, '-') AS v FROM siecle_demande ORDER BY numero"
        ),
        ["A-2-MIG1|-", "A-2-MIG2|Demande de passeport"],
        "the dossier of version 1 keeps its row; the new one fills the new column"
    );
    let civilites = common::query_strings(
        &env.db(),
        "SELECT COALESCE(civilite, '-') AS v FROM siecle_personne WHERE numero = 'A-2-MIG2' ORDER BY role",
    );
    assert_eq!(civilites.len(), 2, "{civilites:?}");
    assert!(
        civilites
            .iter()
            .all(|c| c.starts_with("MADAME") || c.starts_with("MONSIEUR")),
        "{civilites:?}"
    );
}

#[test]
fn files_msp_does_not_recognise_are_reported_and_the_transport_wrapper_is_read() {
    let env = Env::new();
    // The transport's wrapped name: imported as the archive it wraps, and
    // kept under its own name.
    let wrapped = "RitaGS.20261102105054.A-2-WRAP-RCO-LA-1.ADER.ftp.zip";
    fs::write(
        env.input().join(wrapped),
        Archive::rco("A-2-WRAP", 1).to_zip(),
    )
    .unwrap();
    // A flow with no plugin here, a name not of the protocol, a temporary
    // upload (never reported).
    let pacs = Archive::with_document("A-2-PACS", "DDPACS-LA", 1, "99999-XML", "<D/>".into());
    fs::write(env.input().join(pacs.file_name()), pacs.to_zip()).unwrap();
    fs::write(env.input().join("demande.zip"), b"PK").unwrap();
    fs::write(env.input().join("A-2-UP-RCO-LA-1.zip.part"), b"PK").unwrap();
    let r = env.run(&["--json"]);
    r.assert_code(0);
    assert_eq!(files(&env.done()), [wrapped]);
    assert_eq!(env.dossier("A-2-WRAP")["flow"], "RCO-LA");
    assert_eq!(
        files(&env.input()),
        [
            "A-2-PACS-DDPACS-LA-1.zip",
            "A-2-UP-RCO-LA-1.zip.part",
            "demande.zip"
        ],
        "never touched"
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let listed: Vec<(String, String)> = json["unrecognised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["file"].as_str().unwrap().to_string(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].0, "A-2-PACS-DDPACS-LA-1.zip");
    assert!(
        listed[0].1.starts_with("flow DDPACS-LA has no plugin"),
        "{listed:?}"
    );
    assert_eq!(listed[1].0, "demande.zip");
    assert!(
        listed[1]
            .1
            .starts_with("the name is not <Numero>-<Flow>-<FileNumber>.zip"),
        "{listed:?}"
    );
    let log = env.last_log();
    for name in ["A-2-PACS-DDPACS-LA-1.zip", "demande.zip"] {
        assert_eq!(
            log.matches(&format!("{name}: not recognised, left in input: "))
                .count(),
            1,
            "{log}"
        );
    }
    assert!(!log.contains(".zip.part"), "{log}");
    // The text summary says it too.
    let r = env.run(&[]);
    r.assert_stdout_has("not recognised, left in input: demande.zip (the name is not");
    // `msp status`: counted apart from the archives waiting; a warning once
    // one is older than settle_seconds and a minute.
    let s = env.msp(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    let check = |key: &str| {
        status["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{key}: {status}"))
    };
    assert_eq!(check("input_unrecognised")["value"], 2.0);
    assert_eq!(check("input_unrecognised")["level"], "ok", "{status}");
    assert_eq!(check("input_archives")["value"], 0.0, "{status}");
    common::backdate(&env.input().join("demande.zip"), "2 minutes ago");
    let s = env.msp(&["status"]);
    s.assert_code(1);
    s.assert_stdout_has("2 file(s) in input msp does not recognise");
}

#[test]
fn a_header_file_problem_is_explained_to_the_clerk_in_french() {
    let env = Env::new();
    let mut a = Archive::rco("A-2-ENTFR", 1);
    a.extra
        .push(("A-2-ENTFR-RCO-LA-ent.xml".into(), a.ent_xml().into_bytes()));
    env.deliver(&a);
    assert_eq!(env.run(&[]).code, 1);
    let log = fs::read_to_string(env.error().join("A-2-ENTFR-RCO-LA-1.zip.log")).unwrap();
    common::assert_has(&log, "Explication : L'archive contient deux fichiers d'en-tête, A-2-ENTFR-RCO-LA-ent-1.xml et A-2-ENTFR-RCO-LA-ent.xml, alors qu'un seul est attendu.\nDétail : ");
}

/// The message.xml of a return archive in output.
fn return_message(env: &Env, file: &str) -> String {
    common::zip_text(&env.output().join(file), "message.xml")
}

#[test]
fn the_return_answers_the_inbound_message_from_the_town() {
    let env = Env::with_config(
        "root = \"msp-data\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://msp.db\"\nsiret = \"21750001600019\"\n\n[[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"sqlite://belfort.db\"\ncommune = \"Belfort\"\n",
    );
    // A real-shaped message (its Sender the portal's service), to a town
    // with a SIRET; a seed-shaped one (no Sender) to a town with a name.
    env.deliver(&Archive::rco("A-2-ANS", 1));
    let mut seed = Archive::rco("A-2-SEED", 1);
    seed.set_style(portal_sim::Style::Seed);
    env.deliver(&seed.routed_to("90010"));
    let r = env.run(&[]);
    r.assert_code(0);

    let answer = return_message(&env, "A-2-ANS-RCO-LA-1.zip");
    common::xmllint_message(&answer);
    assert!(
        answer.contains("<ns2:MessageId>A-2-ANS-RCO-LA-1</ns2:MessageId>"),
        "a new MessageId, not the inbound one: {answer}"
    );
    assert!(
        !answer.contains("5808773"),
        "the inbound MessageId is not reused: {answer}"
    );
    assert!(answer.contains("<ns2:FlowType>RCO-LA</ns2:FlowType>"));
    assert!(
        answer.contains("<ns2:Sender><ns2:Location xsi:type=\"ns2:Siret\"><ns2:Siret>21750001600019</ns2:Siret></ns2:Location></ns2:Sender>"),
        "from the town, by its SIRET: {answer}"
    );
    assert!(
        answer.contains("<ns2:Recipients><ns2:Location xsi:type=\"ns2:Siret\"><ns2:Siret>13002526500013</ns2:Siret><ns2:Service>SPL</ns2:Service><ns2:Guichet>MDEL</ns2:Guichet></ns2:Location></ns2:Recipients>"),
        "to the inbound message's Sender: {answer}"
    );

    let plain = return_message(&env, "A-2-SEED-RCO-LA-1.zip");
    common::xmllint_message(&plain);
    assert!(
        plain.contains("<ns2:Sender><ns2:Location><ns2:Service>Mairie de Belfort</ns2:Service></ns2:Location></ns2:Sender>"),
        "no SIRET configured: the town by its name: {plain}"
    );
    assert!(
        !plain.contains("Recipients"),
        "the inbound message named no sender: {plain}"
    );

    // A later status answers the same message.
    let s = env.msp(&[
        "dossier",
        "status",
        "A-2-ANS",
        "16",
        "--comment",
        "Pièce à fournir",
    ]);
    s.assert_code(0);
    let r = env.run(&[]);
    r.assert_code(0);
    let second = return_message(&env, "A-2-ANS-RCO-LA-2.zip");
    common::xmllint_message(&second);
    assert!(second.contains("<ns2:MessageId>A-2-ANS-RCO-LA-2</ns2:MessageId>"));
    common::assert_has(
        &second,
        "<ns2:Siret>21750001600019</ns2:Siret></ns2:Location></ns2:Sender>",
    );
    common::assert_has(&second, "<ns2:Recipients><ns2:Location xsi:type=\"ns2:Siret\"><ns2:Siret>13002526500013</ns2:Siret>");
}
