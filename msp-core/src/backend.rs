//! The storage contract the pipeline writes through. Implementations live
//! in `db-backends` (the only crate that speaks SQL); the core only knows
//! this trait, so a town's database can be SQLite, PostgreSQL or an ODBC
//! source without the pipeline noticing.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDateTime;
use msp_plugins::{Row, TableDef};
use serde::Serialize;

pub use crate::config::AttachmentMode;
use crate::config::ClientConfig;
pub use crate::display::MASKED;
use crate::error::Result;
use crate::extract::Content;

/// A dossier (one NumeroTeledemarche).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dossier {
    /// NumeroTeledemarche.
    pub numero: String,
    /// Flow code.
    pub flow: String,
    /// CodeINSEE it was routed by.
    pub insee: String,
    /// Latest FileNumber imported.
    pub file_number: u32,
    /// Current status code.
    pub status: u16,
    /// Transmission indicator of the current status (0 or 2).
    pub indicator: u8,
    /// One-line summary from the plugin.
    pub summary: String,
    /// `seq` of the current status in the history.
    pub status_seq: u32,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// One status in a dossier's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusEntry {
    /// Order in the history (1-based).
    pub seq: u32,
    /// Status code.
    pub status: u16,
    /// 0 = not transmitted, 2 = transmitted.
    pub indicator: u8,
    /// Comment for the citizen (None: the flow's default text).
    pub comment: Option<String>,
    /// Recorded by msp itself (automatic closure).
    pub automatic: bool,
    /// Replaced before being transmitted; never sent.
    pub superseded: bool,
    /// When it was recorded.
    pub at: NaiveDateTime,
    /// When it was transmitted.
    pub transmitted_at: Option<NaiveDateTime>,
    /// Cancelled by an agent (also superseded).
    pub cancelled: bool,
    /// Increment of the return flow that carries it, once recorded.
    pub return_increment: Option<u32>,
}

impl StatusEntry {
    /// Transmitted for the rules: indicator 1 or 2, or its return flow
    /// already recorded (it will be sent with that increment).
    pub fn transmitted(&self) -> bool {
        self.indicator != 0 || self.return_increment.is_some()
    }
}

/// A return flow (one archive for the portal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnFlow {
    /// NumeroTeledemarche.
    pub numero: String,
    /// Flow code.
    pub flow: String,
    /// Increment (1, 2, ...).
    pub increment: u32,
    /// Etat sent.
    pub status: u16,
    /// Commentaire sent.
    pub comment: String,
    /// The archive's file name.
    pub file: String,
    /// Name of the attachment carried, if any.
    pub attachment: Option<String>,
    /// Recorded at.
    pub created_at: NaiveDateTime,
    /// Archive written into output at.
    pub written_at: Option<NaiveDateTime>,
    /// Archive collected by the portal at.
    pub collected_at: Option<NaiveDateTime>,
}

/// One archive received and accepted (imported or complement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedArchive {
    /// File name as received.
    pub name: String,
    /// NumeroTeledemarche.
    pub numero: String,
    /// FileNumber.
    pub file_number: u32,
    /// SHA-256 of the archive bytes, hex.
    pub sha256: String,
    /// `imported` or `complement`.
    pub outcome: String,
    /// When.
    pub received_at: NaiveDateTime,
    /// What its `message.xml` said of itself (PROTOCOL §3.1), recorded.
    pub message: InboundMessage,
}

/// A party of the PEC exchange: `Header/Routing/Sender` or a recipient's
/// `Location` (the portal's service, the town hall).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    /// `Siret`.
    pub siret: Option<String>,
    /// `Service`.
    pub service: Option<String>,
    /// `Guichet`.
    pub guichet: Option<String>,
}

