use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::error::Error;
use crate::sync::RunReport;
use crate::sync::Unrecognised as Found;

/// The summary as `RunReport::to_json` built it before [`RunSummary`]:
/// the typed summary must give the same JSON, byte for byte.
fn by_hand(r: &RunReport) -> serde_json::Value {
    let code = r.exit_code();
    serde_json::json!({
        "exit_code": code,
        "exit_meaning": match code {
            0 => "all went well",
            1 => "archives rejected (bad input, in the error folder) or status changes refused",
            _ => "trouble: archives left for the next synchronisation",
        },
        "duration_ms": r.duration.as_millis() as u64,
        "totals": r.totals(),
        "flows": r.flows,
        "clients": r.clients,
        "rejected": r.rejected.iter().map(|(a, m)| serde_json::json!({"archive": a, "message": m})).collect::<Vec<_>>(),
        "refused": r.refused,
        "unrecognised": r.unrecognised.iter().map(|u| serde_json::json!({"file": u.file, "reason": u.reason})).collect::<Vec<_>>(),
        "troubles": r.troubles.iter().map(|t| serde_json::json!({"cause": t.cause, "french": t.french, "archives": t.archives.len(), "first_archives": t.archives.iter().take(5).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "recovered": r.recovered,
        "collected": r.collected,
        "fetched": r.fetched,
        "uploaded": r.uploaded,
        "hubee_received": r.hubee_received,
        "hubee_posted": r.hubee_posted,
        "purged": r.purged.len(),
        "held_back_over_a_day": r.held_back_long.iter().map(|(a, h)| serde_json::json!({"archive": a, "hours": h})).collect::<Vec<_>>(),
        "stopped": r.stopped.map(|n| serde_json::json!({"left_in_input": n})),
        "empty": r.empty,
        "log": r.log_path.display().to_string(),
    })
}

fn same_json(r: &RunReport) {
    let typed = serde_json::to_string(&r.to_json()).unwrap();
    assert_eq!(typed, serde_json::to_string(&by_hand(r)).unwrap());
    let pretty = serde_json::to_string_pretty(&r.to_json()).unwrap();
    assert_eq!(pretty, serde_json::to_string_pretty(&by_hand(r)).unwrap());
    // And it reads back (the record of the last run is read so).
    let back: RunSummary = serde_json::from_str(&typed).unwrap();
    let again = serde_json::to_value(&back).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), typed);
}

#[test]
fn an_empty_run_gives_the_same_json() {
    same_json(&RunReport::default());
}

#[test]
fn a_full_run_gives_the_same_json() {
    let mut r = RunReport {
        duration: Duration::from_millis(1234),
        log_path: PathBuf::from("/var/msp/logs/sync-20260101.log"),
        recovered: vec!["A-1-RCO-LA-1.zip".into()],
        refused: vec!["status 16 after 100".into()],
        unrecognised: vec![Found {
            file: "notes.txt".into(),
            reason: "not an archive name".into(),
        }],
        collected: 2,
        fetched: 3,
        uploaded: 4,
        hubee_received: 5,
        hubee_posted: 6,
        purged: vec![PathBuf::from("a"), PathBuf::from("b")],
        held_back_long: vec![("B-2-RCO-LA-1.zip".into(), 30)],
        stopped: Some(7),
        empty: false,
        ..RunReport::default()
    };
    r.rejected
        .push(("C-3-RCO-LA-1.zip".into(), "bad \"envelope\" é".into()));
    r.count("RCO-LA", Some("Paris"), |c| c.imported += 1);
    r.count("RCO-LA", None, |c| c.rejected += 1);
    r.count("ILE-LA", Some("Lyon"), |c| c.returns_written += 2);
    let lyon = Error::temporary("database of Lyon unreachable");
    for i in 0..7 {
        r.trouble(&lyon, Some(&format!("D-{i}-RCO-LA-1.zip")));
    }
    r.trouble(&Error::trouble("disk full"), None);
    same_json(&r);
    for code in [0, 1] {
        let mut r = RunReport::default();
        if code == 1 {
            r.refused.push("x".into());
        }
        r.empty = true;
        same_json(&r);
    }
}

#[test]
fn a_summary_reads_back_typed_and_an_older_record_still_reads() {
    let mut r = RunReport::default();
    r.trouble(
        &Error::temporary("database of Lyon unreachable"),
        Some("D-1-RCO-LA-1.zip"),
    );
    let summary = r.summary();
    let back: RunSummary = serde_json::from_value(r.to_json()).unwrap();
    assert_eq!(back, summary);
    assert_eq!(back.troubles[0].first_archives, ["D-1-RCO-LA-1.zip"]);
    // A record written before the French causes, `unrecognised` and `empty`.
    let old = r#"{"exit_code":2,"troubles":[{"cause":"disk full","archives":3,
        "first_archives":["A-1-RCO-LA-1.zip"]}],"log":"logs/sync.log"}"#;
    let old: RunSummary = serde_json::from_str(old).unwrap();
    assert_eq!(old.exit_code, 2);
    assert_eq!(old.troubles[0].french, "");
    assert_eq!(old.troubles[0].archives, 3);
    assert!(old.unrecognised.is_empty() && !old.empty);
}
