use super::*;
use crate::envelope::hubee::bundle_entry;

#[test]
fn statuses_map_to_the_hubee_table() {
    let map: Vec<(u16, Option<&str>)> = [14, 15, 16, 17, 19, 20, 100]
        .iter()
        .map(|s| (*s, hub_status(*s)))
        .collect();
    assert_eq!(
        map,
        [
            (14, Some("SI_RECEIVED")),
            (15, Some("REFUSED")),
            (16, Some("IN_PROGRESS")),
            (17, Some("ADD_AWAITING")),
            (19, Some("DONE")),
            (20, Some("REFUSED")),
            (100, None),
        ]
    );
}

#[test]
fn bundle_entries_are_plain_and_distinct() {
    assert_eq!(
        bundle_entry('c', 0, "Pièce d'identité.pdf"),
        "c1-Pièce d'identité.pdf"
    );
    assert_eq!(
        bundle_entry('e', 2, "../../etc/passwd"),
        "e3-_.._etc_passwd"
    );
    assert_eq!(bundle_entry('c', 1, ".hidden"), "c2-hidden");
    assert_eq!(bundle_entry('c', 1, ""), "c2-fichier");
}

#[test]
fn the_journal_keeps_cases_events_and_intents() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path(), "Belfort");
    assert!(j.case("c-1").is_none());
    let record = CaseRecord {
        case_id: "c-1".into(),
        external_id: "RCO-1".into(),
        flow: "RCO-LA".into(),
        process: "recensementCitoyen".into(),
        file_number: 1,
        rejections_answered: Vec::new(),
        complements: Default::default(),
    };
    j.save_case(&record).unwrap();
    assert_eq!(j.case("c-1"), Some(record.clone()));
    assert_eq!(j.cases(), [record]);
    assert!(!j.event_applied("e-1"));
    j.mark_event("e-1").unwrap();
    assert!(j.event_applied("e-1"));
    let tag = "msp=RCO-1/2";
    assert!(!j.intent(tag));
    j.write_intent(tag).unwrap();
    assert!(j.intent(tag));
    j.clear_intent(tag);
    assert!(!j.intent(tag));
    // Another client's journal is another folder.
    assert!(Journal::open(dir.path(), "Paris").case("c-1").is_none());
}

#[test]
fn base64_digests_are_standard() {
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(
        base64_sha256(b"abc"),
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
}
