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
        let subscribers = [("belfort-rco", "recensementCitoyen"), ("belfort-aec", "EtatCivil")]
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
        let mut r = ureq::get(&format!("http://{}/sim/state", self.addr)).call().unwrap();
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
        self.hub_case(ext)["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["fromSI"] == true)
            .map(|e| {
                (
                    e["caseNewStatus"].as_str().unwrap_or(e["actionType"].as_str().unwrap()).to_string(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn run_ok(&self) -> String {
        let r = self.env.run(&[]);
        assert_eq!(r.code, 0, "{}{}\n{}", r.stdout, r.stderr, self.env.last_log());
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
    r.assert_stdout_has("hubee EtatCivil (belfort-aec) authenticated (flow AEC-LA), 1 notification(s) waiting");
    let log = h.run_ok();
    common::assert_has(&log, "received from HubEE");
    assert_eq!(h.numeros(), ["AEC-2026-0001", "RCO-2026-0001", "RCO-2026-0002"]);
    assert_eq!(
        files(&h.env.done()),
        ["AEC-2026-0001-AEC-LA-1.zip", "RCO-2026-0001-RCO-LA-1.zip", "RCO-2026-0002-RCO-LA-1.zip"]
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