impl Party {
    /// `SIRET …, service …, guichet …` (what is known of it).
    pub fn describe(&self) -> String {
        [
            self.siret.as_deref().map(|s| format!("SIRET {s}")),
            self.service.as_deref().map(|s| format!("service {s}")),
            self.guichet.as_deref().map(|s| format!("guichet {s}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Whether nothing is known of it.
    pub fn is_empty(&self) -> bool {
        self.siret.is_none() && self.service.is_none() && self.guichet.is_none()
    }
}

/// The portal's follow-up password of a dossier (`Teledemarche/MotDePasse`):
/// a secret. Its `Debug`, `Display` and serialisation are masked; only
/// [`Secret::reveal`] gives it, for a clerk who asks for it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASKED)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASKED)
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(MASKED)
    }
}

/// What an inbound `message.xml` says of itself, recorded with the archive
/// (`msp_archive_recue`, PROTOCOL §3.1): `None` where the message did not
/// say (the seed's shape says little). Texts longer than their column are
/// cut at a character boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InboundMessage {
    /// `Header/Routing/MessageId`: a message seen again under this id is
    /// the portal's replay (a duplicate).
    pub message_id: Option<String>,
    /// `Aller/NumeroDemarche` (the flow code again).
    pub numero_demarche: Option<String>,
    /// `Header/Routing/Sender/Location`: the portal's service that asks,
    /// to whom the return messages answer.
    pub sender: Party,
    /// The first `Header/Routing/Recipients/Location` (the town hall).
    pub recipient: Party,
    /// `AckRequired`, as written (`true`, `false`).
    pub ack_required: Option<String>,
    /// The `AckType`s, space-separated (`AVL ANL`).
    pub ack_types: Option<String>,
    /// `Header/Security/DateTime`, as written.
    pub security_datetime: Option<String>,
    /// `Teledemarche/Email`: the citizen's address (personal data).
    pub email: Option<String>,
    /// `Teledemarche/MotDePasse`: masked everywhere but on demand.
    pub password: Option<Secret>,
}

/// An attachment stored with a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAttachment {
    /// Order within the dossier.
    pub seq: u32,
    /// FileNumber of the archive that brought it.
    pub file_number: u32,
    /// Code (JI, JD...).
    pub code: String,
    /// Intitule.
    pub label: String,
    /// Entry name in the archive.
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Path when stored in the attachments folder; None when in the database.
    pub path: Option<String>,
}

/// An attachment to store at import.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// Metadata (seq is assigned by the backend).
    pub meta: StoredAttachment,
    /// The content, read when stored in the database.
    pub content: Content,
    /// Storage mode.
    pub mode: AttachmentMode,
}

/// New dossier or complement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// First file of a dossier: dossier row, status 14, return flow 1.
    New,
    /// Higher FileNumber: business rows replaced, status unchanged.
    Complement,
}

/// Everything one archive writes, in ONE transaction.
#[derive(Debug, Clone)]
pub struct ImportWrite<'a> {
    /// New or complement.
    pub kind: ImportKind,
    /// The dossier row (status and indicator are used for `New` only).
    pub dossier: &'a Dossier,
    /// The plugin's tables (to delete a complement's old rows).
    pub tables: &'a [TableDef],
    /// The plugin's rows.
    pub rows: &'a [Row],
    /// Attachments.
    pub attachments: &'a [NewAttachment],
    /// The archive record.
    pub received: &'a ReceivedArchive,
    /// The initial status (14) for `New`.
    pub initial_status: Option<&'a StatusEntry>,
    /// The return flow record for status 14 (`New`).
    pub initial_return: Option<&'a ReturnFlow>,
    /// Event text for the dossier's journal.
    pub event: String,
}

/// A plugin's tables with their version, for `db init`.
#[derive(Debug, Clone)]
pub struct PluginSchema {
    /// Flow code (component name in the version table).
    pub flow: String,
    /// Layout version.
    pub version: u32,
    /// Tables.
    pub tables: Vec<TableDef>,
    /// How earlier versions of the tables are brought to `version`.
    pub migrations: Vec<msp_plugins::Migration>,
}

