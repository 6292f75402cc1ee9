//! The columns msp reads from its own tables and how a row maps to the
//! core's types (and the received message back to columns).

use msp_core::backend::{
    Dossier, InboundMessage, Party, ReceivedArchive, ReturnFlow, Secret, StatusEntry,
    StoredAttachment,
};
use msp_core::Result;
use msp_plugins::Value;

use super::decode::RowReader;

pub(super) const DOSSIER_COLS: [&str; 10] = [
    "numero",
    "flow",
    "insee",
    "file_number",
    "status",
    "indicator",
    "summary",
    "status_seq",
    "created_at",
    "updated_at",
];

pub(super) fn dossier(r: &RowReader<'_>) -> Result<Dossier> {
    Ok(Dossier {
        numero: r.text(0)?,
        flow: r.text(1)?,
        insee: r.text(2)?,
        file_number: r.int_as(3)?,
        status: r.int_as(4)?,
        indicator: r.int_as(5)?,
        summary: r.opt_text(6).unwrap_or_default(),
        status_seq: r.int_as(7)?,
        created_at: r.ts(8)?,
        updated_at: r.ts(9)?,
    })
}

pub(super) const STATUS_COLS: [&str; 11] = [
    "numero",
    "seq",
    "status",
    "indicator",
    "comment",
    "automatic",
    "superseded",
    "created_at",
    "transmitted_at",
    "cancelled",
    "return_increment",
];

pub(super) fn status(r: &RowReader<'_>) -> Result<StatusEntry> {
    Ok(StatusEntry {
        seq: r.int_as(1)?,
        status: r.int_as(2)?,
        indicator: r.int_as(3)?,
        comment: r.opt_text(4),
        automatic: r.boolean(5)?,
        superseded: r.boolean(6)?,
        at: r.ts(7)?,
        transmitted_at: r.opt_ts(8)?,
        cancelled: r.boolean(9)?,
        return_increment: r.opt_int_as(10)?,
    })
}

pub(super) const RETURN_COLS: [&str; 9] = [
    "numero",
    "increment",
    "status",
    "comment",
    "file_name",
    "attachment_name",
    "created_at",
    "written_at",
    "collected_at",
];

pub(super) fn return_flow(r: &RowReader<'_>, flow: String) -> Result<ReturnFlow> {
    Ok(ReturnFlow {
        numero: r.text(0)?,
        flow,
        increment: r.int_as(1)?,
        status: r.int_as(2)?,
        comment: r.opt_text(3).unwrap_or_default(),
        file: r.text(4)?,
        attachment: r.opt_text(5),
        created_at: r.ts(6)?,
        written_at: r.opt_ts(7)?,
        collected_at: r.opt_ts(8)?,
    })
}

pub(super) const RECEIVED_COLS: [&str; 19] = [
    "numero",
    "file_number",
    "name",
    "sha256",
    "outcome",
    "received_at",
    "message_id",
    "numero_demarche",
    "sender_siret",
    "sender_service",
    "sender_guichet",
    "recipient_siret",
    "recipient_service",
    "recipient_guichet",
    "ack_required",
    "ack_types",
    "security_datetime",
    "email",
    "password",
];

pub(super) fn received(r: &RowReader<'_>) -> Result<ReceivedArchive> {
    let party = |i: usize| Party {
        siret: r.opt_text(i),
        service: r.opt_text(i + 1),
        guichet: r.opt_text(i + 2),
    };
    Ok(ReceivedArchive {
        numero: r.text(0)?,
        file_number: r.int_as(1)?,
        name: r.text(2)?,
        sha256: r.text(3)?,
        outcome: r.text(4)?,
        received_at: r.ts(5)?,
        message: InboundMessage {
            message_id: r.opt_text(6),
            numero_demarche: r.opt_text(7),
            sender: party(8),
            recipient: party(11),
            ack_required: r.opt_text(14),
            ack_types: r.opt_text(15),
            security_datetime: r.opt_text(16),
            email: r.opt_text(17),
            password: r.opt_text(18).map(Secret::new),
        },
    })
}

/// The recorded message's columns of `msp_archive_recue` (version 4).
pub(super) fn message_values(m: &InboundMessage) -> Vec<(&'static str, Value)> {
    let party = |p: &Party| {
        [
            p.siret.clone().into(),
            p.service.clone().into(),
            p.guichet.clone().into(),
        ]
    };
    let [ss, sv, sg] = party(&m.sender);
    let [rs, rv, rg] = party(&m.recipient);
    vec![
        ("message_id", m.message_id.clone().into()),
        ("numero_demarche", m.numero_demarche.clone().into()),
        ("sender_siret", ss),
        ("sender_service", sv),
        ("sender_guichet", sg),
        ("recipient_siret", rs),
        ("recipient_service", rv),
        ("recipient_guichet", rg),
        ("ack_required", m.ack_required.clone().into()),
        ("ack_types", m.ack_types.clone().into()),
        ("security_datetime", m.security_datetime.clone().into()),
        ("email", m.email.clone().into()),
        (
            "password",
            m.password.as_ref().map(|p| p.reveal().to_string()).into(),
        ),
    ]
}

pub(super) const ATTACHMENT_COLS: [&str; 9] = [
    "numero",
    "seq",
    "file_number",
    "code",
    "label",
    "file_name",
    "size_bytes",
    "sha256",
    "path",
];

pub(super) fn attachment(r: &RowReader<'_>) -> Result<StoredAttachment> {
    Ok(StoredAttachment {
        seq: r.int_as(1)?,
        file_number: r.int_as(2)?,
        code: r.text(3)?,
        label: r.opt_text(4).unwrap_or_default(),
        file_name: r.text(5)?,
        size: r.int_as(6)?,
        sha256: r.text(7)?,
        path: r.opt_text(8),
    })
}
