//! The HubEE transport end to end: the real `msp` binary against the HubEE
//! simulator of `portal-sim` (`portal_sim::hubee`, on a free port of this
//! process): cases of both démarches received and imported, statuses sent
//! back as events, the portal's events applied, faults, and kill -9 at
//! random moments.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{files, Env};
use portal_sim::hubee::Subscriber;
use serde_json::{json, Value};

/// A simulator and an installation whose town (Belfort, 90010) subscribes
/// to the census and the civil-status démarches.
struct Hub {
    addr: SocketAddr,
    env: Env,
}

impl Hub {
    fn start() -> Hub {
        let subscribers = [
            ("belfort-rco", "recensementCitoyen"),
            ("belfort-aec", "EtatCivil"),
        ]
        .iter()
        .map(|(id, process)| Subscriber {
            client_id: id.to_string(),
            secret: format!("secret-{id}"),
            process: process.to_string(),
        })
        .collect();
        let addr = portal_sim::hubee::start(subscribers).unwrap();
        let env = Env::with_config(&format!(
            "root = \"msp-data\"\n\
             [hubee]\ntoken_url = \"http://{addr}/oauth2/token\"\napi_url = \"http://{addr}\"\ntimeout_seconds = 5\nretries = 4\nbackoff_ms = 20\n\
             [[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"sqlite://msp.db\"\ncommune = \"Belfort\"\n\
             [[client.hubee]]\nprocess = \"recensementCitoyen\"\nflow = \"RCO-LA\"\nclient_id = \"belfort-rco\"\nsecret_file = \"rco.secret\"\n\
             [[client.hubee]]\nprocess = \"EtatCivil\"\nflow = \"AEC-LA\"\nclient_id = \"belfort-aec\"\nsecret_file = \"aec.secret\"\n"
        ));
        std::fs::write(env.path().join("rco.secret"), "secret-belfort-rco\n").unwrap();
        std::fs::write(env.path().join("aec.secret"), "secret-belfort-aec\n").unwrap();
        Hub { addr, env }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let mut r = ureq::post(&format!("http://{}{path}", self.addr))
            .send(body.to_string().as_bytes())
            .unwrap();
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap()
    }

    /// A new case of `process` from the portal.
    fn case(&self, process: &str, external_id: &str) {
        self.post(
            "/sim/cases",
            json!({"process": process, "externalId": external_id, "insee": "90010"}),
        );
    }

    fn faults(&self, v: Value) {
        self.post("/sim/faults", v);
    }

    fn state(&self) -> Value {
        let mut r = ureq::get(&format!("http://{}/sim/state", self.addr))
            .call()
            .unwrap();
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap()
    }