/// An entry of the dossier's journal (imports, complements...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When.
    pub at: NaiveDateTime,
    /// What happened.
    pub text: String,
}

/// One transaction of [`Backend::batch`]: the reads the re-delivery rules
/// need and the import write, with a savepoint around each archive so that
/// the database refusing one archive's rows leaves the others of the batch.
pub trait Tx {
    /// Which of these dossier numbers exist (one query for a batch).
    fn known_dossiers(&mut self, numeros: &[&str]) -> Result<std::collections::HashSet<String>>;
    /// A dossier by number (sees the writes made earlier in the batch).
    fn dossier(&mut self, numero: &str) -> Result<Option<Dossier>>;
    /// Archives accepted for a dossier, by FileNumber.
    fn received(&mut self, numero: &str) -> Result<Vec<ReceivedArchive>>;
    /// Attachments of a dossier.
    fn attachments(&mut self, numero: &str) -> Result<Vec<StoredAttachment>>;
    /// Writes one archive's import.
    fn import(&mut self, write: &ImportWrite<'_>) -> Result<()>;
    /// Writes what the transaction holds back (rows grouped into multi-row
    /// inserts), so that a refusal shows here, before the commit.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    /// Opens a savepoint before one archive's statements.
    fn savepoint(&mut self) -> Result<()>;
    /// Keeps what was written since the savepoint.
    fn release(&mut self) -> Result<()>;
    /// Undoes what was written since the savepoint.
    fn rollback(&mut self) -> Result<()>;
}

/// A database holding the MSP tables and the business tables.
pub trait Backend: Send + Sync {
    /// The URL with any password hidden, for logs.
    fn describe(&self) -> String;

    /// Creates or upgrades the MSP tables and the plugins' tables
    /// (idempotent, versioned). Returns what was done, one line per step.
    fn init(&self, plugins: &[PluginSchema]) -> Result<Vec<String>>;

