use serde_json::json;

use super::portal::NewCase;
use super::*;

#[test]
fn faults_are_consumed_in_order() {
    let mut hub = Hub::default();
    assert_eq!(hub.next_fault(), None);
    hub.arm(&json!({"fail500": 2, "drop": 1}));
    assert_eq!(hub.next_fault(), Some(true));
    assert_eq!(hub.next_fault(), Some(true));
    assert_eq!(hub.next_fault(), Some(false));
    assert_eq!(hub.next_fault(), None);
}

#[test]
fn expiring_tokens_forgets_them_all() {
    let mut hub = Hub::default();
    hub.tokens.insert("t1".into(), "EtatCivil".into());
    hub.arm(&json!({"expireTokens": true, "wrongDigest": 3}));
    assert!(hub.tokens.is_empty());
    assert_eq!(hub.faults.wrong_digest, 3);
}

#[test]
fn a_new_case_is_notified_with_its_document() {
    let mut hub = Hub::default();
    hub.create_case(&NewCase {
        process: "recensementCitoyen".into(),
        external_id: "RCO-X1".into(),
        insee: "90010".into(),
        document: None,
    });
    assert_eq!(hub.notifications.len(), 1);
    assert!(hub.notifications[0].event_id.is_none());
    let case = hub.by_external("RCO-X1").unwrap();
    assert_eq!(case.files[0].kind, "10870-XML");
    assert_eq!(case.files[0].size, case.files[0].bytes.len() as u64);
    let id = hub
        .portal_event("RCO-X1", "STATUS_UPDATE", None, Vec::new())
        .unwrap();
    assert_eq!(hub.notifications[1].event_id.as_deref(), Some(id.as_str()));
    assert_eq!(hub.by_external("RCO-X1").unwrap().status, "CLOSED");
}

#[test]
fn purged_files_are_deleted() {
    let mut hub = Hub::default();
    hub.create_case(&NewCase {
        process: "EtatCivil".into(),
        external_id: "AEC-1".into(),
        insee: "90010".into(),
        document: None,
    });
    let f = hub.by_external("AEC-1").unwrap().files[0].clone();
    assert_eq!(f.kind, "ActeEtatCivil-XML");
    assert_eq!(
        api_status(&File {
            status: "DELETED".into(),
            ..f
        }),
        404
    );
}

fn api_status(f: &File) -> u16 {
    super::api::file_bytes(false, f).status().as_u16()
}

#[test]
fn base64_is_standard() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn tokens_expire_after_the_calls_armed() {
    let mut hub = Hub::default();
    hub.tokens.insert("t1".into(), "EtatCivil".into());
    hub.arm(&json!({"expireAfter": 2}));
    assert_eq!(hub.next_fault(), None);
    assert_eq!(hub.tokens.len(), 1);
    assert_eq!(hub.next_fault(), None);
    assert!(hub.tokens.is_empty());
}
