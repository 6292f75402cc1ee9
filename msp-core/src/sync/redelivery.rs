//! The re-delivery rules of PROTOCOL §4, as a pure function of what the
//! database knows about a dossier and what the archive is.

use crate::backend::{Dossier, ReceivedArchive};
use crate::error::{Error, Reason, Result};
use crate::naming::ArchiveName;
use crate::status::CLOSED;

/// What to do with an archive of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// First file of the dossier.
    New,
    /// A higher FileNumber: the business rows are replaced.
    Complement(Dossier),
    /// Same FileNumber, identical bytes: nothing changes.
    Duplicate,
}

/// Decides, in PROTOCOL §4 order: duplicate, conflict, closed, other flow,
/// stale, complement, new. An `Err` is bad input naming the rule. An
/// archive of a file already imported is a duplicate when its bytes are the
/// same, or when its `message.xml` has the `MessageId` recorded for that
/// file (the portal's replay, re-zipped: PROTOCOL §3.1).
pub fn decide(
    name: &ArchiveName,
    sha256: &str,
    message_id: Option<&str>,
    existing: Option<Dossier>,
    received: &[ReceivedArchive],
) -> Result<Decision> {
    let (numero, file_number) = (&name.numero, name.file_number);
    if let Some(r) = received.iter().find(|r| r.file_number == file_number) {
        let replayed = message_id.is_some() && r.message.message_id.as_deref() == message_id;
        if r.sha256 == sha256 || replayed {
            return Ok(Decision::Duplicate);
        }
        return Err(Error::bad_input(
            Reason::Conflict,
            format!(
                "file {file_number} of dossier {numero} was already imported ({}) with different content",
                r.name
            ),
        ));
    }
    let Some(d) = existing else {
        return Ok(Decision::New);
    };
    if d.status == CLOSED {
        return Err(Error::bad_input(
            Reason::Closed,
            format!(
                "dossier {numero} is closed (status 100); file {file_number} cannot be imported"
            ),
        ));
    }
    if d.flow != name.flow {
        return Err(Error::bad_input(
            Reason::Conflict,
            format!(
                "dossier {numero} exists for flow {}, not {}",
                d.flow, name.flow
            ),
        ));
    }
    if file_number < d.file_number {
        return Err(Error::bad_input(
            Reason::Stale,
            format!(
                "file {file_number} of dossier {numero} is older than file {} already imported (stale)",
                d.file_number
            ),
        ));
    }
    Ok(Decision::Complement(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn name(n: u32) -> ArchiveName {
        ArchiveName {
            numero: "A-1".into(),
            flow: "RCO-LA".into(),
            file_number: n,
        }
    }

    fn dossier(status: u16, file_number: u32) -> Dossier {
        Dossier {
            numero: "A-1".into(),
            flow: "RCO-LA".into(),
            insee: "75056".into(),
            file_number,
            status,
            indicator: 2,
            summary: String::new(),
            status_seq: 1,
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
        }
    }

    fn received(n: u32, sha: &str) -> ReceivedArchive {
        ReceivedArchive {
            name: format!("A-1-RCO-LA-{n}.zip"),
            numero: "A-1".into(),
            file_number: n,
            sha256: sha.into(),
            outcome: "imported".into(),
            received_at: NaiveDateTime::default(),
            message: Default::default(),
        }
    }

    #[test]
    fn the_rules_in_protocol_order() {
        assert_eq!(
            decide(&name(1), "x", None, None, &[]).unwrap(),
            Decision::New
        );
        let r = [received(2, "aa")];
        assert_eq!(
            decide(&name(2), "aa", None, Some(dossier(100, 2)), &r).unwrap(),
            Decision::Duplicate,
            "a duplicate is recognised even on a closed dossier"
        );
        let reason = |r: Result<Decision>| r.unwrap_err().reason();
        assert_eq!(
            reason(decide(&name(2), "bb", None, Some(dossier(14, 2)), &r)),
            Some(Reason::Conflict)
        );
        assert_eq!(
            reason(decide(&name(3), "cc", None, Some(dossier(100, 2)), &r)),
            Some(Reason::Closed)
        );
        assert_eq!(
            reason(decide(&name(1), "cc", None, Some(dossier(14, 2)), &r)),
            Some(Reason::Stale)
        );
        let mut other = dossier(14, 1);
        other.flow = "ILE-LA".into();
        assert_eq!(
            reason(decide(&name(3), "cc", None, Some(other), &r)),
            Some(Reason::Conflict)
        );
        assert!(matches!(
            decide(&name(3), "cc", None, Some(dossier(16, 2)), &r).unwrap(),
            Decision::Complement(d) if d.file_number == 2
        ));
    }

    #[test]
    fn the_portals_replay_is_a_duplicate_even_re_zipped() {
        let mut first = received(2, "aa");
        first.message.message_id = Some("A-1 5808773 Principal 2019-04-03T16:26:40".into());
        let r = [first];
        let id = Some("A-1 5808773 Principal 2019-04-03T16:26:40");
        assert_eq!(
            decide(&name(2), "other bytes", id, Some(dossier(14, 2)), &r).unwrap(),
            Decision::Duplicate
        );
        // Another message for the same file, or one that names none, with
        // other bytes: a conflict.
        for other in [Some("A-1 5808774 Principal 2019-04-03T17:00:00"), None] {
            assert_eq!(
                decide(&name(2), "other bytes", other, Some(dossier(14, 2)), &r)
                    .unwrap_err()
                    .reason(),
                Some(Reason::Conflict),
                "{other:?}"
            );
        }
        // A file recorded without an id is not a replay of one without.
        let r = [received(2, "aa")];
        assert_eq!(
            decide(&name(2), "bb", None, Some(dossier(14, 2)), &r)
                .unwrap_err()
                .reason(),
            Some(Reason::Conflict)
        );
    }
}