    /// Runs `f` in one transaction (committed durably when it returns `Ok`,
    /// rolled back otherwise): a batch of archives, one database sync.
    fn batch(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;

    /// How many archives one [`batch`](Self::batch) may hold: 1 when the
    /// engine has no savepoints (Access).
    fn max_batch(&self) -> usize {
        128
    }

    /// Writes one archive's import in one transaction.
    fn import(&self, write: &ImportWrite<'_>) -> Result<()> {
        self.batch(&mut |tx| tx.import(write))
    }

    /// A dossier by number.
    fn dossier(&self, numero: &str) -> Result<Option<Dossier>>;

    /// All dossiers (optionally of some flows), ordered by number.
    fn dossiers(&self, flows: &[String]) -> Result<Vec<Dossier>>;

    /// Status history of a dossier, oldest first.
    fn history(&self, numero: &str) -> Result<Vec<StatusEntry>>;

    /// Return flows of a dossier, by increment.
    fn returns(&self, numero: &str) -> Result<Vec<ReturnFlow>>;

    /// Archives accepted for a dossier, by FileNumber.
    fn received(&self, numero: &str) -> Result<Vec<ReceivedArchive>>;

    /// Attachments of a dossier.
    fn attachments(&self, numero: &str) -> Result<Vec<StoredAttachment>>;

    /// The bytes of an attachment stored in the database (`None` when it
    /// is stored in the attachments folder, or on an engine whose blobs
    /// cannot be read back: Oracle, Access).
    fn attachment_content(&self, numero: &str, seq: u32) -> Result<Option<Vec<u8>>>;

    /// The dossier's journal.
    fn events(&self, numero: &str) -> Result<Vec<Event>>;

    /// Return flows recorded but whose archive is not written yet (by
    /// index; `flow` is left empty).
    fn unwritten_returns(&self) -> Result<Vec<ReturnFlow>>;

    /// Which return flows of these dossiers are recorded but not written,
    /// as (numero, increment). The SQL backend asks by the dossiers' key,
    /// a query per few hundred dossiers, whatever else is pending; this
    /// default reads every unwritten return.
    fn unwritten_returns_of(
        &self,
        numeros: &[&str],
    ) -> Result<std::collections::HashSet<(String, u32)>> {
        let wanted: std::collections::HashSet<&str> = numeros.iter().copied().collect();
        Ok(self
            .unwritten_returns()?
            .into_iter()
            .filter(|r| wanted.contains(r.numero.as_str()))
            .map(|r| (r.numero, r.increment))
            .collect())
    }

    /// Marks a return flow written, its status transmitted (indicator 2)
    /// and, when that status is the current one, the dossier's indicator.
    fn mark_return_written(&self, numero: &str, increment: u32, at: NaiveDateTime) -> Result<()> {
        self.mark_returns_written(&[(numero.to_string(), increment)], at)
    }

    /// [`mark_return_written`](Self::mark_return_written) for many return
    /// flows in one transaction.
    fn mark_returns_written(&self, returns: &[(String, u32)], at: NaiveDateTime) -> Result<()>;

    /// Applies a status change in one transaction.
    fn update_statuses(&self, numero: &str, update: &StatusUpdate) -> Result<()>;

    /// Records a return flow for the status `seq` (before its archive exists).
    fn record_return(&self, ret: &ReturnFlow, status_seq: u32) -> Result<()>;

    /// Records that the portal collected return archives, in one
    /// transaction.
    fn mark_returns_collected(&self, returns: &[(String, u32)], at: NaiveDateTime) -> Result<()>;

    /// Return flows written and not yet collected, handed to `f` one by one
    /// as they are read (by index; `flow` is left empty).
    fn each_uncollected_return(&self, f: &mut dyn FnMut(ReturnFlow) -> Result<()>) -> Result<()>;

    /// Statuses not transmitted and still standing (indicator 0, neither
    /// superseded nor cancelled): `(numero, seq)`, found by index. Which
    /// of them need a return flow is decided by [`crate::lifecycle`].
    fn untransmitted_statuses(&self) -> Result<Vec<(String, u32)>>;

    /// Dossiers whose current status is not transmitted (by index).
    fn untransmitted_dossiers(&self) -> Result<Vec<String>>;

    /// The business rows of a dossier in one plugin table (for documents
    /// generated from the dossier, such as an attestation).
    fn rows(&self, table: &TableDef, numero: &str) -> Result<Vec<Row>>;
}

/// The database among `backends` that holds dossier `numero`, with the
/// dossier (`None` when none does).
pub fn find_dossier(
    backends: &[Arc<dyn Backend>],
    numero: &str,
) -> Result<Option<(Arc<dyn Backend>, Dossier)>> {
    for b in backends {
        if let Some(d) = b.dossier(numero)? {
            return Ok(Some((b.clone(), d)));
        }
    }
    Ok(None)
}

/// A change to a dossier's statuses, computed by the core
/// ([`crate::lifecycle`]) and written by the backend in one transaction.
#[derive(Debug, Clone, Default)]
pub struct StatusUpdate {
    /// A new status to append (its `seq` is final).
    pub append: Option<StatusEntry>,
    /// History entries to mark superseded.
    pub supersede: Vec<u32>,
    /// History entries to mark cancelled (and superseded).
    pub cancel: Vec<u32>,
    /// History entries to restore (superseded back to false).
    pub restore: Vec<u32>,
    /// The dossier's current status afterwards: (seq, status, indicator).
    pub current: (u32, u16, u8),
    /// A line for the dossier's journal.
    pub event: String,
    /// When.
    pub at: NaiveDateTime,
}

/// Opens the backend of a client (implemented by `db-backends`).
pub trait Connector: Send + Sync {
    /// Connects to the client's database; a relative SQLite path is
    /// relative to `root` (the configuration's root folder).
    fn connect(&self, client: &ClientConfig, root: &Path) -> Result<Arc<dyn Backend>>;
}