    /// The case whose externalId is `ext`, as the hub holds it.
    fn hub_case(&self, ext: &str) -> Value {
        self.state()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["externalId"] == ext)
            .cloned()
            .unwrap_or_else(|| panic!("no case {ext}"))
    }

    /// The events msp posted on case `ext`: (new status or action, message).
    fn posted(&self, ext: &str) -> Vec<(String, String)> {
        posted_on(&self.hub_case(ext))
    }

    fn run_ok(&self) -> String {
        let r = self.env.run(&[]);
        assert_eq!(
            r.code,
            0,
            "{}{}\n{}",
            r.stdout,
            r.stderr,
            self.env.last_log()
        );
        self.env.last_log()
    }

    fn numeros(&self) -> Vec<String> {
        let mut n: Vec<String> = self
            .env
            .dossiers()
            .iter()
            .map(|d| d["numero"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    }
}

/// The events msp posted on a case as the hub holds it: (new status or
/// action, message).
fn posted_on(case: &Value) -> Vec<(String, String)> {
    case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["fromSI"] == true)
        .map(|e| {
            (
                e["caseNewStatus"]
                    .as_str()
                    .unwrap_or(e["actionType"].as_str().unwrap())
                    .to_string(),
                e["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn statuses(posted: &[(String, String)]) -> Vec<&str> {
    posted.iter().map(|p| p.0.as_str()).collect()
}

#[test]
fn new_cases_of_both_demarches_are_imported_and_answered_once() {
    let h = Hub::start();
    let r = h.env.msp(&["config", "check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    h.case("recensementCitoyen", "RCO-2026-0001");
    h.case("recensementCitoyen", "RCO-2026-0002");
    h.case("EtatCivil", "AEC-2026-0001");
    let r = h.env.msp(&["config", "check"]);
    r.assert_stdout_has("hubee recensementCitoyen (belfort-rco) authenticated (flow RCO-LA), 2 notification(s) waiting");
    r.assert_stdout_has(
        "hubee EtatCivil (belfort-aec) authenticated (flow AEC-LA), 1 notification(s) waiting",
    );
    let log = h.run_ok();
    common::assert_has(&log, "received from HubEE");
    assert_eq!(
        h.numeros(),
        ["AEC-2026-0001", "RCO-2026-0001", "RCO-2026-0002"]
    );
    assert_eq!(
        files(&h.env.done()),
        [
            "AEC-2026-0001-AEC-LA-1.zip",
            "RCO-2026-0001-RCO-LA-1.zip",
            "RCO-2026-0002-RCO-LA-1.zip"
        ]
    );
    assert!(files(&h.env.input()).is_empty());
    // The data document's rows, and the piece kept with the dossier.
    let d = h.env.dossier("RCO-2026-0001");
    assert_eq!(d["flow"], "RCO-LA", "{d}");
    let text = d.to_string();
    assert!(text.contains("Pièce d'identité.pdf"), "{text}");
    for ext in ["RCO-2026-0001", "RCO-2026-0002", "AEC-2026-0001"] {
        assert_eq!(statuses(&h.posted(ext)), ["SI_RECEIVED"], "{ext}");
        assert_eq!(h.hub_case(ext)["status"], "SI_RECEIVED");
    }
    // Nothing twice: a second run finds only the acknowledgements.
    h.run_ok();
    assert_eq!(statuses(&h.posted("RCO-2026-0001")), ["SI_RECEIVED"]);
    assert_eq!(h.state()["notifications"], json!([]));
    assert_eq!(h.numeros().len(), 3);
    assert_eq!(files(&h.env.done()).len(), 3);
}

fn status(h: &Hub, numero: &str, code: &str, comment: Option<&str>) {
    let mut args = vec!["dossier", "status", numero, code];
    if let Some(c) = comment {
        args.extend(["--comment", c]);
    }
    let r = h.env.msp(&args);
    assert_eq!(r.code, 0, "status {code}: {}{}", r.stdout, r.stderr);
}

#[test]
fn statuses_go_back_as_events_with_their_messages_and_the_attestation() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-0100");
    h.case("recensementCitoyen", "RCO-2026-0101");
    h.case("EtatCivil", "AEC-2026-0100");
    h.run_ok();
    status(
        &h,
        "RCO-2026-0100",
        "16",
        Some("Nous examinons votre demande."),
    );
    status(&h, "RCO-2026-0101", "16", None);
    status(
        &h,
        "AEC-2026-0100",
        "15",
        Some("Aucun acte ne correspond à cette personne."),
    );
    h.run_ok();
    status(
        &h,
        "RCO-2026-0100",
        "17",
        Some("Merci d'envoyer votre pièce d'identité."),
    );
    status(&h, "RCO-2026-0101", "17", None);
    h.run_ok();
    status(&h, "RCO-2026-0100", "19", None);
    status(
        &h,
        "RCO-2026-0101",
        "20",
        Some("Vous n'êtes pas domicilié à Belfort."),
    );
    let log = h.run_ok();
    common::assert_has(&log, "posted to HubEE as DONE");
    let rco = h.posted("RCO-2026-0100");
    assert_eq!(
        statuses(&rco),
        [
            "SI_RECEIVED",
            "IN_PROGRESS",
            "ADD_AWAITING",
            "DONE",
            "ATTACH_DEPOSIT"
        ]
    );
    assert_eq!(rco[1].1, "Nous examinons votre demande.");
    assert_eq!(rco[2].1, "Merci d'envoyer votre pièce d'identité.");
    let refused = h.posted("RCO-2026-0101");
    assert_eq!(
        statuses(&refused),
        ["SI_RECEIVED", "IN_PROGRESS", "ADD_AWAITING", "REFUSED"]
    );
    assert_eq!(refused[3].1, "Vous n'êtes pas domicilié à Belfort.");
    let aec = h.posted("AEC-2026-0100");
    assert_eq!(statuses(&aec), ["SI_RECEIVED", "REFUSED"]);
    assert_eq!(aec[1].1, "Aucun acte ne correspond à cette personne.");
    assert_eq!(h.hub_case("AEC-2026-0100")["status"], "REFUSED");
    // The attestation: uploaded whole, its declared size its byte count,
    // sent; the same bytes as the return archive kept in envoye.
    let case = h.hub_case("RCO-2026-0100");
    let deposit = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["actionType"] == "ATTACH_DEPOSIT")
        .unwrap();
    let file = &deposit["attachments"][0];
    assert_eq!(deposit["status"], "SENT", "{deposit}");
    assert_eq!(file["status"], "RECEIVED");
    assert_eq!(file["size"], file["stored"]);
    assert!(file["size"].as_u64().unwrap() > 1000, "{file}");
    let sent = h.env.root().join("envoye");
    let kept = files(&sent);
    let archive = kept
        .iter()
        .find(|f| {
            f.starts_with("RCO-2026-0100")
                && zip_names(&sent.join(f)).iter().any(|n| n.ends_with(".pdf"))
        })
        .expect("the attestation's return");
    let pdf = zip_names(&sent.join(archive))
        .into_iter()
        .find(|n| n.ends_with(".pdf"))
        .unwrap();
    assert_eq!(file["fileName"], pdf.as_str());
    assert!(
        files(&h.env.output()).is_empty(),
        "{:?}",
        files(&h.env.output())
    );
    // The automatic closures (100) are not sent; nothing is sent twice.
    h.run_ok();
    assert_eq!(h.posted("RCO-2026-0100").len(), 5);
    assert_eq!(h.posted("RCO-2026-0101").len(), 4);
    assert_eq!(h.posted("AEC-2026-0100").len(), 2);
}

#[test]
fn a_bad_case_is_answered_si_intg_error_with_its_french_reason() {
    let h = Hub::start();
    h.post(
        "/sim/cases",
        json!({"process": "recensementCitoyen", "externalId": "RCO-2026-0BAD", "insee": "90010",
               "document": "<pas-du-xml", "documentType": "10870-XML"}),
    );
    let r = h.env.run(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        files(&h.env.error()),
        [
            "RCO-2026-0BAD-RCO-LA-1.zip",
            "RCO-2026-0BAD-RCO-LA-1.zip.log"
        ]
    );
    let posted = h.posted("RCO-2026-0BAD");
    assert_eq!(statuses(&posted), ["SI_INTG_ERROR"]);
    assert!(
        posted[0]
            .1
            .starts_with("La demande n'a pas pu être intégrée par la mairie : "),
        "{}",
        posted[0].1
    );
    assert_eq!(h.hub_case("RCO-2026-0BAD")["status"], "SI_INTG_ERROR");
    assert!(h.numeros().is_empty());
    h.env.run(&[]);
    assert_eq!(h.posted("RCO-2026-0BAD").len(), 1);
}

#[test]
fn the_portal_events_are_applied_and_acknowledged() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-0200");
    h.case("EtatCivil", "AEC-2026-0200");
    h.run_ok();
    status(&h, "RCO-2026-0200", "16", None);
    status(
        &h,
        "RCO-2026-0200",
        "17",
        Some("Envoyez le livret de famille."),
    );
    h.run_ok();
    // The citizen deposits the complement; the portal sends a message on
    // the other case, then closes it.
    h.post(
        "/sim/cases/RCO-2026-0200/complement",
        json!({"fileName": "Livret de famille.pdf"}),
    );
    h.post(
        "/sim/cases/AEC-2026-0200/message",
        json!({"message": "Je serai absent en août."}),
    );
    h.post("/sim/cases/AEC-2026-0200/close", json!({}));
    let log = h.run_ok();
    common::assert_has(&log, "complement received from HubEE");
    assert!(
        files(&h.env.done()).contains(&"RCO-2026-0200-RCO-LA-2.zip".to_string()),
        "{:?}",
        files(&h.env.done())
    );
    let d = h.env.dossier("RCO-2026-0200");
    assert!(d.to_string().contains("Livret de famille.pdf"), "{d}");
    let c = h.env.dossier("AEC-2026-0200");
    assert_eq!(c["status"], 100, "{c}");
    let ops = std::fs::read_to_string(h.env.logs().join("operations.log")).unwrap();
    assert!(
        ops.contains("dossier AEC-2026-0200: message du portail : Je serai absent en août."),
        "{ops}"
    );
    // Each acknowledged, nothing left waiting, nothing applied twice.
    for ext in ["RCO-2026-0200", "AEC-2026-0200"] {
        for e in h.hub_case(ext)["events"].as_array().unwrap() {
            if e["fromSI"] == false {
                assert_eq!(e["status"], "RECEIVED", "{e}");
            }
        }
    }
    h.run_ok();
    assert_eq!(h.state()["notifications"], json!([]));
    assert!(!files(&h.env.done()).contains(&"RCO-2026-0200-RCO-LA-3.zip".to_string()));
    // Closed on the portal: nothing is posted for the closure.
    assert_eq!(statuses(&h.posted("AEC-2026-0200")), ["SI_RECEIVED"]);
}

/// The entry names of a ZIP file.
fn zip_names(path: &std::path::Path) -> Vec<String> {
    let z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    z.file_names().map(|n| n.unwrap().to_string()).collect()
}

/// The run's TROUBLE lines (each cause once in the summary).
fn troubles(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains("TROUBLE")).collect()
}

#[test]
fn the_token_expiring_mid_run_is_renewed() {
    let h = Hub::start();
    for i in 0..4 {
        h.case("recensementCitoyen", &format!("RCO-2026-T{i:03}"));
    }
    // The hub forgets every token after the sixth call of the run.
    h.faults(json!({"expireAfter": 6}));
    let log = h.run_ok();
    assert!(troubles(&log).is_empty(), "{log}");
    assert_eq!(h.numeros().len(), 4);
    assert!(
        h.state()["tokensIssued"].as_u64().unwrap() >= 3,
        "{}",
        h.state()["tokensIssued"]
    );
    for i in 0..4 {
        assert_eq!(
            statuses(&h.posted(&format!("RCO-2026-T{i:03}"))),
            ["SI_RECEIVED"]
        );
    }
}

#[test]
fn a_500_storm_waits_said_once_then_everything_goes_through() {
    let h = Hub::start();
    // A short storm: the backoff rides it out.
    h.case("EtatCivil", "AEC-2026-S000");
    h.faults(json!({"fail500": 3}));
    let log = h.run_ok();
    assert!(troubles(&log).is_empty(), "{log}");
    assert_eq!(h.numeros(), ["AEC-2026-S000"]);
    // A long one: trouble, once per subscription and direction, never
    // once per case; nothing lost.
    for i in 1..=6 {
        h.case("EtatCivil", &format!("AEC-2026-S{i:03}"));
    }
    h.faults(json!({"fail500": 10_000}));
    let t = std::time::Instant::now();
    let r = h.env.run(&[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let log = h.env.last_log();
    let said: Vec<&str> = troubles(&log)
        .into_iter()
        .filter(|l| l.contains("HTTP 500"))
        .collect();
    assert!(!said.is_empty() && said.len() <= 4, "{said:#?}");
    assert_eq!(h.numeros().len(), 1);
    h.faults(json!({"clear": true}));
    h.run_ok();
    assert_eq!(h.numeros().len(), 7);
    for i in 0..=6 {
        assert_eq!(
            statuses(&h.posted(&format!("AEC-2026-S{i:03}"))),
            ["SI_RECEIVED"]
        );
    }
}

#[test]
fn an_event_created_but_its_answer_lost_is_not_posted_twice() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-L001");
    // SI_RECEIVED is created by the hub, its answer lost: msp reads the
    // case's events back before posting again, and finds it.
    h.faults(json!({"lostAnswer": 1}));
    h.run_ok();
    assert_eq!(statuses(&h.posted("RCO-2026-L001")), ["SI_RECEIVED"]);
    status(
        &h,
        "RCO-2026-L001",
        "16",
        Some("Nous examinons votre demande."),
    );
    h.faults(json!({"lostAnswer": 1}));
    h.run_ok();
    assert_eq!(
        statuses(&h.posted("RCO-2026-L001")),
        ["SI_RECEIVED", "IN_PROGRESS"]
    );
    // Nothing left to send: another run posts nothing.
    h.run_ok();
    assert_eq!(statuses(&h.posted("RCO-2026-L001")).len(), 2);
}

#[test]
fn dropped_connections_are_tried_again() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-D001");
    h.case("EtatCivil", "AEC-2026-D001");
    h.faults(json!({"drop": 3}));
    let r = h.env.run(&["--json"]);
    r.assert_code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    // Two bundles written into input, two SI_RECEIVED posted.
    assert_eq!(
        (&v["hubee_received"], &v["hubee_posted"]),
        (&json!(2), &json!(2)),
        "{v}"
    );
    let log = h.env.last_log();
    assert!(troubles(&log).is_empty(), "{log}");
    assert_eq!(h.numeros(), ["AEC-2026-D001", "RCO-2026-D001"]);
    assert_eq!(statuses(&h.posted("RCO-2026-D001")), ["SI_RECEIVED"]);
}

#[test]
fn a_wrong_digest_is_tried_again_and_never_imported() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-W001");
    // Wrong for as many downloads as msp tries: not received.
    h.faults(json!({"wrongDigest": 4}));
    let r = h.env.run(&[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let log = h.env.last_log();
    common::assert_has(&log, "hubee case RCO-2026-W001");
    common::assert_has(&log, "its digest is not the one announced");
    assert!(h.numeros().is_empty());
    assert!(files(&h.env.input()).is_empty() && files(&h.env.done()).is_empty());
    assert_eq!(h.state()["notifications"].as_array().unwrap().len(), 1);
    // Wrong once: downloaded again, right, imported.
    h.faults(json!({"wrongDigest": 1}));
    let log = h.run_ok();
    assert!(troubles(&log).is_empty(), "{log}");
    assert_eq!(h.numeros(), ["RCO-2026-W001"]);
}

#[test]
fn a_purged_attachment_is_trouble_naming_the_case_and_the_others_go_on() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-P001");
    h.case("recensementCitoyen", "RCO-2026-P002");
    h.post("/sim/cases/RCO-2026-P001/purge", json!({}));
    let r = h.env.run(&[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let log = h.env.last_log();
    common::assert_has(&log, "hubee case RCO-2026-P001");
    common::assert_has(&log, "was purged by the hub");
    assert_eq!(h.numeros(), ["RCO-2026-P002"]);
}

#[test]
fn a_case_whose_files_are_still_checked_waits_and_a_corrupted_one_is_trouble() {
    let h = Hub::start();
    h.case("recensementCitoyen", "RCO-2026-V001");
    h.case("recensementCitoyen", "RCO-2026-V002");
    h.post(
        "/sim/cases/RCO-2026-V001/files",
        json!({"status": "PENDING"}),
    );
    h.post(
        "/sim/cases/RCO-2026-V002/files",
        json!({"status": "CORRUPTED"}),
    );
    let r = h.env.run(&[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let log = h.env.last_log();
    common::assert_has(&log, "hubee case RCO-2026-V001");
    common::assert_has(&log, "is still being checked by the hub (PENDING)");
    common::assert_has(&log, "hubee case RCO-2026-V002");
    common::assert_has(&log, "is CORRUPTED on the hub: the case cannot be received");
    assert!(h.numeros().is_empty(), "{:?}", h.numeros());
    // The antivirus done: the waiting case is received, the other still not.
    h.post(
        "/sim/cases/RCO-2026-V001/files",
        json!({"status": "RECEIVED"}),
    );
    h.env.run(&[]);
    assert_eq!(h.numeros(), ["RCO-2026-V001"]);
}

/// Cases the portal sends between two kills.
const PER_ROUND: usize = 6;

/// New cases of both démarches for round `tag`.
fn send_cases(h: &Hub, tag: &str, all: &mut Vec<String>) {
    for i in 0..PER_ROUND {
        let (process, prefix) = if i % 2 == 0 {
            ("recensementCitoyen", "RCO")
        } else {
            ("EtatCivil", "AEC")
        };
        let ext = format!("{prefix}-{tag}-{i:02}");
        h.case(process, &ext);
        all.push(ext);
    }
}

/// The dossiers at status 14 move to 16, those at 16 (recensement) to 17:
/// statuses to send in the next run, recorded in `expected`.
fn decide(h: &Hub, expected: &mut std::collections::BTreeMap<String, Vec<&'static str>>) {
    for d in h.env.dossiers() {
        let numero = d["numero"].as_str().unwrap().to_string();
        // Only from a status written for the portal: one changed before
        // is superseded, never sent.
        if d["indicator"] != 2 {
            continue;
        }
        let (code, hub) = match (d["status"].as_u64(), numero.starts_with("RCO")) {
            (Some(14), _) => ("16", "IN_PROGRESS"),
            (Some(16), true) => ("17", "ADD_AWAITING"),
            _ => continue,
        };
        let r = h.env.msp(&["dossier", "status", &numero, code]);
        if r.code == 0 {
            expected.entry(numero).or_default().push(hub);
        }
    }
}

/// The notifications of new cases waiting on the hub.
fn new_cases_waiting(h: &Hub) -> usize {
    h.state()["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["eventId"].is_null())
        .count()
}

/// Where a kill landed, from what it left: new cases not all received,
/// bundles not imported, returns not posted, or nothing.
fn phase(h: &Hub, waiting_before: usize) -> &'static str {
    let waiting = new_cases_waiting(h);
    let zips = |dir: &std::path::Path| files(dir).iter().filter(|f| f.ends_with(".zip")).count();
    if waiting == waiting_before {
        "before receiving"
    } else if waiting > 0 {
        "receiving"
    } else if zips(&h.env.input()) + zips(&h.env.work()) > 0 {
        "importing"
    } else if zips(&h.env.output()) > 0 {
        "sending"
    } else {
        "after"
    }
}

/// kill -9 at random moments of runs that receive and send, then runs to
/// the end: every case imported once, every status posted once, every
/// notification consumed, nothing left half done. `MSP_HUBEE_KILLS` sets
/// the number of kills (default 5).
#[test]
fn kill_9_during_receive_and_send_moves_everything_exactly_once() {
    let h = Hub::start();
    let kills: usize = std::env::var("MSP_HUBEE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut all = Vec::new();
    let mut expected = std::collections::BTreeMap::new();
    send_cases(&h, "KFIRST", &mut all);
    let t = std::time::Instant::now();
    h.run_ok();
    let span = t.elapsed().as_millis().max(50) as u64;
    let mut rng = portal_sim::Seq::new(0x9e37_79b9);
    let mut killed = 0;
    let mut phases: std::collections::BTreeMap<&str, u32> = Default::default();
    for round in 0..kills {
        if round % 4 == 3 {
            h.run_ok();
        }
        send_cases(&h, &format!("K{round:03}X"), &mut all);
        decide(&h, &mut expected);
        let waiting = new_cases_waiting(&h);
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_msp"))
            .arg("run")
            .current_dir(h.env.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.range(0, span)));
        let _ = std::process::Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        killed += usize::from(out.status.code().is_none());
        *phases.entry(phase(&h, waiting)).or_default() += 1;
    }
    h.run_ok();
    h.run_ok();
    eprintln!(
        "{kills} kills ({killed} before the run ended; by what was left: {phases:?}), {} cases, {} status changes",
        all.len(),
        expected.values().map(Vec::len).sum::<usize>()
    );
    all.sort();
    assert_eq!(h.numeros(), all);
    let state = h.state();
    assert_eq!(state["notifications"], json!([]));
    let cases: std::collections::BTreeMap<&str, &Value> = state["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["externalId"].as_str().unwrap(), c))
        .collect();
    for ext in &all {
        let posted = posted_on(cases[ext.as_str()]);
        let mut want = vec!["SI_RECEIVED"];
        want.extend(expected.get(ext).into_iter().flatten().copied());
        assert_eq!(statuses(&posted), want, "{ext}");
        let received = common::query_strings(
            &h.env.db(),
            &format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM msp_archive_recue WHERE numero = '{ext}' AND message_id IS NOT NULL"),
        );
        assert_eq!(received, ["1"], "{ext}");
    }
    let left = files(&h.env.input());
    if !left.is_empty() {
        let mut why = String::new();
        for f in &left {
            why.push_str(&format!("{f}: {:?}\n", zip_names(&h.env.input().join(f))));
            for l in files(&h.env.logs()) {
                let text = std::fs::read_to_string(h.env.logs().join(&l)).unwrap_or_default();
                let stem = f.trim_end_matches(".zip");
                for line in text.lines().filter(|line| line.contains(stem)) {
                    why.push_str(&format!("  {l}: {line}\n"));
                }
            }
        }
        panic!("left in input:\n{why}");
    }
    assert!(
        files(&h.env.output()).is_empty(),
        "{:?}",
        files(&h.env.output())
    );
    for client in files(&h.env.work().join(".hubee")) {
        let sending = h.env.work().join(".hubee").join(client).join("sending");
        let left: Vec<String> = files(&sending)
            .into_iter()
            .filter(|f| !f.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "intents left: {left:?}");
    }
}

#[test]
fn acknowledgements_without_event_status_are_not_taken_for_the_portal() {
    let h = Hub::start();
    // Notifications as API 1.2.7 lists them: no `eventStatus`, so msp
    // reads each event to know what it is.
    h.faults(json!({"legacy": true}));
    h.case("recensementCitoyen", "RCO-2026-L001");
    h.run_ok();
    status(&h, "RCO-2026-L001", "16", None);
    h.run_ok();
    h.post(
        "/sim/cases/RCO-2026-L001/message",
        json!({"message": "Merci."}),
    );
    h.run_ok();
    h.run_ok();
    assert_eq!(h.state()["notifications"], json!([]));
    assert_eq!(
        statuses(&h.posted("RCO-2026-L001")),
        ["SI_RECEIVED", "IN_PROGRESS"]
    );
    assert_eq!(h.env.dossier("RCO-2026-L001")["status"], 16);
    let ops = std::fs::read_to_string(h.env.logs().join("operations.log")).unwrap();
    assert_eq!(ops.matches("message du portail").count(), 1, "{ops}");
}

#[test]
fn a_case_made_through_the_portals_own_api_is_imported() {
    let h = Hub::start();
    // The data document as the portal's form makes it (portal-sim's own).
    let document = portal_sim::Archive::aec("AEC-2026-F001", 1)
        .living_in("90010")
        .document;
    let folder = h.post(
        "/teledossiers/v1/folders",
        json!({"processCode": "EtatCivil", "externalId": "F-2026-1",
               "applicant": {"firstName": "Camille", "lastName": "DUBOIS"},
               "cases": [{"externalId": "AEC-2026-F001",
                          "recipient": {"type": "SI", "companyRegister": "21900010900019", "branchCode": "90010"}}],
               "attachments": [{"fileName": "demande.xml", "type": "ActeEtatCivil-XML",
                                "size": document.len(), "mimeType": "application/xml"}]}),
    );
    let (f, a) = (
        folder["id"].as_str().unwrap(),
        folder["attachments"][0]["id"].as_str().unwrap(),
    );
    // Not notified before the folder is complete.
    assert_eq!(h.state()["notifications"], json!([]));
    let put = ureq::put(&format!(
        "http://{}/teledossiers/v1/folders/{f}/attachments/{a}",
        h.addr
    ))
    .send(document.as_bytes())
    .unwrap();
    assert_eq!(put.status(), 204);
    let mut done = ureq::patch(&format!("http://{}/teledossiers/v1/folders/{f}", h.addr))
        .send(
            json!({"globalStatus": "HUBEE_COMPLETED"})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    let done: Value = serde_json::from_slice(&done.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(done["globalStatus"], "HUBEE_COMPLETED");
    h.run_ok();
    assert_eq!(h.numeros(), ["AEC-2026-F001"]);
    assert_eq!(statuses(&h.posted("AEC-2026-F001")), ["SI_RECEIVED"]);
}
