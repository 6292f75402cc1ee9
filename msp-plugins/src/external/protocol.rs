//! The boundary's protocol: the C tables a library exports (version 1 and
//! 2) and the JSON documents that cross them, with the conversions of rows
//! both sides share.

use std::collections::BTreeMap;
use std::ffi::c_char;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::plugin::PluginError;
use crate::record::{ColumnType, Row, TableDef, Value};
use crate::xml::Element;

/// The newest ABI version this msp speaks (it also loads version 1).
pub const ABI_VERSION: u32 = 2;

/// The table of ABI version 1 (symbol `msp_plugin_v1`).
#[repr(C)]
pub struct PluginV1 {
    /// 1.
    pub abi_version: u32,
    /// Returns the [`Description`] as JSON (freed with `free`).
    pub describe: extern "C" fn() -> *mut c_char,
    /// Takes a [`ParseInput`] as JSON, returns a [`ParseOutput`] as JSON.
    pub parse: extern "C" fn(input: *const c_char) -> *mut c_char,
    /// Frees a string returned by `describe` or `parse`.
    pub free: extern "C" fn(s: *mut c_char),
}

/// The table of ABI version 2 (symbol `msp_plugin_v2`): version 1's, then
/// the return attachments.
#[repr(C)]
pub struct PluginV2 {
    /// 2.
    pub abi_version: u32,
    /// As in version 1.
    pub describe: extern "C" fn() -> *mut c_char,
    /// As in version 1 (a [`ParseOutput::Failed`] may come back).
    pub parse: extern "C" fn(input: *const c_char) -> *mut c_char,
    /// As in version 1.
    pub free: extern "C" fn(s: *mut c_char),
    /// Takes an [`AttachmentNameInput`] as JSON, returns a JSON string or
    /// `null` (the file name, or none).
    pub attachment_name: extern "C" fn(input: *const c_char) -> *mut c_char,
    /// Takes a [`DossierDesc`] as JSON, returns an [`AttachmentOutput`] as
    /// JSON.
    pub return_attachment: extern "C" fn(input: *const c_char) -> *mut c_char,
}

/// What `attachment_name` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentNameInput {
    /// NumeroTeledemarche.
    pub numero: String,
    /// The status of the return flow.
    pub status: u16,
}

/// A dossier, as exchanged (what [`crate::DossierData`] holds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DossierDesc {
    /// NumeroTeledemarche.
    pub numero: String,
    /// Flow code.
    pub flow: String,
    /// CodeINSEE.
    pub insee: String,
    /// The status being transmitted.
    pub status: u16,
    /// When it was recorded.
    pub status_at: NaiveDateTime,
    /// The dossier's rows in the plugin's tables.
    pub rows: Vec<RowDesc>,
    /// The client's `commune` setting. Optional on the wire (absent when
    /// unset, and from hosts that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// The client's `departement` setting; optional likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departement: Option<String>,
}

/// What `return_attachment` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AttachmentOutput {
    /// No document for this status.
    None,
    /// A document.
    Some {
        /// `Intitule`.
        label: String,
        /// File name in the archive.
        file: String,
        /// Content.
        bytes: Vec<u8>,
    },
    /// The dossier's data does not allow it.
    Refused(Refusal),
    /// The plugin failed.
    Failed {
        /// What happened.
        message: String,
    },
}

/// A refusal, as exchanged (`{"element": ..., "rule": ..., "rule_fr": ...}`
/// inside `Refused`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refusal {
    /// Element.
    pub element: String,
    /// Rule.
    pub rule: String,
    /// The rule in French, for the clerk (absent from plugins built before
    /// it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_fr: Option<String>,
}

impl From<PluginError> for Refusal {
    fn from(e: PluginError) -> Self {
        Refusal {
            element: e.element,
            rule: e.rule,
            rule_fr: e.rule_fr,
        }
    }
}

impl From<Refusal> for PluginError {
    /// A refusal as an external plugin sent it (its French words optional).
    fn from(r: Refusal) -> Self {
        PluginError {
            rule_fr: r.rule_fr,
            ..PluginError::new(r.element, r.rule)
        }
    }
}

/// A column, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnDesc {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: ColumnType,
    /// Nullable.
    pub nullable: bool,
}

/// A table, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDesc {
    /// Name.
    pub name: String,
    /// Comment.
    pub comment: String,
    /// Columns.
    pub columns: Vec<ColumnDesc>,
    /// Key columns besides `numero`.
    pub key: Vec<String>,
}

/// What `describe` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Description {
    /// Flow code.
    pub flow: String,
    /// Business application.
    pub application: String,
    /// One line.
    pub description: String,
    /// Table layout version.
    pub schema_version: u32,
    /// Tables.
    pub tables: Vec<TableDesc>,
    /// Default comments by status.
    pub comments: BTreeMap<u16, String>,
    /// Migrations of its tables (added in ABI version 2; absent before).
    #[serde(default)]
    pub migrations: Vec<MigrationDesc>,
    /// A sample data document: (code, text) (added in ABI version 2).
    #[serde(default)]
    pub sample: Option<(String, String)>,
}

/// A migration, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MigrationDesc {
    /// The version it leads to.
    pub version: u32,
    /// Its steps.
    pub steps: Vec<StepDesc>,
}

/// A migration step, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StepDesc {
    /// A table added.
    AddTable(String),
    /// An optional column added.
    AddColumn {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// An index added.
    AddIndex {
        /// Table.
        table: String,
        /// Index name.
        name: String,
        /// Columns.
        columns: Vec<String>,
    },
}

/// A data document, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentDesc {
    /// Document/Code.
    pub code: String,
    /// File name.
    pub file_name: String,
    /// Root element.
    pub root: Element,
}

/// What `parse` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParseInput {
    /// NumeroTeledemarche.
    pub numero: String,
    /// FileNumber.
    pub file_number: u32,
    /// CodeINSEE.
    pub insee: String,
    /// Teledemarche/Date.
    pub submitted_at: Option<NaiveDateTime>,
    /// The documents.
    pub documents: Vec<DocumentDesc>,
}

/// A row, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowDesc {
    /// Table.
    pub table: String,
    /// (column, value).
    pub values: Vec<(String, Value)>,
}

/// What `parse` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ParseOutput {
    /// Rows and summary.
    Ok {
        /// Rows.
        rows: Vec<RowDesc>,
        /// Summary.
        summary: String,
    },
    /// A refusal.
    Refused(Refusal),
    /// The plugin failed (a panic, a bug): not the document's fault.
    Failed {
        /// What happened.
        message: String,
    },
}

/// A row, as exchanged.
pub(super) fn row_desc(row: Row) -> RowDesc {
    RowDesc {
        table: row.table.into(),
        values: row
            .values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

/// Rows as exchanged, back into rows of `tables` (names are the tables'
/// own `'static` ones); an unknown table or column is named.
pub(super) fn rows_of(tables: &[TableDef], rows: Vec<RowDesc>) -> Result<Vec<Row>, String> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let table = tables.iter().find(|t| t.name == r.table).ok_or_else(|| {
            format!(
                "it made a row for table {}, which it does not declare",
                r.table
            )
        })?;
        let mut row = Row::new(table.name);
        for (k, v) in r.values {
            let col = table
                .column(&k)
                .ok_or_else(|| format!("table {} has no column {k}", table.name))?;
            row = row.set(col.name, v);
        }
        out.push(row);
    }
    Ok(out)
}
